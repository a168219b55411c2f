package dev.gort.gc;

import dev.gort.sched.Frame;
import dev.gort.sys.Platform;
import dev.gort.sys.RealtimeBoost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The opt-in real-time stop ({@code -Dgort.gc.stopper.rtprio}; here {@link StopperBoost#priorityForNewCollectors}
 * around the construction) under gort's scheduler ({@link SchedWorld}): the coordinator is raised
 * to SCHED_FIFO for each stop and normal between them, every boosted stop is counted, and the
 * collector stays correct with it (the reference-model stress with checkmark). Until session 24 the
 * scheduler's world refused the boost, since its stop path's waits (the sched lock, the world's
 * stop lock) spun and yielded, which at SCHED_FIFO keeps a normal holder off the coordinator's CPU;
 * those waits park now (the scheduler's RealtimeStopperTest pins the two to one CPU). Skipped where
 * the kernel refuses SCHED_FIFO (the coordinator then warns and runs unboosted).
 */
@Timeout(600)
class SchedRealtimeStopTest {
    static final int PRIORITY = 10;

    @Test
    void theSchedulersStopsAreBoostedAndTheCoordinatorIsNormalBetweenThem() {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        withRealtimeStop(GcOptions.DEFAULT, gc -> {
            StopperBoost b = boostedOrSkip(gc);
            for (int i = 0; i < 3; i++) {
                try (Frame f = Frame.push(1)) {
                    f.set(0, gc.alloc(CollectorTest.NODE));
                    gc.gc();
                }
            }
            assertTrue(b.raises() >= 3, "a pause or two a cycle (one under gcstoptheworld), three cycles: raised " + b.raises() + " times");
            assertEquals(b.raises(), gc.realtimeStops(), "the public count is the boost's");
            assertFalse(RealtimeBoost.currentThreadRaised(), "the main goroutine's M is never raised by the coordinator's boost");
            for (String row : StopperBoostTest.coordinators()) {
                assertNotEquals(RealtimeBoost.SCHED_FIFO + "", row.split(" ")[1], "a coordinator between pauses: " + row);
            }
        });
    }

    /**
     * SchedCollectorTest's reference-model stress (two goroutines, GOGC=10, checkmark and poison on)
     * with every stop boosted: shorter than that test's (the boosted stops are what is new here).
     */
    @Test
    void referenceModelStressUnderTheRealtimeStop() {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        long ops = Long.getLong("gort.stress.ops", 1_500_000);
        long millis = Long.getLong("gort.stress.millis", 30_000);
        System.out.println("referenceModelStressUnderTheRealtimeStop seed=" + seed + " ops=" + ops + " millis(cap)=" + millis);
        GcOptions opts = GcOptions.DEFAULT.withGcPercent(10).withDebug(false, true, true, 0, 0);
        withRealtimeStop(opts, gc -> {
            StopperBoost b = boostedOrSkip(gc);
            SchedCollectorTest.referenceModel(gc, seed, ops, millis);
            assertTrue(b.raises() >= 3, "stops boosted: " + b.raises());
            assertEquals(b.raises(), gc.realtimeStops(), "the public count is the boost's");
            System.out.println("referenceModelStressUnderTheRealtimeStop: boosted stops " + b.raises() + ", cycles " + gc.cycles());
        });
    }

    /** {@code body} on the main goroutine of a fresh runtime whose collector was made with the real-time stop at {@link #PRIORITY}. */
    private static void withRealtimeStop(GcOptions opts, Consumer<Collector> body) {
        int saved = StopperBoost.priorityForNewCollectors;
        StopperBoost.priorityForNewCollectors = PRIORITY;
        try {
            SchedCollectorTest.withRuntime(2, opts, body);
        } finally {
            StopperBoost.priorityForNewCollectors = saved;
        }
    }

    /**
     * The collector's boost once its coordinator has started (it tries SCHED_FIFO there, before its
     * first cycle); skips the test if the kernel refused it, fails on any other refusal.
     */
    private static StopperBoost boostedOrSkip(Collector gc) {
        StopperBoost b = gc.stopperBoostForTest();
        gc.gc();                 // the coordinator has run its start (and the boost's trial) by the end of a cycle
        String why = b.refusal();
        Assumptions.assumeTrue(why == null || !why.contains("the kernel refused"), () -> "refused here: " + why);
        assertNull(why, "under the scheduler the boost is no longer refused");
        assertTrue(b.active());
        return b;
    }
}
