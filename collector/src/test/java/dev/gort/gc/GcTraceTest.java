package dev.gort.gc;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GcTraceTest {
    static final long MiB = 1L << 20;

    static GcCycle goLine1() {
        return new GcCycle(1, 19_400_000, 0.025, 140_000, 1_300_000, 45_000,
                1_100_000, 500_000, 1_900_000, 1_400_000, 360_000,
                3 * MiB + 5, 4 * MiB, MiB + MiB / 2, 4 * MiB, 0, 0, 8, GcTrigger.HEAP);
    }

    @Test
    void reproducesGoLinesExactly() {
        assertEquals("gc 1 @0.019s 2%: 0.14+1.3+0.045 ms clock, 1.1+0.50/1.9/1.4+0.36 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P",
                GcTrace.format(goLine1()));
        GcCycle c12 = new GcCycle(12, 3_252_700_000L, 0.004, 28_000, 504_000_000, 11_000,
                220_000, 0, 252_000_000, 870_000, 90_000,
                3585 * MiB, 3585 * MiB, 2561 * MiB, 3585 * MiB, 0, 0, 8, GcTrigger.HEAP);
        assertEquals("gc 12 @3.252s 0%: 0.028+504+0.011 ms clock, 0.22+0/252/0.87+0.090 ms cpu, 3585->3585->2561 MB, 3585 MB goal, 0 MB stacks, 0 MB globals, 8 P",
                GcTrace.format(c12));
    }

    @Test
    void goNumberFormatting() {
        assertEquals("0", GcTrace.ms(999));
        assertEquals("0.001", GcTrace.ms(1_000));
        assertEquals("0.099", GcTrace.ms(99_999));
        assertEquals("0.10", GcTrace.ms(100_000));
        assertEquals("9.9", GcTrace.ms(9_999_999));
        assertEquals("10", GcTrace.ms(10_000_000));
        assertEquals("1234", GcTrace.ms(1_234_567_890));
        assertEquals("0.000", GcTrace.itoaDiv(0, 3));
        assertEquals("74577.976", GcTrace.itoaDiv(74_577_976, 3));
    }

    @Test
    void forcedSuffixAndParse() {
        GcCycle f = new GcCycle(3, 2_000_000_000L, 0.5, 20_000_000, 0, 1_000, 0, 0, 0, 0, 0,
                10 * MiB, 10 * MiB, 2 * MiB, 20 * MiB, 1 * MiB, 2 * MiB, 2, GcTrigger.USER);
        String line = GcTrace.format(f);
        assertTrue(line.endsWith(" 2 P (forced)"), line);
        GcTrace.Parsed p = GcTrace.parse(line);
        assertTrue(p.forced());
        assertEquals(3, p.num());
        assertEquals(2.0, p.atSeconds());
        assertEquals(50, p.cpuPercent());
        assertEquals(20, p.clockMs()[0]);
        assertEquals(10, p.heap0Mb());
        assertEquals(2, p.heap2Mb());
        assertEquals(20, p.goalMb());
        assertEquals(1, p.stacksMb());
        assertEquals(2, p.globalsMb());
        assertEquals(2, p.procs());
    }

    @Test
    void parserAcceptsGoLinesOldAndNew() {
        GcTrace.Parsed p = GcTrace.parse("gc 1 @0.019s 2%: 0.14+1.3+0.045 ms clock, 1.1+0.50/1.9/1.4+0.36 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P");
        assertEquals(0.045, p.clockMs()[2]);
        assertEquals(1.9, p.cpuMs()[2]);
        GcTrace.Parsed old = GcTrace.parse("gc 11249 @74577.976s 0%: 11+185+35 ms clock, 90+143/358/582+280 ms cpu, 112->114->56 MB, 115 MB goal, 8 P");
        assertEquals(11249, old.num());
        assertEquals(-1, old.stacksMb(), "Go <= 1.18 lines have no stacks field");
        assertEquals(582, old.cpuMs()[3]);
        assertThrows(IllegalArgumentException.class, () -> GcTrace.parse("gc 1 @0.019s 2%: nonsense"));
        assertThrows(IllegalArgumentException.class, () -> GcTrace.parse("GC forced"));
    }

    @Test
    void memStatsRingAndTotals() {
        GcStats s = new GcStats(0);
        assertEquals(0, s.snapshot().lastPauseNs());
        long total = 0;
        for (int i = 1; i <= 300; i++) {
            GcCycle c = new GcCycle(i, i, 0.01, i * 10L, 0, i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, i % 7 == 0 ? GcTrigger.USER : GcTrigger.HEAP);
            total += c.pauseNanos();
            s.record(c, 1_000L * i, 4 * MiB + i);
        }
        GcStats.Snapshot snap = s.snapshot();
        assertEquals(300, snap.numGC());
        assertEquals(42, snap.numForcedGC());
        assertEquals(total, snap.pauseTotalNs());
        assertEquals(300 * 11L, snap.lastPauseNs());
        assertEquals(300 * 11L, snap.pauseNs()[(300 + 255) % 256], "Go's ring: most recent at (NumGC+255)%256");
        assertEquals(45 * 11L, snap.pauseNs()[44], "slot 44 still holds cycle 45: cycles 257..300 overwrote slots 0..43");
        assertEquals(300_000L, snap.lastGC());
        assertEquals(4 * MiB + 300, snap.nextGC());
        assertThrows(IllegalStateException.class, () -> s.record(goLine1(), 0, 0), "cycle numbers must follow");
    }

    @Test
    void cpuFractionIsGcCpuOverAvailableCpu() {
        GcStats s = new GcStats(0);
        assertEquals(0.25, s.cpuFractionWith(500, 1000, 2), 1e-12);
    }

    @Test
    void jfrEventsCarryTheCycle() throws Exception {
        Path file = Files.createTempFile("gort-gc", ".jfr");
        try (Recording r = new Recording()) {
            r.enable(GcCycleEvent.class);
            r.enable(GcPauseEvent.class);
            r.start();
            GcPauseEvent pause = new GcPauseEvent();
            pause.begin();
            pause.gcNumber = 1;
            pause.phase = "sweep termination";
            pause.commit();
            GcCycleEvent e = new GcCycleEvent();
            e.set(goLine1());
            e.commit();
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        RecordedEvent cycle = events.stream().filter(ev -> ev.getEventType().getName().equals("dev.gort.GcCycle")).findFirst().orElseThrow();
        assertEquals(1, cycle.getLong("gcNumber"));
        assertEquals(4 * MiB, cycle.getLong("heapGoal"));
        assertEquals(8, cycle.getInt("procs"));
        assertEquals(1_300_000, cycle.getDuration("concurrentMark").toNanos());
        RecordedEvent p = events.stream().filter(ev -> ev.getEventType().getName().equals("dev.gort.GcPause")).findFirst().orElseThrow();
        assertEquals("sweep termination", p.getString("phase"));
    }

    /**
     * review31's finding 8: session 31 replaced GcCycle's {@code boolean forced} by a GcTrigger, and
     * session 32 added {@code pauseNanos}; both earlier constructors are kept (the boolean one
     * deprecated), so code that builds cycles compiles and means what it meant.
     */
    @Test
    @SuppressWarnings("deprecation")
    void earlierConstructorsStillBuildTheSameCycle() {
        GcCycle byBoolean = new GcCycle(3, 2_000_000_000L, 0.5, 20_000_000, 5, 1_000, 40_000_000, 0, 0, 0, 2_000,
                10 * MiB, 10 * MiB, 2 * MiB, 20 * MiB, 1 * MiB, 2 * MiB, 2, true);
        assertEquals(GcTrigger.USER, byBoolean.trigger(), "forced = true is Gort.gc()'s cycle");
        assertTrue(byBoolean.forced());
        assertEquals(20_001_000, byBoolean.pauseNanos(), "without pauseNanos: the two termination pauses");
        GcCycle notForced = new GcCycle(3, 2_000_000_000L, 0.5, 20_000_000, 5, 1_000, 40_000_000, 0, 0, 0, 2_000,
                10 * MiB, 10 * MiB, 2 * MiB, 20 * MiB, 1 * MiB, 2 * MiB, 2, false);
        assertEquals(GcTrigger.HEAP, notForced.trigger());
        assertFalse(notForced.forced());
        GcCycle byTrigger = new GcCycle(3, 2_000_000_000L, 0.5, 20_000_000, 5, 1_000, 40_000_000, 0, 0, 0, 2_000,
                10 * MiB, 10 * MiB, 2 * MiB, 20 * MiB, 1 * MiB, 2 * MiB, 2, GcTrigger.USER);
        assertEquals(byBoolean, byTrigger, "session 30's and session 31's forms build the same record");
        GcCycle full = new GcCycle(3, 2_000_000_000L, 0.5, 20_000_000, 5, 1_000, 40_000_000, 0, 0, 0, 2_000,
                10 * MiB, 10 * MiB, 2 * MiB, 20 * MiB, 1 * MiB, 2 * MiB, 2, GcTrigger.USER, 20_500_000);
        assertEquals(20_500_000, full.pauseNanos(), "a mark-completion pause makes PauseNs more than the two");
        assertEquals(GcTrace.format(byTrigger), GcTrace.format(full), "pauseNanos is not in the gctrace line");
        NullPointerException npe = assertThrows(NullPointerException.class, () -> new GcCycle(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 1, (GcTrigger) null));
        assertTrue(npe.getMessage().contains("trigger"), npe.getMessage());
    }

    /** GCCPUFraction (P%) leaves idle marking out, as Go's gc_cpu_fraction; the pauses count at their CPU figures. */
    @Test
    void cpuFractionLeavesIdleMarkingOut() {
        GcStats s = new GcStats(0);
        GcCycle c = new GcCycle(1, 0, 0.1, 10, 0, 10, 20, 30, 40, 1_000_000, 20, 0, 0, 0, 0, 0, 0, 2, GcTrigger.HEAP);
        s.record(c, 0, 0);
        assertEquals((20 + 30 + 40 + 20) / (1000.0 * 2), s.cpuFractionWith(0, 1000, 2), 1e-12,
                "the next cycle's fraction counts this one's CPU without its idle 1 ms");
    }
}
