package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wake-ups whose startm fails (a new M that cannot be made; injected through
 * {@code MPool.faultForTest}, as in {@link StartmFaultTest}) for work that is not in the global
 * run queue: a timer, and a P handed off by a goroutine locked to its M. gort survives a counted
 * startm failure (Go's newm failing is fatal), so the work must still reach an M: the failure is
 * remembered ({@code Scheduler.wakeOwed}) for sysmon's and the retaker's rounds, and a caller
 * outside the schedule loop retries the wake-up itself while every P is idle. On lead33 the timer
 * waited for an unrelated later wake-up (review32's finding), and the locked goroutine's hand-off
 * threw the failure. Waits are for states, under 60 s guards.
 */
@Timeout(240)
class StartmFailureWakeOwedTest {

    private static final long GUARD_NANOS = 60_000_000_000L;
    private static final String OUTSIDE = "outside-timer-reset";

    /** Waits (on main's M, inside Go.syscall) until the P main's retake handed off is idle and nobody spins or polls. */
    private static void awaitEveryPIdle(Scheduler s) {
        long deadline = System.nanoTime() + GUARD_NANOS;
        while ((s.idleProcs() != s.gomaxprocs() || s.spinningThreads() != 0 || s.polling.get())
                && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
    }

    /**
     * review32's finding: a timer set from a plain thread while every P is idle (GOMAXPROCS=1, main
     * in a syscall with its P handed off by hand) wakes an M through wakeNetPoller; that startm fails
     * three times. The scheduler runs alone (no sysmon, no retaker thread), so only the caller can
     * retry: its reset returns once an M has a P, and the timer fires.
     */
    @Test
    void aTimerResetFromAPlainThreadWhileEveryPIsIdleFiresThoughItsWakeUpFailsThreeTimes() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<String> stateBefore = new AtomicReference<>("");
        AtomicReference<Throwable> fromReset = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        boolean[] ran = new boolean[1];
        long[] failures = new long[1];
        s.run(() -> {
            Time.GoTimer t = Time.afterFunc(Duration.ofHours(1), fired::countDown);
            t.stop();       // made here (a timer belongs to its goroutine's scheduler), set again from outside
            Go.syscall(() -> {
                s.retake(0, true);      // main's P handed off: every P idle
                awaitEveryPIdle(s);
                stateBefore.set("idle Ps " + s.idleProcs() + " of " + s.gomaxprocs() + ", global " + s.globalRunqueueSize()
                        + ", polling " + s.polling.get());
                s.mpool.faultForTest = where -> {
                    if (faults.get() < 3) {
                        faults.incrementAndGet();
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                Thread outside = new Thread(() -> {
                    try {
                        t.reset(Duration.ofMillis(1));      // addTimer -> wakeNetPoller -> startm fails
                    } catch (Throwable e) {
                        fromReset.set(e);
                    }
                }, OUTSIDE);
                outside.start();
                try {
                    ran[0] = fired.await(60, TimeUnit.SECONDS);
                    outside.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.mpool.faultForTest = null;
                failures[0] = s.startmFailures();
            });
        });
        assertEquals("idle Ps 1 of 1, global 0, polling false", stateBefore.get());
        assertNull(fromReset.get(), "the reset threw its timer's failed wake-up");
        assertTrue(ran[0], "the timer set from a plain thread fired, though its wake-up failed while every P was idle"
                + " and nothing else would wake an M (startm failures " + failures[0] + ")");
        assertEquals(3, faults.get(), "the timer's wake-up called startm, which failed three times");
        assertEquals(3, failures[0], "each failed wake-up is counted (startmFailures)");
        s.close();
    }

    /**
     * What sysmon sees of the same failure when it lasts for the caller: every P idle, the global
     * queue empty, a timer with no M polling for it. sysmon must not sleep deeply then (on lead33
     * armSysmonWake looked at the global queue only, and agreed), and its round's
     * wakeForGlobalWork must start an M, which runs the timer (on lead33 it looked at the global
     * queue only, and did nothing). The plain thread's own retries keep failing here (its startm
     * calls all fail), so only the sysmon-side call (made by main's thread, as sysmon's round
     * would) can fire the timer.
     */
    @Test
    void sysmonStaysAwakeAndItsWakeUpFiresATimerWhoseWakeUpFailed() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<String> stateAfter = new AtomicReference<>("");
        AtomicReference<Throwable> fromReset = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        boolean[] owed = new boolean[1];
        boolean[] deepSleepRefused = new boolean[1];
        boolean[] tried = new boolean[1];
        boolean[] ran = new boolean[1];
        s.run(() -> {
            Time.GoTimer t = Time.afterFunc(Duration.ofHours(1), fired::countDown);
            t.stop();
            Go.syscall(() -> {
                s.retake(0, true);
                awaitEveryPIdle(s);
                s.mpool.faultForTest = where -> {
                    if (Thread.currentThread().getName().equals(OUTSIDE)) {
                        faults.incrementAndGet();
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                Thread outside = new Thread(() -> {
                    try {
                        t.reset(Duration.ofMillis(1));
                    } catch (Throwable e) {
                        fromReset.set(e);
                    }
                }, OUTSIDE);
                outside.setDaemon(true);
                outside.start();
                // Until a failure was counted and its P is back idle. The plain thread retries (and
                // fails) every 1-64 ms, taking the P for a moment each time: the state is read in
                // one pass and kept only when it shows the P idle.
                long deadline = System.nanoTime() + GUARD_NANOS;
                String seen = "";
                while (System.nanoTime() - deadline < 0) {
                    long failed = s.startmFailures();
                    int idle = s.idleProcs();
                    int global = s.globalRunqueueSize();
                    int spinning = s.spinningThreads();
                    seen = "idle Ps " + idle + ", global " + global + ", spinning " + spinning + ", startm failures "
                            + (failed > 0 ? ">0" : "0");
                    if (failed > 0 && idle == 1 && spinning == 0) {
                        break;
                    }
                    Thread.onSpinWait();
                }
                stateAfter.set(seen);
                // The flag stays set until a sysmon-side wake-up clears it, whatever the retries do.
                // Asserted directly: armSysmonWake also refuses while the plain thread's failing
                // retry holds the P for a moment, which alone could pass the refusal (review33a).
                owed[0] = s.wakeOwed;
                deepSleepRefused[0] = !s.armSysmonWake(() -> { });
                s.disarmSysmonWake();
                // sysmon's rounds: each tries while the wake-up is owed (a try can find the P
                // held for a moment by the plain thread's failing retry; the next round tries again).
                try {
                    while (!(ran[0] = fired.await(1, TimeUnit.MILLISECONDS)) && System.nanoTime() - deadline < 0) {
                        tried[0] |= s.wakeForGlobalWork();
                    }
                    outside.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.mpool.faultForTest = null;
            });
        });
        assertEquals("idle Ps 1, global 0, spinning 0, startm failures >0", stateAfter.get(),
                "the failed wake-up left the timer on an idle P with nothing queued globally");
        assertTrue(owed[0], "the counted failure owes its wake-up (Scheduler.wakeOwed) until a sysmon-side try clears it ("
                + stateAfter.get() + ")");
        assertTrue(deepSleepRefused[0], "sysmon may not sleep deeply while a failed wake-up is owed (" + stateAfter.get() + ")");
        assertTrue(tried[0], "sysmon's wake-up tried to start an M for the owed wake-up (a round on lead33 never did)");
        assertTrue(ran[0], "sysmon's wake-up ran the timer whose own wake-up failed (" + stateAfter.get() + ")");
        assertNull(fromReset.get(), "the reset threw its timer's failed wake-up");
        s.close();
    }

    /**
     * review33a's bug: sysmon's round passed its lock-free look (a wake-up owed, the P idle, nobody
     * spinning), then another thread's wake-up failed and set the flag again, and only then did
     * the round try. wake33 cleared the flag first and then called wakep, which did nothing: the
     * failing thread still counted as the spinning M. The flag was lost, nothing was started, and
     * sysmon could sleep deeply with the timer on an idle P. Here the failing thread is another
     * scheduler's M (it does not retry: review32's rule) resetting this scheduler's timer; it is
     * held by MPool's seam after its P went back idle and before it drops its spinning count,
     * and the round's try ({@code wakepForGlobalWork}, as a round past its look) runs there. No
     * sysmon, no retaker: the test's thread makes sysmon's calls.
     */
    @Test
    void anOwedWakeUpSurvivesAFailureBetweenSysmonsLookAndItsTry() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        Scheduler other = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        java.util.concurrent.atomic.AtomicBoolean failNext = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicReference<String> premise = new AtomicReference<>("");
        AtomicReference<String> inWindow = new AtomicReference<>("");
        AtomicReference<Throwable> fromOther = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        boolean[] owedAfter = new boolean[1];
        boolean[] deepSleepRefused = new boolean[1];
        boolean[] ran = new boolean[1];
        s.run(() -> {
            Time.GoTimer t = Time.afterFunc(Duration.ofHours(1), fired::countDown);
            t.stop();
            Go.syscall(() -> {
                s.retake(0, true);
                awaitEveryPIdle(s);
                s.mpool.faultForTest = where -> {
                    if (failNext.getAndSet(false)) {
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                // An earlier failure owes a wake-up: sysmon's look passes from here on.
                failNext.set(true);
                boolean earlierFailed = s.wakeForQueuedWork(true);
                premise.set("earlier failure " + earlierFailed + ", owed " + s.wakeOwed + ", idle Ps " + s.idleProcs()
                        + ", spinning " + s.spinningThreads());
                s.mpool.heldBeforeSpinningDropForTest = () -> {
                    s.mpool.heldBeforeSpinningDropForTest = null;
                    inWindow.set("owed " + s.wakeOwed + ", idle Ps " + s.idleProcs() + ", spinning " + s.spinningThreads());
                    s.wakepForGlobalWork(0);        // the round, past its look
                };
                failNext.set(true);
                Thread otherMain = new Thread(() -> {
                    try {
                        other.run(() -> t.reset(Duration.ofMillis(1)));    // s.addTimer -> wakeNetPoller -> startm fails
                    } catch (Throwable e) {
                        fromOther.set(e);
                    }
                }, "other-scheduler");
                otherMain.start();
                try {
                    otherMain.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.mpool.heldBeforeSpinningDropForTest = null;
                s.mpool.faultForTest = null;
                owedAfter[0] = s.wakeOwed;
                deepSleepRefused[0] = !s.armSysmonWake(() -> { });
                s.disarmSysmonWake();
                long deadline = System.nanoTime() + GUARD_NANOS;
                try {
                    while (!(ran[0] = fired.await(1, TimeUnit.MILLISECONDS)) && System.nanoTime() - deadline < 0) {
                        s.wakeForGlobalWork();          // sysmon's rounds
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        });
        other.close();
        assertEquals("earlier failure true, owed true, idle Ps 1, spinning 0", premise.get());
        assertEquals("owed true, idle Ps 1, spinning 1", inWindow.get(),
                "the other scheduler's M was held after its failure gave the P back, still counted as spinning");
        assertNull(fromOther.get(), "the other scheduler's reset threw the failed wake-up");
        String after = "owed " + owedAfter[0] + ", deep sleep refused " + deepSleepRefused[0] + ", timer ran " + ran[0];
        assertTrue(deepSleepRefused[0], "sysmon may not sleep deeply while the wake-up of a failure that landed between its"
                + " look and its try is owed (" + after + ")");
        assertTrue(owedAfter[0], "that wake-up is still owed (" + after + ")");
        assertTrue(ran[0], "sysmon's next rounds ran the timer whose wake-up failed (" + after + ")");
        s.close();
    }

    /**
     * IdlePs.handoffp from a goroutine locked to its M (Go.lockOSThread) that parks: its M keeps
     * the goroutine and hands the P, with the goroutine queued in it, to a new M (LockedM's
     * stoplockedm). That startm fails. On lead33 handoffp threw the failure into the parking
     * goroutine's switch. Now the P goes back idle with its goroutine queued globally, and the
     * locked M, which holds nothing, retries the wake-up while every P is idle before it sleeps
     * (no sysmon, no retaker): the sender runs and the locked receiver gets its value.
     */
    @Test
    void aLockedGoroutineThatParksSurvivesItsHandOffsFailedStartm() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<Throwable> fromRun = new AtomicReference<>();
        int[] got = new int[1];
        long[] failures = new long[1];
        try {
            s.run(() -> {
                Go.lockOSThread();
                Chan<Integer> ch = new Chan<>(0);
                Go.go(() -> ch.send(7));       // main's runnext: the hand-off must give the P to an M for it
                s.mpool.faultForTest = where -> {
                    if (calledFrom("stoplockedm") && faults.get() == 0) {
                        faults.incrementAndGet();
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                got[0] = ch.recv();             // parks locked: stoplockedm -> handoffp -> startm fails
                s.mpool.faultForTest = null;
                failures[0] = s.startmFailures();
            });
        } catch (Throwable t) {
            fromRun.set(t);
        }
        s.mpool.faultForTest = null;
        assertNull(fromRun.get(), "the locked goroutine's hand-off threw its failed startm");
        assertEquals(1, faults.get(), "the hand-off called startm, which failed");
        assertEquals(7, got[0], "the sender queued in the handed-off P ran and the locked receiver got its value");
        assertEquals(1, failures[0], "the failed hand-off is counted (startmFailures)");
        s.close();
    }

    private static boolean calledFrom(String method) {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals(method)));
    }
}
