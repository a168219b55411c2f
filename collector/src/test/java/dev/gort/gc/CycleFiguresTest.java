package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.arena.MemStats;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/**
 * Each cycle's figures against Go's meaning (runtime/mstats.go, mgc.go), checked by relations that
 * must hold exactly whatever the machine's load: the same cycle seen through the pause listener,
 * GcCycle (the gctrace line and the JFR event) and GcStats (MemStats' GC fields).
 */
class CycleFiguresTest {
    private static final int GC_CALLS = 6;

    private static long ringEntry(GcStats.Snapshot s, long num) {
        return s.pauseNs()[(int) ((num + GcStats.PAUSE_RING - 1) % GcStats.PAUSE_RING)];
    }

    private static long ringEnd(GcStats.Snapshot s, long num) {
        return s.pauseEnd()[(int) ((num + GcStats.PAUSE_RING - 1) % GcStats.PAUSE_RING)];
    }

    /**
     * Go's PauseNs entry (and PauseTotalNs' share) of a cycle is the sum of all its stop-the-world
     * pauses (work.pauseNS += now - stw.startedStopping), each from the stop request: sweep
     * termination's and mark completion's to their restart (startTheWorldWithSema's own now, taken
     * after the Ps are handed out), mark termination's to the now gcMarkTermination takes before
     * startTheWorldWithSema(now, ...), so its restart is not in it; gctrace's first and third clock
     * figures are the sweep- and mark-termination pauses so bounded. The pause listener reports each
     * pause to its restart, its last step ("start") the restart: so the ring holds what the listener
     * reported for that cycle less mark termination's "start" step, and so does the third clock figure.
     */
    @Test
    void pauseNsIsTheSumOfTheCyclesPausesAndTheClockFiguresArePauses() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Map<Long, List<StwPause>> byCycle = new ConcurrentHashMap<>();
            gc.setPauseBreakdownListener(p -> byCycle.computeIfAbsent(p.cycle(), k -> new CopyOnWriteArrayList<>()).add(p));
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 2_000, 20_000);
            long total = 0;
            for (int i = 0; i < GC_CALLS; i++) {
                gc.gc();
                GcStats.Snapshot s = gc.gcStats();
                GcCycle c = s.lastCycle();
                long sum = 0;
                long sweepTerm = -1;
                long markTerm = -1;
                for (StwPause p : byCycle.getOrDefault(c.num(), List.of())) {
                    sum += p.totalNanos();
                    if (p.kind() == StwPause.Kind.SWEEP_TERMINATION) {
                        sweepTerm = p.totalNanos();
                    } else if (p.kind() == StwPause.Kind.MARK_TERMINATION) {
                        markTerm = p.totalNanos() - p.stepNanos("start");
                        sum -= p.stepNanos("start");          // Go's tEnd: before the restart
                    }
                }
                if (!ForcedMode.concurrentMark()) {       // one pause, ending with mark termination: its restart is out
                    sum -= byCycle.get(c.num()).get(0).stepNanos("start");
                }
                assertTrue(sum > 0, "cycle " + c.num() + " reported no pause: " + byCycle.keySet());
                assertEquals(sum, ringEntry(s, c.num()), "PauseNs of gc " + c.num() + " is not the sum of its pauses " + byCycle.get(c.num()));
                assertEquals(sum, c.pauseNanos(), "GcCycle.pauseNanos of gc " + c.num());
                if (ForcedMode.concurrentMark()) {
                    assertEquals(sweepTerm, c.sweepTermWall(), "gctrace's sweep-termination clock of gc " + c.num() + " is not its pause");
                    assertEquals(markTerm, c.markTermWall(), "gctrace's mark-termination clock of gc " + c.num() + " is not its pause");
                } else {        // a forced gcstoptheworld mode: one pause, the whole clock
                    assertEquals(sum, c.sweepTermWall() + c.markWall() + c.markTermWall(), "gctrace's clock of gc " + c.num());
                }
                total = 0;
                for (long n = 1; n <= s.numGC(); n++) {
                    List<StwPause> ps = byCycle.getOrDefault(n, List.of());
                    for (StwPause p : ps) {
                        total += p.totalNanos();
                    }
                    if (!ps.isEmpty()) {
                        total -= ps.get(ps.size() - 1).stepNanos("start");       // the cycle's last pause: mark termination's
                    }
                }
                assertEquals(total, s.pauseTotalNs(), "PauseTotalNs after gc " + c.num());
            }
            head.close();
        });
    }

    /** The gcstoptheworld modes: one pause per cycle, and gctrace's three clock figures add up to it. */
    @Test
    void aStopTheWorldCyclesPauseIsItsWholeClock() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withDebug(false, false, false, 0, 1), gc -> {
            Map<Long, List<StwPause>> byCycle = new ConcurrentHashMap<>();
            gc.setPauseBreakdownListener(p -> byCycle.computeIfAbsent(p.cycle(), k -> new CopyOnWriteArrayList<>()).add(p));
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 2_000, 20_000);
            for (int i = 0; i < 3; i++) {
                gc.gc();
                GcStats.Snapshot s = gc.gcStats();
                GcCycle c = s.lastCycle();
                List<StwPause> pauses = byCycle.get(c.num());
                assertEquals(1, pauses.size(), "one pause: " + pauses);
                long pause = pauses.get(0).totalNanos() - pauses.get(0).stepNanos("start");      // to Go's tEnd, before the restart
                assertEquals(pause, ringEntry(s, c.num()), "PauseNs of gc " + c.num() + " against its one pause to before its restart " + pauses.get(0));
                assertEquals(pause, c.sweepTermWall() + c.markWall() + c.markTermWall(),
                        "gctrace's clock of gc " + c.num() + " against its one pause " + pauses.get(0));
            }
            head.close();
        });
    }

    /**
     * gctrace's idle figure ({@code a+b/c/d+e ms cpu}'s d) is the idle mark workers' time (Go's
     * idleMarkTime), apart from the dedicated and fractional workers' (c), and not in P% or
     * GCCPUFraction (Go leaves idle marking out of both). Idle workers run on a P with nothing
     * else to do: here the one goroutine waits in gc() while the other P is free.
     */
    @Test
    void idleWorkersTimeIsTheIdleFigure() {
        ForcedMode.assumeConcurrentMark("idle mark workers run in the concurrent mark phase");
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            GoroutineWorkers workers = ((SchedWorld) gc.world).workers();
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 20_000, 20_000);
            long deadline = System.nanoTime() + 60_000_000_000L;
            boolean idleRan = false;
            while (!idleRan) {
                assertTrue(System.nanoTime() - deadline < 0, "no idle mark worker stint in 60 s of gc() calls");
                long idle0 = workers.nanos[GoroutineWorkers.IDLE].get();
                long num0 = gc.gcStats().numGC();
                gc.gc();
                GcStats.Snapshot s = gc.gcStats();
                long idle = workers.nanos[GoroutineWorkers.IDLE].get() - idle0;
                if (s.numGC() != num0 + 1) {
                    continue;           // another cycle ran beside ours: the delta is not one cycle's
                }
                GcCycle c = s.lastCycle();
                assertEquals(idle, c.idleCpu(), "gc " + c.num() + "'s idle figure against its idle workers' stints");
                idleRan = idle > 0;
            }
            head.close();
        });
    }

    /**
     * LastGC and the PauseEnd entry are the wall clock (Unix ns) when the cycle's last pause ended
     * (Go takes it in mark termination, before the restart): not when the coordinator got round to
     * the accounting after the restart (here held up for 300 ms between the two).
     */
    @Test
    void lastGcIsWhenTheLastPauseEnded() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 200, 2_000);
            AtomicLong stalledAt = new AtomicLong();
            gc.setTailStallHookForTest(() -> {
                if (stalledAt.get() == 0) {
                    Instant now = Instant.now();
                    stalledAt.set(now.getEpochSecond() * 1_000_000_000L + now.getNano());
                    try {
                        Thread.sleep(300);              // the coordinator's thread: a gap, not a timing assertion
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            long before = epochNanos();
            gc.gc();
            gc.setTailStallHookForTest(null);
            GcStats.Snapshot s = gc.gcStats();
            assertTrue(stalledAt.get() != 0, "the tail hook ran");
            assertTrue(s.lastGC() >= before, "LastGC " + s.lastGC() + " before gc() was called at " + before);
            assertTrue(s.lastGC() <= stalledAt.get(), "LastGC " + s.lastGC() + " taken "
                    + (s.lastGC() - stalledAt.get()) / 1_000_000 + " ms after the restart (the tail stall began at " + stalledAt.get() + ")");
            assertEquals(s.lastGC(), ringEnd(s, s.numGC()), "PauseEnd of the last cycle is LastGC");
            head.close();
        });
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * GCCPUFraction (P%) divides the GC CPU by the processor time since start with GOMAXPROCS
     * integrated over time, as Go's cpuStats.TotalTime (sched.totaltime, brought up to date at each
     * procresize), not by the wall time x GOMAXPROCS now. Here 4 Ps from the start until a change to
     * 1, then a cycle: the denominator counts the time before the change at 4. The change's instant
     * is known to lie between the two reads around setGomaxprocs, so the fraction is bounded by the
     * GC CPU over the two integrals those reads give; with the current GOMAXPROCS it is 1/(4 - 3t)
     * times larger (t the share of time after the change), outside the bounds.
     */
    @Test
    void cpuFractionIntegratesGomaxprocsOverTime() {
        SchedCollectorTest.withRuntime(4, GcOptions.DEFAULT, gc -> {
            dev.gort.sched.Scheduler sched = ((SchedWorld) gc.world).scheduler();
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 2_000, 20_000);
            gc.gc();
            long before = System.nanoTime();
            sched.setGomaxprocs(1);
            long after = System.nanoTime();
            long deadline = System.nanoTime() + 60_000_000_000L;
            for (;;) {
                assertTrue(System.nanoTime() - deadline < 0, "no gc() cycle alone in 60 s");
                long n0 = gc.gcStats().numGC();
                gc.gc();
                long gcCpu = gc.stats.gcCpuNanos();
                GcStats.Snapshot s = gc.gcStats();
                if (s.numGC() != n0 + 1 || gc.stats.gcCpuNanos() != gcCpu) {
                    continue;                 // another cycle ended beside ours: read again
                }
                GcCycle c = s.lastCycle();
                assertEquals(1, c.procs(), "the cycle ran at GOMAXPROCS 1");
                long start = gc.stats.startNanos();
                long end = start + c.sinceStartNanos() + c.sweepTermWall() + c.markWall() + c.markTermWall();
                double lowIntegral = 4.0 * (before - start) + (end - before);
                double highIntegral = 4.0 * (after - start) + (end - after);
                double f = s.gcCpuFraction();
                assertTrue(f <= gcCpu / lowIntegral * (1 + 1e-9) && f >= gcCpu / highIntegral * (1 - 1e-9),
                        "GCCPUFraction " + f + " of " + gcCpu + " ns of GC CPU: not over GOMAXPROCS integrated over time ("
                                + lowIntegral + ".." + highIntegral + " processor-ns; " + (end - start) + " ns x 1 P now would give "
                                + (double) gcCpu / (end - start) + ")");
                break;
            }
            head.close();
        });
    }

    /**
     * Go's gctrace STW CPU figures are the pause's wall time x work.stwprocs, GOMAXPROCS capped at
     * the CPUs there are (ncpu): a pause cannot use more CPUs than the machine has.
     */
    @Test
    void stwCpuIsWallTimesProcsCappedAtTheCpus() {
        int ncpu = Runtime.getRuntime().availableProcessors();
        SchedCollectorTest.withRuntime(ncpu + 2, GcOptions.DEFAULT, gc -> {
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 200, 2_000);
            gc.gc();
            GcCycle c = gc.gcStats().lastCycle();
            assertEquals(ncpu + 2, c.procs(), "GOMAXPROCS printed as N P");
            assertEquals(c.sweepTermWall() * ncpu, c.sweepTermCpu(), "sweep termination's CPU with " + ncpu + " CPUs");
            assertEquals(c.markTermWall() * ncpu, c.markTermCpu(), "mark termination's CPU with " + ncpu + " CPUs");
            head.close();
        });
    }

    /**
     * Go's NextGC is the goal now (ReadMemStats reads gcController.heapGoal()): a GOGC change moves
     * it at once, GOGC=off makes it unbounded (here Long.MAX_VALUE), not at the next cycle's end.
     */
    @Test
    void nextGcFollowsAGogcChangeAtOnce() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Global head = SweeperGoroutineTest.liveAndGarbage(gc, 2_000, 2_000);
            gc.gc();
            long goal100 = gc.gcStats().nextGC();
            assertTrue(goal100 > 0 && goal100 < Pacer.INFINITE, "a finite goal at GOGC=100: " + goal100);
            gc.setGcPercent(-1);
            assertEquals(Pacer.INFINITE, gc.gcStats().nextGC(), "NextGC with GOGC=off");
            gc.setGcPercent(400);
            long goal400 = gc.gcStats().nextGC();
            assertTrue(goal400 > goal100 && goal400 < Pacer.INFINITE, "NextGC at GOGC=400 (" + goal400 + ") against GOGC=100's " + goal100);
            gc.setGcPercent(100);
            assertEquals(goal100, gc.gcStats().nextGC(), "NextGC back at GOGC=100");
            head.close();
        });
    }

    /** Go's NextGC before the first cycle: the first goal, 4 MiB x GOGC/100 (not 0). */
    @Test
    void nextGcBeforeTheFirstCycleIsTheFirstGoal() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            assertEquals(0, gc.gcStats().numGC());
            assertEquals(4L << 20, gc.gcStats().nextGC(), "NextGC before any cycle at GOGC=100");
        });
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withGcPercent(-1), gc ->
                assertEquals(Pacer.INFINITE, gc.gcStats().nextGC(), "NextGC before any cycle at GOGC=off"));
    }

    /**
     * One cycle three ways: its gctrace line is the GcCycle formatted, the JFR dev.gort.GcCycle event
     * carries the same figures, and MemStats agrees: NumGC, the PauseNs entry, GCCPUFraction (P%),
     * NextGC. A known heap: after gc() (which sweeps everything) with 2,000 live 32-byte nodes and
     * the garbage gone, the marked bytes (h2, "live MB") are HeapAlloc, and HeapObjects is 2,000.
     */
    @Test
    void gctraceJfrAndMemStatsAgreeOnTheSameCycle() throws Exception {
        Path file = Files.createTempFile("gort-cycle", ".jfr");
        GcCycle[] seen = new GcCycle[1];
        GcStats.Snapshot[] snap = new GcStats.Snapshot[1];
        MemStats[] mem = new MemStats[1];
        ByteArrayOutputStream trace = new ByteArrayOutputStream();
        try (Recording r = new Recording()) {
            r.enable(GcCycleEvent.class);
            r.start();
            SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withDebug(true, false, false, 0, 0), gc -> {
                gc.setTraceOutput(new PrintStream(trace, true, StandardCharsets.UTF_8));
                Global head = SweeperGoroutineTest.liveAndGarbage(gc, 2_000, 20_000);
                gc.gc();
                snap[0] = gc.gcStats();
                seen[0] = snap[0].lastCycle();
                mem[0] = gc.heap().readMemStats();
                head.close();
            });
            r.stop();
            r.dump(file);
        }
        GcCycle c = seen[0];
        GcStats.Snapshot s = snap[0];
        assertEquals(s.numGC(), c.num(), "NumGC is the last cycle's number");
        String[] lines = trace.toString(StandardCharsets.UTF_8).strip().split("\n");
        String line = null;
        for (String l : lines) {
            if (l.startsWith("gc " + c.num() + " @")) {
                line = l;
            }
        }
        assertEquals(GcTrace.format(c), line, "gc " + c.num() + "'s gctrace line in " + List.of(lines));
        GcTrace.Parsed parsed = GcTrace.parse(line);
        assertEquals((int) (s.gcCpuFraction() * 100), parsed.cpuPercent(), "P% is GCCPUFraction x 100");
        assertEquals(c.cpuFraction(), s.gcCpuFraction(), "GCCPUFraction after the cycle");
        assertEquals(c.heap2() >> 20, parsed.heap2Mb());
        assertTrue(parsed.forced(), "gc()'s cycle is (forced)");
        assertEquals(1, s.numForcedGC());
        assertEquals(c.pauseNanos(), ringEntry(s, c.num()), "PauseNs entry");
        assertEquals(2_000, mem[0].heapObjects(), "HeapObjects after gc(): the live nodes");
        assertEquals(2_000 * SchedCollectorTest.NODE_SLOT, mem[0].heapAlloc(), "HeapAlloc after gc(): the live nodes' slots");
        assertEquals(mem[0].heapAlloc(), c.heap2(), "gctrace's marked (live) heap against HeapAlloc after the full sweep");
        assertEquals(mem[0].mallocs() - mem[0].frees(), mem[0].heapObjects(), "Mallocs - Frees = HeapObjects");
        assertEquals(mem[0].heapInuse() + mem[0].heapIdle(), mem[0].heapSys(), "HeapSys = HeapInuse + HeapIdle");
        RecordedEvent ev = null;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("dev.gort.GcCycle") && e.getLong("gcNumber") == c.num()) {
                ev = e;
            }
        }
        Files.deleteIfExists(file);
        assertTrue(ev != null, "no dev.gort.GcCycle event for gc " + c.num());
        assertEquals(c.pauseNanos(), ev.getDuration("pauses").toNanos(), "the event's pauses are the PauseNs entry");
        assertEquals(c.sweepTermWall(), ev.getDuration("sweepTermination").toNanos());
        assertEquals(c.markWall(), ev.getDuration("concurrentMark").toNanos());
        assertEquals(c.markTermWall(), ev.getDuration("markTermination").toNanos());
        assertEquals(c.sweepTermCpu(), ev.getDuration("sweepTerminationCpu").toNanos());
        assertEquals(c.markTermCpu(), ev.getDuration("markTerminationCpu").toNanos());
        assertEquals(c.assistCpu(), ev.getDuration("assistCpu").toNanos());
        assertEquals(c.backgroundCpu(), ev.getDuration("backgroundCpu").toNanos());
        assertEquals(c.idleCpu(), ev.getDuration("idleCpu").toNanos());
        assertEquals(c.heap0(), ev.getLong("heapStart"));
        assertEquals(c.heap1(), ev.getLong("heapEnd"));
        assertEquals(c.heap2(), ev.getLong("heapMarked"));
        assertEquals(c.goal(), ev.getLong("heapGoal"));
        assertEquals(c.stacks(), ev.getLong("stacks"));
        assertEquals(c.globals(), ev.getLong("globals"));
        assertEquals(c.cpuFraction(), ev.getDouble("cpuFraction"));
        assertEquals("USER", ev.getString("trigger"));
    }
}
