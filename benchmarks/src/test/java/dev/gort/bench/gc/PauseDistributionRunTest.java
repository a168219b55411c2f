package dev.gort.bench.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PauseDistributionRunTest {
    @Test
    void warmupAcceptsWholeSecondsFromZero() {
        assertEquals(0, PauseDistributionRun.warmupSeconds("0"));
        assertEquals(60, PauseDistributionRun.warmupSeconds(" 60 "));
    }

    @Test
    void badWarmupNamesTheValueAndTheAcceptedForm() {
        for (String bad : new String[] {"-1", "1.5", "1m", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PauseDistributionRun.warmupSeconds(bad));
            assertTrue(e.getMessage().contains("-Dgort.bench.warmup=" + bad) && e.getMessage().contains("whole seconds >= 0"), e.getMessage());
        }
    }
}
