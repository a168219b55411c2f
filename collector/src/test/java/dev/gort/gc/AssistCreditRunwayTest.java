package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An assist near the end of marking buys no more allocation than the heap left to the goal
 * (session 34, limit34). With a steady live heap a cycle's scan work comes to exactly the
 * estimate (the last cycle's), so the work left is revise's floor; with Go's floor (1000 units)
 * the ratio was (goal - heapLive) / 1000 bytes per unit, and an assist's 64 KiB over-assist of
 * stolen background credit bought 65 times the runway: StarvedBackgroundThreadsTest's memory-limit
 * case saw 12-33 MiB of credit and the heap at 16-31 MiB against a 13 MiB goal while mark
 * termination was late (5 of 80 repeats). Here the coordinator is held before mark termination
 * (all marking done, the work equal to the estimate) and the mutator allocates: it must come to
 * wait in the assist queue with heapLive within the revised goal's 10 % overshoot.
 */
class AssistCreditRunwayTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");
    static final long LIVE = 8L << 20;
    static final long LIMIT = 14L << 20;

    @Test
    void anAssistAfterTheLastGreyObjectBuysNoMoreThanTheRunwayLeft() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the coordinator before mark termination while a mutator assists");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withMemoryLimit(LIMIT), 2);
        world = gc.threadWorld();
        CountDownLatch built = new CountDownLatch(1);
        CountDownLatch armed = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);         // the mutator saw the cycle start and waits
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Mutator[] mutator = new Mutator[1];
        long allocCap = 4 * LIVE;      // far past any goal: lead34's credit ran the heap to 45+ MiB here
        long[] allocatedAfterHold = new long[1];
        java.util.concurrent.atomic.AtomicBoolean stopAllocating = new java.util.concurrent.atomic.AtomicBoolean();
        Thread t = new Thread(() -> {
            Mutator m = world.register(1);
            mutator[0] = m;
            try {
                long head = 0;
                for (long i = 0; i < LIVE / 32; i++) {
                    long p = gc.alloc(NODE);
                    Mem.storePtr(p, NEXT, head);
                    head = p;
                    m.roots().set(0, head);
                }
                gc.gc();            // the estimate for the next cycle: this list's scan work
                built.countDown();
                world.runBlocking(m, () -> awaitLatch(armed));       // counted as stopped while the test sets the breakpoint
                m = world.current();
                // Garbage until the heap trigger starts a cycle; then wait (counted as stopped) while
                // the cycle marks everything and is held before mark termination, so that the
                // heap left to the goal at the hold is the trigger's runway.
                while (gc.phase != Collector.MARK) {
                    gc.alloc(NODE);
                }
                held.countDown();
                world.runBlocking(m, () -> awaitLatch(go));
                m = world.current();
                m.assistBytes = 0;          // no credit carried from before the hold: what follows is bought at the hold
                long n = 0;
                while (n * 32 < allocCap && !stopAllocating.get()) {
                    gc.alloc(NODE);
                    n++;
                    allocatedAfterHold[0] = n * 32;
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                world.unregister();
            }
        }, "credit-mutator");
        t.start();
        try {
            assertTrue(built.await(60, TimeUnit.SECONDS), "the live list was not built within 60 s");
            gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);        // the next cycle, the heap trigger's, is held there
            armed.countDown();
            assertTrue(held.await(60, TimeUnit.SECONDS), "the heap trigger started no cycle within 60 s");
            long holdDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (gc.stoppedAt() != Collector.Breakpoint.BEFORE_MARK_TERMINATION) {
                assertTrue(System.nanoTime() < holdDeadline, "the cycle did not reach BEFORE_MARK_TERMINATION within 60 s");
                Thread.sleep(2);
            }
            assertNull(failure.get());
            Pacer pacer = gc.pacer();
            long work = pacer.heapScanWork.get() + pacer.stackScanWork.get() + pacer.globalsScanWork.get();
            long goal = pacer.heapGoal();
            long liveAtHold = heap.gc().heapLive();
            pacer.bgScanCredit.set(LIVE / 8);     // what the workers banked, fixed: 1 MiB of scan work to steal
            long parks0 = gc.assistWaitStats().parks();
            gc.setAssistWaitsWhilePausedForTest(true);     // from here a waiting assist stays parked while the coordinator is held
            go.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean parked = false;
            while (System.nanoTime() < deadline && t.isAlive()) {
                if (mutator[0].state == Mutator.BLOCKED && gc.assistWaitStats().parks() > parks0) {
                    parked = true;
                    break;
                }
                Thread.sleep(2);
            }
            long live = heap.gc().heapLive();
            String figures = String.format("heapLive %.2f MiB at the hold, %.2f MiB now, goal %.2f MiB (x1.1 = %.2f), work %d KiB "
                            + "(the list %d KiB), allocated %.2f MiB after the hold, mutator %s, its credit %d KiB",
                    liveAtHold / 1048576.0, live / 1048576.0, goal / 1048576.0, goal * 1.1 / 1048576.0, work >> 10, LIVE >> 10,
                    allocatedAfterHold[0] / 1048576.0, parked ? "parked in the assist queue" : "not parked", mutator[0].assistBytes >> 10);
            System.out.println("AssistCreditRunwayTest " + figures);
            assertTrue(parked, "the mutator never waited for assist credit: " + figures);
            // A span refill counts a whole span in heapLive: 64 KiB of slack covers one.
            assertTrue(live <= (long) (goal * 1.1) + (64 << 10), "the heap ran past the goal's 10 % overshoot on assist credit: " + figures);
        } finally {
            stopAllocating.set(true);
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            armed.countDown();
            go.countDown();
            t.join(60_000);
            assertFalse(t.isAlive(), "the mutator did not finish within 60 s of the release");
        }
        assertNull(failure.get(), () -> "mutator: " + failure.get());
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test's signal did not come within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
