package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * wakefix34's untested retry (flake35): a GOMAXPROCS change from a plain thread wakes an M for the
 * timers after the world's restart ({@code wakeNetPoller}); if that startm fails (counted, owed), the
 * caller retries the wake-up while every P is idle, after its hooks' {@code afterStart} ran and
 * {@code resizing} was cleared. Nothing else reached that retry: the restart's own wake-up starts a
 * spinning M, which then polls for the timers, so the later wake-up does nothing. The failure-window
 * seam "GOMAXPROCS restarted" (run between the restart and the wake-up, only under the scheduler
 * module's Surefire property) opens the window: there the test waits until the restart's M went idle
 * with nothing to do, then puts a due timer in P0's heap without waking anyone (a timer the idle M
 * did not see) and fails the caller's next three startm calls. The scheduler runs alone (no sysmon,
 * {@code syscallRetake(0)}: no retaker), so only the caller's retry can fire the timer. Waits are for
 * states, under 60 s guards.
 */
@Timeout(240)
class ProcResizeWakeRetryTest {

    private static final long GUARD_NANOS = 60_000_000_000L;
    private static final String CALLER = "gomaxprocs-caller";

    @Test
    void aPlainThreadsGomaxprocsRetriesAFailedTimerWakeUpAfterItsHooks() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicInteger faults = new AtomicInteger();
        AtomicInteger faultsAfterHooks = new AtomicInteger();
        AtomicBoolean afterStartRan = new AtomicBoolean();
        AtomicBoolean windowOpened = new AtomicBoolean();
        AtomicReference<String> windowState = new AtomicReference<>("window not reached");
        AtomicReference<Throwable> fromCaller = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        boolean[] ran = new boolean[1];
        boolean[] callerReturned = new boolean[1];
        int[] procsAfter = new int[1];
        long[] failures = new long[1];
        try {
            s.addProcResizeHook(new ProcResizeHook() {
                @Override
                public void afterStart(int oldProcs, int newProcs) {
                    afterStartRan.set(true);
                }
            });
            s.run(() -> Go.syscall(() -> {
                s.retake(0, true);      // main's P handed off: every P idle
                s.mpool.faultForTest = where -> {
                    if (windowOpened.get() && Thread.currentThread().getName().equals(CALLER) && faults.get() < 3) {
                        faults.incrementAndGet();
                        if (afterStartRan.get()) {
                            faultsAfterHooks.incrementAndGet();
                        }
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                s.failureWindowForTest = window -> {
                    if (!window.equals("GOMAXPROCS restarted") || !Thread.currentThread().getName().equals(CALLER)) {
                        return;
                    }
                    // The restart's wake-up started a spinning M; with no work and no timer it goes
                    // idle without polling. Then the state the retry exists for: a timer, every P
                    // idle, no M spinning or polling.
                    long deadline = System.nanoTime() + GUARD_NANOS;
                    while ((s.idleProcs() != s.gomaxprocs() || s.spinningThreads() != 0 || s.polling.get())
                            && System.nanoTime() - deadline < 0) {
                        Thread.onSpinWait();
                    }
                    windowState.set("idle Ps " + s.idleProcs() + " of " + s.gomaxprocs() + ", spinning " + s.spinningThreads()
                            + ", polling " + s.polling.get() + ", hooks' afterStart ran " + afterStartRan.get());
                    Timer t = new Timer((arg, now) -> fired.countDown(), null);
                    t.when = System.nanoTime();
                    t.period = 0;
                    s.allpPublished[0].timers.add(t);
                    windowOpened.set(true);
                };
                Thread caller = new Thread(() -> {
                    try {
                        procsAfter[0] = s.setGomaxprocs(2);
                    } catch (Throwable e) {
                        fromCaller.set(e);
                    }
                }, CALLER);
                caller.start();
                try {
                    ran[0] = fired.await(60, TimeUnit.SECONDS);
                    caller.join(60_000);
                    callerReturned[0] = !caller.isAlive();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.failureWindowForTest = null;
                s.mpool.faultForTest = null;
                failures[0] = s.startmFailures();
            }));
        } finally {
            s.close();
        }
        assertEquals("idle Ps 2 of 2, spinning 0, polling false, hooks' afterStart ran false", windowState.get(),
                "the window: the restart's M idle, before the hooks' afterStart");
        assertNull(fromCaller.get(), "GOMAXPROCS threw its timers' failed wake-up");
        assertTrue(callerReturned[0], "the GOMAXPROCS caller returned");
        assertEquals(1, procsAfter[0], "setGomaxprocs returned the old value");
        assertTrue(ran[0], "the timer fired, though its wake-up failed while every P was idle and only the GOMAXPROCS"
                + " caller could retry (startm failures " + failures[0] + ", injected " + faults.get() + ")");
        assertEquals(3, faults.get(), "the wake-up and the retries called startm, which failed three times");
        assertEquals(2, faultsAfterHooks.get(), "the first failure is the wake-up's, before the hooks' afterStart;"
                + " the retries come after it");
        assertEquals(3, failures[0], "each failed wake-up is counted (startmFailures)");
    }
}
