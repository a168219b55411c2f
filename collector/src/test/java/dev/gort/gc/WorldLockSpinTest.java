package dev.gort.gc;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link WorldLock#trySpinning}: a lock let go within the spin is taken without the caller ever
 * queueing (so it never parks and gives its CPU up: session 20's slow mark terminations were a
 * mutator that parked for the stopper's few microseconds of request), and a lock held past the
 * spin is given up on after about the spin's length, leaving the caller to queue as before.
 */
class WorldLockSpinTest {

    @Test
    void aLockLetGoWithinTheSpinIsTakenWithoutQueueing() throws Exception {
        for (int round = 0; round < 20; round++) {
            WorldLock lock = new WorldLock();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch spinnerStarted = new CountDownLatch(1);
            AtomicBoolean queuedSeen = new AtomicBoolean();
            Thread holder = Thread.ofPlatform().start(() -> {
                lock.lock();
                try {
                    held.countDown();
                    try {
                        spinnerStarted.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    long until = System.nanoTime() + 200_000;
                    while (System.nanoTime() < until) {
                        queuedSeen.compareAndSet(false, lock.hasQueuedThreads());
                        Thread.onSpinWait();
                    }
                    queuedSeen.compareAndSet(false, lock.hasQueuedThreads());
                } finally {
                    lock.unlock();
                }
            });
            held.await();
            spinnerStarted.countDown();
            // A spin far longer than the hold, so a starved holder still lets go inside it.
            assertTrue(lock.trySpinning(60_000_000_000L), "taken within the spin");
            try {
                assertTrue(lock.isHeldByCurrentThread());
            } finally {
                lock.unlock();
            }
            holder.join();
            assertFalse(queuedSeen.get(), "the spinner queued on the lock (round " + round + ")");
        }
    }

    @Test
    void aLockHeldPastTheSpinIsGivenUpOn() throws Exception {
        WorldLock lock = new WorldLock();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            lock.lock();
            try {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
        });
        held.await();
        long t0 = System.nanoTime();
        boolean taken = lock.trySpinning(2_000_000);
        long spun = System.nanoTime() - t0;
        release.countDown();
        holder.join();
        assertFalse(taken, "the holder never let go during the spin");
        assertTrue(spun >= 2_000_000, "gave up after " + spun + " ns, before the spin's 2 ms");
        assertFalse(lock.hasQueuedThreads(), "the spinner never queued");
        assertTrue(lock.trySpinning(1_000_000), "a free lock is taken at once");
        lock.unlock();
    }
}
