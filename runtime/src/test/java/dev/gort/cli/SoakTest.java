package dev.gort.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code ./gort soak} in miniature: two short rounds (one per world), its arguments and its RSS slope. */
class SoakTest {
    @Test
    void aShortSoakRunsBothWorldsAndPasses() throws Exception {
        SoakSettings s = SoakSettings.parse(new String[] {"0.25", "--round-seconds", "7", "--quiet-seconds", "1.5",
                "--report-seconds", "4", "--tree-height", "10", "--seed", "42"});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new Soak(s, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        System.out.println(err.toString(StandardCharsets.UTF_8));
        assertEquals(0, rc, "exit code; stderr: " + err.toString(StandardCharsets.UTF_8));
        assertTrue(text.contains("seed 42"), "the seed is printed");
        assertTrue(text.matches("(?s).*\\[[a-z+]*goroutines[a-z+]*\\].*") && text.matches("(?s).*\\[[a-z+]*threads[a-z+]*\\].*"),
                "report lines name both worlds:\n" + text);
        assertTrue(text.contains("soak: PASS"), text);
        assertTrue(text.matches("(?s).*soak: \\d+ rounds in .* min: [1-9]\\d* cycles.*"), "cycles ran:\n" + text);
        assertTrue(text.contains("RSS at round ends (G goroutines, T threads): G "), text);
    }

    /**
     * A soak of both worlds shorter than its first round still runs a round of each world (the
     * second past its time): before, it ended after the goroutine round, as SoakTest's short soak
     * did when a loaded machine starved its first round (session 14).
     */
    @Test
    void aSoakOfBothWorldsRunsEachWorldEvenPastItsTime() throws Exception {
        SoakSettings s = SoakSettings.parse(new String[] {"0.02", "--round-seconds", "2", "--quiet-seconds", "0.5",
                "--report-seconds", "1", "--tree-height", "8", "--seed", "7"});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new Soak(s, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        assertEquals(0, rc, "exit code; stderr: " + err.toString(StandardCharsets.UTF_8));
        assertTrue(text.matches("(?s).*soak: 2 rounds in .*"), "a round of each world, no more:\n" + text);
        assertTrue(text.contains("RSS at round ends (G goroutines, T threads): G "), text);
        assertTrue(text.matches("(?s).*\\bT \\d.*"), "a threads round ended:\n" + text);
    }

    @Test
    void argumentsAreCheckedWithTheAcceptedForms() {
        SoakSettings d = SoakSettings.parse(new String[0]);
        assertEquals(30 * 60_000L, d.millis());
        assertEquals("both", d.worlds());
        assertTrue(d.goroutinesInRound(0) && !d.goroutinesInRound(1));
        assertEquals(90_000L, SoakSettings.parse(new String[] {"1.5"}).millis());
        assertMessage(new String[] {"ten"}, "minutes 'ten' is not a number; accepted: a non-negative decimal");
        assertMessage(new String[] {"-5"}, "minutes '-5' is negative, infinite or NaN; accepted: a non-negative decimal");
        assertMessage(new String[] {"0"}, "too short; accepted: at least 1 second");
        assertMessage(new String[] {"5", "--worlds", "fibers"}, "--worlds fibers; accepted: both, goroutines or threads");
        assertMessage(new String[] {"5", "--round-seconds", "2", "--quiet-seconds", "5"}, "accepted: quiet >= 0 and round >= quiet + 1 s");
        assertMessage(new String[] {"5", "--gogc", "0"}, "--gogc 0; accepted: 1..1000");
        assertMessage(new String[] {"5", "--seed"}, "--seed needs a value");
        assertMessage(new String[] {"5", "--fast", "1"}, "unknown option '--fast'");
        assertMessage(new String[] {"5", "6"}, "unexpected argument '6'");
    }

    private static void assertMessage(String[] args, String part) {
        UsageException e = assertThrows(UsageException.class, () -> SoakSettings.parse(args));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().contains("usage: ./gort soak"), e.getMessage());
    }

    @Test
    void rssSlopeIsPercentOfTheMeanPerTenMinutesAfterTheWarmup() {
        List<long[]> samples = new ArrayList<>();
        samples.add(new long[] {0, 10L << 30});                 // warm-up: ignored
        for (int min = 1; min <= 20; min++) {
            samples.add(new long[] {min * 60_000L, (100L << 20) + (min - 10) * (1L << 20) / 10});   // +0.1 MiB a minute around 100 MiB
        }
        assertEquals(1.0, SoakMonitor.slope(samples, 60_000), 0.01, "1 MiB per 10 minutes on 100 MiB: 1 %");
        assertTrue(Double.isNaN(SoakMonitor.slope(samples, 19 * 60_000L)), "fewer than 3 samples: no slope");
        List<long[]> flat = List.of(new long[] {0, 5}, new long[] {1, 5}, new long[] {2, 5});
        assertEquals(0.0, SoakMonitor.slope(flat, 0), 1e-9);
    }
}
