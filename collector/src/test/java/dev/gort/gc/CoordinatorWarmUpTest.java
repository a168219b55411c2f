package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The coordinator takes the workbuf pool's first batch before its first cycle: otherwise the first
 * root greyed inside gc 1's sweep termination loaded WorkbufLayout and committed the batch inside
 * that pause (the "stacks" step 0.9-1.2 ms in binary-trees' first pause, ~0.05 ms later).
 */
class CoordinatorWarmUpTest extends ThreadWorldFixture {

    @Test
    void theFirstWorkbufBatchIsCommittedBeforeAnyCycleAndReturned() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        CycleWaits.awaitPausePathWarm(gc.coordinator, false);     // the whole warm-up, not its first step
        assertEquals(0, gc.cycles(), "nothing asked for a cycle");
        assertTrue(gc.pool.allocated() > 0, "the coordinator did not take the pool's first batch before its first cycle");
        long[] fullEmpty = gc.pool.countsQuiescent();
        assertEquals(0, fullEmpty[0], "the warm-up left work on the full list");
        assertEquals(gc.pool.allocated(), fullEmpty[1], "the warm-up kept a workbuf: every one is back on the empty list");

        Mutator m = world.register(4);          // the collector still collects as before
        long keep = gc.alloc(m, CollectorTest.NODE);
        m.roots().set(0, keep);
        gc.gc();
        assertEquals(1, gc.cycles());
        world.unregister();
    }

    /**
     * A collector closed during the coordinator's warm-up ends it at once: the warm-up's rounds
     * start in the interpreter, and a loaded child JVM spent more than 15 s in them (session 13),
     * which a close right after creation waited out. The child runs interpreted (-Xint), so the
     * close lands inside the warm-up; without the early exit the coordinator finished it first and
     * the child prints warmAfter=true.
     */
    @Test
    void aCloseDuringTheWarmUpEndsItWithoutFinishingIt() throws Exception {
        dev.gort.testing.ChildJvm.Result r = dev.gort.testing.ChildJvm.run(CloseDuringWarmUp.class, java.util.List.of("-Xint"),
                java.util.Map.of());
        assertEquals(0, r.exitCode(), r.toString());
        org.junit.jupiter.api.Assumptions.assumeTrue(r.stdout().contains("warmBefore=false"),
                "the warm-up ended before the close even interpreted: nothing to check; " + r);
        assertTrue(r.stdout().contains("warmAfter=false"), "close() waited for the whole warm-up: " + r);
    }

    /** Creates a collector and closes it at once; prints whether the warm-up was done before and after the close. */
    public static final class CloseDuringWarmUp {
        public static void main(String[] args) {
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            boolean before = gc.coordinator.pausePathWarm;
            long t0 = System.nanoTime();
            gc.close();
            System.out.println("warmBefore=" + before + " warmAfter=" + gc.coordinator.pausePathWarm
                    + " closeMs=" + (System.nanoTime() - t0) / 1_000_000);
            heap.close();
        }
    }
}
