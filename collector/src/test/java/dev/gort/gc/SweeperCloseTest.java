package dev.gort.gc;

import dev.gort.arena.GcSupport;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code Collector.close()} under a running scheduler waits for the sweeper goroutine's batch in
 * progress (session 10, review10: it returned at once, and an embedder that unmapped the heap
 * next could have the batch sweep unmapped memory). The sweeper is held inside a batch (a span
 * claimed, not swept) by the stall hook; a plain thread closes the collector.
 */
class SweeperCloseTest {

    @Test
    void closeWaitsForTheSweeperGoroutinesBatchInProgress() {
        ForcedMode.assumeBackgroundSweep("holds the background sweeper goroutine inside a batch");
        ForcedMode.assumeConcurrentMark("leaves a cycle's sweep to the background sweeper, held at BEFORE_MARK_TERMINATION first");
        SchedCollectorTest.withRuntime(2, SweeperGoroutineTest.GOGC_OFF, gc -> {
            SweeperGoroutineTest.liveAndGarbage(gc, 1_000, 200_000);
            CountDownLatch caught = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            gc.heap().gc().setStallHookForTest((point, spc) -> {
                if (point == GcSupport.STALL_AFTER_CLAIM && caught.getCount() > 0 && SweeperGoroutineTest.onSweeper(gc)) {
                    caught.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            try {
                SweeperGoroutineTest.oneBackgroundCycle(gc);
                SweeperGoroutineTest.sleepUntil(() -> caught.getCount() == 0, "the sweeper goroutine is held inside a batch");
                SweeperGoroutine sw = gc.sweeperGoroutine();
                assertTrue(sw.inBatch());
                AtomicLong closedAt = new AtomicLong();
                Thread closer = Thread.ofPlatform().name("test-closer").start(() -> {
                    gc.close();
                    closedAt.set(System.nanoTime());
                });
                dev.gort.sched.Time.sleepNanos(300_000_000L);
                assertEquals(0, closedAt.get(), "Collector.close() returned while the sweeper goroutine was inside a batch");
                long released = System.nanoTime();
                release.countDown();
                SweeperGoroutineTest.sleepUntil(() -> !closer.isAlive(), "Collector.close() returned");
                assertTrue(closedAt.get() - released >= 0, "close returned only after the batch was let go");
                assertFalse(sw.inBatch());
                SweeperGoroutineTest.sleepUntil(sw::exited, "the sweeper goroutine returned after the close");
                long batches = sw.batches.get();
                dev.gort.sched.Time.sleepNanos(50_000_000L);
                assertEquals(batches, sw.batches.get(), "no batch after the close");
            } finally {
                release.countDown();
                gc.heap().gc().setStallHookForTest(null);
            }
        });
    }
}
