package dev.gort.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OwnerlessLockTest {
    private long counter;     // guarded by the lock under test

    @Test
    void excludesAndMayBeReleasedByAnotherThread() throws Exception {
        OwnerlessLock lock = new OwnerlessLock();
        int threads = 4;
        int rounds = 50_000;
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                for (int i = 0; i < rounds; i++) {
                    lock.lock();
                    try {
                        long c = counter;
                        counter = c + 1;      // a lost update shows if two threads were inside
                    } finally {
                        lock.unlock();
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals((long) threads * rounds, counter);

        // No owner: a lock taken on one thread is released on another (a goroutine that moved Ms).
        lock.lock();
        assertFalse(lock.tryLock(), "not reentrant");
        Thread other = new Thread(lock::unlock);
        other.start();
        other.join();
        assertFalse(lock.isLocked());
        assertTrue(lock.tryLock());
        lock.unlock();
        IllegalMonitorStateException e = assertThrows(IllegalMonitorStateException.class, lock::unlock);
        assertTrue(e.getMessage().contains("not held"), e.getMessage());
    }

    @Test
    void conditionWaitersAreSignalledAndLockWaitersAreNotLostBesideThem() throws Exception {
        OwnerlessLock lock = new OwnerlessLock();
        boolean[] ready = new boolean[1];     // guarded by lock
        int waiters = 3;
        Thread[] ws = new Thread[waiters];
        java.util.concurrent.CountDownLatch parked = new java.util.concurrent.CountDownLatch(waiters);
        for (int i = 0; i < waiters; i++) {
            ws[i] = new Thread(() -> {
                lock.lock();
                try {
                    parked.countDown();
                    while (!ready[0]) {
                        lock.awaitUninterruptibly();
                    }
                    counter++;                 // re-taken the lock: exclusive with the others
                } finally {
                    lock.unlock();
                }
            });
            ws[i].start();
        }
        parked.await();
        // Condition waiters sleep on the same monitor; many plain lock/unlock rounds from two
        // threads must still all get through (a single notify could wake only a condition waiter).
        Thread a = new Thread(() -> {
            for (int i = 0; i < 20_000; i++) {
                lock.lock();
                lock.unlock();
            }
        });
        Thread b = new Thread(() -> {
            for (int i = 0; i < 20_000; i++) {
                lock.lock();
                lock.unlock();
            }
        });
        a.start();
        b.start();
        a.join(60_000);
        b.join(60_000);
        assertFalse(a.isAlive() || b.isAlive(), "a lock waiter slept beside a free lock");
        lock.lock();
        try {
            assertEquals(0, counter, "no condition waiter may pass before the signal");
            ready[0] = true;
            lock.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread w : ws) {
            w.join(60_000);
            assertFalse(w.isAlive(), "a condition waiter missed signalAll");
        }
        assertEquals(waiters, counter);

        lock.lock();
        long left = lock.awaitNanos(2_000_000);  // nobody signals: the wait times out
        assertTrue(left <= 0, "left " + left);
        assertTrue(lock.isLocked(), "the lock is re-taken after the timeout");
        lock.unlock();
        assertThrows(IllegalMonitorStateException.class, () -> lock.awaitNanos(1));
    }

    /**
     * A holder that loops on a wait whose time is already spent must still let a thread waiting for
     * the lock take it, as Condition.awaitNanos does: the collector's coordinator looped on 1 ns waits
     * for a GOMAXPROCS change's hold to end while the resizing goroutine, which ends it under the same
     * lock, never got the lock (session 27: a stw2 suite hung in ProcResizeUnderGortTest). Before the
     * fix this never ended: the awaiter retook the lock inside the monitor every time.
     */
    @Test
    void aSpentAwaitLetsAThreadWaitingForTheLockIn() throws Exception {
        OwnerlessLock lock = new OwnerlessLock();
        boolean[] released = new boolean[1];        // guarded by lock
        java.util.concurrent.CountDownLatch looping = new java.util.concurrent.CountDownLatch(1);
        Thread awaiter = new Thread(() -> {
            lock.lock();
            try {
                looping.countDown();
                long deadline = System.nanoTime() + 20_000_000_000L;     // hang guard only
                while (!released[0] && System.nanoTime() < deadline) {
                    try {
                        lock.awaitNanos(1);         // spent before it starts: no signal will come
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            } finally {
                lock.unlock();
            }
        }, "spent-awaiter");
        awaiter.start();
        looping.await();
        long start = System.nanoTime();
        lock.lock();                                // the "releaseStartHold" thread
        try {
            released[0] = true;
        } finally {
            lock.unlock();
        }
        awaiter.join(120_000);
        assertFalse(awaiter.isAlive(), "the awaiter should have seen the flag and left");
        assertTrue(System.nanoTime() - start < 10_000_000_000L,
                "the lock waiter got the lock only after the awaiter's 20 s hang guard ran out: a spent await kept it");
    }
}
