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
 * trials of 3 s. With it a collapse ends at the next yield. A trial samples for 2 s and until 50
 * samples saw both advance and no collapse is in progress (a loaded machine wakes the sampler
 * late: bounds in wall time, not in samples), and fails when a collapse lasts {@link #COLLAPSE_LIMIT_NANOS} (0.5 s; the wake-up itself
 * takes the P off the idle list before the M is even scheduled, so a loaded machine does not
 * stretch a collapse); {@link #TRIALS} trials make a pass on the old code unlikely.
 *
 * <p>No sysmon and no syscall retaker (the scheduler alone): nothing else wakes an M here.
 */
@Timeout(300)
class GlobalQueueWakepTest {
    private static final int TRIALS = 3;
    /** A trial samples for at least this long (wall time)... */
    private static final long TRIAL_NANOS = 2_000_000_000L;
    /** ...and until this many samples saw both goroutines advance and no collapse lasts, within {@link #TRIAL_GUARD_NANOS}. */
    private static final int MIN_BOTH_SAMPLES = 50;
    private static final long TRIAL_GUARD_NANOS = 60_000_000_000L;
    /** A collapse this long (wall time, from its first sample to its last) fails a trial. */
    private static final long COLLAPSE_LIMIT_NANOS = 500_000_000L;

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
        long longest = 0;
        long collapseStart = -1;
        int collapsed = 0;
        int bothRan = 0;
        try {
            long seen0 = 0;
            long seen1 = 0;
            long t0 = System.nanoTime();
            for (;;) {
                LockSupport.parkNanos(1_000_000);
                long now = System.nanoTime();
                // Not while a collapse lasts: it ends (new code) or reaches the limit (old code) first.
                if (now - t0 >= TRIAL_GUARD_NANOS || now - t0 >= TRIAL_NANOS && bothRan >= MIN_BOTH_SAMPLES && collapseStart < 0) {
                    break;
                }
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
                    if (collapseStart < 0) {
                        collapseStart = now;
                    }
                    longest = Math.max(longest, now - collapseStart);
                } else {
                    collapseStart = -1;
                }
                if (longest >= COLLAPSE_LIMIT_NANOS) {
                    break;
                }
            }
        } finally {
            stop.set(true);
            program.join();
        }
        program.assertEnded();
        String what = (preempt ? "preempted" : "gosched") + " trial " + trial + ": " + bothRan + " samples with both running, "
                + collapsed + " of them with a P idle, longest such stretch " + longest / 1_000_000 + " ms";
        System.out.println(what);
        assertTrue(bothRan > 0, what + ": the two goroutines never both made progress between two samples");
        assertTrue(longest < COLLAPSE_LIMIT_NANOS, what + ": both goroutines ran on one P while the other P stayed idle");
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
