package dev.gort.sched;

import static dev.gort.sched.SchedTesting.assertProgress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * stopTheWorldAndRun: the M that stops the last P at its safepoint runs the stopped steps (and
 * the restart) instead of waking the stopper, keeps its P and goes on; with nothing to stop the
 * caller runs them; a failure of the steps reaches the caller with the world running.
 */
@Timeout(180)
class StopAndRunTest {
    private Scheduler s;
    private SchedTesting.Background program;
    private final AtomicBoolean quit = new AtomicBoolean();
    private final AtomicLong progress = new AtomicLong();

    @AfterEach
    void end() throws InterruptedException {
        if (s != null) {
            s.world.faultForTest = null;
        }
        quit.set(true);
        if (program != null) {
            program.join();
        }
    }

    /** Two goroutines at GOMAXPROCS=2 that count and poll after every count. */
    private void startPolling() throws InterruptedException {
        s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        CountDownLatch running = new CountDownLatch(2);
        Runnable poller = () -> {
            running.countDown();
            while (!quit.get()) {
                progress.incrementAndGet();
                Go.poll();
            }
        };
        program = SchedTesting.Background.start(s, poller, poller);
        running.await();
    }

    /**
     * Holds the stopper right after its request (its fault hook, sched lock free), for the next
     * stop only, until the goroutines counted 1000 more or {@code holdMillis} passed; the result
     * says whether they did, i.e. whether the world ran again without the stopper.
     */
    private AtomicReference<Boolean> holdStopperAfterRequest(long holdMillis) {
        AtomicReference<Boolean> ranOn = new AtomicReference<>();
        AtomicBoolean armed = new AtomicBoolean(true);
        s.world.faultForTest = where -> {
            if (!where.equals("request") || !armed.getAndSet(false)) {
                return;
            }
            long before = progress.get();
            long deadline = System.nanoTime() + holdMillis * 1_000_000L;
            while (progress.get() < before + 1000 && System.nanoTime() - deadline < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            ranOn.set(progress.get() >= before + 1000);
        };
        return ranOn;
    }

    @Test
    void theMThatStopsTheLastPRunsTheStepsAndTheWorldRunsWithoutTheStopper() throws Exception {
        startPolling();
        AtomicReference<Boolean> ranOn = holdStopperAfterRequest(10_000);    // 10 s: a starved machine
        AtomicReference<Thread> stepsOn = new AtomicReference<>();
        AtomicBoolean stoppedInSteps = new AtomicBoolean();
        long handedOff = s.stopsHandedOff();
        s.stopTheWorldAndRun("test", () -> false, () -> {
            stepsOn.set(Thread.currentThread());
            stoppedInSteps.set(s.worldStopping() && s.p(0).status() == PStatus.GCSTOP && s.p(1).status() == PStatus.GCSTOP);
            s.startTheWorld();
        });
        assertTrue(ranOn.get(), "the goroutines ran on while the stopper was held since its request");
        assertInstanceOf(M.class, stepsOn.get(), "the steps ran on an M of the scheduler");
        assertTrue(stoppedInSteps.get(), "every P was stopped while the steps ran");
        assertEquals(handedOff + 1, s.stopsHandedOff());
        assertFalse(s.worldStopping());
        assertTrue(s.describeLastStop().contains("ran the stopped steps from"), s.describeLastStop());
        assertProgress(progress::get, 1000, "the goroutines after the handed-off stop");
        SchedTesting.assertNextStopTakesEveryP(s, "after the hand-off");
    }

    /**
     * The last P but one stopped at a safepoint while the other is handed to an M that has not
     * taken it (woken, no CPU yet; here held by a hook): that safepoint's M stops the handed P in
     * its place and runs the steps. Before session 34 it parked, the stopper's timed pass stopped
     * the handed P and the stopper ran them, 0.1 ms to milliseconds later (SchedStopHandOffTest's
     * "ran on the coordinator" under load). No time is asserted: only who ran the steps, with the
     * handed P's M still held.
     */
    @Test
    void theMAtItsSafepointStopsAPHandedToAnMNotYetRunningAndRunsTheSteps() throws Exception {
        s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean spawn = new AtomicBoolean();
        AtomicLong spawned = new AtomicLong();
        AtomicLong spawns = new AtomicLong();
        program = SchedTesting.Background.start(s, () -> {
            while (!quit.get()) {
                progress.incrementAndGet();
                if (spawn.compareAndSet(true, false)) {
                    spawns.incrementAndGet();
                    Go.go(spawned::incrementAndGet);      // wakep: the idle P handed to an M
                }
                Go.poll();
            }
        });
        assertProgress(progress::get, 1000, "the goroutine runs");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicBoolean leftHook = new AtomicBoolean();
        s.mpool.handedWakeDelayForTest = () -> {
            if (armed.getAndSet(false)) {
                held.countDown();
                boolean interrupted = false;
                while (true) {
                    try {
                        leave.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                leftHook.set(true);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try {
            // Ask for goroutines until an M is woken for the idle P (an M still spinning from an
            // earlier wake-up takes the new goroutine itself, and no startm happens).
            long until = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (!held.await(50, java.util.concurrent.TimeUnit.MILLISECONDS) && System.nanoTime() < until) {
                spawn.set(true);
            }
            assertEquals(0, held.getCount(), "an M was handed the idle P and held before taking it");
            AtomicReference<Thread> stepsOn = new AtomicReference<>();
            AtomicBoolean mHeldInSteps = new AtomicBoolean();
            long handedOff = s.stopsHandedOff();
            // The stopper waits after its request until the goroutine's M has stopped its P (the
            // stop's count down to the handed P, or to 0 by a claim), so its own timed pass, which
            // stops a handed P too, cannot come first (a slow goroutine's M then stops the last P
            // and claims the steps whichever code runs).
            AtomicBoolean armedStopper = new AtomicBoolean(true);
            s.world.faultForTest = where -> {
                if (!where.equals("request") || !armedStopper.getAndSet(false)) {
                    return;
                }
                long deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
                while (stopwaitLocked() > 1 && System.nanoTime() - deadline < 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            };
            long giveUpAt = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            s.stopTheWorldAndRun("handed P", () -> System.nanoTime() - giveUpAt > 0, () -> {
                stepsOn.set(Thread.currentThread());
                mHeldInSteps.set(!leftHook.get());
                s.startTheWorld();
            });
            assertTrue(mHeldInSteps.get(), "the steps ran while the handed P's M was still held before taking it");
            assertInstanceOf(M.class, stepsOn.get(), "the steps ran on the M that stopped at its safepoint, not on the stopper ("
                    + stepsOn.get() + "): " + s.describeLastStop());
            assertEquals(handedOff + 1, s.stopsHandedOff());
            leave.countDown();
            // The held M finds its P taken and parks again; it owns nothing.
            long deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (s.mpool.handedTakenByStop.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, s.mpool.handedTakenByStop.get(), "the held M saw its P taken by the stop");
            assertProgress(progress::get, 1000, "the goroutine runs after the stop");
            deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (spawned.get() < spawns.get() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(spawns.get(), spawned.get(), "every goroutine started before the stop ran after it");
            SchedTesting.assertNextStopTakesEveryP(s, "after the hand-off");
        } finally {
            s.mpool.handedWakeDelayForTest = null;
            leave.countDown();
        }
    }

    /**
     * The same state under a plain stop (no steps): the last P but one stops at a safepoint while
     * the other is handed to an M that has not taken it (held by a hook). That safepoint's M now
     * stops the handed P in its place and wakes the stopper, as in a hand-off stop (flake35). Before,
     * it parked and the stop waited for the stopper's first timed pass (0.1 ms at best, milliseconds
     * under load) to stop the handed P. Go's stopper waits for such an M (its P is neither idle nor in
     * a syscall); gort's timed pass already stops it, and this only moves that to the M on a CPU. No
     * time is asserted: the stopper's re-preempt passes (0: it was woken with every P stopped) and
     * that the handed P's M was still held when the stop returned.
     */
    @Test
    void aPlainStopsSafepointMStopsAPHandedToAnMNotYetRunningAndWakesTheStopper() throws Exception {
        s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean spawn = new AtomicBoolean();
        AtomicLong spawned = new AtomicLong();
        AtomicLong spawns = new AtomicLong();
        program = SchedTesting.Background.start(s, () -> {
            while (!quit.get()) {
                progress.incrementAndGet();
                if (spawn.compareAndSet(true, false)) {
                    spawns.incrementAndGet();
                    Go.go(spawned::incrementAndGet);      // wakep: the idle P handed to an M
                }
                Go.poll();
            }
        });
        assertProgress(progress::get, 1000, "the goroutine runs");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicBoolean leftHook = new AtomicBoolean();
        s.mpool.handedWakeDelayForTest = () -> {
            if (armed.getAndSet(false)) {
                held.countDown();
                boolean interrupted = false;
                while (true) {
                    try {
                        leave.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                leftHook.set(true);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try {
            long until = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (!held.await(50, java.util.concurrent.TimeUnit.MILLISECONDS) && System.nanoTime() < until) {
                spawn.set(true);
            }
            assertEquals(0, held.getCount(), "an M was handed the idle P and held before taking it");
            // The stopper waits after its request until the goroutine's M has stopped its P, so its
            // own timed pass cannot come first.
            AtomicBoolean armedStopper = new AtomicBoolean(true);
            s.world.faultForTest = where -> {
                if (!where.equals("request") || !armedStopper.getAndSet(false)) {
                    return;
                }
                long deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
                while (stopwaitLocked() > 1 && System.nanoTime() - deadline < 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            };
            s.stopTheWorld("handed P, plain");
            boolean mHeldAtStop = !leftHook.get();
            String stop = s.describeLastStop();
            s.startTheWorld();
            assertTrue(mHeldAtStop, "the stop completed while the handed P's M was still held before taking it: " + stop);
            assertTrue(stop.contains("(re-preempt passes 0,"), "the M that stopped at its safepoint stopped the handed P and woke"
                    + " the stopper, which needed no timed pass: " + stop);
            leave.countDown();
            long deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (s.mpool.handedTakenByStop.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, s.mpool.handedTakenByStop.get(), "the held M saw its P taken by the stop");
            assertProgress(progress::get, 1000, "the goroutine runs after the stop");
            deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (spawned.get() < spawns.get() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(spawns.get(), spawned.get(), "every goroutine started before the stop ran after it");
            SchedTesting.assertNextStopTakesEveryP(s, "after the plain stop");
        } finally {
            s.mpool.handedWakeDelayForTest = null;
            leave.countDown();
        }
    }

    /** The pending stop's count of Ps still to stop, read under the sched lock. */
    private int stopwaitLocked() {
        s.lock.lock();
        try {
            return s.world.stopwait();
        } finally {
            s.lock.unlock();
        }
    }

    /** The control: the plain stop waits for its stopper, so held after its request the goroutines cannot run on. */
    @Test
    void aPlainStopHeldAfterItsRequestKeepsTheWorldStopped() throws Exception {
        startPolling();
        AtomicReference<Boolean> ranOn = holdStopperAfterRequest(300);
        s.stopTheWorld("test");
        s.startTheWorld();
        assertFalse(ranOn.get(), "without the hand-off the world waits for the stopper");
    }

    private static boolean everyPIdleOrInASyscall(Scheduler s) {
        for (P p : s.allp) {
            int st = p.status();
            if (st != PStatus.IDLE && st != PStatus.SYSCALL) {
                return false;
            }
        }
        return true;
    }

    @Test
    void withNoPToStopTheCallerRunsTheSteps() throws Exception {
        // No retake: the 1 ms retaker could hand the SYSCALL P to a spinning M before the request,
        // and that M would stop it and claim the steps (review18 saw it once: "but was gort-M1").
        s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(60_000_000_000L).fatalHandler(FatalHandler.THROW));
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        program = SchedTesting.Background.start(s, () -> Go.syscall(() -> {
            waiting.countDown();
            try {
                release.await();       // in a syscall: its P is taken at the request, the other is idle
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        waiting.await();
        // And until no M holds a P or is on its way to one: the main goroutine's M (parked in its
        // recv) and an M woken for the new goroutine may still spin with a P, looking for work;
        // one that sees the request stops that P and claims the steps (the suite saw it: "but was
        // gort-M1", also with no retake, and again after the wait for idle Ps alone, sessions
        // 19-20: a woken M counts in nmspinning before it takes an idle P). So: every P idle or in
        // the syscall and no M spinning, 20 looks in a row 1 ms apart. Nothing wakes an M after
        // that (no goroutine is runnable, no retake).
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int quiet = 0; quiet < 20; ) {
            assertTrue(System.nanoTime() - deadline < 0, "the Ms did not give their Ps up and stop spinning within 60 s");
            quiet = everyPIdleOrInASyscall(s) && s.nmspinning.get() == 0 ? quiet + 1 : 0;
            Thread.sleep(1);
        }
        try {
            AtomicReference<Thread> stepsOn = new AtomicReference<>();
            long handedOff = s.stopsHandedOff();
            s.stopTheWorldAndRun("test", () -> false, () -> {
                stepsOn.set(Thread.currentThread());
                s.startTheWorld();
            });
            assertSame(Thread.currentThread(), stepsOn.get(), "nobody else to run them");
            assertEquals(handedOff, s.stopsHandedOff());
            assertFalse(s.worldStopping());
        } finally {
            release.countDown();
        }
    }

    /**
     * After a claim the world is the claimant's: a goroutine that enters a syscall once the
     * claimant restarted it must not be taken by the stopper's wait loop, which used to take every
     * P in SYSCALL at each turn; taken after the restart, that P stayed GCSTOP and the next stop
     * waited for it forever (a hang in the goroutine world's cycles and in StackScanTest).
     */
    @Test
    void aPInASyscallAfterTheClaimantsRestartIsNotTakenByTheStopper() throws Exception {
        s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(60_000_000_000L).fatalHandler(FatalHandler.THROW));
        CountDownLatch running = new CountDownLatch(2);
        AtomicBoolean inSyscall = new AtomicBoolean();
        program = SchedTesting.Background.start(s, () -> {
            running.countDown();
            while (!quit.get()) {
                progress.incrementAndGet();
                Go.poll();
            }
        }, () -> {
            running.countDown();
            while (!quit.get()) {
                Go.syscall(() -> {
                    inSyscall.set(true);
                    long until = System.nanoTime() + 20_000_000L;
                    while (!quit.get() && System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    inSyscall.set(false);
                });
                Go.poll();
            }
        });
        running.await();
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicBoolean sawSyscallAfterRestart = new AtomicBoolean();
        s.world.faultForTest = where -> {
            if (!where.equals("request") || !armed.getAndSet(false)) {
                return;
            }
            // Held until the claimant restarted the world (the poller counts on) and a P is in a
            // syscall again, then the stopper's wait loop runs.
            long before = progress.get();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() - deadline < 0) {
                boolean syscallP = s.p(0).status() == PStatus.SYSCALL || s.p(1).status() == PStatus.SYSCALL;
                if (progress.get() >= before + 1000 && syscallP && inSyscall.get()) {
                    sawSyscallAfterRestart.set(true);
                    return;
                }
                Thread.onSpinWait();
            }
        };
        s.stopTheWorldAndRun("test", () -> false, s::startTheWorld);
        s.world.faultForTest = null;
        org.junit.jupiter.api.Assumptions.assumeTrue(sawSyscallAfterRestart.get(), "no syscall after the restart within 60 s");
        SchedTesting.assertNextStopTakesEveryP(s, "after a stop whose claimant restarted the world");
    }

    @Test
    void aFailureOfTheHandedOffStepsReachesTheCallerWithTheWorldRunning() throws Exception {
        startPolling();
        AtomicReference<Boolean> ranOn = holdStopperAfterRequest(10_000);
        AtomicReference<Thread> stepsOn = new AtomicReference<>();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.stopTheWorldAndRun("test", () -> false, () -> {
            stepsOn.set(Thread.currentThread());
            throw new IllegalStateException("steps failed");
        }));
        assertEquals("steps failed", e.getMessage());
        assertTrue(ranOn.get(), "the claimant restarted the world without the stopper");
        assertInstanceOf(M.class, stepsOn.get());
        assertFalse(s.worldStopping());
        assertProgress(progress::get, 1000, "the goroutines after the failed steps");
        SchedTesting.assertNextStopTakesEveryP(s, "after the failed steps");
    }

    @Test
    void stepsThatDoNotRestartTheWorldAreRefusedAndTheWorldRestarted() throws Exception {
        startPolling();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.stopTheWorldAndRun("test", () -> false, () -> { }));
        assertTrue(e.getMessage().contains("returned without startTheWorld"), e.getMessage());
        assertFalse(s.worldStopping());
        assertProgress(progress::get, 1000, "the goroutines after steps that did not restart");
        SchedTesting.assertNextStopTakesEveryP(s, "after the refused steps");
    }

    @Test
    void aCallFromAGoroutineIsRefused() throws Exception {
        s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicReference<Throwable> fromGoroutine = new AtomicReference<>();
        program = SchedTesting.Background.start(s, () -> {
            try {
                s.stopTheWorldAndRun("test", () -> false, s::startTheWorld);
            } catch (Throwable t) {
                fromGoroutine.set(t);
            }
        });
        program.assertEnded();
        assertInstanceOf(IllegalStateException.class, fromGoroutine.get());
        assertTrue(fromGoroutine.get().getMessage().contains("from a goroutine"), fromGoroutine.get().getMessage());
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingStops() throws Exception {
        startPolling();
        IllegalArgumentException noSteps = assertThrows(IllegalArgumentException.class, () -> s.stopTheWorldAndRun("test", () -> false, null));
        assertTrue(noSteps.getMessage().contains("steps is null"), noSteps.getMessage());
        IllegalArgumentException noGiveUp = assertThrows(IllegalArgumentException.class,
                () -> s.stopTheWorldAndRun("test", null, s::startTheWorld));
        assertTrue(noGiveUp.getMessage().contains("giveUp is null"), noGiveUp.getMessage());
        assertFalse(s.worldStopping());
        assertProgress(progress::get, 1000, "the goroutines after the refusals");
    }
}
