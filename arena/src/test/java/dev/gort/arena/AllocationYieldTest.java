package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The refill's long steps poll the collector's stop hook between bounded chunks and give up for a
 * stop ({@link AllocationYield}) when the allocating owner allows it ({@link MCache#setStopYield}):
 * the reclaim walk before each 512-page chunk, the sweep of claimed spans after each span. The
 * hook here stands in for "a stop-the-world waits for this mutator": it turns true at its Nth
 * look, and the refill must give up at that look (not at the end of the walk), leaving a heap
 * that verifies and a cache that allocates again with nothing lost: the walk goes on where it
 * stopped, so the dead spans behind it are still reused instead of growing the arena.
 */
class AllocationYieldTest {
    static final long CHUNK = 64L << 20;
    Heap heap;
    GcSupport gc;
    MCache cache;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = heap.gc();
        cache = heap.newCache();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    /** A hook that answers "a stop waits" from its {@code from}-th look on, counting its looks. */
    static final class CountingHook implements java.util.function.BooleanSupplier {
        final AtomicInteger looks = new AtomicInteger();
        final int from;

        CountingHook(int from) {
            this.from = from;
        }

        @Override
        public boolean getAsBoolean() {
            return looks.incrementAndGet() >= from;
        }
    }

    /**
     * 3000 spans of 16-byte objects with one live object each (six 512-page chunks of the walk),
     * then dead 48-byte spans to the end of the first arena chunk; a sweep cycle started. A
     * 1 KiB allocation then has no span of its class and no free run: its refill reclaims.
     */
    List<Long> liveSpansThenDeadOnes() {
        return ReclaimTest.liveSpansThenDeadOnes(heap, gc, cache);
    }

    @Test
    void aReclaimWalkGivesUpAtTheFirstLookAfterAStopIsRequestedAndGoesOnAfterIt() {
        List<Long> live = liveSpansThenDeadOnes();
        // Use up the free end of the chunk first (no reclaim while a run fits).
        while (heap.mheap.hasFit(1)) {
            cache.alloc(1024, true);
        }
        CountingHook hook = new CountingHook(3);
        gc.setStopHook(hook);
        cache.setStopYield(true);
        long yieldsBefore = gc.stopYields();
        assertThrows(AllocationYield.class, () -> {
            for (int i = 0; i < 100_000; i++) {
                cache.alloc(1024, true);        // the first refill that must reclaim gives up
            }
        });
        cache.setStopYield(false);
        assertEquals(3, hook.looks.get(), "the walk looked before each chunk and gave up at the first look that saw the stop"
                + " (two chunks walked, not the whole arena)");
        assertEquals(yieldsBefore + 1, gc.stopYields(), "counted");
        heap.verifyHeap();

        // After the stop: the same cache allocates again (its slot of the class was left empty), the
        // walk goes on from its cursor and finds the dead spans: no growth.
        for (long b = 0; b < (16L << 20); b += 1024) {
            cache.alloc(1024, true);
        }
        assertEquals(3, hook.looks.get(), "not asked again once the owner no longer allows a yield");
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "the walk resumed and reused the dead spans instead of growing");
        for (long p : live) {
            assertEquals(p, gc.findObject(p), "a live object survives");
        }
        gc.flushAllCaches();
        heap.verifyHeap();
    }

    @Test
    void theSweepOfClaimedFullSpansGivesUpBetweenSpans() {
        // Every 48-byte object marked: each unswept span of the class sweeps to full, so a refill
        // sweeps span after span (up to 100) looking for a free slot.
        int perSpan = SizeClasses.classToObjects(SizeClasses.sizeToClass(48));
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 2000 * perSpan; i++) {       // whole spans only: none partly free
            objs.add(cache.alloc(48, true));
        }
        for (long p : objs) {
            gc.tryMark(p);
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        CountingHook hook = new CountingHook(2);
        gc.setStopHook(hook);
        cache.setStopYield(true);
        assertThrows(AllocationYield.class, () -> cache.alloc(48, true));
        cache.setStopYield(false);
        assertEquals(2, hook.looks.get(), "one look after each swept span, given up at the second");
        assertEquals(0, heap.sweepsInFlight.get(), "the claimed spans were swept and listed: none left claimed");
        heap.verifyHeap();
        long p = cache.alloc(48, true);       // the refill goes on (sweeps the rest, then a fresh span)
        assertTrue(p != 0);
        for (int i = 0; i < objs.size(); i += 997) {
            assertEquals(objs.get(i), gc.findObject(objs.get(i)), "a marked object survives");
        }
        gc.flushAllCaches();
        heap.verifyHeap();
    }

    /** No dead span anywhere and no free run: the refill would grow the arena (an mprotect); a waiting stop goes first. */
    @Test
    void aGrowthWaitsForAStopThatIsAlreadyWaiting() {
        for (long b = 0; heap.arenaCommittedBytes() == CHUNK && b < CHUNK; b += 1024) {
            cache.alloc(1024, true);
        }
        while (heap.mheap.hasFit(1)) {
            cache.alloc(1024, true);
        }
        long committed = heap.arenaCommittedBytes();
        gc.setStopHook(() -> true);
        cache.setStopYield(true);
        assertThrows(AllocationYield.class, () -> {
            for (int i = 0; i < 100; i++) {
                cache.alloc(1024, true);
            }
        });
        cache.setStopYield(false);
        assertEquals(committed, heap.arenaCommittedBytes(), "no growth before the stop");
        cache.alloc(1024, true);
        assertEquals(committed + CHUNK, heap.arenaCommittedBytes(), "the growth after it");
        heap.verifyHeap();
    }

    @Test
    void anOwnerThatDoesNotAllowItNeverYields() {
        liveSpansThenDeadOnes();
        CountingHook hook = new CountingHook(1);       // a stop "waits" all along
        gc.setStopHook(hook);
        for (long b = 0; b < (16L << 20); b += 1024) {
            cache.alloc(1024, true);                    // manual callers: never thrown at
        }
        assertEquals(0, hook.looks.get(), "the hook is not even read for an owner that cannot retry");
        assertEquals(CHUNK, heap.arenaCommittedBytes());
        gc.flushAllCaches();
        heap.verifyHeap();
    }
}
