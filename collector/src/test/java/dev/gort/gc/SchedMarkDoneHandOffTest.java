package dev.gort.gc;

import dev.gort.sched.Go;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Under the scheduler, mark termination's stop hands its stopped steps to the M that stops the
 * last P ({@code Scheduler.stopTheWorldAndRun}, {@code -Dgort.gc.markdone.handoff}): with a
 * goroutine running at the request, that goroutine's M runs them, not the coordinator; the cycles
 * and the goroutine go on.
 */
@Timeout(60)
class SchedMarkDoneHandOffTest {
    private final boolean defaultHandOff = Coordinator.handOffForNewCollectors;

    @AfterEach
    void restore() {
        Coordinator.handOffForNewCollectors = defaultHandOff;
    }

    /**
     * Runs cycles with a goroutine that polls and allocates beside the main one (which waits in
     * gc(), a syscall: its P is taken at the request), until a mark termination's steps ran on a
     * thread other than the coordinator or 20 cycles passed; returns the threads that ran the
     * steps, the last first.
     */
    private static Thread[] cyclesBesideAPoller(Collector gc) {
        AtomicBoolean quit = new AtomicBoolean();
        AtomicLong progress = new AtomicLong();
        AtomicBoolean ended = new AtomicBoolean();
        Go.go(() -> {
            try {
                while (!quit.get()) {
                    SchedCollectorTest.node(gc, progress.incrementAndGet());
                    Go.poll();
                }
            } finally {
                ended.set(true);
            }
        });
        while (progress.get() < 1000) {
            Go.poll();
            Thread.onSpinWait();
        }
        Thread other = null;
        Thread last = null;
        try {
            for (int i = 0; i < 20 && other == null; i++) {
                gc.gc();
                last = gc.coordinator.markTerminationRanOn;
                if (last != gc.coordinator.thread) {
                    other = last;
                }
            }
            long before = progress.get();
            gc.gc();
            while (progress.get() < before + 1000) {
                Go.poll();
                Thread.onSpinWait();       // the poller runs on after the handed-off cycles
            }
        } finally {
            quit.set(true);
        }
        while (!ended.get()) {
            Go.poll();
            Thread.onSpinWait();
        }
        return new Thread[] {other, last};
    }

    @Test
    void theMThatStopsTheLastPRunsMarkTerminationsSteps() {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Thread[] ran = cyclesBesideAPoller(gc);
            assertNotNull(ran[0], "a mark termination's steps ran on another thread than the coordinator in 20 cycles");
            assertTrue(ran[0].getName().startsWith("gort-M"), "on an M of the scheduler: " + ran[0].getName());
            assertEquals(Collector.OFF, gc.phase);
            assertFalse(WriteBarrier.enabled);
            assertTrue(Go.scheduler().stopsHandedOff() > 0);
        });
    }

    @Test
    void withTheHandOffOffTheCoordinatorRunsThem() {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = false;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Thread[] ran = cyclesBesideAPoller(gc);
            assertNull(ran[0], "every mark termination ran on the coordinator");
            assertEquals(0, Go.scheduler().stopsHandedOff());
        });
    }

    /** gccheckmark's re-mark and its wait for the workers run inside the handed-off steps too. */
    @Test
    void checkmarkRunsInTheHandedOffSteps() {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withDebug(false, true, false, 0, 0), gc -> {
            long before = gc.coordinator.completion.checkmarkCycles;
            Thread[] ran = cyclesBesideAPoller(gc);
            assertNotNull(ran[0], "a mark termination's steps ran on another thread than the coordinator in 20 cycles");
            assertTrue(gc.coordinator.completion.checkmarkCycles > before, "checkmark ran");
        });
    }
}
