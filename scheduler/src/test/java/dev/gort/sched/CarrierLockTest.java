package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The world lock's lock ({@link CarrierLock}) from plain threads: ownership, refusals, waits. */
@Timeout(120)
class CarrierLockTest {
    private static final long HANG_GUARD_NANOS = 60_000_000_000L;

    @Test
    void ownerIsTheCallerAndOnlyItReleases() throws Exception {
        CarrierLock l = new CarrierLock("the test lock");
        l.lock();
        assertSame(Thread.currentThread(), l.holder());
        assertTrue(l.isHeldByCarrier());
        assertTrue(l.heldBy(Thread.currentThread()));
        assertFalse(l.heldBy(null));
        AtomicReference<Throwable> refused = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                l.unlock();
            } catch (Throwable t) {
                refused.set(t);
            }
        }, "not-the-holder");
        other.start();
        other.join();
        assertTrue(refused.get() instanceof IllegalMonitorStateException, () -> "refusal: " + refused.get());
        String m = refused.get().getMessage();
        assertTrue(m.contains("the test lock") && m.contains("not-the-holder") && m.contains(Thread.currentThread().getName())
                && m.contains("accepted"), m);
        assertSame(Thread.currentThread(), l.holder(), "a refused release changed nothing");
        l.unlock();
        assertNull(l.holder());
        assertFalse(l.isHeldByCarrier());
        IllegalMonitorStateException free = assertThrows(IllegalMonitorStateException.class, l::unlock);
        assertTrue(free.getMessage().contains("no thread holds it"), free.getMessage());
        assertTrue(l.tryLock(), "usable after the refusals");
        l.unlock();
    }

    @Test
    void aHoldersSecondAcquisitionIsRefusedByName() throws Exception {
        CarrierLock l = new CarrierLock("the test lock");
        l.lock();
        IllegalStateException again = assertThrows(IllegalStateException.class, l::lock);
        assertTrue(again.getMessage().contains("holds it already") && again.getMessage().contains("accepted"), again.getMessage());
        assertThrows(IllegalStateException.class, l::tryLock);
        assertThrows(IllegalStateException.class, () -> l.tryLock(1_000_000));
        assertTrue(l.isHeldByCarrier(), "still held once");
        l.unlock();
        assertNull(l.holder(), "one release frees it (not reentrant)");
    }

    @Test
    void tryLockAndItsTimedFormAnswerWhileAnotherHoldsIt() throws Exception {
        CarrierLock l = new CarrierLock("the test lock");
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            l.lock();
            taken.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            l.unlock();
        }, "holder");
        holder.start();
        taken.await();
        assertFalse(l.tryLock());
        long t0 = System.nanoTime();
        assertFalse(l.tryLock(2_000_000), "timed out");
        assertTrue(System.nanoTime() - t0 >= 2_000_000, "waited its time");
        assertFalse(l.tryLock(0));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> l.tryLock(1_000_000));
        assertFalse(Thread.interrupted(), "the interrupt was taken by the exception");
        AtomicReference<Boolean> waited = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                waited.set(l.tryLock(HANG_GUARD_NANOS));
                l.unlock();
            } catch (InterruptedException e) {
                waited.set(false);
            }
        }, "timed-waiter");
        waiter.start();
        awaitParked(waiter);
        release.countDown();
        waiter.join();
        holder.join();
        assertEquals(Boolean.TRUE, waited.get(), "a timed waiter takes the lock at its release");
        assertNull(l.holder());
    }

    /**
     * More waiters than published slots, each taking and releasing the lock many times: every
     * acquisition is exclusive and every waiter ends (the overflow's timed parks included).
     */
    @Test
    void manyWaitersAllGetItInTurn() throws Exception {
        CarrierLock l = new CarrierLock("the test lock");
        int threads = CarrierLock.SLOTS + 8;
        int each = 2_000;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        long[] counter = new long[1];
        Thread[] ts = new Thread[threads];
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < each; k++) {
                    l.lock();
                    if (inside.incrementAndGet() != 1) {
                        overlaps.incrementAndGet();
                    }
                    counter[0]++;
                    if ((k & 63) == 0) {
                        LockSupport.parkNanos(20_000);      // held a while: the others queue
                    }
                    inside.decrementAndGet();
                    l.unlock();
                }
            }, "waiter-" + i);
            ts[i].start();
        }
        go.countDown();
        for (Thread t : ts) {
            t.join(TimeUnit.NANOSECONDS.toMillis(HANG_GUARD_NANOS));
            assertFalse(t.isAlive(), () -> t.getName() + " still waits for the lock after 60 s (held by " + l.holder() + ")");
        }
        assertEquals(0, overlaps.get());
        assertEquals((long) threads * each, counter[0]);
        assertNull(l.holder());
    }

    @Test
    void awaitFreeReturnsAtTheReleaseWithoutTakingTheLock() throws Exception {
        CarrierLock l = new CarrierLock("the test lock");
        l.awaitFree();
        assertNull(l.holder(), "free: returns at once, takes nothing");
        l.lock();
        AtomicReference<Thread> holderSeen = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            l.awaitFree();
            holderSeen.set(l.holder() == null ? Thread.currentThread() : l.holder());
        }, "free-waiter");
        waiter.start();
        awaitParked(waiter);
        assertTrue(waiter.isAlive(), "waits while held");
        l.unlock();
        waiter.join();
        assertFalse(l.heldBy(waiter));
        assertTrue(l.tryLock(), "the waiter left it free");
        l.unlock();
    }

    @Test
    void anInterruptDoesNotEndAnUntimedWaitAndIsKept() throws Exception {
        CarrierLock l = new CarrierLock("the test lock");
        l.lock();
        AtomicReference<Boolean> flagAfter = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            l.lock();
            flagAfter.set(Thread.interrupted());
            l.unlock();
        }, "interrupted-waiter");
        waiter.start();
        awaitParked(waiter);
        waiter.interrupt();
        LockSupport.parkNanos(5_000_000);
        // Parked again in lock() after the interrupt's wake-up: a wait that the interrupt ended
        // would leave the waiter past lock() (flagAfter set) or gone, one that spun RUNNABLE.
        awaitParked(waiter);
        assertNull(flagAfter.get(), "still inside lock() after the interrupt");
        l.unlock();
        waiter.join();
        assertEquals(Boolean.TRUE, flagAfter.get(), "the interrupt is kept for after the wait");
    }

    @Test
    void takingAndReleasingAFreeLockAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        CarrierLock l = new CarrierLock("the test lock");
        for (int i = 0; i < 20_000; i++) {      // compiled first
            l.lock();
            l.unlock();
            if (l.tryLock()) {
                l.unlock();
            }
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++) {
            l.lock();
            l.unlock();
            if (l.tryLock()) {
                l.unlock();
            }
        }
        assertEquals(0, threads.getCurrentThreadAllocatedBytes() - before);
    }

    /** Until {@code t} is parked (in the lock's wait): state, not time. */
    private static void awaitParked(Thread t) {
        long deadline = System.nanoTime() + HANG_GUARD_NANOS;
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(t.isAlive(), t.getName() + " ended instead of parking");
            assertTrue(System.nanoTime() < deadline, t.getName() + " never parked");
            Thread.onSpinWait();
        }
    }
}
