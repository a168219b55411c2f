package dev.gort.gc;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Go's meaning of "forced" (session 31, robust31): only a cycle that runtime.GC started
 * (gcTriggerCycle, work.userForced) gets gctrace's {@code (forced)} suffix and counts in
 * MemStats.NumForcedGC. sysmon's 2-minute cycle (gcTriggerTime) is an ordinary cycle there; it is
 * counted under its own name ({@link Collector#timeTriggeredCycles}, sysmon's forcedGcs). On
 * lead31 every cycle sysmon's request started was "(forced)" and in NumForcedGC.
 */
class CycleTriggerKindTest extends ThreadCollectorFixture {

    private ByteArrayOutputStream startTraced() {
        ByteArrayOutputStream trace = new ByteArrayOutputStream();
        start(GcOptions.DEFAULT.withDebug(true, false, false, 0, 0));
        gc.setTraceOutput(new PrintStream(trace, true, StandardCharsets.UTF_8));
        return trace;
    }

    private static String[] lines(ByteArrayOutputStream trace) {
        return trace.toString(StandardCharsets.UTF_8).strip().split("\n");
    }

    @Test
    void sysmonsTimeTriggeredCycleIsNotForced() {
        ByteArrayOutputStream trace = startTraced();
        assertTrue(gc.requestCycle(true), "sysmon's time request, GOGC=100, no cycle yet");
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertEquals(1, gc.cycles());
        assertEquals(1, gc.timeTriggeredCycles(), "sysmon's own count of the cycles it forced");
        String timeLine = lines(trace)[0];
        assertFalse(GcTrace.parse(timeLine).forced(), "sysmon's cycle printed as (forced): " + timeLine);
        assertEquals(0, gc.gcStats().numForcedGC(), "NumForcedGC counts runtime.GC's cycles only, not sysmon's");

        gc.gc();
        String[] after = lines(trace);
        assertTrue(GcTrace.parse(after[after.length - 1]).forced(), "gc()'s cycle is forced: " + after[after.length - 1]);
        assertEquals(1, gc.gcStats().numForcedGC());
        assertEquals(1, gc.timeTriggeredCycles(), "gc() is not sysmon's cycle");
    }

    /**
     * A gc() that joins sysmon's accepted time request before its start: one cycle serves both and
     * it is gc()'s (Go: runtime.GC's gcStart through work.startSema first; forcegchelper's gcStart
     * then finds a cycle running and starts nothing). So it is forced and sysmon's count does not
     * grow. On lead31 the one cycle was both: forced, and counted as sysmon's.
     */
    @Test
    void aGcThatJoinsAPendingTimeStartMakesItsCycleUserForced() throws Exception {
        startTraced();
        CycleControl control = gc.coordinator.control;
        control.holdStarts();
        boolean held = true;
        try {
            assertTrue(gc.requestCycle(true), "sysmon's time request accepted");
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().name("gc-caller").start(() -> {
                try {
                    gc.gc();                    // not a mutator: waits on the collector's condition
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            awaitInBlocking(() -> awaitedRequestPending(control), "gc()'s request joined the pending start");
            control.releaseStartHold();
            held = false;
            world.runBlocking(m, () -> {
                try {
                    caller.join(CycleWaits.HANG_GUARD_MS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertFalse(caller.isAlive(), "gc() returned");
            assertNull(failed.get());
        } finally {
            if (held) {
                control.releaseStartHold();
            }
        }
        assertEquals(1, gc.cycles(), "one cycle served both requests");
        assertEquals(1, gc.gcStats().numForcedGC(), "the joined start is gc()'s: forced");
        assertEquals(0, gc.timeTriggeredCycles(), "the joined start was counted as sysmon's forced cycle too");
    }

    /**
     * Go's runtime.GC finding a time-triggered cycle already running: gcWaitOnMark for it, then
     * gcStart(gcTriggerCycle) starts a whole new cycle, the user-forced one. Two cycles: the first
     * sysmon's (not forced), the second gc()'s.
     */
    @Test
    void aGcWhileATimeTriggeredCycleRunsWaitsForTheNextFullCycle() throws Exception {
        ForcedMode.assumeConcurrentMark("holds sysmon's cycle at a breakpoint inside concurrent mark");
        ByteArrayOutputStream trace = startTraced();
        gc.setBreakpoint(Collector.Breakpoint.AFTER_MARK_START);
        assertTrue(gc.requestCycle(true));
        awaitInBlocking(() -> gc.stoppedAt() == Collector.Breakpoint.AFTER_MARK_START, "sysmon's cycle at its breakpoint");
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().name("gc-caller").start(() -> {
            try {
                gc.gc();
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        awaitInBlocking(() -> caller.getState() == Thread.State.WAITING || caller.getState() == Thread.State.TIMED_WAITING,
                "gc() waits during sysmon's cycle");
        gc.resume();
        world.runBlocking(m, () -> {
            try {
                caller.join(CycleWaits.HANG_GUARD_MS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertFalse(caller.isAlive(), "gc() returned");
        assertNull(failed.get());
        assertEquals(2, gc.cycles(), "gc() waited for a whole new cycle after sysmon's");
        assertEquals(1, gc.timeTriggeredCycles());
        assertEquals(1, gc.gcStats().numForcedGC(), "only gc()'s cycle is forced");
        String[] l = lines(trace);
        assertFalse(GcTrace.parse(l[0]).forced(), l[0]);
        assertTrue(GcTrace.parse(l[1]).forced(), l[1]);
    }

    /** Each finished cycle carries its trigger kind (the JFR event's {@code trigger} field reads it). */
    @Test
    void eachCycleKnowsItsTrigger() {
        start();
        assertTrue(gc.requestCycle(true));
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertEquals(GcTrigger.TIME, gc.gcStats().lastCycle().trigger());
        gc.gc();
        assertEquals(GcTrigger.USER, gc.gcStats().lastCycle().trigger());
    }

    /** Waits (60 s guard) with the test's mutator counted as stopped, so a cycle's stop is not held up by it. */
    private void awaitInBlocking(BooleanSupplier state, String what) {
        long deadline = System.nanoTime() + CycleWaits.HANG_GUARD_MS * 1_000_000L;
        world.runBlocking(m, () -> {
            while (!state.getAsBoolean() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
        });
        assertTrue(state.getAsBoolean(), "timed out waiting: " + what);
    }

    private static boolean awaitedRequestPending(CycleControl control) {
        control.ctl.lock();
        try {
            return control.cycleRequested && control.requestAwaited && !control.cycleRunning;
        } finally {
            control.ctl.unlock();
        }
    }
}
