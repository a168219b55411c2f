package dev.gort.gc;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.RealtimeBoost;
import dev.gort.testing.FreshThread;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SpinLock with a SCHED_FIFO waiter (a mutator the real-time stop boosted, meeting AssistQueue's,
 * PtrChan's or PtrPool's lock) and a normal holder on the same CPU: a real-time thread's yield
 * never lets the holder run there, so a waiter that only spun and yielded kept the lock held until
 * the kernel's fair server ran the holder (~1 s; 1.5-4.5 s seen with fixed 20 us sleeps). After its
 * yields the waiter sleeps between tries (backing off to 1 ms), and the holder, which needs 3 ms of
 * CPU, releases as soon as its share of the gaps gives it that (80-100 ms at load 18, where it
 * competes with every normal thread of the CPU; the bound is 500 ms). Skipped where the kernel
 * refuses SCHED_FIFO.
 */
class SpinLockRealtimeTest {
    private volatile int word;
    private volatile boolean waiterSpinning;
    private volatile long sawFlagAt, burntAt, startAt;     // (the failure message says how far the holder got)
    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(SpinLockRealtimeTest.class, "word", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Test
    void aRealtimeWaiterLetsANormalHolderOnItsCpuFinish() throws Exception {
        AtomicLong waited = new AtomicLong();
        FreshThread.run(() -> {
            RealtimeBoost boost = PinnedStarvation.boostOrSkip(PinnedStarvation.WAITER_PRIORITY);
            int cpu = PinnedStarvation.cpu();
            CpuAffinity.pin(cpu);
            CountDownLatch holding = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread holder = Thread.ofPlatform().daemon().name("spin-holder").start(() -> {
                try {
                    CpuAffinity.pin(cpu);
                    SpinLock.lock(WORD, this);
                    holding.countDown();
                    while (!waiterSpinning) {
                        Thread.onSpinWait();        // from here on this thread needs the CPU the waiter holds
                    }
                    sawFlagAt = System.nanoTime();
                    PinnedStarvation.burnCpu(3_000_000);
                    burntAt = System.nanoTime();
                    SpinLock.unlock(WORD, this);
                } catch (Throwable e) {
                    failure.set(e);
                    holding.countDown();
                }
            });
            holding.await();
            boost.raise();
            waiterSpinning = true;
            try {
                long t0 = System.nanoTime();
                startAt = t0;
                SpinLock.lock(WORD, this);
                waited.set(System.nanoTime() - t0);
                SpinLock.unlock(WORD, this);
            } finally {
                boost.lower();
            }
            holder.join();
            if (failure.get() != null) {
                throw new AssertionError("holder", failure.get());
            }
        });
        assertTrue(waited.get() < 500_000_000L, "the real-time waiter should let the holder on its CPU run: waited " + waited.get() / 1e6 + " ms; holder saw the flag at " + (sawFlagAt - startAt) / 1e6 + " ms, burnt at " + (burntAt - startAt) / 1e6);
    }
}
