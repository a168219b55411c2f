package dev.gort.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * PathProbe's accounting, called directly (its hooks in the runtime are behind the static final
 * ON, off in tests): a nested call is booked to its own path with its own CPU time, a call that
 * spins on a CPU shows CPU close to its wall time and one that sleeps shows none, and an end on
 * another thread than its start (a goroutine that moved Ms) books no CPU time but counts it unknown.
 */
class PathProbeTest {
    @Test
    void booksWallAndCpuPerPathAndRefusesACpuFigureFromAnotherThread() throws Exception {
        PathProbe.reset();
        long outer = PathProbe.start();
        long inner = PathProbe.start();
        spin(3_000_000);
        PathProbe.end(PathProbe.RECLAIM, inner);
        Thread.sleep(3);
        PathProbe.end(PathProbe.REFILL, outer);

        long[] moved = new long[1];
        Thread a = new Thread(() -> moved[0] = PathProbe.start());
        a.start();
        a.join();
        PathProbe.end(PathProbe.GROW, moved[0]);

        String r = PathProbe.report();
        double[] reclaim = figures(r, "reclaim");
        double[] refill = figures(r, "mcache refill");
        // reclaim: one call that burned 3 ms of CPU: wall and CPU both >= 3 ms.
        assertTrue(reclaim[0] == 1 && reclaim[1] >= 3.0 && reclaim[3] >= 3.0, r);
        // refill: its own call, 3 ms asleep on top of the spin: wall >= 6 ms, and its CPU is the
        // spin's without the sleep (CPU and wall of one call are read at its start and end).
        assertTrue(refill[0] == 1 && refill[1] >= 6.0 && refill[3] >= 3.0 && refill[3] <= refill[1] - 2.5, r);
        assertTrue(r.matches("(?s).*mheap growth: 1, .*CPU 0 / 0 \\(unknown 1\\).*"), r);

        PathProbe.reset();
        assertTrue(!PathProbe.report().contains("reclaim"), PathProbe.report());
    }

    /**
     * A call over {@link PathProbe#EVENT_NANOS} is kept one by one with the thread's getrusage
     * deltas: here one that touches 512 fresh pages (512 minor faults at least, on a private
     * anonymous mapping), one that sleeps (a voluntary switch, CPU far below wall), and a short
     * one that is not kept. Linux only (RUSAGE_THREAD).
     */
    @Test
    void keepsLongCallsWithTheirFaultsAndSwitches() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Platform.current().isLinux(), "RUSAGE_THREAD is Linux's");
        PathProbe.reset();
        long bytes = 512L * 4096;
        OsMemory os = PosixOsMemory.get();
        long fresh = os.reserve(bytes);     // mmap'd, never touched: each page's first write faults
        try {
            os.commit(fresh, bytes);
            long touch = PathProbe.start();
            for (long off = 0; off < bytes; off += 4096) {
                NativeMemory.putLong(fresh + off, 1L);
            }
            spin(1_500_000);        // over the event threshold whatever the faults cost
            PathProbe.end(PathProbe.COMMIT, touch);
        } finally {
            os.unmap(fresh, bytes);
        }
        long sleep = PathProbe.start();
        Thread.sleep(SLEEP_MILLIS);
        PathProbe.end(PathProbe.GROW, sleep);
        long quick = PathProbe.start();
        PathProbe.end(PathProbe.LARGE, quick);

        String ev = PathProbe.events(10);
        assertTrue(ev.contains("(2, the newest 2 kept"), ev);
        Matcher commit = Pattern.compile("  [0-9.]+ ([0-9.]+) ([0-9.]+) [0-9.]+ / [0-9.]+ (\\d+) / \\d+ \\d+ / \\d+ t\\d+ arena commit").matcher(ev);
        assertTrue(commit.find(), ev);
        assertTrue(Long.parseLong(commit.group(3)) >= 512, "the touched pages' minor faults: " + ev);
        Matcher slept = Pattern.compile("  [0-9.]+ ([0-9.]+) ([0-9.]+) [0-9.]+ / [0-9.]+ \\d+ / \\d+ (\\d+) / \\d+ t\\d+ mheap growth").matcher(ev);
        assertTrue(slept.find(), ev);
        double sleptWall = Double.parseDouble(slept.group(1));
        double sleptCpu = Double.parseDouble(slept.group(2));
        // The CPU column is the thread's CPU clock, not the wall clock: the sleep's own time is in
        // the wall and not in the CPU. Asserted as wall - CPU >= the sleep less a margin (as the
        // refill's spin and sleep are above), not as an absolute CPU bound: at load ~20 the thread
        // was charged 3 ms of CPU around its 5 ms sleep (wall 46.955 ms, CPU 3.056 ms, getrusage's
        // user 3.9 ms, 2 involuntary switches; session 33), against "CPU < 2.5 ms". Whatever the
        // thread is charged while it runs (this VM books time the host takes from a running vCPU
        // to the thread on it: PathProbe's class comment) adds to the wall as much; waiting adds
        // to the wall alone. Only a CPU figure that counts the sleep makes the difference small.
        assertTrue(sleptWall >= SLEEP_MILLIS && sleptWall - sleptCpu >= SLEEP_MILLIS - SLEEP_MARGIN_MILLIS
                && Long.parseLong(slept.group(3)) >= 1, "a sleep: wall >= " + SLEEP_MILLIS + " ms, of which at least "
                + (SLEEP_MILLIS - SLEEP_MARGIN_MILLIS) + " ms not charged as CPU, a voluntary switch: " + ev);
        assertTrue(!ev.contains("large object"), "a short call is not kept: " + ev);
        PathProbe.reset();
        assertTrue(PathProbe.events(10).contains("(0, the newest 0 kept"), PathProbe.events(10));
    }

    /** The sleeping call's sleep (ms), and how much of it may show as CPU (the clock reads around it, a wake-up's turns). */
    static final int SLEEP_MILLIS = 5;
    static final double SLEEP_MARGIN_MILLIS = 1.0;

    /** Burns {@code nanos} of this thread's CPU time (not wall time: a loaded machine may deschedule it). */
    private static void spin(long nanos) {
        long end = CpuClock.threadCpuNanos() + nanos;
        while (CpuClock.threadCpuNanos() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** calls, longest wall ms, its CPU ms, longest CPU ms for the path whose name starts with {@code name}. */
    private static double[] figures(String report, String name) {
        Matcher m = Pattern.compile("  " + Pattern.quote(name) + "[^:]*: (\\d+), ([0-9.]+) \\(([-0-9.]+)\\), ([-0-9.]+),").matcher(report);
        assertTrue(m.find(), report);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
            Double.parseDouble(m.group(4))};
    }

    @Test
    void aBadEventLimitWarnsWithWhatIsAcceptedAndTheReportStillComes() {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setProperty("gort.debug.pathprobe.events", "lots");
        try {
            System.setErr(new java.io.PrintStream(captured, true));
            String report = PathProbe.report();
            assertTrue(report.contains("slow path calls over"), report);
        } finally {
            System.setErr(err);
            System.clearProperty("gort.debug.pathprobe.events");
        }
        String warning = captured.toString();
        assertTrue(warning.contains("-Dgort.debug.pathprobe.events=lots is not valid; accepted: whole calls 0.." + PathProbe.EVENTS),
                warning);
    }
}
