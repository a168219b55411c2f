package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What span metadata costs in resident memory. The pending-free bitmaps (manual mode's explicit
 * frees) live in a parallel region that a collected heap never touches: before session 10 they
 * were 256 of each 640-byte descriptor, resident for every span (9 MB of binary-trees 21's peak).
 * And once explicit frees have written them, a descriptor that serves a new span starts with a
 * clean pair (no stale pending free can kill an object of the next span). Since session 22 the
 * descriptor's own bitmaps hold 512 slots (256-byte descriptors, 384 before): the 8-byte class's
 * 1024-slot bitmaps sit in a second parallel region, the wide bitmaps, which only such spans touch
 * and which a descriptor's next 8-byte span finds clean.
 */
class DescriptorFootprintTest {
    Heap heap;
    GcSupport gc;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = heap.gc();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    long residentPairBytes() {
        AddressSpace space = heap.space;
        long committed = space.freedCommitted();
        return committed == 0 ? 0 : space.os().residentPages(space.freedBase, committed) * space.osPage();
    }

    long residentWideBytes() {
        AddressSpace space = heap.space;
        long committed = space.wideCommitted();
        return committed == 0 ? 0 : space.os().residentPages(space.wideBase, committed) * space.osPage();
    }

    /** Sweeps every span of the cycle just started (tests drive the sweep by hand). */
    void sweepAll() {
        gc.flushAllCaches();
        gc.startSweepCycle();
        while (gc.sweepOne() != 0) {
            // sweep
        }
    }

    @Test
    void everyDescriptorFieldHasItsOwnBytesInsideTheRecord() {
        // {offset, width} of every field, in the layout table's order; bits A and B are the inline bitmaps.
        long[][] fields = {
            {Span.START, 8}, {Span.NPAGES, 8}, {Span.SPAN_CLASS, 4}, {Span.STATE, 4}, {Span.NELEMS, 4},
            {Span.ELEM_SIZE, 4}, {Span.FREE_INDEX, 4}, {Span.ALLOC_COUNT, 4}, {Span.ALLOC_CACHE, 8},
            {Span.ALLOC_BITS, 8}, {Span.GCMARK_BITS, 8}, {Span.SWEEPGEN, 8}, {Span.NEXT, 8}, {Span.PREV, 8},
            {Span.CACHED_BY, 8}, {Span.REMOTE_PENDING, 8}, {Span.LOCAL_PENDING, 4}, {Span.LIST, 4},
            {Span.DIV_MUL, 4}, {Span.NEEDZERO, 4}, {Span.FREE_SINCE, 8},
            {Span.BITS_A, Span.INLINE_BITMAP_BYTES}, {Span.BITS_B, Span.INLINE_BITMAP_BYTES},
        };
        boolean[] used = new boolean[(int) Span.SIZE];
        for (long[] f : fields) {
            assertTrue(f[0] >= 0 && f[0] + f[1] <= Span.SIZE, "field at " + f[0] + " (" + f[1] + " B) inside the " + Span.SIZE + "-byte record");
            assertEquals(0, f[0] % Math.min(f[1], 8), "field at " + f[0] + " aligned to its width");
            for (long b = f[0]; b < f[0] + f[1]; b++) {
                assertTrue(!used[(int) b], "byte " + b + " belongs to two fields");
                used[(int) b] = true;
            }
        }
        // nelems and elemSize are read as one long (nelems | elemSize << 32), as are freeIndex and allocCount.
        assertEquals(Span.NELEMS + 4, Span.ELEM_SIZE);
        assertEquals(Span.FREE_INDEX + 4, Span.ALLOC_COUNT);
        // The parallel regions' records fill the descriptor's stride, with their two halves apart.
        assertEquals(Span.SIZE, Span.WIDE_BYTES);
        assertEquals(Span.SIZE, Span.FREED_BYTES);
        assertEquals(Span.BITMAP_BYTES, Span.WIDE_MARK - Span.WIDE_ALLOC);
        assertEquals(Span.BITMAP_BYTES, Span.REMOTE_FREED - Span.LOCAL_FREED);
        // Every size class fits a full-size bitmap; only class 1 (8 B, 1024 slots) needs more than the inline ones.
        for (int c = 1; c < SizeClasses.NUM_SIZE_CLASSES; c++) {
            long nelems = SizeClasses.classToObjects(c);
            assertTrue(nelems <= Span.MAX_ELEMS, "class " + c + ": " + nelems + " slots");
            assertEquals(c == 1, nelems > Span.INLINE_ELEMS, "class " + c + " (" + nelems + " slots) uses the wide bitmaps");
        }
    }

    @Test
    void eightByteSpansUseCleanWideBitmapsThroughCollections() {
        MCache cache = heap.newCache();
        assertEquals(0, residentWideBytes(), "no 8-byte span yet: the wide bitmaps are untouched");
        // 8 spans of 8-byte objects; every third object marked, then swept.
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 8 * 1024; i++) {
            objs.add(cache.alloc(8, true));
        }
        assertEquals(8L * 8192, heap.readMemStats().heapInuse(), "1024 objects per span: all 1024 slots allocatable");
        assertTrue(residentWideBytes() > 0, "8-byte spans keep their bitmaps in the wide region");
        long marked = 0;
        for (int i = 0; i < objs.size(); i += 3) {
            gc.tryMark(objs.get(i));
            marked++;
        }
        sweepAll();
        heap.verifyHeap();
        assertEquals(marked * 8, heap.readMemStats().heapAlloc(), "the marked objects, and only they, survive the sweep");
        for (int i = 0; i < objs.size(); i += 3) {
            assertEquals(objs.get(i), gc.findObject(objs.get(i)), "marked object " + i + " is still allocated");
        }
        // Nothing marked: every span goes back to the mheap.
        sweepAll();
        assertEquals(0, heap.readMemStats().heapInuse());
        // Make every wide bitmap stale (every other bit set) with no span in use: the next 8-byte
        // span of these descriptors must start with both bitmaps clean (stale alloc bits would hide
        // free slots, stale mark bits keep dead objects). Read the bitmaps of the first new span
        // right after its first object: a fresh span's allocations are below freeIndex, not in its bits.
        heap.releaseCache(cache);
        NativeMemory.fill(heap.space.wideBase, heap.space.wideCommitted(), (byte) 0x55);
        MCache fresh = heap.newCache();
        long first = fresh.alloc(8, true);
        long s = gc.spanOf(first);
        long allocBits = Mem.getLong(s + Span.ALLOC_BITS);
        long markBits = Mem.getLong(s + Span.GCMARK_BITS);
        assertEquals(heap.space.wideBits(s) + Span.WIDE_ALLOC, allocBits, "an 8-byte span's alloc bits are its wide ones");
        assertEquals(heap.space.wideBits(s) + Span.WIDE_MARK, markBits, "an 8-byte span's mark bits are its wide ones");
        for (int w = 0; w < Span.BITMAP_BYTES / 8; w++) {
            assertEquals(0, Mem.getLong(allocBits + 8L * w), "alloc bits word " + w + " of a reused descriptor's new span");
            assertEquals(0, Mem.getLong(markBits + 8L * w), "mark bits word " + w + " of a reused descriptor's new span");
        }
        for (int i = 1; i < 8 * 1024; i++) {
            fresh.alloc(8, true);
        }
        assertEquals(8L * 8192, heap.readMemStats().heapInuse(), "1024 objects in each span again");
        heap.verifyHeap();
        sweepAll();
        assertEquals(0, heap.readMemStats().heapInuse(), "stale wide mark bits kept no dead object");
    }

    @Test
    void aCollectedHeapNeverTouchesThePendingFreeBitmaps() {
        MCache cache = heap.newCache();
        // ~4000 one-page spans of 16-byte objects (binary-trees' node), two GC cycles of sweeps that
        // free half the objects and then all of them, and reuse of the swept spans.
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 4000 * 512; i++) {
            objs.add(cache.alloc(16, false));
        }
        MemStats st = heap.readMemStats();
        assertTrue(st.heapInuse() >= 4000L * 8192, "the spans exist: " + st);
        for (int i = 0; i < objs.size(); i += 2) {
            gc.tryMark(objs.get(i));
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        while (gc.sweepOne() != 0) {
            // sweep
        }
        for (int i = 0; i < 2000 * 512; i++) {
            NativeMemory.putLong(cache.alloc(16, false), i);      // lazy sweeps and reuse
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        while (gc.sweepOne() != 0) {
            // sweep: nothing marked, every span goes back to the mheap
        }
        assertEquals(0, heap.readMemStats().heapInuse());
        for (int i = 0; i < 1000 * 512; i++) {
            cache.alloc(16, false);             // descriptors set up again for new spans
        }
        assertTrue(heap.space.freedCommitted() > 0, "the pairs are committed with the descriptors");
        assertEquals(0, residentPairBytes(), "no page of the pending-free pairs was touched without an explicit free");
        assertEquals(0, residentWideBytes(), "no page of the wide bitmaps was touched without an 8-byte span");
        // The descriptors themselves: 256 bytes per span (Go's mspan is about 160 plus its bitmaps).
        assertEquals(256, Span.SIZE);
        assertTrue(heap.readMemStats().mSpanInuse() <= 1100L * 256, "about one descriptor per span");
    }

    @Test
    void pendingFreesDoNotLeakIntoTheNextSpanOfTheirDescriptor() {
        MCache owner = heap.newCache();
        MCache other = heap.newCache();
        // Explicit frees leave pending bits; then every span goes back to the mheap and its
        // descriptor (or its run's) serves new spans: none of the new objects may read as freed.
        for (int round = 0; round < 3; round++) {
            List<Long> objs = new ArrayList<>();
            for (int i = 0; i < 64 * 512; i++) {
                objs.add(owner.alloc(16, false));
            }
            for (int i = 1; i < objs.size(); i += 3) {
                owner.free(objs.get(i));        // owner: localFreed
            }
            for (int i = 2; i < objs.size(); i += 3) {
                other.free(objs.get(i));        // not the owner: remoteFreed
            }
            heap.verifyHeap();
            for (int i = 0; i < objs.size(); i += 3) {
                owner.free(objs.get(i));
            }
            heap.freeOSMemory();                // folds pending frees, returns empty spans, releases
            heap.verifyHeap();
            assertEquals(0, heap.readMemStats().heapAlloc(), "round " + round + ": everything freed");
        }
        assertTrue(heap.space.freedBitsWritten, "explicit frees mark the pairs as written");
        // Now make every pending-free pair stale (all bits set, as if frees were left in them) with
        // no span in use, and let descriptors serve new spans: each fresh object must be freeable
        // exactly once. Without the clearing at span set-up the first free reads "double free".
        heap.releaseCache(owner);
        heap.releaseCache(other);
        assertEquals(0, heap.readMemStats().heapInuse(), "no span in use");
        NativeMemory.fill(heap.space.freedBase, heap.space.freedCommitted(), (byte) 0xFF);
        MCache fresh = heap.newCache();
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 8 * 512; i++) {
            objs.add(fresh.alloc(16, false));
        }
        heap.verifyHeap();
        for (long p : objs) {
            fresh.free(p);
        }
        for (long p : objs) {
            assertThrows(InvalidFreeException.class, () -> fresh.free(p), "a second free is refused");
        }
        heap.freeOSMemory();
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
    }
}
