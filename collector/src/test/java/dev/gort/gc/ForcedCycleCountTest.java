package dev.gort.gc;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Collector#timeTriggeredCycles}, sysmon's count of forced GCs (review29's finding 2): a
 * forced request counts when its cycle starts, not when it is accepted. One dropped before its
 * start (GOGC turned off meanwhile, or a cycle ended after it) counts nothing; gc() is no forced
 * request of sysmon's.
 */
class ForcedCycleCountTest extends ThreadCollectorFixture {

    @Test
    void aForcedRequestCountsWhenItsCycleStartsNotWhenItIsAccepted() {
        start();
        CycleControl control = gc.coordinator.control;
        control.holdStarts();
        boolean held = true;
        try {
            assertTrue(gc.requestCycle(true), "accepted with GOGC=100");
            assertEquals(0, gc.timeTriggeredCycles(), "accepted, not started");
            long before = gc.cycles();
            gc.setGcPercent(-1);
            control.releaseStartHold();
            held = false;
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before, gc.cycles(), "dropped: GOGC went off before the start");
            assertEquals(0, gc.timeTriggeredCycles(), "a dropped request is no forced cycle");
            gc.setGcPercent(100);
            assertTrue(gc.requestCycle(true));
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before + 1, gc.cycles());
            assertEquals(1, gc.timeTriggeredCycles(), "this one started");
            gc.gc();
            assertEquals(1, gc.timeTriggeredCycles(), "gc() is not sysmon's forced cycle");
        } finally {
            if (held) {
                control.releaseStartHold();
            }
        }
    }

    @Test
    void aForcedRequestMadeInACyclesTailCountsNothing() {
        start();
        AtomicReference<Boolean> accepted = new AtomicReference<>();
        gc.coordinator.cycleEndingForTest = () -> {
            gc.coordinator.cycleEndingForTest = null;
            accepted.set(gc.requestCycle(true));
        };
        gc.gc();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertEquals(Boolean.TRUE, accepted.get());
        assertEquals(0, gc.timeTriggeredCycles(), "the tail's request was satisfied by that cycle's end");
    }
}
