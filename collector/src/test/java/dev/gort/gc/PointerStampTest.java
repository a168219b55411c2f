package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.ForcedGcModes;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pointer-bit stamp of a cached span (GcSupport.stampFreeSlots): the first typed allocation
 * from a freshly cached span writes its type's bits over every free slot, and the allocations of
 * that type after it write no bits. What must hold: every object the collector hands out has its
 * own type's pointer bits, whichever type stamped its span, whatever bits the slot held before
 * (a recycled span's slots keep the bits of the objects that died there), and the stamp is dropped
 * wherever a span is swapped or slots come back (verifyHeap checks the free slots of every stamped
 * span). Under a forced gcpoison every allocation takes the general path (the poison is checked
 * per object) and nothing is stamped: the bits are still checked, the stamp's state is not.
 */
class PointerStampTest extends ThreadWorldFixture {
    /** Two 16-byte pointer types of the same span class with different bits, and one with none. */
    static final Type BOTH = Type.struct("Both").pointer("a").pointer("b").build();
    static final Type SECOND = Type.struct("Second").longField("a").pointer("b").build();
    static final Type FIRST = Type.struct("First").pointer("a").longField("b").build();

    Mutator m;
    /** The collector's typed fast path (which stamps) runs: not under a forced gcpoison. */
    static final boolean STAMPING = !ForcedGcModes.get().poison(false);

    void start(GcOptions options) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, options, 2);
        world = gc.threadWorld();
        m = world.register(8);
    }

    static long bitsOf(Type t) {
        return t == BOTH ? 0b11 : t == SECOND ? 0b10 : 0b01;
    }

    void assertOwnBits(long p, Type t, String what) {
        assertEquals(bitsOf(t), heap.gc().pointerBits(p, 2), what + ": 0x" + Long.toHexString(p) + " of type " + t);
    }

    @Test
    void theFirstTypedAllocationStampsTheSpanAndLaterOnesKeepTheirOwnBits() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        assertEquals(BOTH.fastSpanClass, SECOND.fastSpanClass, "same span class");
        MCache mc = m.mcache();
        int spc = BOTH.fastSpanClass;
        long first = gc.alloc(m, BOTH);       // the refill (general path): bits written, no stamp
        assertEquals(0, mc.pointerStamp(spc), "a freshly cached span starts unstamped");
        long second = gc.alloc(m, BOTH);      // the fast path's first allocation from it stamps it
        if (STAMPING) {
            assertEquals(BOTH.stampKey, mc.pointerStamp(spc), "the span is stamped with the first type's bits");
        }
        assertOwnBits(first, BOTH, "first object");
        assertOwnBits(second, BOTH, "second object");
        heap.verifyHeap();
        // Interleaved types in one span: the stamp stays the first type's, each object has its own bits.
        Type[] order = {SECOND, BOTH, BOTH, FIRST, SECOND, SECOND, BOTH};
        for (int i = 0; i < 3_000; i++) {
            Type t = order[i % order.length];
            long p = gc.alloc(m, t);
            assertOwnBits(p, t, "allocation " + i);
        }
        heap.verifyHeap();
    }

    /**
     * Spans recycled from objects of another type carry that type's bits in their free slots:
     * after each refill the first allocation restamps, so no object keeps its predecessor's bits.
     * Fails if a refill kept the previous span's stamp (the new span's slots hold SECOND's bits).
     */
    @Test
    void recycledSpansAreRestampedAfterEveryRefill() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        for (int round = 0; round < 4; round++) {
            Type dead = round % 2 == 0 ? SECOND : FIRST;
            Type live = round % 2 == 0 ? BOTH : SECOND;
            for (int i = 0; i < 20_000; i++) {
                gc.alloc(m, dead);      // garbage: its bits stay in the bitmap after the sweep
            }
            gc.gc();
            long prev = 0;
            for (int i = 0; i < 20_000; i++) {
                long p = gc.alloc(m, live);
                assertOwnBits(p, live, "round " + round + ", allocation " + i);
                if (live != SECOND) {
                    Mem.storePtr(p, 0, prev);
                }
                prev = p;
            }
            heap.verifyHeap();
        }
    }

    /** Mark termination swaps the cached spans out (detachForSweep): the new table's spans start unstamped. */
    @Test
    void aCycleDropsTheStampsWithTheCachedSpans() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        MCache mc = m.mcache();
        int spc = BOTH.fastSpanClass;
        gc.alloc(m, SECOND);
        gc.alloc(m, SECOND);
        if (STAMPING) {
            assertEquals(SECOND.stampKey, mc.pointerStamp(spc));
        }
        gc.gc();
        assertNotEquals(SECOND.stampKey, mc.pointerStamp(spc), "the cached span was swapped: no stamp carried over");
        assertOwnBits(gc.alloc(m, BOTH), BOTH, "first object after the cycle");
        assertOwnBits(gc.alloc(m, BOTH), BOTH, "second object after the cycle");
        if (STAMPING) {
            assertEquals(BOTH.stampKey, mc.pointerStamp(spc));
        }
        heap.verifyHeap();
    }

    /** verifyHeap names a stamped span whose free slot lost its stamp (the cross-check itself can fail). */
    @Test
    void verifyHeapReportsAFreeSlotWithOtherBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(STAMPING, "needs the typed fast path, which a forced gcpoison turns off");
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        gc.alloc(m, BOTH);
        long next = gc.alloc(m, BOTH) + 16;     // the next slot of a fresh span: free, stamped
        heap.gc().writePointerBits(next, 2, 0b10);
        IllegalStateException e = assertThrows(IllegalStateException.class, heap::verifyHeap);
        assertTrue(e.getMessage().contains("pointer-bit stamp broken") && e.getMessage().contains("expected 0x3"),
                e.getMessage());
        heap.gc().writePointerBits(next, 2, 0b11);
        heap.verifyHeap();
    }

    @Test
    void stampKeysNameTheBitsAndRefuseBadWordCounts() {
        assertEquals(0b111, GcSupport.stampKey(2, 0b11));
        assertEquals(0b101, GcSupport.stampKey(2, 0b01 | 0b100), "bits past the object's words are not part of its bits");
        assertEquals(BOTH.stampKey, Type.struct("Other").pointer("x").pointer("y").build().stampKey, "same bits, same key");
        assertNotEquals(BOTH.stampKey, SECOND.stampKey);
        assertEquals(-1, GcSupport.stampKey(64, -1L), "64 words: never stamped");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GcSupport.stampKey(0, 1));
        assertTrue(e.getMessage().contains("1..64"), e.getMessage());
    }

    /**
     * Slots freed by another cache come back to a cached span when its owner folds them at the
     * span's exhaustion (MCache.refill), with the bits of the objects that died there: the fold
     * drops the stamp. Fails if the fold kept it (verifyHeap: the second freed slot, still free,
     * holds SECOND's bits under BOTH's stamp).
     */
    @Test
    void aFoldOfRemoteFreesDropsTheStamp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        MCache c = heap.newCache();
        MCache other = heap.newCache();
        try {
            int spc = BOTH.fastSpanClass;
            long p = c.alloc(16, false);
            heap.gc().writePointerBits(p, 2, 0b11);
            heap.gc().stampFreeSlots(c, spc, BOTH.stampKey);
            assertEquals(BOTH.stampKey, c.pointerStamp(spc));
            long a = c.alloc(16, false);        // two objects of another type (their own bits) from the stamped span
            long b = c.alloc(16, false);
            heap.gc().writePointerBits(a, 2, 0b10);
            heap.gc().writePointerBits(b, 2, 0b10);
            assertEquals(heap.gc().spanOf(p), heap.gc().spanOf(b), "one span");
            other.free(a);                      // remote frees: pending until the owner folds them
            other.free(b);
            assertEquals(BOTH.stampKey, c.pointerStamp(spc), "a remote free leaves the owner's stamp (nothing came back yet)");
            heap.verifyHeap();
            long q = 0;
            for (int i = 0; i < 10_000 && q != a && q != b; i++) {
                q = c.alloc(16, false);         // until the exhausted span is folded and hands a freed slot out again
            }
            assertTrue(q == a || q == b, "the fold gave a freed slot back");
            long stillFree = q == a ? b : a;
            assertEquals(0b10, heap.gc().pointerBits(stillFree, 2), "precondition: the free slot kept its dead object's bits");
            heap.verifyHeap();                  // (with the stamp kept: "pointer-bit stamp broken" at stillFree)
            assertEquals(0, c.pointerStamp(spc), "the fold dropped the stamp");
            heap.gc().stampFreeSlots(c, spc, BOTH.stampKey);     // the next typed allocation's restamp covers it
            assertEquals(0b11, heap.gc().pointerBits(stillFree, 2), "restamped");
            heap.verifyHeap();
        } finally {
            heap.releaseCache(other);
            heap.releaseCache(c);
        }
    }

    /** A manual free may put back a slot with another type's bits: the cache drops its stamps for good. */
    @Test
    void aManualFreeDropsTheCachesStamps() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        MCache c = heap.newCache();
        try {
            long p = c.alloc(16, false);
            int spc = BOTH.fastSpanClass;
            heap.gc().writePointerBits(p, 2, 0b11);
            heap.gc().stampFreeSlots(c, spc, BOTH.stampKey);
            assertEquals(BOTH.stampKey, c.pointerStamp(spc));
            heap.verifyHeap();
            c.free(p);
            assertEquals(GcSupport.NO_STAMP, c.pointerStamp(spc));
            heap.gc().stampFreeSlots(c, spc, BOTH.stampKey);
            assertEquals(GcSupport.NO_STAMP, c.pointerStamp(spc), "not stamped again in this cache");
        } finally {
            heap.releaseCache(c);
        }
    }
}
