package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pacer's trigger between mark termination's restart and {@code commitPacer} (session 10,
 * branch hidden). The new goal and trigger are committed with the world running; until then the
 * trigger used to be disarmed, so a coordinator that got no CPU there (the tail stall hook holds
 * it) let a mutator allocate without limit past the goal: nothing requested a cycle, so nothing
 * made an allocation wait. Now a provisional trigger at the new goal is armed in the pause: an
 * allocation past it requests the next cycle and waits for its start.
 */
class ProvisionalTriggerTest extends ThreadWorldFixture {
    /** What the mutator may allocate during the stall before the test calls it unchecked. */
    static final long OVERRUN_BYTES = 64L << 20;

    @Test
    void aMutatorCannotAllocatePastTheGoalWhileTheCoordinatorIsHeldBeforeItsPacerCommit() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(100), 2);
        world = gc.threadWorld();
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean stalling = new AtomicBoolean();
        gc.setTailStallHookForTest(() -> {
            if (stalled.getCount() > 0) {
                stalling.set(true);
                stalled.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                stalling.set(false);
            }
        });
        AtomicLong allocatedDuringStall = new AtomicLong();
        AtomicLong maxLiveDuringStall = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread mutator = new Thread(() -> {
            world.register(1);
            try {
                while (!stop.get()) {
                    gc.alloc(CollectorTest.NODE);                   // garbage: the live heap stays ~0
                    if (stalling.get()) {
                        maxLiveDuringStall.accumulateAndGet(heap.gc().heapLive(), Math::max);
                        if (allocatedDuringStall.addAndGet(CollectorTest.NODE_SLOT) >= OVERRUN_BYTES) {
                            break;                                  // ran on unchecked: the bug
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                world.unregister();
            }
        }, "allocating-mutator");
        mutator.start();
        long goal;
        long provisional;
        boolean waited = false;
        try {
            assertTrue(stalled.await(60, TimeUnit.SECONDS), "a cycle ended (the mutator reached the first trigger)");
            goal = gc.pacer().heapGoal();               // the finished cycle's: the commit has not run
            provisional = gc.provisionalGoal();
            // Wait until the mutator stops making progress (it waits for the next cycle's start) or
            // has allocated OVERRUN_BYTES during the stall.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long last = -1;
            long still = 0;
            while (mutator.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
                long now = allocatedDuringStall.get();
                still = now == last ? still + 1 : 0;
                last = now;
                if (still >= 10) {          // 500 ms without one allocation
                    waited = true;
                    break;
                }
            }
        } finally {
            release.countDown();
            stop.set(true);
            mutator.join(60_000);
            gc.setTailStallHookForTest(null);
        }
        assertFalse(mutator.isAlive(), "the mutator finished once the coordinator went on");
        if (failure.get() != null) {
            throw new AssertionError("the mutator failed: " + failure.get(), failure.get());
        }
        assertTrue(allocatedDuringStall.get() < OVERRUN_BYTES, "the mutator allocated " + (allocatedDuringStall.get() >> 20)
                + " MiB while the coordinator was held before its pacer commit (heap goal " + (goal >> 20)
                + " MiB): nothing requested a cycle (trigger disarmed)");
        assertTrue(waited, "the mutator did not come to wait for the next cycle's start");
        assertNotEquals(Long.MAX_VALUE, provisional, "a provisional goal was armed in the pause");
        // Held to the provisional goal (the new cycle's), not the finished cycle's goal.
        long bound = provisional + (1L << 20);      // + allocation between span refills
        assertTrue(maxLiveDuringStall.get() <= bound, "heapLive reached " + maxLiveDuringStall.get() + " during the stall, over the provisional goal "
                + provisional + " + 1 MiB (the finished cycle's goal was " + goal + ")");
        gc.awaitIdle(30_000);                       // the cycles the mutator requested are over, each committed
        assertEquals(Long.MAX_VALUE, gc.provisionalGoal(), "the commit replaced the provisional goal");
    }
}
