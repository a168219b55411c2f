package dev.gort.bench.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PauseTailTest {
    private static PauseTail tail(int n, int over) {
        return new PauseTail(n, over, 500_000);
    }

    @Test
    void belowOneHundredPausesTheNearestRankP99IsTheMaximum() {
        assertEquals(1, tail(54, 4).p99RankFromTop());
        assertEquals(1, tail(99, 0).p99RankFromTop());
        assertFalse(tail(99, 0).p99BelowMax());
        assertEquals(0, tail(54, 0).overAllowed());
    }

    @Test
    void fromOneHundredPausesP99IsAnInnerRankAndTheAllowedCountFollowsIt() {
        assertEquals(2, tail(100, 0).p99RankFromTop());
        assertEquals(2, tail(199, 0).p99RankFromTop());
        assertEquals(3, tail(200, 0).p99RankFromTop());
        assertEquals(4, tail(300, 0).p99RankFromTop());
        assertTrue(tail(100, 0).p99BelowMax());
        assertEquals(2, tail(200, 5).overAllowed());
        // the rank agrees with the harness's own nearest-rank p99 over a sorted sample
        for (int n = 1; n <= 450; n++) {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                v[i] = i;
            }
            int idx = Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1);
            assertEquals(n - idx, tail(n, 0).p99RankFromTop(), "n=" + n);
        }
    }

    @Test
    void upperBoundWithNoPauseOverIsTheClosedFormAndNeeds299PausesForOnePercent() {
        for (int n : new int[] {54, 100, 298, 299, 1000}) {
            assertEquals(1 - Math.pow(0.05, 1.0 / n), tail(n, 0).upperShare(), 1e-9, "n=" + n);
        }
        assertTrue(tail(298, 0).upperShare() > 0.01);
        assertTrue(tail(299, 0).upperShare() < 0.01);
        assertEquals(299, tail(120, 0).pausesForConfidentP99(), 20);   // searched in 5 % steps
    }

    @Test
    void upperBoundWithPausesOverLeavesFivePercentBelowIt() {
        PauseTail t = tail(54, 4);
        double u = t.upperShare();
        assertEquals(0.05, PauseTail.binomialCdf(4, 54, u), 1e-6);
        assertTrue(u > 4.0 / 54 && u < 0.2, "bound " + u);
        assertEquals(1.0, tail(10, 10).upperShare());
        assertEquals(-1, t.pausesForConfidentP99(), "a 7 % share never bounds under 1 %");
    }

    @Test
    void descriptionSaysWhenTheSampleIsTooSmallAndWhetherTheTargetIsMet() {
        String small = tail(54, 4).describe(0.7);
        assertTrue(small.contains("over 500 us: 4 of 54") && small.contains("sample too small: p99 = max below 100 pauses (46 more, ~66 s more"), small);
        String met = tail(250, 2).describe(0.7);
        assertTrue(met.contains("p99 is the 3rd largest pause, under 500 us iff at most 2 are over (met)"), met);
        String notMet = tail(250, 3).describe(0.7);
        assertTrue(notMet.contains("(NOT met)"), notMet);
        assertTrue(tail(0, 0).describe(0).contains("no pauses"));
    }

    @Test
    void impossibleCountsAreRefusedWithWhatIsAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tail(10, 11));
        assertTrue(e.getMessage().contains("over 11") && e.getMessage().contains("0 <= over <= pauses"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tail(-1, 0));
    }

    @Test
    void ordinalsReadAsEnglish() {
        assertEquals("1st", PauseTail.ordinal(1));
        assertEquals("2nd", PauseTail.ordinal(2));
        assertEquals("11th", PauseTail.ordinal(11));
        assertEquals("22nd", PauseTail.ordinal(22));
    }
}
