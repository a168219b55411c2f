package dev.gort.sched;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.CpuClock;
import dev.gort.sys.Platform;
import dev.gort.sys.RealtimeBoost;
import dev.gort.testing.FreshThread;
import dev.gort.testing.RealtimeTesting;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scheduler's waits with a SCHED_FIFO waiter (the collector's coordinator under the opt-in
 * real-time stop, {@code -Dgort.gc.stopper.rtprio}) and a normal thread it waits for pinned to the
 * same CPU: a real-time thread's {@code Thread.yield} lets only real-time threads run, so a waiter
 * that spins and yields keeps the holder off that CPU until the kernel's real-time throttling
 * (50 ms of each second) runs it, and is on the CPU for the whole wait. A raised waiter parks
 * between tries instead ({@link RtLock}; {@code WorldStop}'s world lock). Asserted as
 * SpinLockRealtimeTest does: the waiter is on the CPU for at most a quarter of its wait plus 5 ms
 * (a spinning one is on it throughout: these fail against the yielding RtLock), and the wait ends
 * (the class's timeout is the hang guard; no bound on the wall time, which load decides). Skipped
 * where the kernel refuses SCHED_FIFO or pinning.
 */
@Timeout(120)
class RealtimeStopperTest {
    /** CPU the holder needs while the real-time waiter waits (nanoseconds of its thread's CPU time). */
    static final long HOLDER_CPU_NANOS = 3_000_000;

    @Test
    void aRaisedWaiterOfARuntimeLockLetsANormalHolderOnItsCpuFinish() throws Exception {
        RtLock lock = new RtLock();
        AtomicLong waited = new AtomicLong(), waiterCpu = new AtomicLong();
        AtomicBoolean waiting = new AtomicBoolean();
        FreshThread.run(() -> {
            RealtimeBoost boost = boostOrSkip(10);
            int cpu = lastCpu();
            CpuAffinity.pin(cpu);
            CountDownLatch holding = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread holder = Thread.ofPlatform().daemon().name("rtlock-holder").start(() -> {
                try {
                    CpuAffinity.pin(cpu);
                    lock.lock();
                    holding.countDown();
                    while (!waiting.get()) {
                        Thread.onSpinWait();      // from here on this thread needs the CPU the waiter holds
                    }
                    burnCpu(HOLDER_CPU_NANOS);
                    lock.unlock();
                } catch (Throwable e) {
                    failure.set(e);
                    holding.countDown();
                }
            });
            holding.await();
            boost.raise();
            try {
                assertTrue(RealtimeBoost.currentThreadRaised(), "a raised thread knows it");
                waiting.set(true);
                long t0 = System.nanoTime(), c0 = CpuClock.threadCpuNanos();
                lock.lock();
                waited.set(System.nanoTime() - t0);
                waiterCpu.set(CpuClock.threadCpuNanos() - c0);
                lock.unlock();
            } finally {
                boost.lower();
            }
            assertFalse(RealtimeBoost.currentThreadRaised(), "lowered: a normal waiter again");
            holder.join();
            if (failure.get() != null) {
                throw new AssertionError("holder", failure.get());
            }
        });
        String how = "waited " + waited.get() / 1e6 + " ms, on the CPU " + waiterCpu.get() / 1e6 + " ms of it";
        System.out.println("RealtimeStopperTest (RtLock): " + how);
        assertTrue(waiterCpu.get() <= waited.get() / 4 + 5_000_000L, "the real-time waiter should give its CPU to the holder: " + how);
    }

    /**
     * RtLock's release wakes a raised waiter parked on it (published in the lock before it parks)
     * instead of leaving it to its timed park, up to 0.5 ms past the release. Here the "waiter"
     * parks with no time-out, so only the release's unpark can end its wait (session 24's unlock,
     * a store alone, left it parked: the join's 30 s guard then fails).
     */
    @Test
    void theReleaseUnparksARaisedWaiterParkedOnTheLock() throws Exception {
        RtLock lock = new RtLock();
        lock.lock();
        AtomicBoolean released = new AtomicBoolean();
        Thread waiter = Thread.ofPlatform().daemon().name("parked-raised-waiter").start(() -> {
            while (!released.get()) {
                LockSupport.park();
            }
        });
        lock.publishRaisedWaiterForTest(waiter);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        released.set(true);
        lock.unlock();
        waiter.join(60_000);
        assertFalse(waiter.isAlive(), "the release unparked the waiter published on the lock");
        assertFalse(lock.isLocked());
    }

    @Test
    void aRealtimeStopperWaitingForTheSchedLockLetsTheGoroutineHoldingItOnItsCpuFinish() throws Exception {
        stopWhileAGoroutineOnTheStoppersCpu(true);
    }

    @Test
    void aRealtimeStopperWaitingForTheLastPLetsItsGoroutineOnItsCpuReachItsSafepoint() throws Exception {
        stopWhileAGoroutineOnTheStoppersCpu(false);
    }

    /**
     * One P; its goroutine, pinned (its M) to the stopper's CPU, holds the sched lock (or only its
     * P) and needs {@link #HOLDER_CPU_NANOS} of CPU before it lets go and reaches a safepoint; the
     * stopper, a platform thread at SCHED_FIFO on the same CPU, stops the world meanwhile and
     * starts it again. The stop must end with the P stopped, and the stopper must not have held
     * the CPU while it waited.
     */
    private static void stopWhileAGoroutineOnTheStoppersCpu(boolean holdSchedLock) throws Exception {
        Assumptions.assumeTrue(Platform.current().isLinux() && CpuAffinity.supported(), "SCHED_FIFO and pinning are Linux's");
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        int cpu = lastCpu();
        CountDownLatch holding = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean(), done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong waited = new AtomicLong(), stopperCpu = new AtomicLong();
        Thread runner = new Thread(() -> s.run(() -> {
            try {
                CpuAffinity.pin(cpu);             // this goroutine's M, for the rest of the run
                if (holdSchedLock) {
                    s.lock.lock();
                }
                holding.countDown();
                while (!stopping.get()) {
                    Thread.onSpinWait();          // no safepoint: the stop must wait for this P
                }
                burnCpu(HOLDER_CPU_NANOS);
                if (holdSchedLock) {
                    s.lock.unlock();
                }
                while (!done.get()) {
                    Go.poll();                    // the safepoint the stop waits for
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                holding.countDown();
            }
        }), "rt-stop-runner");
        runner.setDaemon(true);
        runner.start();
        try {
            assertTrue(holding.await(100, TimeUnit.SECONDS), "the goroutine started");
            FreshThread.run(() -> {
                RealtimeBoost boost = boostOrSkip(10);
                CpuAffinity.pin(cpu);
                boost.raise();
                try {
                    stopping.set(true);
                    long t0 = System.nanoTime(), c0 = CpuClock.threadCpuNanos();
                    s.stopTheWorld("real-time stopper test");
                    waited.set(System.nanoTime() - t0);
                    stopperCpu.set(CpuClock.threadCpuNanos() - c0);
                    assertEquals(PStatus.GCSTOP, s.allp[0].status(), "the goroutine's P stopped");
                    s.startTheWorld();
                } finally {
                    boost.lower();
                }
            });
        } finally {
            stopping.set(true);
            done.set(true);
            runner.join(100_000);
        }
        assertFalse(runner.isAlive(), "the scheduler ran its main goroutine to its end");
        if (failure.get() != null) {
            throw new AssertionError("the goroutine failed", failure.get());
        }
        String how = (holdSchedLock ? "sched lock held: " : "P held: ") + "stop took " + waited.get() / 1e6 + " ms, stopper on the CPU "
                + stopperCpu.get() / 1e6 + " ms of it";
        System.out.println("RealtimeStopperTest: " + how);
        assertTrue(stopperCpu.get() <= waited.get() / 4 + 5_000_000L, "the real-time stopper should give its CPU to the goroutine: " + how);
    }

    /**
     * {@link LateMBoost}: a goroutine that keeps off safepoints for 30 ms after the request has its
     * M switched to SCHED_FIFO at the stop's first timed pass (the goroutine sees its own policy
     * change), and the restart puts the M back before its P runs again; a stopper that is not
     * raised itself boosts nothing. Not pinned: this checks the switch and its undoing, not the CPU.
     */
    @Test
    void aRaisedStopperBoostsTheMOfAGoroutineLateToItsSafepointUntilTheRestart() throws Exception {
        lateGoroutineStoppedUnraisedThenRaised(false);
    }

    /**
     * As above, but {@link Scheduler#boostLateMsWhileStopping} is called again (a new collector's
     * coordinator starting; the method is public) while the raised stop holds the world with the
     * late M boosted: the restart must still put that M back. Session 24's restart lowered the
     * boost it read then, the new one, which had boosted nothing, and the M ran goroutines at
     * SCHED_FIFO for good.
     */
    @Test
    void aLateMBoostReplacedMidStopIsStillLoweredByTheRestart() throws Exception {
        lateGoroutineStoppedUnraisedThenRaised(true);
    }

    private static void lateGoroutineStoppedUnraisedThenRaised(boolean replaceBoostMidStop) throws Exception {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        s.boostLateMsWhileStopping(7);
        try (LateGoroutine g = new LateGoroutine(s, stretch -> null)) {
            // Unraised first: nothing is boosted.
            g.stretch(1);
            g.stopComing();
            s.stopTheWorld("late M, stopper not raised");
            s.startTheWorld();
            assertEquals(dev.gort.sys.ThreadPriority.SCHED_OTHER, g.policyAfter(), "not boosted: the goroutine saw its M normal");
            assertEquals(0, s.lateMBoosts(), "a stopper that is not raised boosts no M");
            FreshThread.run(() -> {
                RealtimeBoost boost = boostOrSkip(10);
                g.stretch(2);
                boost.raise();
                try {
                    g.stopComing();
                    s.stopTheWorld("late M, stopper raised");
                    assertEquals(PStatus.GCSTOP, s.allp[0].status());
                    if (replaceBoostMidStop) {
                        assertEquals(1, s.lateMBoosts(), "the late goroutine's M was boosted before the replacement");
                        s.boostLateMsWhileStopping(8);
                    }
                    s.startTheWorld();
                } finally {
                    boost.lower();
                }
            });
            assertEquals(RealtimeBoost.SCHED_FIFO, g.policyAfter(), "the goroutine saw its M at SCHED_FIFO while late");
            assertEquals(replaceBoostMidStop ? 0 : 1, s.lateMBoosts(), "the late goroutine's M was boosted once (by the replaced boost)");
            assertEquals(dev.gort.sys.ThreadPriority.SCHED_OTHER, dev.gort.sys.ThreadPriority.of(g.mTid()).policy(),
                    "the restart put the M back");
        }
    }

    /**
     * The scheduler's main goroutine, late to its safepoint on demand: {@link #stretch}(n) has it
     * run without a safepoint (the stop is requested only once it says it runs the stretch: it may
     * sit in a run queue before) until 30 ms after the stopper said its stop is coming
     * ({@link #stopComing}: a stopper delayed by load past a fixed stretch would find the goroutine
     * at its safepoint already), looking at its M's policy 5 ms or more in; between stretches it polls. {@link #close} ends it and the scheduler's run, and fails the test with
     * the goroutine's failure.
     */
    static final class LateGoroutine implements AutoCloseable {
        private final CountDownLatch started = new CountDownLatch(1);
        private final AtomicLong asks = new AtomicLong(), lateFor = new AtomicLong(), mTid = new AtomicLong();
        private final AtomicBoolean done = new AtomicBoolean(), stopComing = new AtomicBoolean();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final java.util.concurrent.atomic.AtomicInteger policyWhileLate = new java.util.concurrent.atomic.AtomicInteger(-1);
        private final Thread runner;

        /**
         * Starts {@code s} with it. {@code atStretch} runs on the goroutine at the start of each
         * stretch (its M is {@code Scheduler.carrier()}) and returns what to undo at its end (or null).
         */
        LateGoroutine(Scheduler s, java.util.function.LongFunction<Runnable> atStretch) throws InterruptedException {
            runner = new Thread(() -> s.run(() -> {
                try {
                    started.countDown();
                    long handled = 0;
                    while (!done.get()) {
                        long ask = asks.get();
                        if (ask != handled) {
                            handled = ask;
                            mTid.set(dev.gort.sys.CpuAffinity.threadId());     // the M running this stretch (the one a stop boosts)
                            Runnable undo = atStretch.apply(ask);
                            lateFor.set(ask);
                            while (!stopComing.get()) {
                                Thread.onSpinWait();
                            }
                            long t0 = System.nanoTime();
                            int seen = -1;
                            // 30 ms, and on until one look at its policy was made 5 ms or more in (its M may lose the CPU meanwhile).
                            while (System.nanoTime() - t0 < 30_000_000L || seen == -1) {
                                if (seen != RealtimeBoost.SCHED_FIFO && System.nanoTime() - t0 > 5_000_000L) {
                                    seen = dev.gort.sys.ThreadPriority.current().policy();
                                }
                                Thread.onSpinWait();
                            }
                            if (undo != null) {
                                undo.run();
                            }
                            policyWhileLate.set(seen);
                        }
                        Go.poll();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    started.countDown();
                }
            }), "late-m-runner");
            runner.setDaemon(true);
            runner.start();
            assertTrue(started.await(100, TimeUnit.SECONDS), "the goroutine started");
        }

        /** Asks for late stretch {@code n} and waits (sleeping: the caller may be raised later) until the goroutine runs it. */
        void stretch(long n) throws InterruptedException {
            policyWhileLate.set(-1);
            stopComing.set(false);
            asks.set(n);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (lateFor.get() != n) {
                assertTrue(System.nanoTime() < deadline, "the goroutine started its late stretch " + n + " within 60 s");
                Thread.sleep(0, 100_000);
            }
        }

        /** The stopper is about to stop the world: the stretch goes on 30 ms from now. */
        void stopComing() {
            stopComing.set(true);
        }

        /** The policy the goroutine saw its M at in its last stretch (recorded at the stretch's end, after the stop). */
        int policyAfter() throws InterruptedException {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (policyWhileLate.get() == -1 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            return policyWhileLate.get();
        }

        /** The tid of the M that ran the last stretch. */
        int mTid() {
            return (int) mTid.get();
        }

        @Override
        public void close() throws InterruptedException {
            done.set(true);
            stopComing.set(true);
            asks.set(-1);
            runner.join(100_000);
            assertFalse(runner.isAlive(), "the scheduler ran its main goroutine to its end");
            if (failure.get() != null) {
                throw new AssertionError("the goroutine failed", failure.get());
            }
        }
    }

    /**
     * {@link LateMBoost} on a stop handed off to the last M ({@code stopTheWorldAndRun}): the M that
     * stops the last P claims the steps and restarts the world while the stopper may still be on
     * its way from its wait's claimed check to its first timed pass (here a fault hook holds it
     * there until the goroutine runs again after the restart). The boost must then switch no M:
     * the restart's lowerAll has run, so an M boosted now would run goroutines at SCHED_FIFO until
     * the next stop's restart. Fails against a boost that only looks at the Ps' status.
     */
    @Test
    void aStopperLateToItsFirstPassBoostsNoMOnceTheClaimantRestartedTheWorld() throws Exception {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        s.boostLateMsWhileStopping(7);
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean pollNow = new AtomicBoolean(), done = new AtomicBoolean();
        AtomicLong tidAfterRestart = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread runner = new Thread(() -> s.run(() -> {
            try {
                started.countDown();
                while (!pollNow.get()) {
                    Thread.onSpinWait();          // no safepoint: the stop's first wait times out unclaimed
                }
                Go.poll();                        // its M claims the steps, restarts the world, comes back here
                tidAfterRestart.set(dev.gort.sys.CpuAffinity.threadId());
                while (!done.get()) {
                    Go.poll();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                started.countDown();
            }
        }), "late-claim-runner");
        runner.setDaemon(true);
        runner.start();
        AtomicLong tidAtCheck = new AtomicLong();
        try {
            assertTrue(started.await(100, TimeUnit.SECONDS), "the goroutine started");
            FreshThread.run(() -> {
                RealtimeBoost boost = boostOrSkip(10);
                Thread stopper = Thread.currentThread();
                AtomicBoolean held = new AtomicBoolean();
                s.world.faultForTest = where -> {
                    if (!where.equals("wait") || Thread.currentThread() != stopper || !held.compareAndSet(false, true)) {
                        return;
                    }
                    pollNow.set(true);
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (tidAfterRestart.get() == 0 && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(100_000);     // raised: park, never spin
                    }
                };
                boost.raise();
                try {
                    s.stopTheWorldAndRun("late stopper, claimed stop", () -> false, s::startTheWorld);
                } finally {
                    boost.lower();
                    s.world.faultForTest = null;
                }
                assertTrue(held.get(), "the stop's first wait timed out before the claim");
                tidAtCheck.set(tidAfterRestart.get());
            });
            assertNotEquals(0, tidAtCheck.get(), "the goroutine ran again after the claimant's restart");
            assertEquals(1, s.stopsHandedOff(), "the last M ran the steps");
            assertEquals(dev.gort.sys.ThreadPriority.SCHED_OTHER, dev.gort.sys.ThreadPriority.of((int) tidAtCheck.get()).policy(),
                    "the M running goroutines after the restart is normal (late-M boosts: " + s.lateMBoosts() + ")");
        } finally {
            pollNow.set(true);
            s.stopTheWorld("cleanup: any boosted M put back");
            s.startTheWorld();
            done.set(true);
            runner.join(100_000);
        }
        assertFalse(runner.isAlive(), "the scheduler ran its main goroutine to its end");
        if (failure.get() != null) {
            throw new AssertionError("the goroutine failed", failure.get());
        }
    }

    /**
     * A late M whose thread has exited when the stop boosts it (sched_getattr by its tid: ESRCH)
     * is skipped, and the boost stays on for the Ms of later stops: a dead thread is not a refusal.
     * The exit is stood in for by the M's tid field holding the tid of a thread that has exited
     * (the kernel's answer is the real one). Session 25's boost turned itself off for the rest of
     * the run on any failure: the second stop's late M then stayed SCHED_OTHER.
     */
    @Test
    void aLateMWhoseThreadExitedIsSkippedAndTheBoostStaysOnForLaterStops() throws Exception {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        int deadTid = RealtimeTesting.exitedThreadsTid();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        s.boostLateMsWhileStopping(7);
        java.util.function.LongFunction<Runnable> firstStretchOnAnExitedTid = stretch -> {
            if (stretch != 1) {
                return null;
            }
            M m = (M) Scheduler.carrier();
            int ownTid = m.tid;
            m.tid = deadTid;                // this stretch's stop finds the M's thread gone
            return () -> m.tid = ownTid;
        };
        try (LateGoroutine g = new LateGoroutine(s, firstStretchOnAnExitedTid)) {
            FreshThread.run(() -> {
                RealtimeBoost boost = boostOrSkip(10);
                for (long stretch = 1; stretch <= 2; stretch++) {
                    g.stretch(stretch);
                    boost.raise();
                    try {
                        g.stopComing();
                        s.stopTheWorld("late M, stretch " + stretch);
                        s.startTheWorld();
                    } finally {
                        boost.lower();
                    }
                    int policy = g.policyAfter();
                    if (stretch == 1) {
                        assertEquals(dev.gort.sys.ThreadPriority.SCHED_OTHER, policy, "an M whose tid is gone is not boosted");
                        assertEquals(0, s.lateMBoosts());
                    } else {
                        assertEquals(RealtimeBoost.SCHED_FIFO, policy, "the next stop still boosts its late M (the boost was not turned off)");
                        assertEquals(1, s.lateMBoosts());
                    }
                }
            });
        }
    }

    /**
     * A late M boosted by a raised stop whose wait ends because the scheduler exits (here
     * {@link Scheduler#close} from another thread once the M is boosted): the stop returns with
     * the P still running, and before it returns it puts the M back (policy SCHED_OTHER again, its
     * registry slot freed), since a caller on its way out may never restart the world and the M
     * runs its goroutine on to its next safepoint meanwhile. Checked before the caller's restart,
     * which would lower it too. (Session 25 wrote the lowering, WorldStop's exit path, untested.)
     */
    @Test
    void aLateMBoostedWhenTheSchedulerExitsIsPutBackByTheStopItLeaves() throws Exception {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        s.boostLateMsWhileStopping(7);
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean late = new AtomicBoolean(), release = new AtomicBoolean();
        AtomicLong mTid = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread runner = new Thread(() -> s.run(() -> {
            try {
                started.countDown();
                while (!late.get()) {
                    Go.poll();
                }
                mTid.set(dev.gort.sys.CpuAffinity.threadId());     // the M running the late stretch
                while (!release.get()) {
                    Thread.onSpinWait();          // no safepoint until released: the stop waits, then the scheduler exits
                }
                while (true) {
                    Go.poll();                    // the scheduler has exited: its M leaves at this safepoint
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                started.countDown();
            }
        }), "exit-late-m-runner");
        runner.setDaemon(true);
        runner.start();
        AtomicReference<String> during = new AtomicReference<>("not seen");
        try {
            assertTrue(started.await(100, TimeUnit.SECONDS), "the goroutine started");
            FreshThread.run(() -> {
                RealtimeBoost boost = boostOrSkip(10);
                late.set(true);
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (mTid.get() == 0) {
                    assertTrue(System.nanoTime() < deadline, "the goroutine began its late stretch within 60 s");
                    Thread.sleep(1);
                }
                int tid = (int) mTid.get();
                boost.raise();
                int raisedBefore = RealtimeBoost.raisedCount();       // the stopper's own slot included
                Thread closer = Thread.ofPlatform().name("closer").start(() -> {
                    long until = System.nanoTime() + 60_000_000_000L;
                    while (s.lateMBoosts() == 0 && System.nanoTime() < until) {
                        LockSupport.parkNanos(100_000);
                    }
                    during.set("boosts " + s.lateMBoosts() + ", policy " + dev.gort.sys.ThreadPriority.of(tid).policy()
                            + ", raised " + (RealtimeBoost.raisedCount() - raisedBefore));
                    s.close();                    // the scheduler exits while the stop waits for the late P
                });
                try {
                    s.stopTheWorld("late M, scheduler exiting");
                    closer.join(100_000);
                    assertEquals("boosts 1, policy " + RealtimeBoost.SCHED_FIFO + ", raised 1", during.get(),
                            "the late M was boosted and recorded before the exit");
                    assertTrue(s.exiting(), "the stop ended because the scheduler exits");
                    assertEquals(PStatus.RUNNING, s.allp[0].status(), "the late P was never stopped");
                    assertEquals(dev.gort.sys.ThreadPriority.SCHED_OTHER, dev.gort.sys.ThreadPriority.of(tid).policy(),
                            "the M, still running its goroutine, is back to its own policy");
                    assertEquals(raisedBefore, RealtimeBoost.raisedCount(), "its registry slot is freed");
                    s.startTheWorld();
                } finally {
                    boost.lower();
                }
            });
        } finally {
            late.set(true);
            release.set(true);
            s.close();          // if skipped before the close (no SCHED_FIFO here): the goroutine polls forever otherwise
            runner.join(100_000);
        }
        assertFalse(runner.isAlive(), "the scheduler's run ended");
        if (failure.get() != null) {
            throw new AssertionError("the goroutine failed", failure.get());
        }
    }

    private static RealtimeBoost boostOrSkip(int priority) {
        return RealtimeTesting.boostOrSkip(priority);
    }

    private static int lastCpu() {
        return RealtimeTesting.lastCpu();
    }

    private static void burnCpu(long nanos) {
        RealtimeTesting.burnCpu(nanos);
    }
}
