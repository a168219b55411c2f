package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Failed wake-ups (a startm that cannot make an M, injected through {@code MPool.faultForTest}) on
 * paths reached only when a P goes idle in a short window with no other test code in it: the
 * blocking poll that readied a goroutine and found every P held, and a locked goroutine's syscall
 * exit that found no idle P ({@code LockedM.exitsyscallLocked}). The window is opened through
 * {@code Scheduler.failureWindowForTest} (looked at only under {@code Scheduler.FAILURE_WINDOW_HOOKS},
 * which the scheduler module's Surefire configuration sets): there a goroutine holding the other
 * P ends, so the wake-up that follows finds an idle P and calls startm. No sysmon, no retaker
 * ({@code syscallRetake(0)}): only the failing path itself can get the work run. Waits are for
 * states, under 60 s guards. Session 34; the paths had no test before (wake33, wakefix33).
 */
@Timeout(240)
class FailureWindowTest {

    private static final long GUARD_NANOS = 60_000_000_000L;
    private static final String POLL_WINDOW = "poll found no idle P";

    @Test
    void theHookFlagIsOnInThisModulesTests() {
        assertTrue(Scheduler.FAILURE_WINDOW_HOOKS, "gort.test.failureWindowHooks is set by scheduler/pom.xml's Surefire"
                + " configuration; without it these tests would pass without reaching their windows");
    }

    /**
     * findRunnable's blocking poll readies a goroutine while main and a busy goroutine hold both
     * Ps (GOMAXPROCS=2). In the window the busy goroutine ends and its P goes idle; the poller M
     * queues the goroutine and wakes an M: that startm fails once. The poller M must survive (a
     * throw there is the fatal "scheduler failure on M") and the goroutine must run.
     */
    @Test
    void theBlockingPollsWakeUpSurvivesItsFailedStartm() {
        PollOutcome o = pollWindow(false);
        assertEquals("both Ps held, the poller blocked", o.before);
        assertEquals("idle Ps 1, spinning 0", o.inWindow, "the busy goroutine's P went idle in the window");
        assertNull(o.fromRun, "the poll's failed wake-up ended the program");
        assertEquals(1, o.faults, "the poll's wake-up called startm, which failed");
        assertTrue(o.ran, "the goroutine the poll readied ran (" + o.after + ")");
        assertEquals(1, o.failures, "the failed wake-up is counted (startmFailures)");
    }

    /**
     * The same window, but every startm an M makes on g0 fails until the goroutine ran: no new M
     * can be had, so only the poller M itself, which holds no P, can run it: it takes the idle P
     * (takeIdlePAfterFailedWake, wakefix33) instead of stopping with the goroutine queued and
     * every P but main's idle. main spins without safepoints, so its M never looks at the global
     * queue.
     */
    @Test
    void thePollerMWhoseWakeUpFailedTakesTheIdlePAndRunsTheGoroutine() {
        PollOutcome o = pollWindow(true);
        assertEquals("both Ps held, the poller blocked", o.before);
        assertEquals("idle Ps 1, spinning 0", o.inWindow, "the busy goroutine's P went idle in the window");
        assertNull(o.fromRun, "the poll's failed wake-up ended the program");
        assertTrue(o.faults >= 1, "the poll's wake-up called startm, which failed");
        assertTrue(o.ran, "the poller M whose wake-up failed took the idle P and ran the goroutine (" + o.after + ")");
    }

    /**
     * A poller over goroutines parked with Go.park (the scheduler's hook interface, as the network
     * poller uses it; not a stand-in for the OS). Its blocking poll returns only once armed (or the
     * scheduler exits): a wake-up (which another thread's wakeNetPoller may send) does not end it,
     * so the M blocked in it stays the one M without a P while the window is set up; a poll that
     * returned early would take the idle P and leave no poller. Then it hands every parked
     * goroutine back as ready.
     */
    static final class HeldPoll implements NetpollHook {
        private final Scheduler s;
        private final java.util.List<G> parked = new java.util.ArrayList<>();
        private boolean armed;

        HeldPoll(Scheduler s) {
            this.s = s;
        }

        @Override
        public synchronized boolean hasWaiters() {
            return !parked.isEmpty();
        }

        @Override
        public synchronized int poll(long timeoutNanos, ReadyList ready) {
            while (!armed && timeoutNanos != 0 && !s.exiting) {
                try {
                    wait(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 0;
                }
            }
            if (!armed) {
                return 0;
            }
            armed = false;
            int n = parked.size();
            for (G g : parked) {
                ready.add(g);
            }
            parked.clear();
            return n;
        }

        @Override
        public synchronized void wakeup() {
            notifyAll();        // a blocked poll looks again, and goes on waiting unless armed
        }

        synchronized void add(G g) {
            parked.add(g);
        }

        synchronized int size() {
            return parked.size();
        }

        synchronized void arm() {
            armed = true;
            notifyAll();
        }
    }

    private record PollOutcome(String before, String inWindow, String after, Throwable fromRun, int faults, boolean ran, long failures) {
    }

    private static PollOutcome pollWindow(boolean failEveryTime) {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        HeldPoll poller = new HeldPoll(s);
        s.setNetpollHook(poller);
        AtomicBoolean ran = new AtomicBoolean();
        AtomicBoolean busyRunning = new AtomicBoolean();
        AtomicBoolean release = new AtomicBoolean();
        AtomicBoolean hookArmed = new AtomicBoolean(true);
        AtomicBoolean faultOnce = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<String> before = new AtomicReference<>("");
        AtomicReference<String> inWindow = new AtomicReference<>("");
        AtomicReference<String> after = new AtomicReference<>("");
        AtomicReference<Throwable> fromRun = new AtomicReference<>();
        long[] failures = new long[1];
        try {
            s.run(() -> {
                long deadline = System.nanoTime() + GUARD_NANOS;
                Go.go(() -> {
                    Go.park((g, arg) -> {
                        ((HeldPoll) arg).add(g);
                        return true;
                    }, poller, WaitReason.IO_WAIT);
                    ran.set(true);
                });
                while (poller.size() < 1 && System.nanoTime() - deadline < 0) {
                    Go.gosched();
                }
                // An M blocks in the poll for it (the set does not announce its waiter itself).
                s.netpollWaiterAdded();
                while (!s.polling.get() && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                // The busy goroutine: main's runnext, stolen by the M its go's wake-up starts on P1.
                Go.go(() -> {
                    busyRunning.set(true);
                    while (!release.get() && System.nanoTime() - deadline < 0) {
                        Thread.onSpinWait();      // no safepoint: P1 stays held
                    }
                });
                // From here main holds P0 without safepoints.
                while ((!busyRunning.get() || !s.polling.get() || s.npidle.get() != 0) && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                before.set(busyRunning.get() && s.polling.get() && s.npidle.get() == 0 ? "both Ps held, the poller blocked"
                        : "busy " + busyRunning.get() + ", polling " + s.polling.get() + ", idle Ps " + s.npidle.get());
                s.failureWindowForTest = window -> {
                    if (window.equals(POLL_WINDOW) && hookArmed.getAndSet(false)) {
                        release.set(true);      // the busy goroutine ends; its M finds nothing and lets P1 go
                        long by = System.nanoTime() + GUARD_NANOS;
                        while ((s.npidle.get() != 1 || s.nmspinning.get() != 0) && System.nanoTime() - by < 0) {
                            Thread.onSpinWait();
                        }
                        inWindow.set("idle Ps " + s.npidle.get() + ", spinning " + s.nmspinning.get());
                    }
                };
                s.mpool.faultForTest = where -> {
                    if (Thread.currentThread() instanceof M m && m.curg == null && calledFrom("findRunnable")
                            && (failEveryTime ? !ran.get() : faultOnce.getAndSet(false))) {
                        faults.incrementAndGet();
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                poller.arm();           // the blocked poll returns the parked goroutine
                while (!ran.get() && !s.exiting && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                after.set("ran " + ran.get() + ", exiting " + s.exiting + ", idle Ps " + s.npidle.get() + ", global "
                        + s.globalRunqueueSize() + ", startm failures " + s.startmFailures());
                s.failureWindowForTest = null;
                s.mpool.faultForTest = null;
                release.set(true);
                failures[0] = s.startmFailures();
            });
        } catch (Throwable t) {
            fromRun.set(t);
        }
        s.failureWindowForTest = null;
        s.mpool.faultForTest = null;
        release.set(true);
        s.close();
        return new PollOutcome(before.get(), inWindow.get(), after.get(), fromRun.get(), faults.get(), ran.get(), failures[0]);
    }

    /**
     * LockedM.exitsyscallLocked: main, locked to its M (Go.lockOSThread), is in a syscall; its P
     * was handed off with a busy goroutine queued, which an M now runs (GOMAXPROCS=1). main's
     * syscall returns and finds no idle P, so its M queues main and counts the idle Ps: in the
     * window before that the busy goroutine ends and the P goes idle, so the M wakes one for main,
     * and that startm fails once. The M, which holds nothing, must survive (a throw there is the
     * fatal "scheduler failure on M") and retry while every P is idle, so main runs again.
     */
    @Test
    void aLockedGoroutinesSyscallExitSurvivesItsFailedWakeUp() throws InterruptedException {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean busyRunning = new AtomicBoolean();
        AtomicBoolean release = new AtomicBoolean();
        AtomicBoolean hookArmed = new AtomicBoolean(true);
        AtomicBoolean faultOnce = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        AtomicBoolean resumed = new AtomicBoolean();
        AtomicReference<String> before = new AtomicReference<>("");
        AtomicReference<String> inWindow = new AtomicReference<>("");
        AtomicReference<Throwable> fromRun = new AtomicReference<>();
        long[] failures = new long[1];
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    long deadline = System.nanoTime() + GUARD_NANOS;
                    Go.lockOSThread();
                    Go.go(() -> {
                        busyRunning.set(true);
                        while (!release.get() && System.nanoTime() - deadline < 0) {
                            Thread.onSpinWait();  // no safepoint: the P stays held
                        }
                    });
                    Go.syscall(() -> {
                        s.retake(0, true);        // the P, the busy goroutine queued in it, handed to an M
                        while (!busyRunning.get() && System.nanoTime() - deadline < 0) {
                            Thread.onSpinWait();
                        }
                        before.set("busy " + busyRunning.get() + ", idle Ps " + s.npidle.get());
                        s.failureWindowForTest = window -> {
                            if (window.equals("exitsyscallLocked") && hookArmed.getAndSet(false)) {
                                release.set(true);
                                long by = System.nanoTime() + GUARD_NANOS;
                                while ((s.npidle.get() != 1 || s.nmspinning.get() != 0) && System.nanoTime() - by < 0) {
                                    Thread.onSpinWait();
                                }
                                inWindow.set("idle Ps " + s.npidle.get() + ", spinning " + s.nmspinning.get());
                            }
                        };
                        s.mpool.faultForTest = where -> {
                            if (calledFrom("exitsyscallLocked") && faultOnce.getAndSet(false)) {
                                faults.incrementAndGet();
                                throw new StopFaultTest.InjectedFault(where);
                            }
                        };
                    });
                    // exitsyscall: no idle P (the busy goroutine's M holds it) -> exitsyscallLocked
                    resumed.set(true);
                    s.failureWindowForTest = null;
                    s.mpool.faultForTest = null;
                    failures[0] = s.startmFailures();
                    Go.unlockOSThread();
                });
            } catch (Throwable t) {
                fromRun.set(t);
            }
        }, "exitsyscall-locked-main");
        runner.setDaemon(true);
        runner.start();
        runner.join(120_000);
        s.failureWindowForTest = null;
        s.mpool.faultForTest = null;
        release.set(true);
        assertEquals("busy true, idle Ps 0", before.get());
        assertEquals("idle Ps 1, spinning 0", inWindow.get(), "the busy goroutine's P went idle in the window");
        assertNull(fromRun.get(), "the locked goroutine's syscall exit threw its failed wake-up");
        assertEquals(1, faults.get(), "the locked M's wake-up for its goroutine called startm, which failed");
        assertTrue(resumed.get(), "the locked goroutine ran again after its syscall, though the wake-up for it failed"
                + " while every P was idle (startm failures " + s.startmFailures() + ")");
        assertEquals(1, failures[0], "the failed wake-up is counted (startmFailures)");
        if (!runner.isAlive()) {
            s.close();
        }
    }

    private static boolean calledFrom(String method) {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals(method)));
    }
}
