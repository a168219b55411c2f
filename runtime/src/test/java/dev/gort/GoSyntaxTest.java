package dev.gort;

import org.junit.jupiter.api.Test;

import static dev.gort.GoSyntax.MALFORMED;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Go value syntaxes, checked against what Go's own parsers return for the same text. */
class GoSyntaxTest {
    @Test
    void durations() {
        assertEquals(0, GoSyntax.parseDuration("0"));
        assertEquals(20_000, GoSyntax.parseDuration("20us"));
        assertEquals(20_000, GoSyntax.parseDuration("20µs"));
        assertEquals(20_000, GoSyntax.parseDuration("20μs"));
        assertEquals(7, GoSyntax.parseDuration("7ns"));
        assertEquals(1_500_000, GoSyntax.parseDuration("1.5ms"));
        assertEquals(500_000_000, GoSyntax.parseDuration(".5s"));
        assertEquals(1_000_000_000, GoSyntax.parseDuration("1.s"));
        assertEquals(150_000_000_000L, GoSyntax.parseDuration("2m30s"));
        assertEquals(5_400_000_000_000L, GoSyntax.parseDuration("1h30m"));
        assertEquals(3_723_004_005_006L, GoSyntax.parseDuration("1h2m3s4ms5us6ns"));
        assertEquals(MALFORMED, GoSyntax.parseDuration(""));
        assertEquals(MALFORMED, GoSyntax.parseDuration("5"));
        assertEquals(MALFORMED, GoSyntax.parseDuration("ms"));
        assertEquals(MALFORMED, GoSyntax.parseDuration("."));
        assertEquals(MALFORMED, GoSyntax.parseDuration(".s"));
        assertEquals(MALFORMED, GoSyntax.parseDuration("-1s"));
        assertEquals(MALFORMED, GoSyntax.parseDuration("1d"));
        assertEquals(MALFORMED, GoSyntax.parseDuration("1s "));
        assertEquals(MALFORMED, GoSyntax.parseDuration("3000000h"), "overflows int64 nanoseconds");
    }

    @Test
    void byteCounts() {
        assertEquals(0, GoSyntax.parseByteCount("0"));
        assertEquals(1, GoSyntax.parseByteCount("1B"));
        assertEquals(1024, GoSyntax.parseByteCount("1KiB"));
        assertEquals(5L << 20, GoSyntax.parseByteCount("5MiB"));
        assertEquals(Long.MAX_VALUE, GoSyntax.parseByteCount("9223372036854775807"));
        assertEquals(8388607L << 40, GoSyntax.parseByteCount("8388607TiB"));
        assertEquals(MALFORMED, GoSyntax.parseByteCount("8388608TiB"));
        assertEquals(MALFORMED, GoSyntax.parseByteCount("1kB"));
        assertEquals(MALFORMED, GoSyntax.parseByteCount("1KB"));
        assertEquals(MALFORMED, GoSyntax.parseByteCount("1Ki"));
        assertEquals(MALFORMED, GoSyntax.parseByteCount("iB"));
        assertEquals(MALFORMED, GoSyntax.parseByteCount("KiB"));
        assertEquals(MALFORMED, GoSyntax.parseByteCount(""));
    }

    @Test
    void formatLikeGo() {
        assertEquals("0s", GoSyntax.formatDuration(0));
        assertEquals("20µs", GoSyntax.formatDuration(20_000));
        assertEquals("1.5ms", GoSyntax.formatDuration(1_500_000));
        assertEquals("10ms", GoSyntax.formatDuration(10_000_000));
        assertEquals("2m0s", GoSyntax.formatDuration(120_000_000_000L));
        assertEquals("2m30s", GoSyntax.formatDuration(150_000_000_000L));
        assertEquals("1h0m1.5s", GoSyntax.formatDuration(3_601_500_000_000L));
    }
}
