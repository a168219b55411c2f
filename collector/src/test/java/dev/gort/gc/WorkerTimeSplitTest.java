package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * How a platform mark worker's marking is split among Go's worker kinds (WorkerTimeSplit): a
 * fractional worker's up to its goal is fractional, what it marks past that on a P no mutator
 * holds is idle (Go's idle worker), past it with every P a mutator's it stays fractional.
 */
class WorkerTimeSplitTest {
    @Test
    void aFractionalWorkerOnAnIdlePIsFractionalUpToItsGoalAndIdleBeyond() {
        WorkerTimeSplit s = new WorkerTimeSplit();
        s.begin(WorkerTimeSplit.FRACTIONAL, 0.5, 1_000);
        // Marks all of its first 4 ms: 2 ms of it within the goal, 2 ms idle.
        assertEquals(2_000_000, s.marked(4_000_000, 1_000 + 4_000_000, true));
        assertEquals(2_000_000, s.fractionalNanos());
        // 4 ms off, then 2 ms of marking ending at 10 ms: the goal allows 5 ms in all, 3 ms more.
        assertEquals(0, s.marked(2_000_000, 1_000 + 10_000_000, true), "under its goal: all fractional");
        assertEquals(4_000_000, s.fractionalNanos());
        assertEquals(2_000_000, s.idleNanos());
        assertEquals(6_000_000, s.markedNanos());
        // The CPU of the stint is shared in the same proportion: 1/3 idle.
        assertEquals(300, s.idleCpuOf(900));
        assertEquals(0, s.idleCpuOf(0));
    }

    @Test
    void pastItsGoalWithEveryPAMutatorsItStaysFractional() {
        WorkerTimeSplit s = new WorkerTimeSplit();
        s.begin(WorkerTimeSplit.FRACTIONAL, 0.25, 0);
        assertEquals(0, s.marked(8_000_000, 8_000_000, false), "no idle P: it took a mutator's P");
        assertEquals(8_000_000, s.fractionalNanos());
        assertEquals(0, s.idleCpuOf(1_000));
        // An idle P appears later: the time already counted fractional uses up the allowance.
        assertEquals(1_000_000, s.marked(1_000_000, 12_000_000, true), "allowance 3 ms, 8 ms used");
    }

    @Test
    void dedicatedIsNeverIdleAndIdleOnlyAlwaysIs() {
        WorkerTimeSplit s = new WorkerTimeSplit();
        s.begin(WorkerTimeSplit.DEDICATED, 0.5, 0);
        assertEquals(0, s.marked(5_000_000, 5_000_000, true));
        assertEquals(0, s.idleCpuOf(777));
        s.begin(WorkerTimeSplit.IDLE, 0.5, 0);
        assertEquals(0, s.markedNanos(), "begin resets the stint");
        assertEquals(5_000_000, s.marked(5_000_000, 5_000_000, false));
        assertEquals(777, s.idleCpuOf(777), "an idle-only worker's CPU is idle even when it marked nothing measurable");
        s.begin(WorkerTimeSplit.IDLE, 0.5, 0);
        assertEquals(777, s.idleCpuOf(777));
    }

    @Test
    void aBadKindIsRefusedByName() {
        WorkerTimeSplit s = new WorkerTimeSplit();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.begin(3, 0.5, 0));
        assertTrue(e.getMessage().contains("worker kind 3") && e.getMessage().contains("DEDICATED (0), FRACTIONAL (1) or IDLE (2)"), e.getMessage());
    }
}
