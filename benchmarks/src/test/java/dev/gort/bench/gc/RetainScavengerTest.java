package dev.gort.bench.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** BinaryTrees' retain scavenger: sysmon's retained-heap targets, and real releases of freed pages down to them. */
class RetainScavengerTest {
    private static final long MIB = 1L << 20;

    @Test
    void theTargetIsTheGoalPlusTenPercentCappedAtNinetyFivePercentOfTheLimit() {
        long none = RetainScavenger.NONE;
        assertEquals(110 * MIB, RetainScavenger.target(100 * MIB, none));
        assertEquals(95 * MIB, RetainScavenger.target(100 * MIB, 100 * MIB), "the limit's 95 % is lower");
        assertEquals(110 * MIB, RetainScavenger.target(100 * MIB, 1000 * MIB), "the goal's is lower");
        assertEquals(95 * MIB, RetainScavenger.target(none, 100 * MIB), "GOGC=off with a limit: the limit's");
        assertEquals(none, RetainScavenger.target(none, none), "GOGC=off, no limit: nothing to release to");
        assertEquals(none, RetainScavenger.target(0, none), "no goal yet");
        assertEquals(none, RetainScavenger.target(none - 1, none), "a near-infinite goal saturates");
    }

    /**
     * 64 MiB of large objects written, then every other one freed: 32 resident free runs of 1 MiB
     * the heap retains (runs between live objects, so they do not coalesce), 32 MiB in use.
     */
    private static Heap heapWithFreedPages() {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        MCache cache = heap.newCache();
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            long p = cache.alloc(MIB, true);
            NativeMemory.fill(p, MIB, (byte) 0x5A);
            objs.add(p);
        }
        for (int i = 1; i < objs.size(); i += 2) {
            cache.free(objs.get(i));
        }
        return heap;
    }

    @Test
    void aPassReleasesFreedPagesDownToTheTargetAndNoFurther() {
        try (Heap heap = heapWithFreedPages()) {
            long retained0 = heap.heapRetainedBytes();
            long resident0 = heap.arenaResidentBytes();
            assertTrue(retained0 >= 64 * MIB && resident0 >= 60 * MIB, "retained " + retained0 + ", resident " + resident0);
            long goal = 40 * MIB;             // target 44 MiB: 32 in use + 12 of the 32 free ones kept
            long target = RetainScavenger.target(goal, RetainScavenger.NONE);
            try (RetainScavenger s = new RetainScavenger(heap, () -> goal, () -> RetainScavenger.NONE, 1)) {
                long deadline = System.nanoTime() + 60_000_000_000L;     // a hang guard, not a time bound
                // The heap's retained bytes drop inside the release call, the scavenger's count after
                // it returns: wait for both, else the count can be read between the two (CI, stw2 run).
                while ((heap.heapRetainedBytes() > target || s.releasedBytes() < retained0 - heap.heapRetainedBytes())
                        && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue(heap.heapRetainedBytes() <= target, "retained " + heap.heapRetainedBytes() + " > target " + target);
                // released down to the target, not everything free: a run is released whole, so at
                // most one run's worth (1 MiB here, and a page of rounding) below it
                assertTrue(heap.heapRetainedBytes() >= target - 2 * MIB, "released far below the target: " + heap.heapRetainedBytes());
                assertTrue(s.releasedBytes() >= retained0 - target && s.passes() >= 1, "released " + s.releasedBytes());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertTrue(heap.arenaResidentBytes() <= resident0 - 16 * MIB,
                    "the kernel got the pages back: resident " + resident0 + " -> " + heap.arenaResidentBytes());
        }
    }

    @Test
    void nothingIsReleasedWhileTheHeapRetainsLessThanTheTarget() {
        try (Heap heap = heapWithFreedPages()) {
            long retained0 = heap.heapRetainedBytes();
            try (RetainScavenger s = new RetainScavenger(heap, () -> 1L << 30, () -> RetainScavenger.NONE, 1);
                 RetainScavenger noGoal = new RetainScavenger(heap, () -> RetainScavenger.NONE, () -> RetainScavenger.NONE, 1)) {
                assertEquals(0, s.passOnce());
                assertEquals(0, noGoal.passOnce(), "no goal: nothing");
                assertEquals(0, s.releasedBytes());
            }
            assertEquals(retained0, heap.heapRetainedBytes());
        }
    }

    @Test
    void aBadPeriodIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RetainScavenger(null, () -> 0, () -> 0, 0));
        assertTrue(e.getMessage().contains("must be > 0"), e.getMessage());
    }
}
