package dev.gort.gc;

import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sched.WaitReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link AssistQueue} on its own (Go's assist queue): waiters are real parked platform threads or
 * goroutines, the credit is a plain counter, the test is the only flusher unless a stress says
 * otherwise. Debt accounting is exact: what is flushed is either paid to a waiter or left as
 * credit, to the byte.
 */
class AssistQueueTest {
    static final long TIMEOUT_NS = 60_000_000_000L;

    AtomicLong credit;
    volatile boolean open;
    WorkbufPool pool;
    AssistQueue q;

    @BeforeEach
    void setUp() {
        credit = new AtomicLong();
        open = true;
        pool = new WorkbufPool();
        q = new AssistQueue(credit, () -> open, pool, false);
    }

    @AfterEach
    void tearDown() {
        open = false;
        q.wakeAll(true);
        pool.close();
    }

    /** A platform thread that waits in the queue for {@code debt}; returns its waiter once it is queued. */
    AssistQueue.Waiter waitIn(long debt, List<Thread> threads) {
        AssistQueue.Waiter w = q.acquire(debt);
        Thread t = Thread.ofPlatform().name("assist-waiter-" + threads.size()).start(w);
        threads.add(t);
        awaitQueued(w);
        return w;
    }

    static void awaitQueued(AssistQueue.Waiter w) {
        long deadline = System.nanoTime() + TIMEOUT_NS;
        while (w.state != AssistQueue.QUEUED) {
            assertTrue(System.nanoTime() < deadline, "the waiter never queued");
            Thread.onSpinWait();
        }
    }

    /** Random debts (1..5000) for each waiter's rounds; their sum is added to {@code toFlush}. */
    static long[][] randomDebts(Random seeds, int waiters, int rounds, AtomicLong toFlush) {
        long[][] debts = new long[waiters][rounds];
        for (long[] d : debts) {
            for (int i = 0; i < rounds; i++) {
                d[i] = 1 + seeds.nextInt(5000);
                toFlush.addAndGet(d[i]);
            }
        }
        return debts;
    }

    /** A stress waiter's check after its wait (nothing but payment ends it there), then the node back. */
    void releasePaid(AssistQueue.Waiter w) {
        if (w.state != AssistQueue.PAID || w.debt != 0) {
            throw new AssertionError("woken unpaid: state " + w.state + " debt " + w.debt);
        }
        q.release(w);
    }

    /**
     * A stress flusher: takes random pieces (1..4000) of {@code toFlush} until none is left and
     * flushes each, yielding after one piece in {@code yieldOneIn}.
     */
    static void flushInPieces(AssistQueue q, AtomicLong toFlush, Random r, int yieldOneIn, Runnable yield) {
        for (;;) {
            long left = toFlush.get();
            if (left == 0) {
                return;
            }
            long piece = Math.min(left, 1 + r.nextInt(4000));
            if (toFlush.compareAndSet(left, left - piece)) {
                q.flush(piece);
                if (r.nextInt(yieldOneIn) == 0) {
                    yield.run();
                }
            }
        }
    }

    static void join(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            t.join(TIMEOUT_NS / 1_000_000);
            assertFalse(t.isAlive(), t.getName() + " is still parked: a lost wake-up");
        }
    }

    @Test
    void aWaiterIsPaidExactlyByCreditFlushedLater() throws Exception {
        List<Thread> threads = new ArrayList<>();
        AssistQueue.Waiter w = waitIn(1000, threads);
        q.flush(400);
        assertEquals(AssistQueue.QUEUED, w.state, "400 of 1000 does not pay it");
        assertArrayEquals(new long[] {600}, q.debtsForTest(), "its debt is reduced by what was flushed");
        assertEquals(0, credit.get(), "and none of it stays as background credit");
        q.flush(700);
        join(threads);
        assertEquals(AssistQueue.PAID, w.state);
        assertEquals(0, w.debt, "paid in full");
        assertEquals(100, credit.get(), "the rest of the flush is background credit: 400 + 700 = 1000 + 100");
        assertEquals(0, q.queued());
        AssistWaitStats s = q.stats();
        assertEquals(1, s.parks());
        assertEquals(1, s.paidInQueue());
        assertEquals(1, s.partialPayments());
        assertEquals(1, s.wakeups(), "woken once, by the flush that paid it");
    }

    /**
     * An interrupted thread still parks while it waits (LockSupport.park returns at once while the
     * interrupt status is set, so a wait that kept it would spin until paid) and keeps its
     * interrupt after the wait.
     */
    @Test
    void anInterruptedWaiterParksAndKeepsItsInterrupt() throws Exception {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        AssistQueue.Waiter w = q.acquire(1000);
        AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("assist-waiter-interrupted").start(() -> {
            Thread.currentThread().interrupt();
            w.run();
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        awaitQueued(w);
        long cpu0 = mx.getThreadCpuTime(t.threadId());
        Thread.sleep(300);
        t.interrupt();          // interrupted again while parked: still waits
        Thread.sleep(200);
        long cpuNs = mx.getThreadCpuTime(t.threadId()) - cpu0;
        assertEquals(AssistQueue.QUEUED, w.state, "an interrupt does not end the wait");
        q.flush(1000);
        join(List.of(t));
        assertEquals(AssistQueue.PAID, w.state);
        assertEquals(Boolean.TRUE, interruptedAfter.get(), "the interrupt is still set after the wait");
        // 500 ms of waiting: a spinning wait burns ~500 ms of CPU, a parked one well under 1 ms
        // plus two wake-ups; x20 margin for a loaded machine's accounting.
        assertTrue(cpuNs < 50_000_000L, "the waiting thread used " + cpuNs / 1000 + " us of CPU in 500 ms: it spun");
    }

    @Test
    void creditFoundWhileQueueingPaysWithoutParking() {
        credit.set(500);
        AssistQueue.Waiter w = q.acquire(300);
        w.thread = Thread.currentThread();
        assertFalse(q.enqueue(w), "the credit covers it: no park");
        assertEquals(AssistQueue.PAID, w.state);
        assertEquals(200, credit.get());
        assertEquals(0, q.queued());
        assertEquals(1, q.stats().paidAtEnqueue());
        assertEquals(0, q.stats().parks());
        q.release(w);
        assertSame(w, q.acquire(7), "a released waiter is reused: no garbage per wait");
    }

    @Test
    void waitersArePaidInArrivalOrder() throws Exception {
        List<Thread> threads = new ArrayList<>();
        AssistQueue.Waiter a = waitIn(100, threads);
        AssistQueue.Waiter b = waitIn(100, threads);
        AssistQueue.Waiter c = waitIn(100, threads);
        q.flush(150);
        assertEquals(AssistQueue.PAID, a.state, "the head is paid first");
        assertEquals(AssistQueue.QUEUED, b.state);
        assertEquals(AssistQueue.QUEUED, c.state);
        assertArrayEquals(new long[] {100, 50}, q.debtsForTest(),
                "the second was paid in part and moved behind the third (Go's heuristic: one large debt does not clog the queue)");
        q.flush(100);
        assertEquals(AssistQueue.PAID, c.state, "the third, now first, is paid next");
        assertEquals(AssistQueue.QUEUED, b.state);
        assertArrayEquals(new long[] {50}, q.debtsForTest());
        q.flush(50);
        join(threads);
        assertEquals(AssistQueue.PAID, b.state);
        assertEquals(0, credit.get(), "300 flushed, 300 paid");
        assertEquals(3, q.stats().paidInQueue());
    }

    @Test
    void theEndOfTheWaitWakesEveryWaiterWithItsDebtLeft() throws Exception {
        List<Thread> threads = new ArrayList<>();
        AssistQueue.Waiter a = waitIn(100, threads);
        AssistQueue.Waiter b = waitIn(300, threads);
        q.flush(40);
        open = false;                  // the mark phase ends, then the queue is emptied
        q.wakeAll(true);
        join(threads);
        assertEquals(AssistQueue.ENDED, a.state);
        assertEquals(AssistQueue.ENDED, b.state);
        assertEquals(60, a.debt, "the debt left is the waiter's to drop or keep");
        assertEquals(300, b.debt);
        assertEquals(0, credit.get());
        assertEquals(2, q.stats().wokenAtMarkEnd());

        AssistQueue.Waiter late = q.acquire(10);
        late.thread = Thread.currentThread();
        assertFalse(q.enqueue(late), "a wait that starts after the end does not park");
        assertEquals(AssistQueue.ENDED, late.state);
        assertEquals(1, q.stats().refusedEnded());
    }

    @Test
    void publishedWorkWakesTheHeadWaiter() throws Exception {
        AssistQueue wq = new AssistQueue(credit, () -> open, pool, true);
        AssistQueue.Waiter a = wq.acquire(100);
        Thread t = Thread.ofPlatform().start(a);
        awaitQueued(a);
        GcWork w = new GcWork(pool);
        try {
            wq.flush(10);
            assertEquals(AssistQueue.QUEUED, a.state, "no work published: it stays");
            for (int i = 0; i < 2 * WorkbufLayout.CAPACITY; i++) {
                w.put(0x1000L + 16L * i);      // fills wbuf1, moves it aside, fills the next...
            }
            w.dispose();                       // ...and publishes them
            assertFalse(pool.fullIsEmpty());
            wq.flush(10);
            t.join(TIMEOUT_NS / 1_000_000);
            assertEquals(AssistQueue.WORK, a.state, "published work wakes it to assist with it");
            assertEquals(80, a.debt, "with the rest of its debt");
            assertEquals(1, wq.stats().wokenForWork());
        } finally {
            while (w.tryGet() != 0) {
                // drop the fake entries
            }
            w.dispose();
            open = false;
            wq.wakeAll(true);
        }
    }

    /**
     * No lost wake-up: waiter threads queue again and again while flusher threads flush exactly the
     * sum of their debts in random pieces, with no other wake-up source (the wait never ends).
     * A wake-up lost between a waiter's credit check and a flush's queue check leaves a thread
     * parked with the credit it needs in the bank; every thread must finish, every park be woken
     * exactly once, and the credit end at exactly zero.
     */
    @Test
    void noLostWakeUpUnderStress() throws Exception {
        int waiters = 4, flushers = 2;
        int rounds = Integer.getInteger("gort.stress.ops", 3000);
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        System.out.println("AssistQueueTest.noLostWakeUpUnderStress seed " + seed);
        Random seeds = new Random(seed);
        AtomicLong toFlush = new AtomicLong();
        long[][] debts = randomDebts(seeds, waiters, rounds, toFlush);
        long total = toFlush.get();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < waiters; i++) {
            long[] d = debts[i];
            threads.add(Thread.ofPlatform().name("stress-waiter-" + i).start(() -> {
                try {
                    go.await();
                    for (long debt : d) {
                        AssistQueue.Waiter w = q.acquire(debt);
                        w.run();
                        releasePaid(w);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (int i = 0; i < flushers; i++) {
            Random r = new Random(seeds.nextLong());
            threads.add(Thread.ofPlatform().name("stress-flusher-" + i).start(() -> {
                try {
                    go.await();
                    flushInPieces(q, toFlush, r, 8, Thread::yield);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        go.countDown();
        join(threads);
        assertNull(failure.get());
        assertEquals(0, credit.get(), "every byte flushed (" + total + ") was paid to a waiter");
        assertEquals(0, q.queued());
        AssistWaitStats s = q.stats();
        assertEquals((long) waiters * rounds, s.parks() + s.paidAtEnqueue(), "every wait was paid, parked or not");
        assertEquals(s.parks(), s.paidInQueue(), "every park was woken once, by the flush that paid it");
        assertEquals(0, s.wokenAtMarkEnd() + s.wokenForWork() + s.refusedEnded());
        System.out.println("  " + s);
    }

    /**
     * The race a lost wake-up needs, staged round by round: a waiter queues for {@code d} while a
     * flusher flushes exactly {@code d}, each after a random spin, and no later flush can rescue a
     * waiter the flush missed. Each round must end with the waiter paid and the credit at zero.
     * (A flush that reads the queue before adding its credit, Go's fast-path window, fails here
     * within a few thousand rounds.)
     */
    @Test
    void aFlushRacingAWaiterNeverMissesIt() throws Exception {
        int rounds = Integer.getInteger("gort.stress.ops", 3000) * 2;
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        System.out.println("AssistQueueTest.aFlushRacingAWaiterNeverMissesIt seed " + seed);
        Random r = new Random(seed);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        AtomicLong debtOfRound = new AtomicLong();
        AtomicLong spinOfRound = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread flusher = Thread.ofPlatform().name("racing-flusher").start(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    start.await();
                    spin((int) (spinOfRound.get() & 0xff));
                    q.flush(debtOfRound.get());
                    start.await();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        for (int i = 0; i < rounds && failure.get() == null; i++) {
            long d = 1 + r.nextInt(1000);
            debtOfRound.set(d);
            spinOfRound.set(r.nextLong());
            AssistQueue.Waiter w = q.acquire(d);
            Thread t = Thread.ofPlatform().start(() -> {
                spin((int) (spinOfRound.get() >>> 8 & 0xff));
                w.run();
            });
            start.await();
            start.await(10, java.util.concurrent.TimeUnit.SECONDS);      // the flush is done
            t.join(60_000);          // a hang guard: the flush is done, so the waiter is woken (a starved JVM may take seconds)
            if (t.isAlive()) {
                open = false;
                q.wakeAll(true);
                fail("round " + i + ": the waiter for " + d + " is still parked with " + credit.get()
                        + " credit in the bank (a lost wake-up)");
            }
            assertEquals(AssistQueue.PAID, w.state);
            assertEquals(0, credit.get(), "round " + i);
            q.release(w);
        }
        flusher.join(60_000);
        assertNull(failure.get());
    }

    static void spin(int n) {
        for (int i = 0; i < n * 4; i++) {
            Thread.onSpinWait();
        }
    }

    /**
     * The same with goroutines as waiters (Go.park with the queue's commit, Go.ready to wake) and
     * goroutines as flushers, at GOMAXPROCS=2 with more goroutines than Ps.
     */
    @Test
    void noLostWakeUpWithParkedGoroutines() throws Exception {
        int waiters = 6, flushers = 2;
        int rounds = Integer.getInteger("gort.stress.ops", 3000) / 2;
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        System.out.println("AssistQueueTest.noLostWakeUpWithParkedGoroutines seed " + seed);
        Random seeds = new Random(seed);
        AtomicLong toFlush = new AtomicLong();
        long[][] debts = randomDebts(seeds, waiters, rounds, toFlush);
        long[] flushSeeds = {seeds.nextLong(), seeds.nextLong()};
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2));
        sched.run(() -> {
            AtomicLong done = new AtomicLong();
            for (int i = 0; i < waiters; i++) {
                long[] d = debts[i];
                Go.go(() -> {
                    try {
                        for (long debt : d) {
                            AssistQueue.Waiter w = q.acquire(debt);
                            Go.park(AssistQueue::parkCommit, w, WaitReason.GC_ASSIST_WAIT);
                            releasePaid(w);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        done.incrementAndGet();
                    }
                });
            }
            for (int i = 0; i < flushers; i++) {
                Random r = new Random(flushSeeds[i]);
                Go.go(() -> {
                    flushInPieces(q, toFlush, r, 4, Go::gosched);
                    done.incrementAndGet();
                });
            }
            long deadline = System.nanoTime() + TIMEOUT_NS;
            while (done.get() < waiters + flushers) {
                if (System.nanoTime() > deadline) {
                    failure.compareAndSet(null, new AssertionError("goroutines still parked after 60 s: "
                            + q.queued() + " queued, credit " + credit.get() + " (a lost wake-up)"));
                    open = false;
                    q.wakeAll(true);
                    return;
                }
                Go.gosched();
                Thread.onSpinWait();
            }
        });
        assertNull(failure.get());
        assertEquals(0, credit.get(), "every byte flushed was paid to a waiter");
        AssistWaitStats s = q.stats();
        assertEquals((long) waiters * rounds, s.parks() + s.paidAtEnqueue());
        assertEquals(s.parks(), s.paidInQueue(), "every park was woken once");
        System.out.println("  " + s);
    }

    /**
     * A stop-the-world while an assist waits: the waiter counts as stopped (it waits in
     * runBlocking), so the stop completes, and neither the stop nor the restart wakes it (its
     * thread's voluntary context switches do not move); the credit flushed after pays it.
     */
    @Test
    void aStopWhileAnAssistWaitsCompletesWithoutWakingIt() throws Exception {
        dev.gort.arena.Heap heap = dev.gort.arena.Heap.create(
                dev.gort.arena.HeapConfig.defaults().withArenaReservation(1L << 30), dev.gort.sys.PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        ThreadWorld world = gc.threadWorld();
        AssistQueue.Waiter w = q.acquire(1000);
        AtomicLong tid = new AtomicLong();
        Thread t = Thread.ofPlatform().name("assist-waiter-stop").start(() -> {
            Mutator m = world.register(1);
            tid.set(dev.gort.sys.CpuAffinity.threadId());
            try {
                world.runBlocking(m, w);
            } finally {
                world.unregister();
            }
        });
        try {
            awaitQueued(w);
            long before = voluntarySwitches(tid.get());
            for (int i = 0; i < 20; i++) {
                world.stopTheWorld("test stop " + i);        // returns: the waiter counts as stopped
                world.startTheWorld();
            }
            Thread.sleep(20);
            assertEquals(AssistQueue.QUEUED, w.state, "still queued after 20 stops and restarts");
            assertEquals(before, voluntarySwitches(tid.get()), "the waiting thread was not woken by any stop or restart");
            assertEquals(0, q.stats().wakeups());
            q.flush(1000);
            t.join(TIMEOUT_NS / 1_000_000);
            assertFalse(t.isAlive());
            assertEquals(AssistQueue.PAID, w.state);
            assertEquals(1, q.stats().wakeups());
        } finally {
            open = false;
            q.wakeAll(true);
            t.join(60_000);
            gc.close();
            heap.close();
        }
    }

    /**
     * The same under the scheduler: a goroutine parked in the queue (Go.park, "GC assist wait")
     * holds no P, so the scheduler's stop-the-world completes around it, and neither the stop nor
     * the restart makes it runnable; the flush after them readies it.
     */
    @Test
    void aSchedulerStopWhileAGoroutineWaitsCompletesWithoutWakingIt() {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2));
        sched.run(() -> {
            try {
                AssistQueue.Waiter w = q.acquire(1000);
                AtomicReference<dev.gort.sched.G> waiter = new AtomicReference<>();
                java.util.concurrent.atomic.AtomicBoolean resumed = new java.util.concurrent.atomic.AtomicBoolean();
                Go.go(() -> {
                    waiter.set(Go.current());
                    Go.park(AssistQueue::parkCommit, w, WaitReason.GC_ASSIST_WAIT);
                    resumed.set(true);
                });
                long deadline = System.nanoTime() + TIMEOUT_NS;
                while (w.state != AssistQueue.QUEUED) {
                    assertTrue(System.nanoTime() < deadline, "the goroutine never queued");
                    Go.gosched();
                }
                assertEquals(WaitReason.GC_ASSIST_WAIT, waiter.get().waitReason());
                Thread stopper = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 20; i++) {
                        sched.stopTheWorld("test stop " + i);
                        sched.startTheWorld();
                    }
                });
                Go.syscall(() -> {
                    try {
                        stopper.join(TIMEOUT_NS / 1_000_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertFalse(stopper.isAlive(), "20 stops completed with the goroutine parked in the queue");
                for (int i = 0; i < 100; i++) {
                    Go.gosched();
                }
                assertFalse(resumed.get(), "no stop or restart readied it");
                assertEquals(AssistQueue.QUEUED, w.state);
                assertEquals(0, q.stats().wakeups());
                q.flush(1000);
                while (!resumed.get()) {
                    assertTrue(System.nanoTime() < deadline, "the flush did not ready it");
                    Go.gosched();
                }
                assertEquals(AssistQueue.PAID, w.state);
                assertEquals(1, q.stats().paidInQueue());
            } catch (Throwable t) {
                failure.set(t);
                open = false;
                q.wakeAll(true);
            }
        });
        assertNull(failure.get());
    }

    static long voluntarySwitches(long tid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/task/" + tid + "/status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new AssertionError("no voluntary_ctxt_switches for thread " + tid);
    }
}
