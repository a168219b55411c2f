package dev.gort.gc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The trigger's settable lower bound ({@code -Dgort.gc.trigger.minratio}, {@link Pacer#setMinTriggerRatio}):
 * Go's 45/64 by default; a lower setting lets a large runway start the cycle earlier; the upper
 * bound, a runway inside the bounds and bad values are left as they were.
 */
class PacerMinTriggerRatioTest {
    static final long MiB = 1L << 20;

    /** A pacer whose last cycle marked 100 MiB with a cons/mark so large that the runway exceeds the whole span. */
    static Pacer clampedAtTheLowerBound() {
        Pacer p = new Pacer();
        PacerTest.finishCycle(p, 100 * MiB, 100 * MiB, 1);
        p.setHeapLive(p.trigger());
        p.startCycle(0, 2, false);
        p.setHeapLive(p.trigger() + 1000 * MiB);
        p.heapScanWork.set(MiB);
        p.endCycle(1_000_000);
        p.resetLive(100 * MiB);
        p.commit(true);
        assertTrue(p.runway() > p.heapGoal() - 100 * MiB, "runway " + p.runway() + " covers the span: the lower bound decides");
        return p;
    }

    @Test
    void theDefaultIsGosBoundAndALowerSettingStartsTheCycleEarlier() {
        Pacer p = clampedAtTheLowerBound();
        assertEquals(Pacer.DEFAULT_MIN_TRIGGER_RATIO, p.minTriggerRatio(), "a new pacer takes the property's ratio");
        p.setMinTriggerRatio(Pacer.MIN_TRIGGER_RATIO_NUM);      // Go's, whatever this JVM's property says
        assertEquals(200 * MiB, p.heapGoal());
        assertEquals(100 * MiB + 100 * MiB / 64 * 45, p.trigger(), "Go's bound: 45/64 of the span");
        assertEquals(45, p.setMinTriggerRatio(35), "returns the old ratio");
        assertEquals(100 * MiB + 100 * MiB / 64 * 35, p.trigger(), "35/64 of the span");
        assertEquals(200 * MiB, p.heapGoal(), "the goal does not move");
        p.setMinTriggerRatio(Pacer.MIN_TRIGGER_RATIO_FLOOR);
        assertEquals(100 * MiB + 100 * MiB / 64 * 16, p.trigger());
        p.setMinTriggerRatio(45);
        assertEquals(100 * MiB + 100 * MiB / 64 * 45, p.trigger(), "back to Go's bound");
    }

    @Test
    void aRunwayInsideTheBoundsIsNotMoved() {
        Pacer p = new Pacer();
        PacerTest.finishCycle(p, 100 * MiB, 100 * MiB, 1);
        // cons/mark from 10 MiB allocated over 100 MiB scanned: a 10 MiB runway, trigger 190 MiB.
        p.setHeapLive(p.trigger());
        p.startCycle(1_000, 4, false);
        p.setHeapLive(p.trigger() + 10 * MiB);
        p.heapScanWork.set(100 * MiB);
        p.endCycle(1_000 + 10_000_000);
        p.resetLive(100 * MiB);
        p.commit(true);
        long trigger = p.trigger();
        assertEquals(200 * MiB - p.runway(), trigger);
        p.setMinTriggerRatio(20);
        assertEquals(trigger, p.trigger(), "the bound only clamps: goal - runway is above it");
    }

    @Test
    void aRatioOutsideTheAcceptedRangeIsRefusedAndThePacerKept() {
        Pacer p = clampedAtTheLowerBound();
        long trigger = p.trigger();
        for (int bad : new int[] {Pacer.MIN_TRIGGER_RATIO_FLOOR - 1, Pacer.MAX_TRIGGER_RATIO_NUM + 1, 0, -45}) {
            var e = assertThrows(IllegalArgumentException.class, () -> p.setMinTriggerRatio(bad));
            assertTrue(e.getMessage().contains(bad + "/64") && e.getMessage().contains("accepted: 16..61"), e.getMessage());
        }
        assertEquals(Pacer.DEFAULT_MIN_TRIGGER_RATIO, p.minTriggerRatio(), "pacer unchanged after bad input");
        assertEquals(trigger, p.trigger());
    }

    @Test
    void thePropertyAcceptsWholeSixtyFourthsAndFallsBackToGosBound() {
        assertEquals(45, Pacer.minTriggerRatioFrom(null), "unset: Go's 45");
        assertEquals(35, Pacer.minTriggerRatioFrom("35"));
        assertEquals(61, Pacer.minTriggerRatioFrom(" 61 "));
        assertEquals(45, Pacer.minTriggerRatioFrom("0.7"), "not a whole number: refused with a warning, Go's 45");
        assertEquals(45, Pacer.minTriggerRatioFrom("15"), "below the floor: refused");
        assertEquals(45, Pacer.minTriggerRatioFrom("62"), "above the upper bound: refused");
        assertEquals(Pacer.minTriggerRatioFrom(System.getProperty("gort.gc.trigger.minratio")), Pacer.DEFAULT_MIN_TRIGGER_RATIO,
                "new pacers take -Dgort.gc.trigger.minratio (45 when unset)");
    }
}
