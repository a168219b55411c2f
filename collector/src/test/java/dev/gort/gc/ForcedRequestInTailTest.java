package dev.gort.gc;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Sysmon's forced-GC request is Go's gcTriggerTime, whose test is {@code t.now - lastgc >
 * forcegcperiod} with t.now fixed at the request: sysmon tested it before asking, so it stops
 * holding exactly when a cycle ends after the request. gort accepts requests in a cycle's tail
 * (mark terminated, the cycle not yet counted as done); sysmon, which reads the last cycle's end,
 * asks then as if no cycle ran. Until session 30 such a request started a second cycle right after
 * the one that had just satisfied it (gcoff29's "noticed"); now the coordinator's re-test drops
 * it. The request is made from the coordinator's own tail ({@link Coordinator#cycleEndingForTest}).
 */
class ForcedRequestInTailTest extends ThreadCollectorFixture {

    private long requestsDropped() {
        CycleControl control = gc.coordinator.control;
        control.ctl.lock();
        try {
            return control.requestsDropped;
        } finally {
            control.ctl.unlock();
        }
    }

    @Test
    void aForcedRequestMadeInACyclesTailIsDroppedWhenThatCycleEnds() {
        start();
        long before = gc.cycles();
        AtomicReference<Boolean> accepted = new AtomicReference<>();
        gc.coordinator.cycleEndingForTest = () -> {
            gc.coordinator.cycleEndingForTest = null;
            accepted.set(gc.requestCycle(true));        // sysmon, seeing the last cycle's end from before this one
        };
        gc.gc();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);         // the coordinator took the tail's request or dropped it
        assertEquals(Boolean.TRUE, accepted.get(), "the forced request made in the cycle's tail was accepted");
        assertEquals(before + 1, gc.cycles(), "the request made in the tail ran as a second cycle after the one that satisfied it");
        assertEquals(1, requestsDropped(), "the tail's request was dropped at the start's re-test");
        assertFalse(gc.cycleStartPending(), "no start pending");
    }
}
