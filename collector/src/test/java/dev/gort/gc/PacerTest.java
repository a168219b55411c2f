package dev.gort.gc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PacerTest {
    static final long MiB = 1L << 20;

    /** Runs a whole cycle through the pacer with the given marked heap and scan figures. */
    static void finishCycle(Pacer p, long marked, long scanWork, long now) {
        p.startCycle(now, 4, false);
        p.heapScanWork.set(scanWork);
        p.endCycle(now + 1_000_000);
        p.resetLive(marked);
        p.commit(true);
    }

    @Test
    void initialGoalIsTheHeapMinimum() {
        Pacer p = new Pacer();
        assertEquals(4 * MiB, p.heapGoal());
        assertEquals(4 * MiB / 64 * 61, p.trigger(), "no cons/mark yet: trigger at the upper bound 61/64");
        assertFalse(p.shouldStart());
        p.setHeapLive(p.trigger());
        assertTrue(p.shouldStart());
    }

    @Test
    void goalIsMarkedTimesOnePlusGogc() {
        Pacer p = new Pacer();
        finishCycle(p, 100 * MiB, 50 * MiB, 1);
        assertEquals(200 * MiB, p.heapGoal());
        assertTrue(p.trigger() >= 100 * MiB + 100 * MiB / 64 * 45 && p.trigger() < p.heapGoal(), "trigger " + p.trigger());
        p.setGcPercent(50);
        assertEquals(150 * MiB, p.heapGoal());
        p.setGcPercent(300);
        assertEquals(400 * MiB, p.heapGoal());
        // stacks and globals count towards the goal (Go 1.18+)
        p.setGcPercent(100);
        p.setLastStackScan(10 * MiB);
        p.setGlobalsScan(6 * MiB);
        p.commit(true);
        assertEquals(216 * MiB, p.heapGoal());
    }

    /**
     * The provisional goal mark termination arms (before the pacer's commit, with the world
     * running) is the goal that commit then computes, for GOGC goals, the heap minimum, GOGC=off
     * and a memory limit (from the same memory figures).
     */
    @Test
    void provisionalGoalIsTheGoalTheCommitComputes() {
        long[][] cases = {{100, 100 * MiB, 10 * MiB}, {50, 300 * MiB, 0}, {100, MiB, 0}, {0, 20 * MiB, MiB}, {-1, 40 * MiB, 0}};
        for (long[] c : cases) {
            Pacer p = new Pacer();
            p.setGcPercent((int) c[0]);
            p.setGlobalsScan(2 * MiB);
            finishCycle(p, 10 * MiB, 5 * MiB, 1);
            long provisional = p.provisionalGoal(c[1], c[2]);
            p.startCycle(10, 4, false);
            p.endCycle(1_000_010);
            p.resetLive(c[1]);
            p.setLastStackScan(c[2]);
            p.commit(false);
            assertEquals(p.heapGoal(), provisional, "GOGC " + c[0] + ", marked " + (c[1] >> 20) + " MiB");
        }
        Pacer p = new Pacer();
        p.setMemoryLimit(64 * MiB);
        p.setMemoryStats(80 * MiB, 10 * MiB, 60 * MiB);
        long provisional = p.provisionalGoal(50 * MiB, 0);
        p.resetLive(50 * MiB);
        p.commit(false);
        assertEquals(p.heapGoal(), provisional, "memory-limited goal");
        assertTrue(provisional < 100 * MiB, "the limit caps it: " + provisional);
    }

    @Test
    void gogcZeroCollectsContinuouslyAndSmallHeapsUseTheMinimum() {
        Pacer p = new Pacer();
        finishCycle(p, 1 * MiB, MiB, 1);
        assertEquals(4 * MiB, p.heapGoal(), "2 MiB by GOGC, raised to the 4 MiB minimum");
        p.setGcPercent(200);
        assertEquals(8 * MiB, p.heapGoal(), "minimum scales with GOGC/100");
        p.setGcPercent(0);
        assertEquals(MiB, p.heapGoal());
        assertEquals(MiB, p.trigger(), "GOGC=0: trigger at the live heap, a cycle starts right away");
    }

    @Test
    void gogcOffNeverTriggers() {
        Pacer p = new Pacer();
        p.setGcPercent(Pacer.OFF);
        assertEquals(Pacer.INFINITE, p.heapGoal());
        p.setHeapLive(1L << 50);
        assertFalse(p.shouldStart(), "GOGC=off: a petabyte heap still does not trigger");
        assertTrue(p.trigger() > (1L << 60));
    }

    @Test
    void consMarkMovesTheTriggerEarlierWithinBounds() {
        Pacer p = new Pacer();
        finishCycle(p, 100 * MiB, 100 * MiB, 1);
        long noRunwayTrigger = p.trigger();
        assertEquals(196 * MiB, noRunwayTrigger, "goal - 4 MiB for large heaps");
        // A cycle where the mutator allocated 10 MiB while 100 MiB were scanned at 25% utilisation.
        p.setHeapLive(p.trigger());
        p.startCycle(1_000, 4, false);
        p.setHeapLive(p.trigger() + 10 * MiB);
        p.heapScanWork.set(100 * MiB);
        p.endCycle(1_000 + 10_000_000);
        double expectedConsMark = (10.0 * MiB * 0.25) / (100.0 * MiB * 0.75);
        assertEquals(expectedConsMark, p.consMark(), 1e-9);
        p.resetLive(100 * MiB);
        p.commit(true);
        long runway = (long) (expectedConsMark * 3 * 100 * MiB);
        assertEquals(runway, p.runway());
        assertEquals(200 * MiB - runway, p.trigger(), "trigger = goal - runway (10 MiB)");
        // A huge cons/mark clamps the trigger to 45/64 of the way.
        p.setHeapLive(p.trigger());
        p.startCycle(0, 4, false);
        p.setHeapLive(p.trigger() + 1000 * MiB);
        p.heapScanWork.set(MiB);
        p.endCycle(1_000_000);
        p.resetLive(100 * MiB);
        p.commit(true);
        assertEquals(100 * MiB + 100 * MiB / 64 * 45, p.trigger());
        // The maximum of this and the last four measurements is used: the 5th quiet cycle forgets it.
        double big = p.consMark();
        for (int i = 0; i < 5; i++) {
            p.setHeapLive(p.trigger());
            p.startCycle(0, 4, false);
            p.setHeapLive(p.trigger() + MiB);
            p.heapScanWork.set(100 * MiB);
            p.endCycle(1_000_000);
            p.resetLive(100 * MiB);
            p.commit(true);
            if (i < 4) {
                assertEquals(big, p.consMark(), "cycle " + i);
            }
        }
        assertTrue(p.consMark() < big);
    }

    @Test
    void unfinishedSweepKeepsOneMiBOfDistance() {
        Pacer p = new Pacer();
        finishCycle(p, 100 * MiB, 50 * MiB, 1);
        p.setHeapLive(199 * MiB + 512 * 1024);
        p.commit(false);
        assertTrue(p.trigger() >= 199 * MiB + 512 * 1024 + Pacer.SWEEP_MIN_HEAP_DISTANCE);
        assertTrue(p.heapGoal() >= p.trigger());
    }

    /**
     * Between cycles the collector re-arms the trigger at a span refill once stacks moved (limit36):
     * the live figures in, {@link Pacer#refreshLimit} out. Stacks taken lower the limit's goal by
     * their bytes and the trigger with it, trigger <= goal holds, returned stacks bring both back,
     * and the refresh allocates nothing (it runs on the refill path; until limit36 it built a
     * two-element array a call).
     */
    @Test
    void aRefreshBetweenCyclesFollowsTheLiveStacksAndAllocatesNothing() {
        Pacer p = new Pacer();
        p.setGcPercent(200);
        finishCycle(p, 8 * MiB, 4 * MiB, 1);
        p.setMemoryLimit(24 * MiB);
        p.setMemoryStats(20 * MiB, 4 * MiB, 12 * MiB, MiB);     // 4 MiB of non-heap memory, 1 MiB of it stacks
        p.refreshLimit();
        long goal0 = p.heapGoal();
        long trigger0 = p.trigger();
        assertEquals(p.memoryLimitHeapGoal(), goal0, "the limit binds (GOGC's goal is 24 MiB)");
        assertEquals(19 * MiB, goal0);
        p.setLiveMemoryFigures(24 * MiB, 5 * MiB);             // 4 MiB more of stacks, mapped
        p.refreshLimit();
        String figures = String.format("goal %d -> %d KiB, trigger %d -> %d KiB", goal0 >> 10, p.heapGoal() >> 10,
                trigger0 >> 10, p.trigger() >> 10);
        assertEquals(15 * MiB, p.heapGoal(), "the goal did not follow the stacks: " + figures);
        assertTrue(p.trigger() <= trigger0 - 4 * MiB / 64 * 45, "the trigger did not follow the goal: " + figures);
        assertTrue(p.trigger() <= p.heapGoal(), "trigger > goal: " + figures);
        p.setLiveMemoryFigures(20 * MiB, MiB);                 // returned
        p.refreshLimit();
        assertEquals(goal0, p.heapGoal());
        assertEquals(trigger0, p.trigger());

        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count a thread's allocated bytes");
        mx.getCurrentThreadAllocatedBytes();
        int calls = 20_000;
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            p.setLiveMemoryFigures(20 * MiB + (i & 1) * 4 * MiB, MiB + (i & 1) * 4 * MiB);
            p.refreshLimit();
        }
        long bytes = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(bytes < 4096, "refreshLimit allocated " + bytes + " B of Java memory over " + calls + " calls");
    }

    @Test
    void memoryLimitCapsTheGoal() {
        Pacer p = new Pacer();
        finishCycle(p, 40 * MiB, 20 * MiB, 1);
        assertEquals(80 * MiB, p.heapGoal());
        p.setMemoryLimit(64 * MiB);
        p.setMemoryStats(60 * MiB, 5 * MiB, 50 * MiB);   // 5 MiB of non-heap memory
        p.refreshLimit();
        long goal = 59 * MiB;
        goal -= Math.max(goal / 100 * 3, MiB);
        assertEquals(goal, p.heapGoal());
        assertEquals(goal, p.memoryLimitHeapGoal());
        assertTrue(p.trigger() < p.heapGoal());
        // Over the limit: the overage is subtracted too.
        p.setMemoryStats(70 * MiB, 5 * MiB, 50 * MiB);
        p.refreshLimit();
        long g2 = 64 * MiB - (15 * MiB + 6 * MiB);
        g2 -= Math.max(g2 / 100 * 3, MiB);
        assertEquals(g2, p.heapGoal());
        // Non-heap alone exceeds the limit: collect continuously at the live heap.
        p.setMemoryStats(200 * MiB, 0, 10 * MiB);
        p.refreshLimit();
        assertEquals(40 * MiB, p.heapGoal());
        assertEquals(40 * MiB, p.trigger());
        // GOGC=off + limit: only the limit decides.
        p.setMemoryStats(50 * MiB, 0, 45 * MiB);
        p.setGcPercent(Pacer.OFF);
        p.refreshLimit();
        long g3 = 59 * MiB;
        g3 -= Math.max(g3 / 100 * 3, MiB);
        assertEquals(g3, p.heapGoal());
        assertThrows(IllegalArgumentException.class, () -> p.setMemoryLimit(-1));
    }

    @Test
    void dedicatedAndFractionalWorkersMake25Percent() {
        // {GOMAXPROCS, dedicated, fractional goal}: Go's table (fractional when rounding is > 30% off)
        double[][] cases = {
            {1, 0, 0.25}, {2, 0, 0.25}, {3, 0, 0.25}, {4, 1, 0}, {5, 1, 0}, {6, 1, 0.5 / 6},
            {7, 2, 0}, {8, 2, 0}, {16, 4, 0}, {64, 16, 0},
        };
        for (double[] c : cases) {
            Pacer p = new Pacer();
            p.startCycle(0, (int) c[0], false);
            assertEquals((long) c[1], p.dedicatedWorkers(), "dedicated at GOMAXPROCS=" + (int) c[0]);
            assertEquals(c[2], p.fractionalUtilizationGoal(), 1e-12, "fractional at GOMAXPROCS=" + (int) c[0]);
            double total = p.dedicatedWorkers() + p.fractionalUtilizationGoal() * c[0];
            assertEquals(0.25 * c[0], total, 0.25 * c[0] * 0.3 + 1e-9, "utilisation near 25%");
        }
        Pacer stw = new Pacer();
        stw.startCycle(0, 3, true);
        assertEquals(3, stw.dedicatedWorkers(), "gcstoptheworld: every P marks");
        assertEquals(0, stw.fractionalUtilizationGoal());
        assertThrows(IllegalArgumentException.class, () -> stw.startCycle(0, 0, false));
    }

    @Test
    void fractionalWorkerQuota() {
        Pacer p = new Pacer();
        p.startCycle(1_000, 2, false);   // goal 0.25 per P
        assertTrue(p.fractionalBehind(0, 1_000 + 1000));
        assertTrue(p.fractionalBehind(240, 1_000 + 1000));
        assertFalse(p.fractionalBehind(260, 1_000 + 1000));
        assertFalse(p.fractionalShouldExit(290, 1_000 + 1000));
        assertTrue(p.fractionalShouldExit(310, 1_000 + 1000), "over 1.2 x 25%");
    }

    /**
     * The assist ratio holds the goal: a mutator allocates in 64 KiB steps during marking and pays
     * exactly the assist it owes each step, background workers scan slowly (or not at all); marking
     * finishes when the expected scan work is done. The heap at that moment never exceeds the goal.
     */
    @Test
    void assistsHoldTheGoalWhenTheMutatorOutrunsWorkers() {
        for (double bgBytesPerStep : new double[] {0, 1024, 16 * 1024}) {
            Pacer p = new Pacer();
            finishCycle(p, 100 * MiB, 100 * MiB, 1);
            long goal = p.heapGoal();
            p.setHeapScan(100 * MiB);
            p.setHeapLive(p.trigger());
            p.startCycle(0, 4, false);
            double expected = 100 * MiB;
            double done = 0;
            long step = 64 << 10;
            while (done < expected) {
                double owe = step * p.assistWorkPerByte();
                done += owe + bgBytesPerStep;
                p.heapScanWork.set((long) done);
                p.addHeapLive(step, 0);
            }
            assertTrue(p.heapLive() <= goal + step, "bg=" + bgBytesPerStep + ": heap " + p.heapLive() + " > goal " + goal);
            p.endCycle(10);
        }
    }

    /**
     * Near the end of marking the work left is revise's floor (Go's 1000 units), and an assist
     * converts at least {@link Assists#OVER_ASSIST_WORK} of (stolen) work at the ratio: at the
     * floor that is 65 times the heap left to the goal (session 34, limit34). Assists caps the
     * credit one pass takes at its debt or the runway ({@link Pacer#assistRunway()}), whichever is
     * larger (limitfix34): the pass's arithmetic, at the real pacer's ratios, buys at most that.
     * AssistCreditRunwayTest is the whole path.
     */
    @Test
    void anOverAssistAtTheEndOfMarkBuysAtMostTheRunwayLeft() {
        Pacer p = new Pacer();
        finishCycle(p, 8 * MiB, 8 * MiB, 1);        // a steady live heap: the estimate is this cycle's work
        p.setHeapScan(12 * MiB);
        p.setHeapLive(p.trigger());
        p.startCycle(0, 2, false);
        long goal = p.heapGoal();
        long runway = 512 << 10;
        for (long left : new long[] {0, 500, 1000, 32 << 10, 64 << 10}) {
            p.heapScanWork.set(8 * MiB - left);
            p.reviseDuringMark(goal - runway);
            assertEquals(runway, p.assistRunway(), "the runway the cap reads");
            for (long debt : new long[] {32, 4 << 10, 1 << 20}) {
                // assistOnce's over-assist: at least OVER_ASSIST_WORK of work at the ratio, the debt included.
                double overAssistCredit = p.assistBytesPerWork() * Math.max(Assists.OVER_ASSIST_WORK, p.assistWorkPerByte() * debt);
                long balance = Assists.addCredit(-debt, Assists.creditBytes(overAssistCredit),
                        Assists.maxBalanceAfter(debt, p.assistRunway()));
                long taken = balance + debt;
                assertTrue(taken <= Math.max(debt, runway), "work left " + left + ", debt " + debt
                        + ": one over-assist takes " + taken + " bytes of credit with " + runway + " left to the goal");
                assertTrue(balance >= Math.min(0, (long) overAssistCredit - debt), "the debt is paid: balance " + balance);
            }
        }
        // Without the cap, Go's floor makes the over-assist buy 65 times the runway: the cap is what bounds it.
        p.heapScanWork.set(8 * MiB);
        p.reviseDuringMark(goal - runway);
        assertEquals((double) runway / Pacer.MIN_REMAINING_SCAN_WORK, p.assistBytesPerWork(), 1e-9, "Go's floor: 1000 units");
        assertTrue(p.assistBytesPerWork() * Assists.OVER_ASSIST_WORK > 60.0 * runway);
        // Past the revised goal (x 1.1) the runway is negative: an assist takes exactly its debt.
        p.reviseDuringMark((long) (goal * 1.1) + 1);
        assertTrue(p.assistRunway() < 0);
        assertEquals(0, Assists.addCredit(-4096, Assists.creditBytes(p.assistBytesPerWork() * Assists.OVER_ASSIST_WORK + 8192),
                Assists.maxBalanceAfter(4096, p.assistRunway())));
    }

    /**
     * Revise's floor is Go's (1000 units), not limit34's 64 KiB: for a cycle whose whole expected
     * work W is under 64 KiB, a 64 KiB floor made the ratio 64K/W times steeper for the whole mark,
     * and a mutator paying every byte with credit could allocate only 6 % (W = 4 KiB) to 63 % (W =
     * 64 KiB) of the runway during the mark (review34a's FloorSim). With Go's floor it is 92-100 %.
     */
    @Test
    void aSmallCyclesRatioIsNotSteepenedByTheFloor() {
        for (long w : new long[] {4 << 10, 16 << 10, 64 << 10}) {
            Pacer p = new Pacer();
            finishCycle(p, MiB, w, 1);
            p.setHeapScan(w);
            long trigger = p.trigger();
            p.setHeapLive(trigger);
            p.startCycle(0, 2, false);
            long goal = p.heapGoal();
            long live = trigger;
            long step = Math.min(1024, w / 16);
            for (long done = 0; done < w; done += step) {
                p.heapScanWork.set(done);
                p.reviseDuringMark(live);
                live += (long) (p.assistBytesPerWork() * step);
            }
            double share = (double) (live - trigger) / (goal - trigger);
            assertTrue(share >= 0.9, "W " + (w >> 10) + " KiB: " + Math.round(share * 100)
                    + " % of the runway allocatable during the mark (Go's floor: 92-100 %)");
        }
    }

    /** When scan work exceeds the estimate (the heap grew), the goal is extrapolated but never past the hard goal. */
    @Test
    void growingHeapExtendsTheGoalUpToTheHardGoal() {
        Pacer p = new Pacer();
        finishCycle(p, 100 * MiB, 100 * MiB, 1);
        long goal = p.heapGoal();
        p.setHeapScan(400 * MiB);        // scannable heap grew 4x since the last cycle
        p.setHeapLive(p.trigger());
        p.startCycle(0, 4, false);
        double done = 0;
        long step = 64 << 10;
        int guard = 0;
        while (done < 400 * MiB && guard++ < 1_000_000) {
            done += step * p.assistWorkPerByte();
            p.heapScanWork.set((long) done);
            p.addHeapLive(step, 0);
        }
        long hard = 2 * goal;
        assertTrue(p.heapLive() > goal, "the extended goal lets the heap pass the soft goal");
        assertTrue(p.heapLive() <= (long) (hard * 1.1) + step, "heap " + p.heapLive() + " stays within the hard goal " + hard + " (+10% overshoot)");
    }

    /**
     * A forced cycle (runtime.GC) starts below the trigger; when its scan work passes the estimate
     * the goal is extrapolated from heapLive at the cycle's start, as Go's revise does from
     * c.triggered: (goal - triggered) / expected x maxScanWork + triggered.
     */
    @Test
    void aForcedCycleExtendsTheGoalFromWhereItStarted() {
        Pacer p = new Pacer();
        finishCycle(p, 100 * MiB, 100 * MiB, 1);
        assertEquals(200 * MiB, p.heapGoal());
        assertEquals(196 * MiB, p.trigger());
        p.setHeapScan(200 * MiB);                // the scannable heap doubled since the last cycle
        p.setHeapLive(120 * MiB);                // forced, 76 MiB below the trigger
        p.startCycle(0, 4, false);
        p.heapScanWork.set(150 * MiB);           // past the 100 MiB expected
        p.reviseDuringMark(130 * MiB);
        // extended goal (200 - 120) / 100 x 200 + 120 = 280 MiB (under the hard goal, 400 MiB);
        // work left 200 - 150 = 50 MiB over the 150 MiB from 130 MiB to it.
        assertEquals(50.0 / 150, p.assistWorkPerByte(), 1e-9, "assist work per byte");
        assertEquals(150.0 / 50, p.assistBytesPerWork(), 1e-9);
    }

    /**
     * GOGC=off with no limit: a forced cycle's goal is infinite (Go revises as if GOGC were
     * 100000), so the assist ratio stays near zero, also once the scan work passes the estimate
     * (the goal extrapolated from an infinite one stays infinite, never wraps negative) and with
     * the heap far past any finite goal.
     */
    @Test
    void atGogcOffAForcedCycleAsksAlmostNoAssistWork() {
        Pacer p = new Pacer();
        p.setGcPercent(Pacer.OFF);
        finishCycle(p, 10 * MiB, 10 * MiB, 1);
        assertEquals(Pacer.INFINITE, p.heapGoal());
        p.setHeapScan(40 * MiB);
        p.setHeapLive(50 * MiB);
        p.startCycle(0, 2, false);
        assertTrue(p.assistWorkPerByte() < 1e-9, "at the start: " + p.assistWorkPerByte());
        p.heapScanWork.set(30 * MiB);            // three times the 10 MiB expected
        p.reviseDuringMark(60 * MiB);
        assertTrue(p.assistWorkPerByte() < 1e-9, "past the estimate: " + p.assistWorkPerByte());
        assertTrue(p.assistBytesPerWork() > 1e9, "bytes per unit of work: " + p.assistBytesPerWork());
        p.reviseDuringMark(1L << 50);
        assertTrue(p.assistWorkPerByte() < 1e-9, "a petabyte heap: " + p.assistWorkPerByte());
    }

    /**
     * GOGC or the memory limit changed while marking: the assist ratio follows the new goal at
     * once (Go's setGCPercent and setMemoryLimit commit and then revise when a cycle runs).
     */
    @Test
    void aGogcOrLimitChangeMidCycleRevisesTheAssistRatio() {
        Pacer p = new Pacer();
        finishCycle(p, 100 * MiB, 100 * MiB, 1);
        p.setHeapLive(p.trigger());              // 196 MiB
        p.startCycle(0, 4, false);
        assertEquals(100.0 / 4, p.assistWorkPerByte(), 1e-9, "100 MiB of work over the 4 MiB to the goal");
        p.setGcPercent(300);
        assertEquals(400 * MiB, p.heapGoal());
        assertEquals(100.0 / 204, p.assistWorkPerByte(), 1e-9, "GOGC=300: over the 204 MiB to 400 MiB");
        p.setGcPercent(Pacer.OFF);
        assertTrue(p.assistWorkPerByte() < 1e-9, "GOGC=off mid-cycle: " + p.assistWorkPerByte());
        p.setGcPercent(100);
        p.setMemoryLimit(150 * MiB);
        p.setMemoryStats(200 * MiB, 0, 196 * MiB);   // 50 MiB over the limit: the goal falls to heapMarked
        p.refreshLimit();
        assertEquals(100 * MiB, p.heapGoal());
        assertTrue(p.assistWorkPerByte() > 1e6, "past the limit's goal every byte owes the work left: " + p.assistWorkPerByte());
        p.endCycle(1_000_000);
    }

    /** Go's setGCPercent: any negative value is -1, off (debug.SetGCPercent documents "a negative percentage"). */
    @Test
    void anyNegativeGcPercentIsOff() {
        Pacer p = new Pacer();
        assertEquals(100, p.setGcPercent(-5));
        assertEquals(Pacer.OFF, p.gcPercent());
        assertEquals(Pacer.INFINITE, p.heapGoal());
        assertEquals(Pacer.OFF, p.setGcPercent(Integer.MIN_VALUE));
        assertEquals(Pacer.OFF, p.setGcPercent(100), "the old value of an off pacer is -1");
    }

    @Test
    void badSettingsAreRejected() {
        Pacer p = new Pacer();
        var e = assertThrows(IllegalArgumentException.class, () -> p.setMemoryLimit(-5));
        assertTrue(e.getMessage().contains("memory limit must be >= 0"), e.getMessage());
        assertEquals(Pacer.INFINITE, p.memoryLimit(), "pacer unchanged after bad input");
    }
}
