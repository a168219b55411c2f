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

    /**
     * review30: sysmon's request that finds gc()'s request pending (gc() sets no startPending, so
     * the call gets past the fast path) joins it and returns false, "a cycle is already requested:
     * nothing forced". The start is gc()'s; Go's forcegchelper would start nothing (gcStart's re-test
     * sees the phase off no more). On lead30 the start was counted as sysmon's forced cycle all the
     * same: its forcedGcs and a ForcedGc event for a request it was told was not needed.
     */
    @Test
    void aForcedRequestThatJoinsAPendingGcCountsNothing() throws Exception {
        start();
        CycleControl control = gc.coordinator.control;
        control.holdStarts();
        AtomicReference<Boolean> accepted = new AtomicReference<>();
        AtomicReference<Throwable> helperFailed = new AtomicReference<>();
        Thread sysmonLike = new Thread(() -> {
            try {
                long deadline = System.nanoTime() + CycleWaits.HANG_GUARD_MS * 1_000_000L;
                while (!awaitedRequestPending(control) && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                if (awaitedRequestPending(control)) {
                    accepted.set(gc.requestCycle(true));
                }
            } catch (Throwable t) {
                helperFailed.set(t);
            } finally {
                control.releaseStartHold();
            }
        }, "sysmon-like");
        sysmonLike.start();
        gc.gc();            // its request waits behind the hold until the helper has asked too
        sysmonLike.join(CycleWaits.HANG_GUARD_MS);
        assertNull(helperFailed.get());
        assertEquals(Boolean.FALSE, accepted.get(), "sysmon's request, made while gc()'s was pending, was not accepted");
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertEquals(0, gc.timeTriggeredCycles(), "gc()'s cycle was counted as sysmon's forced cycle, though its request returned false");
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
