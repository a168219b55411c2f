package dev.gort.sched;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.CpuClock;
import dev.gort.sys.NativeException;
import dev.gort.sys.Platform;
import dev.gort.sys.RealtimeBoost;
import dev.gort.testing.FreshThread;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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

    /** Skips the test unless this Linux lets the calling thread use SCHED_FIFO {@code priority}. */
    private static RealtimeBoost boostOrSkip(int priority) {
        Assumptions.assumeTrue(Platform.current().isLinux() && CpuAffinity.supported(), "SCHED_FIFO and pinning are Linux's");
        try {
            return RealtimeBoost.forCurrentThread(priority);
        } catch (NativeException | UnsupportedOperationException e) {
            Assumptions.abort("the kernel refused SCHED_FIFO " + priority + " here (" + e.getMessage() + "): needs CAP_SYS_NICE or RLIMIT_RTPRIO");
            return null;
        }
    }

    /** The highest CPU this process may use (the one every pinned thread of a test shares). */
    private static int lastCpu() {
        return CpuAffinity.mask().length() - 1;
    }

    private static void burnCpu(long nanos) {
        long end = CpuClock.threadCpuNanos() + nanos;
        long x = 0;
        while (CpuClock.threadCpuNanos() < end) {
            x += x * 31 + 7;
        }
        sink = x;
    }

    static volatile long sink;
}
