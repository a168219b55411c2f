package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 5's heap bounds when one of the collector's own threads gets no CPU (session 9: the
 * background sweeper and the platform mark workers, at SCHED_IDLE beside busy mutators, or at
 * normal priority on a loaded machine). A test hook freezes the thread at a point where it holds
 * something the cycle needs (the sweeper a claimed batch of spans, a mark worker grey objects in
 * its own gcWork) while a mutator thread allocates garbage over a steady live list L at GOGC=100
 * (or under GOMEMLIMIT): the peak heap stays within the bound or the mutator waits (for
 * the cycle's start; for assist credit), the collector's memory outside the arena (workbufs)
 * stays small, and once the thread is released the cycles go on and the live list, checkmark and
 * verifyHeap check out. The waits are bounded only so a hang fails with a message; no timing is
 * asserted.
 */
class StarvedBackgroundThreadsTest {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");
    static final long ID = NODE.offset("id");
    static final long LIVE = 8L << 20;
    static final int NODES = (int) (LIVE / 32);
    static final long WAIT_NS = TimeUnit.SECONDS.toNanos(60);

    Heap heap;
    Collector gc;
    /** The scenario's mutator and freeze, stopped by {@link #stop} before the heap is unmapped. */
    Churner churner;
    Freezer freezer;

    void start(GcOptions opts) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(2L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, opts.withDebug(Boolean.getBoolean("gort.test.gctrace"), true, false, 0, 0), 2);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (gc != null) {
            heap.gc().setStallHookForTest(null);
            gc.setWorkerStallHookForTest(null);
            // A scenario that failed before stopping its churner: a thread still allocating when the
            // heap is unmapped dies of SIGSEGV and takes the whole test JVM (and every later
            // class's report) with it. Release the freeze, stop the churner, then close.
            if (freezer != null) {
                freezer.release.countDown();
            }
            if (churner != null) {
                churner.stopChurn = true;
                churner.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
                assertFalse(churner.isAlive(), "the churner did not stop within 60 s; the heap is left mapped");
            }
            gc.close();
            heap.close();
        }
    }

    /** One registered mutator thread: builds L, then allocates garbage until told to stop, then checks L. */
    final class Churner extends Thread {
        final CountDownLatch built = new CountDownLatch(1);
        volatile boolean stopChurn;
        volatile long allocated;
        volatile long peak;
        volatile long maxMarked;
        volatile Mutator m;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        String finalCheck;

        Churner() {
            super("churner");
        }

        @Override
        public void run() {
            ThreadWorld world = gc.threadWorld();
            m = world.register(4);
            try {
                long head = 0;
                for (int i = 0; i < NODES; i++) {
                    long p = gc.alloc(NODE);
                    Mem.putLong(p, ID, i);
                    Mem.storePtr(p, NEXT, head);
                    head = p;
                    m.roots().set(0, head);
                }
                gc.gc();
                maxMarked = gc.gcStats().lastCycle().heap2();
                built.countDown();
                long n = 0;
                while (!stopChurn) {
                    gc.alloc(NODE);
                    if ((++n & 4095) == 0) {
                        allocated = n * 32;
                        peak = Math.max(peak, heap.readMemStats().heapAlloc());
                        GcCycle c = gc.gcStats().lastCycle();
                        maxMarked = Math.max(maxMarked, c.heap2());
                    }
                }
                gc.gc();
                gc.gc();
                long p = m.roots().get(0);
                int i = NODES - 1;
                for (; p != 0 && i >= 0; i--, p = Mem.getLong(p, NEXT)) {
                    if (Mem.getLong(p, ID) != i) {
                        break;
                    }
                }
                finalCheck = p == 0 && i == -1 ? "intact" : "broken at id " + i;
                finalCheck += ", marked " + gc.gcStats().lastCycle().heap2();
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                built.countDown();
                world.unregister();
            }
        }
    }

    /** Blocks the first thread that calls {@link #stall} until it is released. */
    static final class Freezer {
        final CountDownLatch caught = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        void stall() {
            if (caught.getCount() > 0 && release.getCount() > 0) {
                synchronized (this) {
                    if (caught.getCount() == 0) {
                        return;
                    }
                    caught.countDown();
                }
                StarvedSweeperTest.awaitUninterruptibly(release);
            }
        }

        void awaitCaught(String what) throws InterruptedException {
            assertTrue(caught.await(60, TimeUnit.SECONDS), what + " was never caught at its stall point within 60 s");
        }
    }

    /**
     * Runs the scenario: start the churner, once L is built freeze via {@code install}, wait until the mutator waits
     * (blocked with {@code waiting} true) or allocated 4 L of garbage since the freeze, check the
     * bound, release, let it churn 4 L more, stop it and check everything.
     */
    void scenario(String what, java.util.function.Supplier<Freezer> install, java.util.function.BooleanSupplier waiting, java.util.function.LongUnaryOperator boundOfMarked, String boundName)
            throws InterruptedException {
        Churner c = new Churner();
        churner = c;
        c.start();
        assertTrue(c.built.await(60, TimeUnit.SECONDS), "the live list was not built within 60 s");
        assertNull(c.failure.get());
        Freezer f = install.get();          // after the build: the freeze is in the churn
        freezer = f;
        f.awaitCaught(what);
        long from = c.allocated;
        long deadline = System.nanoTime() + WAIT_NS;
        boolean waited = false;
        while (System.nanoTime() < deadline && c.allocated - from < 4 * LIVE && c.isAlive()) {
            Mutator m = c.m;
            if (m.state == Mutator.BLOCKED && waiting.getAsBoolean()) {
                waited = true;
                break;
            }
            Thread.sleep(5);
        }
        assertTrue(waited || c.allocated - from >= 4 * LIVE, what + ": the mutator neither waited nor allocated 4 L within 60 s");
        long peak = Math.max(c.peak, heap.readMemStats().heapAlloc());
        long workbufBytes = gc.workbufsAllocated() * WorkbufLayout.SIZE;
        long bound = boundOfMarked.applyAsLong(c.maxMarked);
        String figures = String.format("%s: peak heap %.1f MiB, marked live %.1f MiB, %s %.1f MiB, mutator %s, workbufs %d KiB",
                what, peak / 1048576.0, c.maxMarked / 1048576.0, boundName, bound / 1048576.0,
                waited ? "waiting" : "allocating", workbufBytes >> 10);
        System.out.println("StarvedBackgroundThreadsTest " + figures);
        assertTrue(peak <= bound, figures);
        // The grey set is at most one pointer per live object (L / 32 nodes * 8 B = L / 4).
        assertTrue(workbufBytes <= LIVE / 4 + (64 << 10), figures + ": workbufs grew past the live heap's grey set");
        long cycles = gc.cycles();
        f.release.countDown();
        long mark = c.allocated;
        deadline = System.nanoTime() + WAIT_NS;
        while (c.allocated - mark < 4 * LIVE && c.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        c.stopChurn = true;
        c.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
        assertFalse(c.isAlive(), what + ": the mutator did not finish after the release");
        assertNull(c.failure.get(), () -> what + ": " + c.failure.get());
        assertTrue(gc.cycles() > cycles, what + ": no cycle completed after the release");
        assertEquals("intact, marked " + LIVE, c.finalCheck, what + ": the live list after the release");
        assertEquals(gc.cycles(), gc.checkmarkCycles(), "every cycle was verified by checkmark");
        heap.verifyHeap();
    }

    Freezer freezeSweeperHoldingAClaim() {
        Freezer f = new Freezer();
        heap.gc().setStallHookForTest((point, spc) -> {
            if (point == GcSupport.STALL_AFTER_CLAIM && Thread.currentThread().getName().equals("gort-bgsweep")) {
                f.stall();
            }
        });
        return f;
    }

    Freezer freezeWorkerHoldingGreyWork() {
        Freezer f = new Freezer();
        gc.setWorkerStallHookForTest(id -> f.stall());
        return f;
    }

    @Test
    void sweeperFrozenHoldingClaimedSpansGogc100() throws InterruptedException {
        ForcedMode.assumeBackgroundSweep("freezes the background sweeper holding a claim");
        start(GcOptions.DEFAULT);
        // The next cycle cannot start until the claimed spans are swept (its sweep termination
        // needs the previous sweep finished): the mutator waits for it once past the goal.
        scenario("sweeper frozen holding a claim, GOGC=100", this::freezeSweeperHoldingAClaim, gc::cycleStartPending, marked -> (long) (2.2 * marked), "2.2 x marked");
    }

    @Test
    void workerFrozenHoldingGreyWorkGogc100() throws InterruptedException {
        ForcedMode.assumeConcurrentMark("freezes a mark worker holding grey work");
        start(GcOptions.DEFAULT);
        // Mark termination waits for the frozen worker's work; the mutator's assists do the rest
        // and then wait for credit in the assist queue.
        scenario("mark worker frozen holding grey work, GOGC=100", this::freezeWorkerHoldingGreyWork, gc::marking, marked -> (long) (2.2 * marked), "2.2 x marked");
    }

    @Test
    void sweeperFrozenHoldingClaimedSpansUnderAMemoryLimit() throws InterruptedException {
        ForcedMode.assumeBackgroundSweep("freezes the background sweeper holding a claim");
        long limit = 14L << 20;         // GOGC=100 alone would aim at 2 L = 16 MiB
        start(GcOptions.DEFAULT.withMemoryLimit(limit));
        // limit + 10 %, as the worker case. Sessions 32-33 saw this fail in 3 of about 20 suite runs
        // (peak 16.0-19.0 MiB), and session 33 widened it to max(limit + 10 %, 2.2 x marked). The
        // cause was in the assists, not the sweep: the first cycle after the build, before the
        // freeze is caught, marks exactly its estimate, and an assist near its end bought 12-33 MiB
        // of credit, 65 times the runway left (Pacer.MIN_REMAINING_SCAN_WORK; session 34, limit34).
        scenario("sweeper frozen holding a claim, GOMEMLIMIT=14MiB", this::freezeSweeperHoldingAClaim, gc::cycleStartPending, marked -> limit * 110 / 100, "limit + 10%");
    }

    @Test
    void workerFrozenHoldingGreyWorkUnderAMemoryLimit() throws InterruptedException {
        ForcedMode.assumeConcurrentMark("freezes a mark worker holding grey work");
        long limit = 14L << 20;
        start(GcOptions.DEFAULT.withMemoryLimit(limit));
        scenario("mark worker frozen holding grey work, GOMEMLIMIT=14MiB", this::freezeWorkerHoldingGreyWork, gc::marking, marked -> limit * 110 / 100, "limit + 10%");
    }
}
