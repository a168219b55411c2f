package dev.gort.gc;

import dev.gort.sched.Scheduler;
import dev.gort.sched.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The stop path's warm-up (real pairs between cycles) gives way to a requested cycle at once. Where
 * cycles run back to back, the next one requested in each one's tail (a program allocating fast
 * past a small goal), every call gives way before its first pair. Such a call must not use up one
 * of the warm-up's bounded calls (review30's finding 1): before session 31 each did, and after 30
 * back-to-back cycles the warm-up never made a pair, so the stop path stayed cold for the whole run.
 * The cycles here are made back to back by the coordinator's own tail hook, which asks for the next
 * cycle as gc() does, so every cycle's end finds the next one requested.
 */
@Timeout(600)       // an outer bound only: the waits below are progress-based
class BackToBackCyclesWarmUpTest {
    /** A wait for something that must come (a cycle, a pair) fails after this long without it. */
    static final long HANG_GUARD_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** More back-to-back cycles than the warm-up's bound on calls (Coordinator.STOP_WARMUP_MAX_CALLS). */
    static final int BACK_TO_BACK_CYCLES = 40;

    /**
     * Asks for the next cycle from the coordinator's tail, as gc() asks (by name: never dropped),
     * so that the cycle's end finds it requested and every warm-up step gives way to it.
     */
    static void requestNextCycleInTail(CycleControl control) {
        control.ctl.lock();
        try {
            control.markRequestedLocked();
            control.requestAwaited = true;
            control.ctlChanged.signalAll();
        } finally {
            control.ctl.unlock();
        }
    }

    @Test
    void backToBackCyclesBeforeTheWarmUpLeaveItsPairsForLaterCycles() {
        try (RequestAfterExitTest.Rig rig = RequestAfterExitTest.Rig.create()) {
            Collector gc = rig.gc();
            Scheduler sched = rig.sched();
            Coordinator co = gc.coordinator;
            int target = sched.stopPathWarmUpRounds();
            assertTrue(target > 0, "the warm-up is on (-Dgort.sched.stopwarmup)");
            AtomicInteger backToBackLeft = new AtomicInteger(BACK_TO_BACK_CYCLES);
            co.cycleEndingForTest = () -> {
                if (backToBackLeft.getAndDecrement() > 0) {
                    requestNextCycleInTail(co.control);
                }
            };
            sched.run(() -> {
                long cyclesBefore = gc.cycles();
                gc.gc();                // the first of the chain; each one's tail asks for the next
                awaitCycles(gc, cyclesBefore + BACK_TO_BACK_CYCLES);
                int pairsAfterChain = co.stopPathWarmUpPairs;
                int givenWay = co.stopPathWarmUpCallsGivenWay;
                System.out.println("BackToBackCyclesWarmUpTest: after the chain, warm-up pairs " + pairsAfterChain
                        + ", calls given way " + givenWay);
                assertTrue(givenWay >= Coordinator.STOP_WARMUP_MAX_CALLS, "the chain's cycle ends found the next cycle requested: "
                        + givenWay + " warm-up calls gave way");
                // Now cycles come one at a time (gc() from here), with gaps the warm-up may use.
                int pairs = pairsAfterChain;
                long lastProgress = System.nanoTime();
                while (pairs < target && System.nanoTime() - lastProgress < HANG_GUARD_NANOS) {
                    gc.gc();
                    Time.sleepNanos(5_000_000);     // a gap for the coordinator's warm-up call (pacing, not a bound)
                    if (co.stopPathWarmUpPairs > pairs) {
                        pairs = co.stopPathWarmUpPairs;
                        lastProgress = System.nanoTime();
                    }
                }
                assertEquals(target, co.stopPathWarmUpPairs, "after " + BACK_TO_BACK_CYCLES + " back-to-back cycles (the warm-up made "
                        + pairsAfterChain + " pairs during them), the warm-up made " + co.stopPathWarmUpPairs + " of its " + target
                        + " pairs and none for 60 s of cycles with gaps");
            });
        }
    }

    /** Waits (on a goroutine) until {@code cycles} cycles are done, failing after 60 s without a new one. */
    static void awaitCycles(Collector gc, long cycles) {
        long seen = gc.cycles();
        long lastProgress = System.nanoTime();
        while (gc.cycles() < cycles) {
            if (gc.cycles() > seen) {
                seen = gc.cycles();
                lastProgress = System.nanoTime();
            }
            assertTrue(System.nanoTime() - lastProgress < HANG_GUARD_NANOS, "no cycle ended for 60 s at " + seen + " of " + cycles);
            Time.sleepNanos(1_000_000);
        }
    }
}
