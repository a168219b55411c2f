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
    void minPausesAcceptsWholeCountsAndNamesTheAcceptedFormOtherwise() {
        assertEquals(0, PauseDistributionRun.minPauses("0"));
        assertEquals(300, PauseDistributionRun.minPauses(" 300"));
        for (String bad : new String[] {"-5", "3e2", "many", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PauseDistributionRun.minPauses(bad));
            assertTrue(e.getMessage().contains("-Dgort.bench.minpauses=" + bad) && e.getMessage().contains("whole number of pauses >= 0"),
                    e.getMessage());
        }
    }

    @Test
    void replacingGoesOnPastTheSecondsUntilTheCountOrTheLimit() {
        PauseDistributionRun.Run run = new PauseDistributionRun.Run(1, 1, 0, 2);
        assertTrue(!run.replacingDone(5, 10, 100), "before SECONDS");
        assertTrue(!run.replacingDone(20, 10, 100), "SECONDS up, no pause recorded yet");
        assertTrue(run.replacingDone(100, 10, 100), "the limit ends it short of the count");
        PauseDistributionRun.Run plain = new PauseDistributionRun.Run(1, 1, 0, 0);
        assertTrue(plain.replacingDone(10, 10, 100), "no count asked: SECONDS decide");
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
        // A hand-off: the thread that stopped last ran the steps (the "seen" time is its claim).
        double[] schedHandOff = PauseDistributionRun.GcSummary.stopTimeline(
                "last P stopped at 0.081 ms; M2 ran the stopped steps from 0.081 ms (hand-off) (re-preempt passes 0, 3 so far)");
        assertEquals(0.081, schedHandOff[0], 1e-9);
        assertEquals(0.081, schedHandOff[1], 1e-9);
        double[] threadsHandOff = PauseDistributionRun.GcSummary.stopTimeline(
                "last to stop: main at 0.020 ms (run-queue wait booked meanwhile 0.000 ms), in alloc when asked; it ran the stopped steps from 0.021 ms (hand-off)");
        assertEquals(0.02, threadsHandOff[0], 1e-9);
        assertEquals(0.021, threadsHandOff[1], 1e-9);
        assertEquals(null, PauseDistributionRun.GcSummary.stopTimeline(null));
        assertEquals(null, PauseDistributionRun.GcSummary.stopTimeline("something else"));
    }
}
