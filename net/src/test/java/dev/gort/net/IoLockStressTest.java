package dev.gort.net;

import dev.gort.sched.Chan;
import dev.gort.sched.Go;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * IoLock (Go's fdMutex half) against its model, a plain mutual-exclusion counter: goroutines on 2
 * Ps and platform threads contend for one lock, yielding inside the critical section so callers
 * really queue (goroutines park, threads LockSupport.park); nobody is ever inside with someone
 * else, no unlock is lost (every caller finishes), and the count is exact. Then close with
 * callers queued: each gets ClosedException, the holder finishes, later callers fail at once.
 * {@code -Dgort.stress.ops=N} runs longer.
 */
class IoLockStressTest {
    static final int OPS = Integer.getInteger("gort.stress.ops", 2_000);

    static PollDesc desc() {
        return desc(NetPoller.forThreads());
    }

    /** The scheduler's poller's descriptor, as for a Conn made by a goroutine. */
    static PollDesc desc(NetPoller p) {
        return new PollDesc(p, -1, 1, "stress", new DescNatives());
    }

    @Test
    void mutualExclusionAcrossGoroutinesAndThreads() {
        AtomicBoolean inside = new AtomicBoolean();
        AtomicInteger violations = new AtomicInteger();
        long[] counter = {0};
        int goroutines = 6;
        int threads = 3;
        AtomicInteger threadsDone = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        NetTesting.run(2, () -> {
            PollDesc pd = desc(NetPoller.current());
            IoLock lock = pd.readLock;
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < OPS; i++) {
                        lock.lock(pd, "read");
                        if (!inside.compareAndSet(false, true)) {
                            violations.incrementAndGet();
                        }
                        counter[0]++;
                        if (i % 7 == 0) {
                            Thread.yield();
                        }
                        inside.set(false);
                        lock.unlock();
                    }
                    threadsDone.incrementAndGet();
                }));
            }
            Chan<Integer> done = new Chan<>(goroutines);
            for (int g = 0; g < goroutines; g++) {
                Go.go(() -> {
                    for (int i = 0; i < OPS; i++) {
                        lock.lock(pd, "read");
                        if (!inside.compareAndSet(false, true)) {
                            violations.incrementAndGet();
                        }
                        counter[0]++;
                        if (i % 5 == 0) {
                            Go.gosched(); // holding the lock: the others must queue, not spin
                        }
                        inside.set(false);
                        lock.unlock();
                    }
                    done.send(1);
                });
            }
            for (int g = 0; g < goroutines; g++) {
                done.recv();
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (threadsDone.get() < threads && System.nanoTime() < deadline) {
                dev.gort.sched.Time.sleep(java.time.Duration.ofMillis(5));
            }
            assertEquals(threads, threadsDone.get(), "a thread never got the lock back: lost hand-off");
            assertEquals(0, lock.waiting());
        });
        assertEquals(0, violations.get(), "two callers inside at once");
        assertEquals((long) (goroutines + threads) * OPS, counter[0]);
    }

    @Test
    void closeWakesEveryQueuedCallerAndLaterCallsFail() throws Exception {
        PollDesc pd = desc();
        IoLock lock = pd.readLock;
        lock.lock(pd, "read"); // the holder
        int n = 4;
        AtomicInteger closedSeen = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            ts.add(Thread.ofPlatform().start(() -> {
                try {
                    lock.lock(pd, "read");
                    lock.unlock();
                } catch (ClosedException e) {
                    closedSeen.incrementAndGet();
                }
            }));
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (lock.waiting() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(n, lock.waiting());
        lock.close();
        for (Thread t : ts) {
            t.join(60_000);
            assertFalse(t.isAlive());
        }
        assertEquals(n, closedSeen.get());
        lock.unlock(); // the holder finishes its operation
        ClosedException e = assertThrows(ClosedException.class, () -> lock.lock(pd, "read"));
        assertTrue(e.getMessage().contains("use of closed network connection"), e.getMessage());
    }
}
