package dev.gort.gc;

import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The pause trace's milliseconds read as {@code %.3f} of {@code ns / 1e6} printed them. */
class MillisTest {

    @Test
    void printsWhatFormatPrinted() {
        SplittableRandom r = new SplittableRandom(15);
        for (int i = 0; i < 4_000; i++) {
            long ns = switch (i % 4) {
                case 0 -> r.nextLong(0, 10_000);
                case 1 -> r.nextLong(0, 10_000_000);
                case 2 -> r.nextLong(0, 1L << 40);
                default -> -r.nextLong(0, 10_000_000);
            };
            if (Math.floorMod(ns, 1000) == 500) {
                continue;           // an exact half: the double's binary rounding decides %.3f, see below
            }
            assertEquals(String.format(Locale.ROOT, "%.3f", ns / 1e6), Millis.of(ns), "ns=" + ns);
        }
    }

    @Test
    void roundsHalfUpAndPadsTheDecimals() {
        assertEquals("0.000", Millis.of(0));
        assertEquals("0.000", Millis.of(499));
        assertEquals("0.001", Millis.of(500));
        assertEquals("0.010", Millis.of(9_500));
        assertEquals("0.100", Millis.of(99_999));
        assertEquals("1.000", Millis.of(999_500));
        assertEquals("2.139", Millis.of(2_139_000));
        assertEquals("-1.250", Millis.of(-1_250_000));
        assertEquals("9223372036854.776", Millis.of(Long.MAX_VALUE));
        assertEquals("-9223372036854.776", Millis.of(Long.MIN_VALUE));
        assertEquals("x 0.042 ms", Millis.append(new StringBuilder("x "), 42_000).append(" ms").toString());
    }

    @Test
    void aPauseLineReadsAsBefore() {
        StwPause p = new StwPause(3, StwPause.Kind.MARK_TERMINATION, 210_400,
                java.util.List.of(new StwPause.Step("stop", 40_000, 0), new StwPause.Step("flush", 12_499, 0),
                        new StwPause.Step("start", 157_901, 150_000)), "detail");
        assertEquals("pause gc 3 mark termination 0.210 ms: stop 0.040, flush 0.012, start 0.158 (work cpu 0.150 ms) [detail]",
                p.toString());
    }
}
