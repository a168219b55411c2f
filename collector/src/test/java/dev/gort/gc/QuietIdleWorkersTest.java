package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Before mark termination's stop the coordinator sends the idle platform mark workers into an
 * untimed wait ({@link MarkWorkers#quietForStop}), so no worker's timed look for work wakes it
 * inside the pause; after the stop they look again ({@link MarkWorkers#endQuiet}). Over
 * ThreadWorld with one polling mutator and two Ps, one worker marks on the idle P: at each mark
 * termination's flush (world stopped) every worker in the mark phase must already be in that
 * wait. The wait for the workers' acknowledgement is lengthened to 30 s here, so a starved worker
 * on a loaded machine is waited for rather than passed by (the production bound is 0.5 ms).
 */
@Timeout(120)
class QuietIdleWorkersTest extends ThreadWorldFixture {
    private PollingMutator mutator;

    @AfterEach
    void stopMutator() throws InterruptedException {
        if (mutator != null) {
            mutator.stopAndCheck();
        }
    }

    @Test
    void markTerminationsStopFindsTheIdleWorkersInTheirQuietWait() throws Exception {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        mutator = PollingMutator.start(world);
        MarkWorkers workers = gc.workersForTest();
        workers.setQuietAckNanosForTest(30_000_000_000L);
        gc.gc();
        List<int[]> atFlush = new CopyOnWriteArrayList<>();      // {workers in the mark phase, quiet waiters}
        gc.pauseTimerForTest().faultForTest = step -> {
            if (step.equals("flush")) {
                atFlush.add(new int[] {workers.inMarkForTest(), workers.quietWaitersForTest()});
            }
        };
        for (int i = 0; i < 10; i++) {
            gc.gc();
        }
        gc.pauseTimerForTest().faultForTest = null;
        assertTrue(atFlush.size() >= 10, "a flush per cycle at least: " + atFlush.size());
        boolean sawWorker = false;
        for (int[] f : atFlush) {
            assertEquals(f[0], f[1], "every worker in the mark phase was in its quiet wait at the flush");
            sawWorker |= f[0] > 0;
        }
        assertTrue(sawWorker, "a worker was in the mark phase at some flush (it marked on the idle P)");
        // The workers left their quiet wait and the mark phase: a later cycle marks as before.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while ((workers.quietWaitersForTest() != 0 || workers.inMarkForTest() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, workers.quietWaitersForTest(), "no worker left in the quiet wait after the cycles");
        gc.gc();
        mutator.assertRuns("after the cycles");
    }
}
