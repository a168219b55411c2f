package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Go's mheap.reclaim sweeps count toward the proportional sweep (mspan.sweep adds every span it
 * sweeps to pagesSwept, whoever calls it); gort's reclaim (GcSupport.reclaim, before the mheap
 * grows) was not credited before session 11, so the mutators swept those pages' worth again. A
 * cycle's sweep is left to a background sweeper held before its first claim; large objects then
 * need fresh runs that only reclaim's sweeps provide.
 */
class ReclaimCreditTest extends ThreadWorldFixture {
    static final Type SMALL = Type.struct("RSmall").longField("a").longField("b").longField("c").longField("d")
            .longField("e").build();                            // 40 B: the 48 B class
    static final Type LARGE = Type.bytes(40 << 10);

    static long creditedPages(Collector c) {
        return c.sweepingForTest().credit.pages();
    }

    @Test
    void reclaimSweepsAreCreditedToTheProportionalSweep() throws Exception {
        ForcedMode.assumeBackgroundSweep("leaves a cycle's sweep to a held background sweeper");
        ForcedMode.assumeConcurrentMark("runs a cycle that is not forced, through its breakpoint");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(-1), 2);
        world = gc.threadWorld();
        world.register(1);
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
        try {
            for (long b = 0; b < (56L << 20); b += 48) {       // dead 48 B spans filling most of the first chunk
                gc.alloc(SMALL);
            }
            gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, 60_000);   // a cycle not forced: its sweep is left to others
            gc.resume();
            gc.awaitIdle(60_000);
            assertFalse(heap.gc().sweepDone(), "precondition: the cycle's spans are unswept");
            long credited0 = creditedPages(gc);
            long reclaimed0 = heap.gc().reclaimSweptPages();
            for (long b = 0; b < (16L << 20); b += 40 << 10) {
                gc.alloc(LARGE);
            }
            long reclaimed = heap.gc().reclaimSweptPages() - reclaimed0;
            long credited = creditedPages(gc) - credited0;
            assertTrue(reclaimed > 0, "precondition: reclaim swept spans (" + reclaimed + " pages)");
            assertTrue(credited >= reclaimed, "the proportional sweep's count grew by " + credited
                    + " pages, less than the " + reclaimed + " pages reclaim swept");
        } finally {
            release.countDown();
        }
    }
}
