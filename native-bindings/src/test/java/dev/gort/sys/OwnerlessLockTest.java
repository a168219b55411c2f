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
}
