package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/**
 * MemStats.LastGC is Go's {@code last_gc_unix}: the wall clock (Unix ns) at the end of the last mark
 * termination, which gcMarkTermination takes in the pause, before startTheWorldWithSema (session
 * 33, pace33, moved it before the restart). 0 before the first cycle. Checked here cycle by cycle,
 * over both worlds, by relations with the coordinator's own pause steps that hold exactly
 * whatever the load: LastGC lies after mark termination's "stats" step (inside its pause: the pause
 * started before it) and before the hook after its last step, which the restart follows; it grows from
 * cycle to cycle and lies before the next cycle's first step. The gctrace line (and the JFR
 * {@code dev.gort.GcCycle} event, which carries the same {@link GcCycle}) exposes the same instant
 * on the monotonic clock: {@code @start} plus the three clock figures is mark termination's end,
 * bounded by the same two steps. JFR has no field for LastGC itself.
 */
class LastGcTest {
    static final int CYCLES = 4;
    /**
     * The wall clock's grain: Instant.now() reads nanoseconds on Linux, microseconds on macOS. The
     * coordinator reads the wall clock in the pause right after mark termination's last step (Go's
     * unixNow); until session 34 it converted that step's monotonic time after the tail, and a
     * deschedule between its two clock reads moved LastGC earlier (once 7.6 ms, before "stats").
     */
    static final long CLOCK_GRAIN_NS = System.getProperty("os.name", "").startsWith("Linux") ? 0 : 1_000;

    /** One reading of both clocks by a test hook, with the step it followed ("tail": after the restart). */
    record Mark(String step, long wallNanos, long monoNanos) {
    }

    private static Mark mark(String step) {
        long mono = System.nanoTime();
        Instant now = Instant.now();
        return new Mark(step, now.getEpochSecond() * 1_000_000_000L + now.getNano(), mono);
    }

    @Test
    void lastGcIsTheEndOfMarkTerminationUnderTheScheduler() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            assertNoCycleYet(gc);
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 200, 2_000);
            checkCycles(gc, () -> SweeperGoroutineTest.liveAndGarbage(gc, 0, 2_000));
            head.close();
        });
    }

    @Test
    void lastGcIsTheEndOfMarkTerminationOverThreads() {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        try {
            ThreadWorld world = gc.threadWorld();
            Mutator main = world.register(1);
            try {
                assertNoCycleYet(gc);
                Runnable garbage = () -> {
                    for (int i = 0; i < 2_000; i++) {
                        main.roots().set(0, gc.alloc(RaggedRoundAssistTest.NODE));
                    }
                };
                garbage.run();
                checkCycles(gc, garbage);
            } finally {
                world.unregister();      // before the heap's close, so a failed assertion is what the report shows
            }
        } finally {
            gc.close();
            heap.close();
        }
    }

    private static void assertNoCycleYet(Collector gc) {
        GcStats.Snapshot s = gc.gcStats();
        assertEquals(0, s.numGC(), "no cycle before the test's first");
        assertEquals(0, s.lastGC(), "LastGC before the first cycle");
    }

    /** {@code CYCLES} forced cycles, garbage made between them; each cycle's LastGC against its steps. */
    private static void checkCycles(Collector gc, Runnable garbage) {
        List<Mark> marks = new CopyOnWriteArrayList<>();
        gc.pauseTimerForTest().faultForTest = step -> marks.add(mark(step));     // after each step, world stopped
        gc.setTailStallHookForTest(() -> marks.add(mark("tail")));               // after mark termination's restart
        try {
            long prevLastGc = 0;
            for (int i = 0; i < CYCLES; i++) {
                marks.clear();
                gc.gc();
                GcStats.Snapshot s = gc.gcStats();
                GcCycle c = s.lastCycle();
                String where = "gc " + s.numGC() + " (steps " + marks.stream().map(Mark::step).toList() + ")";
                assertTrue(s.numGC() >= 1, "a cycle ran");
                if (prevLastGc != 0) {
                    // The first step of this cycle came after the previous cycle's LastGC.
                    Mark first = marks.getFirst();
                    assertTrue(prevLastGc < first.wallNanos(), where + ": the previous LastGC " + prevLastGc
                            + " is not before this cycle's first step \"" + first.step() + "\" at " + first.wallNanos());
                }
                Mark stats = null;
                Mark lastStep = null;       // the terminating pause's last step: the world restarts after its hook
                Mark tail = null;
                for (Mark m : marks) {
                    if (m.step().equals("tail")) {
                        tail = m;
                        break;
                    }
                    if (m.step().equals("stats")) {
                        stats = m;           // the last "stats" before the tail: the terminating pause's
                    }
                    lastStep = m;
                }
                assertNotNull(tail, where + ": the tail hook did not run");
                assertNotNull(stats, where + ": no \"stats\" step seen");
                long lastGc = s.lastGC();
                assertTrue(lastGc >= stats.wallNanos() - CLOCK_GRAIN_NS, where + ": LastGC " + lastGc + " is "
                        + (stats.wallNanos() - lastGc) + " ns before mark termination's \"stats\" step (inside its pause)");
                assertTrue(lastGc <= tail.wallNanos() + CLOCK_GRAIN_NS, where + ": LastGC " + lastGc + " is "
                        + (lastGc - tail.wallNanos()) + " ns after the coordinator's tail, which follows the restart");
                // Before the restart: LastGC moved to the monotonic clock by the tail's reading of both
                // clocks (monotonic first: a delay between the two reads moves the result earlier, so
                // this cannot fail from one) is not after the world's restart.
                long restart = gc.world().lastRestartNanos();
                long lastGcMono = lastGc - (tail.wallNanos() - tail.monoNanos());
                assertTrue(lastGcMono <= restart + CLOCK_GRAIN_NS, where + ": LastGC is " + (lastGcMono - restart)
                        + " ns after the world's restart");
                assertTrue(lastGc > prevLastGc, where + ": LastGC " + lastGc + " not after the previous " + prevLastGc);
                assertEquals(lastGc, s.pauseEnd()[(int) ((s.numGC() + GcStats.PAUSE_RING - 1) % GcStats.PAUSE_RING)],
                        where + ": PauseEnd of the last cycle is LastGC");
                // gctrace's "@start" and clock figures (the GcCycle behind the line and the JFR event)
                // end at the same instant, on the monotonic clock.
                long traceEnd = gc.stats.startNanos() + c.sinceStartNanos() + c.sweepTermWall() + c.markWall() + c.markTermWall();
                assertTrue(traceEnd >= stats.monoNanos() && traceEnd <= lastStep.monoNanos(), where + ": gctrace's end ("
                        + "@start + clock figures) is not between mark termination's \"stats\" step and its last step: "
                        + (traceEnd - stats.monoNanos()) + " ns after the one, " + (lastStep.monoNanos() - traceEnd) + " ns before the other");
                prevLastGc = lastGc;
                garbage.run();
            }
        } finally {
            gc.pauseTimerForTest().faultForTest = null;
            gc.setTailStallHookForTest(null);
        }
    }
}
