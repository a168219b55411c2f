package dev.gort.gc;

import static dev.gort.gc.PacerTest.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Go's endCycle: cons/mark = (heapLive - triggered) x (utilization + idleUtilization) /
 * (scanWork x (1 - utilization)), utilization = 0.25 + assistTime / (duration x procs),
 * idleUtilization = idleMarkTime / (duration x procs). Idle marking raises cons/mark (the idle
 * worker's marking was not paid for by the 25 % the pacer plans), so the runway grows and the
 * next trigger comes earlier.
 */
class PacerIdleUtilizationTest {
    /** One cycle at 2 P over 10 ms: 10 MiB allocated while 100 MiB were scanned, 1 ms of assists, {@code idleNanos} of idle marking. */
    private static Pacer cycleWithIdle(long idleNanos) {
        Pacer p = new Pacer();
        PacerTest.finishCycle(p, 100 * MiB, 100 * MiB, 1);
        p.setHeapLive(p.trigger());
        p.startCycle(1_000, 2, false);
        p.setHeapLive(p.trigger() + 10 * MiB);
        p.heapScanWork.set(100 * MiB);
        p.assistTime.set(1_000_000);
        p.idleMarkTime.set(idleNanos);
        p.endCycle(1_000 + 10_000_000);
        return p;
    }

    @Test
    void idleMarkTimeAddsGosIdleUtilizationToConsMark() {
        Pacer p = cycleWithIdle(5_000_000);
        double utilization = 0.25 + 1.0 / (10 * 2);
        double idle = 5.0 / (10 * 2);
        double expected = (10.0 * MiB * (utilization + idle)) / (100.0 * MiB * (1 - utilization));
        assertEquals(expected, p.consMark(), 1e-12);
        Pacer none = cycleWithIdle(0);
        assertEquals((10.0 * MiB * utilization) / (100.0 * MiB * (1 - utilization)), none.consMark(), 1e-12);
        p.resetLive(100 * MiB);
        p.commit(true);
        none.resetLive(100 * MiB);
        none.commit(true);
        assertEquals((long) (expected * 3 * 100 * MiB), p.runway());
        assertTrue(p.trigger() < none.trigger(), "idle marking moves the trigger earlier: " + p.trigger() + " against " + none.trigger());
        assertTrue(p.trigger() > 100 * MiB + 100 * MiB / 64 * 45, "within the lower bound, not clamped: " + p.trigger());
    }
}
