package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A goroutine that yields to the global run queue (Go.gosched, or a preemption request seen at a
 * safepoint) wakes an M for an idle P, as Go's goschedImpl does ({@code wakep()} after
 * {@code globrunqput}). Two goroutines spin at GOMAXPROCS=2, each yielding that way; a plain
 * thread samples every millisecond whether both made progress while a P sat idle ("collapsed":
 * the two took turns on one P). Without the wake-up nothing ever looks at the idle P again once
 * its M parked at a moment when nothing was queued (a race the two loops hit within 0.1 s in most
 * runs), so the collapse lasts until the trial ends: on the old code both cases failed in their
 * first trial (load ~20), and a probe counting samples with both on one M ended collapsed in 4 of 5
 * trials of 3 s. With it a collapse ends at the next yield (at most 1 sample in 16 trials). A trial fails when a collapse
 * lasts {@link #COLLAPSE_LIMIT} samples (at least 0.5 s; the wake-up itself takes the P off the
 * idle list before the M is even scheduled, so a loaded machine does not stretch a collapse);
 * {@link #TRIALS} trials make a pass on the old code unlikely.
 *
 * <p>No sysmon and no syscall retaker (the scheduler alone): nothing else wakes an M here.
 */
@Timeout(240)
class GlobalQueueWakepTest {
    private static final int TRIALS = 4;
    /** Samples a trial takes, one a millisecond at best (longer on a loaded machine). */
    private static final int SAMPLES = 2_000;
    /** Consecutive collapsed samples that fail a trial. */
    private static final int COLLAPSE_LIMIT = 500;

    @Test
    void twoGoroutinesYieldingByGoschedEachGetAP() throws Exception {
        for (int t = 0; t < TRIALS; t++) {
            trial(false, t);
        }
    }

    @Test
    void twoGoroutinesPreemptedAtTheirSafepointsEachGetAP() throws Exception {
        for (int t = 0; t < TRIALS; t++) {
            trial(true, t);
        }
    }

    /**
     * One scheduler, two spinners; {@code preempt}: each yields at {@code Go.poll()} on a
     * preemption request it set on itself (the request sysmon or a stop would set; setting it at
     * every turn makes the yields as frequent as the gosched loop's), else by {@code Go.gosched()}.
     */
    private static void trial(boolean preempt, int trial) throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicLongArray loops = new AtomicLongArray(2);
        AtomicBoolean stop = new AtomicBoolean();
        SchedTesting.Background program = SchedTesting.Background.start(s,
                () -> spin(0, loops, stop, preempt), () -> spin(1, loops, stop, preempt));
        int longest = 0;
        int streak = 0;
        int collapsed = 0;
        int bothRan = 0;
        try {
            long seen0 = 0;
            long seen1 = 0;
            for (int i = 0; i < SAMPLES; i++) {
                LockSupport.parkNanos(1_000_000);
                boolean idleP = s.idleProcs() > 0;      // read before the counts: an idle P with both advancing after it
                long n0 = loops.get(0);
                long n1 = loops.get(1);
                boolean both = n0 > seen0 && n1 > seen1;
                seen0 = n0;
                seen1 = n1;
                if (!both) {
                    continue;   // a spinner not started yet, or descheduled: says nothing either way
                }
                bothRan++;
                if (idleP) {
                    collapsed++;
                    longest = Math.max(longest, ++streak);
                } else {
                    streak = 0;
                }
                if (longest >= COLLAPSE_LIMIT) {
                    break;
                }
            }
        } finally {
            stop.set(true);
            program.join();
        }
        program.assertEnded();
        String what = (preempt ? "preempted" : "gosched") + " trial " + trial + ": " + bothRan + " samples with both running, "
                + collapsed + " of them with a P idle, longest stretch " + longest;
        System.out.println(what);
        assertTrue(bothRan > 0, what + ": the two goroutines never both made progress between two samples");
        assertTrue(longest < COLLAPSE_LIMIT, what + ": both goroutines ran on one P while the other P stayed idle");
    }

    private static void spin(int i, AtomicLongArray loops, AtomicBoolean stop, boolean preempt) {
        G self = Go.current();
        Scheduler s = Go.scheduler();
        while (!stop.get()) {
            for (int k = 0; k < 100; k++) {
                loops.incrementAndGet(i);
            }
            if (preempt) {
                s.preempt(self);     // as a stop or sysmon asks it: the yield at the poll is the preempted one
                Go.poll();
            } else {
                Go.gosched();
            }
        }
    }
}
