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

    @Test
    void stopTimelineReadFromBothWorldsDetails() {
        double[] sched = PauseDistributionRun.GcSummary.stopTimeline(
                "last P stopped at 30.033 ms; stopper saw it at 30.106 ms, woken (re-preempt passes 17, 50 so far)");
        assertEquals(30.033, sched[0], 1e-9);
        assertEquals(30.106, sched[1], 1e-9);
        double[] none = PauseDistributionRun.GcSummary.stopTimeline("no P had to stop; stopper saw it at 0.012 ms, at once (re-preempt passes 0, 3 so far)");
        assertEquals(0, none[0]);
        assertEquals(0.012, none[1], 1e-9);
        double[] threads = PauseDistributionRun.GcSummary.stopTimeline(
                "last to stop: mutator-1 at 3.100 ms (run-queue wait booked meanwhile 2.900 ms: it waited for a CPU), in alloc when asked; stopper saw it at 5.200 ms, woken");
        assertEquals(3.1, threads[0], 1e-9);
        assertEquals(5.2, threads[1], 1e-9);
        assertEquals(null, PauseDistributionRun.GcSummary.stopTimeline(null));
        assertEquals(null, PauseDistributionRun.GcSummary.stopTimeline("something else"));
    }
}
