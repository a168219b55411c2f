package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scheduler's own syscall retaker (the thread that runs where sysmon does not) against Go's
 * retake for a P in a syscall: the 10 ms slice counts for a P in a syscall too, and the hand-off
 * test counts only the P's own queue as work. Rounds are run by the test (no retaker thread, no
 * sysmon), so nothing else can take the P.
 */
@Timeout(120)
class SyscallRetakerRulesTest {
    /** How long the hog loops at most: the test's hang guard, far past the 10 ms slice. */
    private static final long HOG_GUARD_NS = 10_000_000_000L;

    /**
     * GOMAXPROCS=1: a goroutine loops on short syscalls (about 20 us each, nothing else between)
     * while another waits in the global queue. Rounds run every millisecond with the long-call rule
     * out of reach (threshold: never), so only the slice rule can act: 10 ms after a round first
     * saw the hog's schedtick its G is flagged (it yields when its call returns) and its P goes to
     * the hand-off rules (nobody idle at one P: taken). The waiting goroutine must run again while
     * the hog still loops. Before the rule it waited for the hog's guard (10 s).
     */
    @Test
    void aLoopOfShortSyscallsLosesItsPWhenItsSliceEnds() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean hogStarted = new AtomicBoolean();
        AtomicBoolean hogLooping = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean hogGuardRanOut = new AtomicBoolean();
        AtomicBoolean waiterBack = new AtomicBoolean();
        AtomicBoolean waiterLoopingWhenBack = new AtomicBoolean();
        AtomicLong hogCalls = new AtomicLong();
        Runnable hog = () -> {
            hogLooping.set(true);
            hogStarted.set(true);
            long t0 = System.nanoTime();
            while (!stop.get()) {
                if (System.nanoTime() - t0 > HOG_GUARD_NS) {
                    hogGuardRanOut.set(true);
                    break;
                }
                Go.syscall(() -> {
                    long until = System.nanoTime() + 20_000;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
                hogCalls.incrementAndGet();
            }
            hogLooping.set(false);
        };
        Runnable waiter = () -> {
            // Started after the hog, it runs first (runnext); it yields to the global queue until
            // the hog has started, then waits there behind the hog's loop.
            while (!hogStarted.get()) {
                Go.gosched();
            }
            waiterLoopingWhenBack.set(hogLooping.get());
            waiterBack.set(true);
            stop.set(true);
        };
        SchedTesting.Background program = SchedTesting.Background.start(s, hog, waiter);
        long roundsRun = 0;
        long taken = 0;
        long t0 = System.nanoTime();
        while (!waiterBack.get() && System.nanoTime() - t0 < HOG_GUARD_NS + 5_000_000_000L) {
            LockSupport.parkNanos(1_000_000);
            taken += s.retaker.round(System.nanoTime(), Long.MAX_VALUE);   // the slice rule alone
            roundsRun++;
        }
        stop.set(true);
        program.assertEnded();
        String what = roundsRun + " rounds, " + taken + " Ps taken, " + s.retaker.syscallPreempts() + " Gs flagged in a call, "
                + hogCalls.get() + " hog calls, hog guard ran out " + hogGuardRanOut.get();
        System.out.println("slice rule: " + what);
        assertTrue(waiterBack.get(), "the waiting goroutine ran again: " + what);
        assertTrue(waiterLoopingWhenBack.get() && !hogGuardRanOut.get(),
                "the waiting goroutine ran again only after the hog stopped looping: the slice rule never acted (" + what + ")");
        assertTrue(s.retaker.syscallPreempts() >= 1, "the hog was flagged in a call: " + what);
    }

    /**
     * GOMAXPROCS=2: main is in a young syscall, the other P idle with its M parked, and a goroutine
     * waits in the global queue (put there by hand, as a ready that woke nobody would leave it). Go
     * keeps the P in the syscall (its own queue is empty, a P is idle, the call is under 10 ms):
     * the global queue is for the idle Ps, which wakep wakes. The old rule counted the global queue
     * as this P's work and took the P. An attempt whose call was 10 ms old by the retake's end (the
     * thread descheduled: then the rule takes the P) says nothing and is made again, with a new
     * goroutine, until one is young (a 60 s guard).
     */
    @Test
    void aGoroutineInTheGlobalQueueDoesNotTakeAYoungSyscallsPWhileAPIsIdle() {
        AtomicBoolean taken = new AtomicBoolean(true);
        AtomicReference<String> state = new AtomicReference<>("");
        AtomicLong attempts = new AtomicLong();
        SchedTesting.run(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0), () -> {
            Scheduler s = Go.scheduler();
            long t0 = System.nanoTime();
            boolean young = false;
            while (!young && System.nanoTime() - t0 < 60_000_000_000L) {
                attempts.incrementAndGet();
                AtomicBoolean bRan = new AtomicBoolean();
                G b = Go.go(() -> {
                    Go.park(null, null, WaitReason.SLEEP);
                    bRan.set(true);
                });
                while (b.status() != GStatus.WAITING) {
                    Go.gosched();
                }
                // The other P idle and every other M quiet (main keeps its P meanwhile: no safepoint).
                while ((s.idleProcs() != 1 || s.spinningThreads() != 0) && System.nanoTime() - t0 < 60_000_000_000L) {
                    LockSupport.parkNanos(100_000);
                }
                int pid = Go.pid();
                boolean[] youngCall = new boolean[1];
                Go.syscall(() -> {
                    // This M has no P now: main's P is in a syscall that began a moment ago.
                    assertTrue(GDescriptor.casStatus(b.desc, GStatus.WAITING, GStatus.RUNNABLE), "b was parked");
                    s.lock.lock();
                    s.globrunqput(b.ref);
                    s.lock.unlock();
                    state.set("idle Ps " + s.idleProcs() + ", spinning " + s.spinningThreads() + ", global " + s.globalRunqueueSize()
                            + ", own queue empty " + s.p(pid).runqempty());
                    taken.set(s.retaker.retake(pid, false));
                    youngCall[0] = System.nanoTime() - s.p(pid).syscallwhen() < Scheduler.FORCE_PREEMPT_NS;
                    s.wakep();           // now an M for b
                });
                young = youngCall[0];
                while (!bRan.get()) {
                    Go.gosched();
                }
            }
        });
        assertEquals("idle Ps 1, spinning 0, global 1, own queue empty true", state.get(), "after " + attempts.get() + " attempts");
        assertFalse(taken.get(), "the P in the young syscall was taken for work in the global queue (" + state.get() + ")");
    }

    /**
     * GOMAXPROCS=2: main is in a call that began at least 20 ms before the first round, its own
     * queue empty, the other P idle. Go ages a call from the first sysmon round that saw its
     * syscalltick ({@code pd.syscallwhen = now}), so that round only records it, a round 2 ms later
     * keeps the P (nothing waits for it, a P is idle, seen for under 10 ms), and a round 10 ms
     * after the first sight takes it. The old rounds aged the call from its entry and took the P at
     * the first round. Rounds are given their times; nothing else takes the P (no retaker thread).
     */
    @Test
    void aCallIsAgedFromTheFirstRoundThatSawItNotFromItsEntry() {
        int[] takenAt = {-1, -1, -1};
        AtomicReference<String> state = new AtomicReference<>("");
        SchedTesting.run(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0), () -> {
            Scheduler s = Go.scheduler();
            long t0 = System.nanoTime();
            while ((s.idleProcs() != 1 || s.spinningThreads() != 0) && System.nanoTime() - t0 < 60_000_000_000L) {
                LockSupport.parkNanos(100_000);      // the other P idle and its M parked
            }
            int pid = Go.pid();
            Go.syscall(() -> {
                long entered = s.p(pid).syscallwhen();
                while (System.nanoTime() - entered < 20_000_000L) {
                    LockSupport.parkNanos(1_000_000);     // the call is 20 ms old before any round looks
                }
                state.set("idle Ps " + s.idleProcs() + ", spinning " + s.spinningThreads() + ", own queue empty "
                        + s.p(pid).runqempty());
                long first = System.nanoTime();
                takenAt[0] = s.retaker.round(first, 1_000_000L);
                takenAt[1] = s.retaker.round(first + 2_000_000L, 1_000_000L);
                takenAt[2] = s.retaker.round(first + Scheduler.FORCE_PREEMPT_NS, 1_000_000L);
            });
        });
        assertEquals("idle Ps 1, spinning 0, own queue empty true", state.get());
        assertEquals(0, takenAt[0], "the first round that saw the 20 ms old call took its P: aged from its entry, not from that round");
        assertEquals(0, takenAt[1], "2 ms after the first sight, nothing waiting and a P idle: kept");
        assertEquals(1, takenAt[2], "10 ms after the first sight: taken");
    }
}
