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
 * The memory limit's goal counts goroutine stacks, and follows stacks taken during a mark (limit35).
 * Go's memoryLimitHeapGoal takes the limit less the memory outside the heap (mappedReady, stacks
 * included, less the free and allocated heap) and reads it at every revise. Before limit35 gort's
 * pacer took its mapped memory from HeapSys, which holds no stack span, and read it once a cycle:
 * a heap under a limit grew into the memory the stacks held.
 */
class MemoryLimitStacksTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");
    static final long STACK_SEGMENT = 64L << 10;
    static final long STACKS = 3L << 20;          // 48 segments of 64 KiB
    /** What the goal may differ from "lower by the stacks" for other reasons (one span's fragmentation). */
    static final long SLACK = 64L << 10;

    @Test
    void stacksTakenBetweenCyclesLowerTheNextCyclesLimitGoal() {
        long limit = 16L << 20;
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withMemoryLimit(limit), 2);
        world = gc.threadWorld();
        world.register(1);
        gc.gc();
        long before = gc.pacer().memoryLimitHeapGoal();
        long[] segments = takeStacks();
        try {
            gc.gc();            // mark termination's commit refreshes the memory figures
            long after = gc.pacer().memoryLimitHeapGoal();
            String figures = String.format("limit %d KiB, limit's goal %d KiB before, %d KiB after taking %d KiB of stacks (StackInuse %d KiB)",
                    limit >> 10, before >> 10, after >> 10, STACKS >> 10, heap.readMemStats().stackInuse() >> 10);
            System.out.println("MemoryLimitStacksTest between cycles: " + figures);
            assertTrue(after <= before - STACKS + SLACK, "the memory limit's goal did not count the goroutine stacks: " + figures);
        } finally {
            freeStacks(segments);
        }
    }

    @Test
    void stacksTakenDuringAMarkLowerTheGoalTheAssistsPaceTo() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the coordinator before mark termination while a mutator allocates");
        long live = 8L << 20;
        long limit = 14L << 20;
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withMemoryLimit(limit), 2);
        world = gc.threadWorld();
        CountDownLatch built = new CountDownLatch(1);
        CountDownLatch armed = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            Mutator m = world.register(1);
            try {
                long head = 0;
                for (long i = 0; i < live / 32; i++) {
                    long p = gc.alloc(NODE);
                    Mem.storePtr(p, NEXT, head);
                    head = p;
                    m.roots().set(0, head);
                }
                gc.gc();
                built.countDown();
                world.runBlocking(m, () -> awaitLatch(armed));
                m = world.current();
                while (gc.phase != Collector.MARK) {
                    gc.alloc(NODE);           // garbage until the heap trigger starts a cycle
                }
                held.countDown();
                world.runBlocking(m, () -> awaitLatch(go));
                // Two spans' worth of objects: at least one span refill, where the pacer revises.
                for (int i = 0; i < (128 << 10) / 32; i++) {
                    gc.alloc(NODE);
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                world.unregister();
            }
        }, "limit-stacks-mutator");
        t.start();
        long[] segments = null;
        try {
            assertTrue(built.await(60, TimeUnit.SECONDS), "the live list was not built within 60 s");
            gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
            armed.countDown();
            assertTrue(held.await(60, TimeUnit.SECONDS), "the heap trigger started no cycle within 60 s");
            long holdDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (gc.stoppedAt() != Collector.Breakpoint.BEFORE_MARK_TERMINATION) {
                assertTrue(System.nanoTime() < holdDeadline, "the cycle did not reach BEFORE_MARK_TERMINATION within 60 s");
                Thread.sleep(2);
            }
            assertNull(failure.get());
            Pacer pacer = gc.pacer();
            long goalAtHold = pacer.heapGoal();
            segments = takeStacks();
            go.countDown();
            t.join(60_000);
            assertFalse(t.isAlive(), "the mutator's allocations did not return within 60 s");
            assertNull(failure.get(), () -> "mutator: " + failure.get());
            long goalAfter = pacer.heapGoal();
            long assistGoal = pacer.assistGoal();
            String figures = String.format("limit %d KiB, marked %d KiB, goal %d KiB at the hold, %d KiB after %d KiB of stacks and a span refill "
                            + "(the assists' goal %d KiB), heapLive %d KiB",
                    limit >> 10, pacer.heapMarked() >> 10, goalAtHold >> 10, goalAfter >> 10, STACKS >> 10, assistGoal >> 10,
                    pacer.heapLive() >> 10);
            System.out.println("MemoryLimitStacksTest during a mark: " + figures);
            assertTrue(goalAfter <= goalAtHold - STACKS + SLACK,
                    "the goal the assists pace to did not follow the stacks taken during the mark: " + figures);
            assertTrue(goalAfter >= pacer.heapMarked(), "the limit's goal fell below the marked heap: " + figures);
        } finally {
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            armed.countDown();
            go.countDown();
            t.join(60_000);
            if (segments != null) {
                freeStacks(segments);
            }
        }
    }

    private long[] takeStacks() {
        long[] segments = new long[(int) (STACKS / STACK_SEGMENT)];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = heap.stacks().alloc(STACK_SEGMENT);
        }
        return segments;
    }

    private void freeStacks(long[] segments) {
        for (long s : segments) {
            heap.stacks().free(s, STACK_SEGMENT);
        }
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
