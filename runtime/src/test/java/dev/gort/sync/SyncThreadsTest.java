package dev.gort.sync;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mutex, RWMutex, WaitGroup and Once used by plain threads (their LockSupport path; the goroutine
 * path is tested with the real scheduler in GoroutineSyncTest). Invariants are checked inside the
 * critical sections, so a broken exclusion shows up as a counted violation.
 */
class SyncThreadsTest {
    static final int ITERS = Integer.getInteger("gort.stress.ops", 200_000) / 4;

    static void runAll(int n, Runnable body) throws InterruptedException {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(body);
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            t.join(120_000);
            assertFalse(t.isAlive(), "thread stuck");
        }
    }

    @Test
    void mutexExcludes() throws Exception {
        Mutex m = new Mutex();
        long[] counter = {0};
        AtomicBoolean inside = new AtomicBoolean();
        AtomicInteger violations = new AtomicInteger();
        runAll(4, () -> {
            for (int i = 0; i < ITERS; i++) {
                m.lock();
                if (!inside.compareAndSet(false, true)) {
                    violations.incrementAndGet();
                }
                counter[0]++;
                inside.set(false);
                m.unlock();
            }
        });
        assertEquals(0, violations.get());
        assertEquals(4L * ITERS, counter[0]);
        assertFalse(m.isLocked());
    }

    @Test
    void mutexMisuseAndTryLock() {
        Mutex m = new Mutex();
        IllegalMonitorStateException e = assertThrows(IllegalMonitorStateException.class, m::unlock);
        assertEquals("sync: unlock of unlocked mutex", e.getMessage());
        assertTrue(m.tryLock(), "still usable after the misuse");
        assertFalse(m.tryLock());
        m.unlock();
        m.lock();
        assertTrue(m.isLocked());
        m.unlock();
        assertEquals("Mutex[unlocked, waiters=0]", m.toString());
    }

    /**
     * A refused unlock of an unlocked mutex must not leave a locker parked while the mutex is free.
     * (Before, unlock subtracted the locked bit first and undid it after: in between the state
     * read as locked, starving and with 2^29-1 waiters, a locker queued itself on that, and the
     * undo left it parked on an unlocked mutex with nobody to wake it.) Any thread may unlock a
     * locked mutex (as in Go), so the locker's own unlock may be refused too: it ignores that.
     */
    @Test
    void aRefusedUnlockRacingALockerLosesNoWakeUp() throws Exception {
        Mutex m = new Mutex();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong refusals = new AtomicLong();
        Thread misuser = new Thread(() -> {
            while (!stop.get()) {
                try {
                    m.unlock();
                } catch (IllegalMonitorStateException expected) {
                    refusals.incrementAndGet();
                }
            }
        });
        misuser.setDaemon(true);
        misuser.start();
        Thread locker = new Thread(() -> {
            for (int i = 0; i < ITERS * 4; i++) {
                m.lock();          // the lost wake-up parks this for good
                try {
                    m.unlock();
                } catch (IllegalMonitorStateException unlockedByTheMisuser) {
                    // the misuser unlocked it first
                }
            }
        });
        locker.setDaemon(true); // a stuck one must not keep the test JVM alive
        locker.start();
        try {
            locker.join(60_000);
            assertFalse(locker.isAlive(), "the locker is parked on a free mutex: " + m);
        } finally {
            stop.set(true);
            misuser.join(60_000);
        }
        assertTrue(refusals.get() > 0);
        assertEquals("Mutex[unlocked, waiters=0]", m.toString());
    }

    /** A greedy holder re-locking in a loop cannot starve a waiter: starvation mode hands the lock over. */
    @Test
    void mutexWaiterIsNotStarved() throws Exception {
        Mutex m = new Mutex();
        AtomicBoolean stop = new AtomicBoolean();
        Thread greedy = new Thread(() -> {
            while (!stop.get()) {
                m.lock();
                long until = System.nanoTime() + 100_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                m.unlock();
            }
        });
        greedy.start();
        Thread.sleep(20);
        long[] took = new long[10];
        for (int i = 0; i < took.length; i++) {
            long t0 = System.nanoTime();
            m.lock();
            took[i] = System.nanoTime() - t0;
            m.unlock();
        }
        stop.set(true);
        greedy.join();
        for (long t : took) {
            assertTrue(t < TimeUnit.SECONDS.toNanos(2), "waited " + t / 1_000_000 + " ms");
        }
    }

    @Test
    void rwmutexReadersShareWritersExclude() throws Exception {
        RWMutex rw = new RWMutex();
        AtomicInteger readers = new AtomicInteger();
        AtomicInteger writers = new AtomicInteger();
        AtomicInteger violations = new AtomicInteger();
        AtomicInteger maxReaders = new AtomicInteger();
        runAll(4, () -> {
            java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
            for (int i = 0; i < ITERS / 4; i++) {
                if (r.nextInt(8) == 0) {
                    rw.lock();
                    if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                        violations.incrementAndGet();
                    }
                    writers.decrementAndGet();
                    rw.unlock();
                } else {
                    rw.rlock();
                    int n = readers.incrementAndGet();
                    maxReaders.accumulateAndGet(n, Math::max);
                    if (writers.get() != 0) {
                        violations.incrementAndGet();
                    }
                    for (int k = 0; k < 50; k++) {
                        Thread.onSpinWait();
                    }
                    readers.decrementAndGet();
                    rw.runlock();
                }
            }
        });
        assertEquals(0, violations.get());
    }

    @Test
    void rwmutexTwoReadersAtOnce() throws Exception {
        RWMutex rw = new RWMutex();
        rw.rlock();
        CountDownLatch second = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            rw.rlock();
            second.countDown();
            rw.runlock();
        });
        t.start();
        assertTrue(second.await(60, TimeUnit.SECONDS), "a second reader enters while the first holds");
        rw.runlock();
        t.join();
    }

    @Test
    void rwmutexPendingWriterBlocksNewReaders() throws Exception {
        RWMutex rw = new RWMutex();
        rw.rlock();
        AtomicBoolean writerIn = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            rw.lock();
            writerIn.set(true);
            rw.unlock();
        });
        writer.start();
        while (writer.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
        AtomicBoolean readerIn = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            rw.rlock();
            readerIn.set(writerIn.get()); // true only if the writer went first
            rw.runlock();
        });
        reader.start();
        Thread.sleep(50);
        assertFalse(writerIn.get());
        rw.runlock();
        writer.join(60_000);
        reader.join(60_000);
        assertTrue(writerIn.get());
        assertTrue(readerIn.get(), "the new reader waited for the pending writer");
    }

    @Test
    void rwmutexMisuse() {
        RWMutex rw = new RWMutex();
        assertEquals("sync: RUnlock of unlocked RWMutex", assertThrows(IllegalMonitorStateException.class, rw::runlock).getMessage());
        assertEquals("sync: Unlock of unlocked RWMutex", assertThrows(IllegalMonitorStateException.class, rw::unlock).getMessage());
        rw.lock();
        rw.unlock();
        rw.rlock();
        rw.runlock();
    }

    /**
     * A refused RUnlock racing a writer must not leave the writer waiting for a reader that never
     * was. (Before, runlock decremented the reader count and undid it after: a writer arriving in
     * between counted one reader to wait for and parked on writerSem for good, and so did every
     * reader after it.)
     */
    @Test
    void aRefusedRUnlockRacingAWriterLosesNoWakeUp() throws Exception {
        RWMutex rw = new RWMutex();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong refusals = new AtomicLong();
        Thread misuser = new Thread(() -> {
            while (!stop.get()) {
                try {
                    rw.runlock();
                } catch (IllegalMonitorStateException expected) {
                    refusals.incrementAndGet();
                }
            }
        });
        misuser.setDaemon(true);
        misuser.start();
        Thread writer = new Thread(() -> {
            // The window is a few instructions wide: a few seconds of tries, not a count.
            long end = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < end) {
                rw.lock();         // the lost wake-up parks this for good
                rw.unlock();
            }
        });
        writer.setDaemon(true); // a stuck one must not keep the test JVM alive
        writer.start();
        try {
            writer.join(60_000);
            assertFalse(writer.isAlive(), "the writer waits for a reader that never was");
        } finally {
            stop.set(true);
            misuser.join(60_000);
        }
        assertTrue(refusals.get() > 0);
        rw.rlock();
        rw.runlock();
        rw.lock();
        rw.unlock();
    }

    @Test
    void waitGroupWaitsForAll() throws Exception {
        for (int round = 0; round < 20; round++) {
            WaitGroup wg = new WaitGroup();
            AtomicInteger finished = new AtomicInteger();
            int n = 6;
            wg.add(n);
            for (int i = 0; i < n; i++) {
                new Thread(() -> {
                    finished.incrementAndGet();
                    wg.done();
                }).start();
            }
            List<Thread> waiters = new ArrayList<>();
            AtomicInteger early = new AtomicInteger();
            for (int i = 0; i < 3; i++) {
                Thread w = new Thread(() -> {
                    wg.await();
                    if (finished.get() != n) {
                        early.incrementAndGet();
                    }
                });
                waiters.add(w);
                w.start();
            }
            wg.await();
            assertEquals(n, finished.get());
            for (Thread w : waiters) {
                w.join(60_000);
                assertFalse(w.isAlive());
            }
            assertEquals(0, early.get());
            assertEquals(0, wg.count());
        }
    }

    @Test
    void waitGroupNegativeCounter() {
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        String message = assertThrows(IllegalStateException.class, () -> wg.add(-2)).getMessage();
        assertTrue(message.startsWith("sync: negative WaitGroup counter (counter 1, add(-2))"), message);
        assertTrue(message.contains("unchanged"), message);
        assertEquals(1, wg.count(), "the bad add changed nothing");
        wg.done();
        wg.await();
    }

    /**
     * A refused add racing the done() that releases a waiter: the done() succeeds and the waiter
     * returns. (Before: add applied the delta and undid it after, so a done() between the two saw
     * the refused add's negative counter, was refused itself, and its waiter parked for good.)
     */
    @Test
    void aRefusedAddRacingADoneLosesNoWakeUp() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong refusals = new AtomicLong();
        AtomicLong doneRefused = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<WaitGroup> current = new java.util.concurrent.atomic.AtomicReference<>();
        Thread misuser = new Thread(() -> {
            while (!stop.get()) {
                WaitGroup g = current.get();
                if (g == null) {
                    continue;
                }
                try {
                    g.add(-2);
                } catch (IllegalStateException expected) {
                    refusals.incrementAndGet();
                }
            }
        });
        misuser.setDaemon(true);
        misuser.start();
        Thread rounds = new Thread(() -> {
            for (int i = 0; i < ITERS / 10; i++) {      // a thread per round
                WaitGroup g = new WaitGroup();
                g.add(1);
                Thread waiter = new Thread(g::await);
                waiter.setDaemon(true);
                waiter.start();
                current.set(g);
                try {
                    g.done();
                } catch (IllegalStateException refusedDone) {
                    doneRefused.incrementAndGet();
                    return;
                }
                try {
                    waiter.join(60_000);
                } catch (InterruptedException e) {
                    return;
                }
                if (waiter.isAlive()) {
                    return;
                }
            }
        });
        rounds.setDaemon(true);
        rounds.start();
        try {
            rounds.join(120_000);
            assertFalse(rounds.isAlive(), "a waiter stayed parked after its group's done()");
        } finally {
            stop.set(true);
            misuser.join(60_000);
        }
        assertEquals(0, doneRefused.get(), "a done() was refused because of another thread's refused add");
        assertTrue(refusals.get() > 0);
    }

    @Test
    void onceRunsOnce() throws Exception {
        Once once = new Once();
        AtomicLong runs = new AtomicLong();
        AtomicInteger sawUnfinished = new AtomicInteger();
        AtomicBoolean finished = new AtomicBoolean();
        runAll(8, () -> {
            once.run(() -> {
                runs.incrementAndGet();
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                finished.set(true);
            });
            if (!finished.get()) {
                sawUnfinished.incrementAndGet(); // run() returned before the action finished
            }
        });
        assertEquals(1, runs.get());
        assertEquals(0, sawUnfinished.get());
        Once failing = new Once();
        assertThrows(IllegalStateException.class, () -> failing.run(() -> {
            throw new IllegalStateException("boom");
        }));
        assertTrue(failing.isDone());
        failing.run(() -> fail("a Once whose action threw is done"));
    }

    @Test
    void semaHandoffGoesToTheWaiter() throws Exception {
        Sema s = new Sema();
        CountDownLatch got = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            s.acquire(false, "test");
            got.countDown();
        });
        t.start();
        while (s.waiters() == 0) {
            Thread.sleep(1);
        }
        s.release(true);
        assertTrue(got.await(60, TimeUnit.SECONDS));
        t.join();
    }
}
