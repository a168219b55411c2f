package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.Frame;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A mutator's allocation that owes scan work with none to do parks in the collector's assist queue
 * (Go's gcParkAssist) and is resumed by a credit flush or by the end of the mark phase, over plain
 * threads and under the scheduler. The coordinator is held at BEFORE_MARK_TERMINATION (workers
 * idle, no work left) with waits allowed there, so the test alone pays the waiter.
 */
class AssistWaitTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");
    static final long TIMEOUT_MS = 30_000;

    Mutator main;

    void start(GcOptions opts) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClobberFree(opts.gcpoison()), PosixOsMemory.get());
        gc = Collector.forThreads(heap, opts, 2);
        world = gc.threadWorld();
        main = world.register(4);
        long head = 0;
        for (int i = 0; i < 20_000; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NEXT, head);
            head = p;
            main.roots().set(0, head);
        }
    }

    /** Starts a thread whose one allocation waits in the queue; returns once it is queued. */
    Thread allocatingThread(AtomicLong assistBytesAfter, AtomicReference<Throwable> failure) {
        Thread t = Thread.ofPlatform().name("assist-allocator").start(() -> {
            Mutator m = world.register(1);
            try {
                m.roots().set(0, gc.alloc(NODE));
                assistBytesAfter.set(m.assistBytes);
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                world.unregister();
            }
        });
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
        while (gc.assistQueueForTest().queued() == 0) {
            assertTrue(t.isAlive() && System.nanoTime() < deadline, "the allocation never waited: " + gc.assistWaitStats());
            Thread.onSpinWait();
        }
        return t;
    }

    static void join(Thread t) {
        try {
            t.join(TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void holdBeforeMarkTermination() {
        gc.setAssistWaitsWhilePausedForTest(true);
        gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
        gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, TIMEOUT_MS);
        gc.pacer().bgScanCredit.set(0);          // what the workers banked: the waiter must not find it
    }

    @Test
    void aWaitingAllocationIsPaidByCreditFlushedLaterAndKeepsNoDebt() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the cycle at BEFORE_MARK_TERMINATION with an assist waiting");
        start(GcOptions.DEFAULT);
        holdBeforeMarkTermination();
        AtomicLong after = new AtomicLong(Long.MIN_VALUE);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = allocatingThread(after, failure);
        long[] debts = gc.assistQueueForTest().debtsForTest();
        assertEquals(1, debts.length);
        long debt = debts[0];
        assertTrue(debt >= 1, "it owes scan work: " + debt);
        if (debt > 1) {
            gc.assistQueueForTest().flush(debt - 1);
            assertTrue(t.isAlive(), "one byte short of its debt: still waiting");
            assertEquals(0, gc.pacer().bgScanCredit.get(), "the flush went to the waiter, not the bank");
        }
        gc.assistQueueForTest().flush(debt > 1 ? 6 : debt + 5);
        t.join(TIMEOUT_MS);
        assertFalse(t.isAlive(), "paid: the allocation finishes");
        assertNull(failure.get());
        assertEquals(5, gc.pacer().bgScanCredit.get(), "credit conserved: what the waiter did not need is banked");
        assertEquals(0, after.get(), "paid in full: the mutator owes nothing and has no credit");
        AssistWaitStats s = gc.assistWaitStats();
        assertEquals(1, s.parks());
        assertEquals(1, s.paidInQueue());
        assertEquals(0, s.wokenAtMarkEnd());
        gc.setBreakpoint(Collector.Breakpoint.NONE);
        gc.resume();
        gc.awaitIdle(TIMEOUT_MS);
    }

    @Test
    void theEndOfTheMarkPhaseWakesAWaiterAndDropsItsDebt() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the cycle at BEFORE_MARK_TERMINATION with an assist waiting");
        start(GcOptions.DEFAULT);
        holdBeforeMarkTermination();
        long cycles = gc.gcStats().numGC();
        AtomicLong after = new AtomicLong(Long.MIN_VALUE);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = allocatingThread(after, failure);
        gc.setBreakpoint(Collector.Breakpoint.NONE);
        gc.setAssistWaitsWhilePausedForTest(false);
        gc.resume();                                   // mark termination stops the world with the assist queued
        world.runBlocking(main, () -> join(t));         // this registered thread must not hold up the stop
        assertFalse(t.isAlive(), "woken at the end of the mark phase");
        assertNull(failure.get());
        gc.awaitIdle(TIMEOUT_MS);
        assertEquals(cycles + 1, gc.gcStats().numGC(), "the cycle finished while the assist waited");
        assertEquals(0, after.get(), "the debt left is dropped with the cycle");
        AssistWaitStats s = gc.assistWaitStats();
        assertEquals(1, s.parks());
        assertEquals(0, s.paidInQueue());
        assertEquals(1, s.wokenAtMarkEnd(), "woken once, after mark termination's restart");
        assertEquals(0, gc.assistQueueForTest().queued());
    }

    @Test
    void closingTheCollectorWakesAWaiter() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the cycle at BEFORE_MARK_TERMINATION with an assist waiting");
        start(GcOptions.DEFAULT);
        holdBeforeMarkTermination();
        AtomicLong after = new AtomicLong(Long.MIN_VALUE);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = allocatingThread(after, failure);
        Thread closer = Thread.ofPlatform().start(() -> gc.close());
        world.runBlocking(main, () -> join(t));
        assertFalse(t.isAlive(), "close wakes the queued assist");
        closer.join(TIMEOUT_MS);
        assertEquals(1, gc.assistWaitStats().wokenAtMarkEnd());
    }

    /**
     * Two mutator threads outrun the workers at GOGC=10 with gccheckmark and gcpoison on: assists
     * park and are woken many times; every park is woken exactly once, the queue is empty at the
     * end, and the heap is correct (checkmark fails the cycle otherwise).
     */
    @Test
    void mutatorsOutrunningTheWorkersParkAndAreWokenOnce() throws Exception {
        start(GcOptions.DEFAULT.withGcPercent(10).withDebug(false, true, true, 0, 0));
        world.unregister();
        long millis = Long.getLong("gort.test.assistwait.millis", 1500);
        long deadline = System.nanoTime() + millis * 1_000_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            int id = k;
            threads.add(Thread.ofPlatform().name("outrunning-mutator-" + k).start(() -> {
                Mutator m = world.register(2);
                try {
                    long head = 0;
                    for (int i = 0; i < 100_000; i++) {         // ~4 MiB live each: scan work for every cycle
                        long p = gc.alloc(NODE);
                        Mem.putLong(p, NODE.offset("id"), i);
                        Mem.storePtr(p, NEXT, head);
                        head = p;
                        m.roots().set(0, head);
                    }
                    while (System.nanoTime() < deadline) {
                        for (int i = 0; i < 4096; i++) {
                            m.roots().set(1, gc.alloc(NODE));    // garbage
                        }
                    }
                    int n = 0;
                    for (long p = head; p != 0; p = Mem.loadPtr(p, NEXT)) {
                        assertEquals(100_000 - 1 - n, Mem.getLong(p, NODE.offset("id")), "thread " + id + " list intact");
                        n++;
                    }
                    assertEquals(100_000, n);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    world.unregister();
                }
            }));
        }
        for (Thread t : threads) {
            t.join(120_000);
            assertFalse(t.isAlive());
        }
        gc.awaitIdle(TIMEOUT_MS);
        assertNull(failure.get());
        AssistWaitStats s = gc.assistWaitStats();
        System.out.println("AssistWaitTest threads: " + s + " cycles " + gc.gcStats().numGC());
        assertEquals(0, gc.assistQueueForTest().queued(), "no assist left queued");
        assertEquals(s.parks(), s.wakeups(), "every park woken exactly once");
    }

    /** The same under the scheduler: three goroutines at GOMAXPROCS=2 park (Go.park) and are readied. */
    @Test
    void goroutinesOutrunningTheWorkersParkAndAreReadiedOnce() {
        GcOptions opts = GcOptions.DEFAULT.withGcPercent(10).withDebug(false, true, true, 0, 0);
        long millis = Long.getLong("gort.test.assistwait.millis", 1500);
        AtomicReference<AssistWaitStats> stats = new AtomicReference<>();
        SchedCollectorTest.withRuntime(2, opts, gc -> {
            long deadline = System.nanoTime() + millis * 1_000_000;
            AtomicLong done = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int gs = 3;
            for (int k = 0; k < gs; k++) {
                dev.gort.sched.Go.go(() -> {
                    try (Frame f = Frame.push(2)) {
                        for (int i = 0; i < 60_000; i++) {
                            long p = gc.alloc(NODE);
                            Mem.putLong(p, NODE.offset("id"), i);
                            Mem.storePtr(p, NEXT, f.get(0));
                            f.set(0, p);
                        }
                        while (System.nanoTime() < deadline) {
                            for (int i = 0; i < 4096; i++) {
                                f.set(1, gc.alloc(NODE));
                            }
                        }
                        int n = 0;
                        for (long p = f.get(0); p != 0; p = Mem.loadPtr(p, NEXT)) {
                            assertEquals(60_000 - 1 - n, Mem.getLong(p, NODE.offset("id")));
                            n++;
                        }
                        assertEquals(60_000, n);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        done.incrementAndGet();
                    }
                });
            }
            long limit = System.nanoTime() + 120_000_000_000L;
            while (done.get() < gs && System.nanoTime() < limit) {
                dev.gort.sched.Go.syscall(() -> {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertEquals(gs, done.get(), "every goroutine finished: none left parked in the assist queue");
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            gc.gc();
            stats.set(gc.assistWaitStats());
            assertEquals(0, gc.assistQueueForTest().queued());
        });
        AssistWaitStats s = stats.get();
        System.out.println("AssistWaitTest goroutines: " + s);
        assertEquals(s.parks(), s.wakeups(), "every park readied exactly once");
    }
}
