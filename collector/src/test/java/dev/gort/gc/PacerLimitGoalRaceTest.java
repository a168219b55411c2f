package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * review35a F1 (limitfix35): while marking under a memory limit, the span-refill hook writes the
 * limit goal's live inputs ({@link Pacer#setLiveMemoryFigures}) without the collector's lock. A
 * settings change computing trigger and goal at the same time must read the limit's goal once:
 * on lead35 {@code triggerAndGoal} read it twice (the goal, then the minimum trigger), and a refill
 * between the reads paired a limit-bound goal with the sweep distance as minimum trigger, so
 * {@code setGcPercent} threw "pacer produced trigger 15728640 > goal 11534336".
 *
 * <p>A racing thread plays the refill hook, toggling 8 MiB of stacks: the limit's goal jumps
 * between 19.4 MiB (above the GOGC goal, 16 MiB) and 11 MiB (below it). The test races for a
 * bounded time and a bounded number of calls, whichever comes first; lead35 failed within the
 * first second (review35a: after 666,214 calls; this test on lead35: after 20), the fixed pacer
 * never may.
 */
class PacerLimitGoalRaceTest {
    private static final long MiB = 1 << 20;
    /** Guards: the race runs at most this long and this many settings changes (no timing assert). */
    private static final long RACE_NANOS = 5_000_000_000L;
    private static final long MAX_CALLS = 10_000_000L;

    @Test
    void settingsChangeDuringARefillNeverProducesATriggerPastTheGoal() throws Exception {
        Pacer p = new Pacer();
        p.setGcPercent(100);
        p.resetLive(8 * MiB);                          // marked 8 MiB: the GOGC goal is 16 MiB
        p.setMemoryLimit(20 * MiB);
        p.setMemoryStats(10 * MiB, 0, 10 * MiB, 0);    // no non-heap memory: the limit's goal is 19.4 MiB
        p.setHeapLive(14 * MiB);
        p.commit(false);                               // sweep not done: minimum trigger 15 MiB
        p.startCycle(System.nanoTime(), 2, false);     // marking: the refill hook's window

        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean hookRunning = new AtomicBoolean();
        Thread refillHook = new Thread(() -> {
            boolean stacks = false;
            hookRunning.set(true);
            while (!stop.get()) {
                p.setLiveMemoryFigures(10 * MiB, stacks ? 8 * MiB : 0);   // 8 MiB of stacks: limit goal 11 MiB
                stacks = !stacks;
            }
        }, "refill-hook");
        refillHook.setDaemon(true);
        refillHook.start();
        long calls = 0;
        try {
            while (!hookRunning.get()) {
                Thread.onSpinWait();
            }
            long end = System.nanoTime() + RACE_NANOS;
            while (calls < MAX_CALLS && System.nanoTime() - end < 0) {
                try {
                    p.setGcPercent(100);
                } catch (IllegalStateException e) {
                    fail("setGcPercent during a mark under a memory limit, racing the refill hook, threw after "
                            + calls + " calls: " + e.getMessage());
                }
                calls++;
                long goal = p.heapGoal();
                long trigger = p.trigger();
                // Both written by this thread (commit); the hook only writes the inputs.
                assertTrue(trigger <= goal, "trigger " + trigger + " > goal " + goal + " after " + calls + " calls");
            }
        } finally {
            stop.set(true);
            refillHook.join(60_000);
        }
        assertTrue(calls > 0, "no settings change ran");
    }
}
