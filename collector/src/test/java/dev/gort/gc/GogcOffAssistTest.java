package dev.gort.gc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GOGC=off under the scheduler: no cycle starts on its own, a forced one (runtime.GC) runs, and
 * its assists owe almost nothing (Go revises as if GOGC were 100000: the goal is infinite, so
 * the ratio is ~1e-13 work per byte). Go's rule still parks an assist that finds neither credit
 * nor grey work (gcParkAssist), and the first credit flush of any size pays it (its debt is one
 * unit of scan work). So a park ends by a flush, never waits for the mark's end, when the cycle
 * has heap work; a cycle with none at all (no live scannable object, no frame, no global) has no
 * flush, and Go's rule leaves such a park to the mark's end (flake26's "330 parks in 100 runs"
 * were those).
 */
@Timeout(120)
class GogcOffAssistTest {
    private static final int LIVE_NODES = 50_000;
    private static final int CYCLES = 20;

    @Test
    void atGogcOffForcedCyclesRunAndTheirAssistParksEndByACreditFlush() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withGcPercent(Pacer.OFF), gc -> {
            try (Global head = gc.newGlobal()) {
                for (int i = 0; i < LIVE_NODES; i++) {
                    long n = SchedCollectorTest.node(gc, i);
                    Mem.storePtr(n, SchedCollectorTest.A, head.get());
                    head.set(n);
                }
                assertEquals(0, gc.cycles(), "GOGC=off: no cycle on its own");
                AllocatingPoller poller = AllocatingPoller.start(gc);   // garbage, allocated while marking
                AssistWaitStats before = gc.assistWaitStats();
                try {
                    for (int i = 0; i < CYCLES; i++) {
                        gc.gc();
                    }
                } finally {
                    poller.stop();
                }
                AssistWaitStats after = gc.assistWaitStats();
                long parks = after.parks() - before.parks();
                long atEnd = after.wokenAtMarkEnd() - before.wokenAtMarkEnd();
                String seen = parks + " parks in " + CYCLES + " forced cycles, " + (after.paidInQueue() - before.paidInQueue())
                        + " paid by a flush, " + (after.wokenForWork() - before.wokenForWork()) + " woken for work, " + atEnd
                        + " woken at a mark's end; pacer ratio " + gc.pacer().assistWorkPerByte() + " work/byte";
                System.out.println("GogcOffAssistTest: " + seen);
                assertEquals(CYCLES, gc.cycles(), "only the forced cycles ran: " + seen);
                assertEquals(0, atEnd, "an assist's debt at GOGC=off is paid by the first credit flush: " + seen);
                assertEquals(Pacer.INFINITE, gc.pacer().heapGoal(), "GOGC=off: no goal");
                // The live list survived every cycle.
                long n = head.get();
                int count = 0;
                for (; n != 0; n = Mem.loadPtr(n, SchedCollectorTest.A)) {
                    count++;
                }
                assertEquals(LIVE_NODES, count, "live nodes after the cycles");
            }
        });
    }
}
