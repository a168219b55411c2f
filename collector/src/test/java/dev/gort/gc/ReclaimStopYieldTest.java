package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A stop-the-world requested while a mutator's refill walks the arena for dead spans (reclaim)
 * completes at the walk's next look, not when the walk ends: the refill gives up
 * (AllocationYield), the allocation stops at its safepoint, and allocates again after the stop,
 * with the walk going on where it was. The collector's own stop hook is wrapped so that the
 * mutator's first look inside the walk requests the stop (from another thread) and waits until it
 * is requested; the stop must then finish while the walk has swept nothing more. (The first
 * refills of the new class may take free runs the cycle left; the first look comes from the
 * first refill that has to walk.)
 */
class ReclaimStopYieldTest extends ThreadWorldFixture {
    static final Type SMALL = Type.struct("YSmall").longField("a").longField("b").longField("c").longField("d")
            .longField("e").build();                            // 40 B: the 48 B class
    static final Type KIB = Type.bytes(1024);                  // fills the chunk's free end
    static final Type TWO_KIB = Type.bytes(2048);              // a class with no span: its first refill reclaims

    @Test
    void aStopRequestedDuringAReclaimWalkCompletesBeforeTheWalkGoesOn() throws Exception {
        ForcedMode.assumeBackgroundSweep("leaves a cycle's sweep to a held background sweeper");
        ForcedMode.assumeConcurrentMark("runs a cycle that is not forced, through its breakpoint");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(-1), 2);
        world = gc.threadWorld();
        CountDownLatch release = new CountDownLatch(1);
        heap.gc().setStallHookForTest((point, spc) -> {
            if (point == GcSupport.STALL_BEFORE_CLAIM && Thread.currentThread().getName().equals(Collector.SWEEPER_THREAD)) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch lookedOnce = new CountDownLatch(1);
        CountDownLatch mutatorDone = new CountDownLatch(1);
        AtomicInteger looks = new AtomicInteger();
        AtomicLong committedBefore = new AtomicLong();
        Thread mutator = new Thread(() -> {
            world.register(1);
            try {
                for (long b = 0; b < (56L << 20); b += 48) {       // dead 48 B spans filling most of the first chunk
                    gc.alloc(SMALL);
                }
                while (heap.arenaCommittedBytes() == (64L << 20) && heap.gc().hasFreeRun(1)) {
                    gc.alloc(KIB);                                  // the free end of the chunk used up
                }
                gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, 60_000);
                gc.resume();
                gc.awaitIdle(60_000);
                assertFalse(heap.gc().sweepDone(), "precondition: the cycle's spans are unswept");
                committedBefore.set(heap.arenaCommittedBytes());
                // From here the collector's hook is wrapped: the first look asks for the stop.
                BooleanSupplier inner = heap.gc().stopHook();
                heap.gc().setStopHook(() -> {
                    if (looks.incrementAndGet() == 1) {
                        lookedOnce.countDown();
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                        while (!world.stopRequested() && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                    }
                    return inner.getAsBoolean();
                });
                for (long b = 0; b < (4L << 20); b += 2048) {
                    gc.alloc(TWO_KIB);
                }
            } catch (Throwable t) {
                failure.set(t);
                lookedOnce.countDown();
            } finally {
                world.unregister();
                mutatorDone.countDown();
            }
        }, "yield-mutator");
        try {
            mutator.start();
            assertTrue(lookedOnce.await(120, TimeUnit.SECONDS), "the mutator's refill reached the reclaim walk");
            assertNull(failure.get());
            long swept0 = heap.gc().reclaimSweptPages();
            long yields0 = heap.gc().stopYields();
            world.stopTheWorld("reclaim-yield test");
            int looksAtStop = looks.get();
            long swept = heap.gc().reclaimSweptPages() - swept0;
            long yields = heap.gc().stopYields() - yields0;
            world.startTheWorld();
            assertEquals(1, looksAtStop, "the stop completed at the walk's first look");
            assertEquals(0, swept, "no chunk was walked while the stop waited");
            assertEquals(1, yields, "the refill gave up once");
            assertTrue(mutatorDone.await(120, TimeUnit.SECONDS), "the mutator finished after the stop");
            assertNull(failure.get(), () -> "mutator failed: " + failure.get());
            assertTrue(heap.gc().reclaimSweptPages() > swept0, "after the stop the walk went on and reclaimed dead spans");
            assertEquals(committedBefore.get(), heap.arenaCommittedBytes(), "dead spans were reused, the arena did not grow");
        } finally {
            release.countDown();
            mutator.join(60_000);
        }
        heap.gc().setStallHookForTest(null);
        gc.close();
        gc = null;
        heap.verifyHeap();
    }
}
