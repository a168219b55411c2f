package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Both breakpoints lie inside the concurrent mark phase, which {@code gcstoptheworld=1|2} (built,
 * or forced with {@code -Dgort.gc.force}) does not have: {@code runTo} and {@code setBreakpoint}
 * refuse at once with the reason instead of waiting out the caller's timeout (session 10, g2), and
 * the collector stays usable.
 */
class RunToStopTheWorldTest extends ThreadWorldFixture {

    @Test
    void breakpointsAreRefusedAtOnceInTheStopTheWorldModes() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.gort.sys.ForcedGcModes.get().gcstoptheworld() != 0,
                "this JVM forces gcstoptheworld=0: no collector here runs a stop-the-world mode");
        for (int stw = 1; stw <= 2; stw++) {
            heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            gc = Collector.forThreads(heap, GcOptions.DEFAULT.withDebug(false, false, false, 0, stw), 2);
            world = gc.threadWorld();
            int mode = gc.options().gcstoptheworld();       // a forced gcstoptheworld=2 replaces the built 1
            assertTrue(mode >= stw, "mode " + mode);
            for (Collector.Breakpoint bp : new Collector.Breakpoint[] {Collector.Breakpoint.AFTER_MARK_START,
                    Collector.Breakpoint.BEFORE_MARK_TERMINATION}) {
                long t0 = System.nanoTime();
                // Half the timeout tells "refused at once" from "after the timeout" on however
                // starved a machine (the bounds were 5 of 20 s).
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> gc.runTo(bp, 120_000));
                assertTrue(System.nanoTime() - t0 < 60_000_000_000L, "refused at once, not after the timeout");
                assertTrue(e.getMessage().startsWith("runTo(" + bp + "): the breakpoint cannot be reached")
                        && e.getMessage().contains("gcstoptheworld=" + mode)
                        && e.getMessage().contains("breakpoints need gcstoptheworld=0"), e.getMessage());
                e = assertThrows(IllegalStateException.class, () -> gc.setBreakpoint(bp));
                assertTrue(e.getMessage().startsWith("setBreakpoint(" + bp + "): the breakpoint cannot be reached"),
                        e.getMessage());
            }
            gc.setBreakpoint(Collector.Breakpoint.NONE);    // clearing is always allowed
            // The collector is usable: a full cycle, allocation, the heap intact.
            world.register(1);
            long p = gc.alloc(CollectorTest.NODE);
            world.current().roots().set(0, p);
            long cycles = gc.gcStats().numGC();
            gc.gc();
            assertEquals(cycles + 1, gc.gcStats().numGC());
            assertEquals(p, heap.gc().findObject(p), "the rooted object survived");
            closeFixture();
            heap = null;
            gc = null;
            world = null;
        }
    }

    @Test
    void theConcurrentModeStillReachesItsBreakpoints() {
        ForcedMode.assumeConcurrentMark("runs to a breakpoint inside the concurrent mark phase");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 60_000);
        gc.resume();
        gc.awaitIdle(60_000);
    }
}
