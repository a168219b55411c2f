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
        // Until a round shows the refill's sleep outside its CPU (see SLEEP_SHOWN_GUARD_NANOS); every
        // other figure is asserted in every round.
        String r = null;
        int rounds = 0;
        boolean sleepShown = false;
        long guard = System.nanoTime() + SLEEP_SHOWN_GUARD_NANOS;
        while (!sleepShown && System.nanoTime() - guard < 0) {
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

            r = PathProbe.report();
            rounds++;
            double[] reclaim = figures(r, "reclaim");
            double[] refill = figures(r, "mcache refill");
            // reclaim: one call that burned 3 ms of CPU: wall and CPU both >= 3 ms.
            assertTrue(reclaim[0] == 1 && reclaim[1] >= 3.0 && reclaim[3] >= 3.0, r);
            // refill: its own call, 3 ms asleep on top of the spin: wall >= 6 ms, CPU >= the spin's.
            assertTrue(refill[0] == 1 && refill[1] >= 6.0 && refill[3] >= 3.0, r);
            assertTrue(r.matches("(?s).*mheap growth: 1, .*CPU 0 / 0 \\(unknown 1\\).*"), r);
            // And its CPU is the spin's without the sleep (CPU and wall of one call are read at its
            // start and end): the sleep is in the wall, not in the CPU.
            sleepShown = refill[3] <= refill[1] - 2.5;
        }
        System.out.println("PathProbeTest: the refill's sleep shown outside its CPU in round " + rounds);
        assertTrue(sleepShown, "in " + rounds + " rounds no refill call showed 2.5 ms of its 3 ms sleep outside its CPU time; the last: " + r);

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
        long quick = PathProbe.start();
        PathProbe.end(PathProbe.LARGE, quick);

        String ev = PathProbe.events(10);
        assertTrue(ev.contains("(1, the newest 1 kept"), ev);
        Matcher commit = Pattern.compile("  [0-9.]+ ([0-9.]+) ([0-9.]+) [0-9.]+ / [0-9.]+ (\\d+) / \\d+ \\d+ / \\d+ t\\d+ arena commit").matcher(ev);
        assertTrue(commit.find(), ev);
        assertTrue(Long.parseLong(commit.group(3)) >= 512, "the touched pages' minor faults: " + ev);
        assertTrue(!ev.contains("large object"), "a short call is not kept: " + ev);

        // The sleeping call: kept, wall >= the sleep, a voluntary switch, in every call; and, in a
        // call that waits for it (see SLEEP_SHOWN_GUARD_NANOS), most of its sleep outside the CPU
        // column. Not an absolute CPU bound: at load ~20 one was charged 3.06 ms of CPU around its
        // 5 ms sleep (wall 46.955 ms; session 33, against "CPU < 2.5 ms"), and one 2.40 ms in a wall
        // of 5.47 ms (session 34, against "wall - CPU >= 4 ms").
        String last = null;
        int calls = 0;
        boolean sleepShown = false;
        long guard = System.nanoTime() + SLEEP_SHOWN_GUARD_NANOS;
        while (!sleepShown && System.nanoTime() - guard < 0) {
            PathProbe.reset();
            long sleep = PathProbe.start();
            Thread.sleep(SLEEP_MILLIS);
            PathProbe.end(PathProbe.GROW, sleep);
            last = PathProbe.events(10);
            calls++;
            Matcher slept = Pattern.compile("  [0-9.]+ ([0-9.]+) ([0-9.]+) [0-9.]+ / [0-9.]+ \\d+ / \\d+ (\\d+) / \\d+ t\\d+ mheap growth")
                    .matcher(last);
            assertTrue(last.contains("(1, the newest 1 kept") && slept.find(), last);
            double wall = Double.parseDouble(slept.group(1));
            double cpu = Double.parseDouble(slept.group(2));
            assertTrue(wall >= SLEEP_MILLIS && Long.parseLong(slept.group(3)) >= 1, "a sleep: wall >= " + SLEEP_MILLIS
                    + " ms, a voluntary switch: " + last);
            sleepShown = wall - cpu >= SLEEP_MILLIS - SLEEP_MARGIN_MILLIS;
        }
        System.out.println("PathProbeTest: the sleep shown outside the CPU column in call " + calls);
        assertTrue(sleepShown, "in " + calls + " sleeping calls none showed " + (SLEEP_MILLIS - SLEEP_MARGIN_MILLIS) + " ms of its "
                + SLEEP_MILLIS + " ms sleep outside its CPU time (wall - CPU); the last: " + last);
        PathProbe.reset();
        assertTrue(PathProbe.events(10).contains("(0, the newest 0 kept"), PathProbe.events(10));
    }

    /** The sleeping call's sleep (ms), and how much of it may show as CPU (the clock reads around it, a wake-up's turns). */
    static final int SLEEP_MILLIS = 5;
    static final double SLEEP_MARGIN_MILLIS = 1.0;
    /**
     * How long a test makes sleeping calls until one shows its sleep outside the CPU column (the
     * state must come: a hang guard, not a timing bound). One call cannot prove it on a loaded VM:
     * {@link PathProbe#start} reads the CPU clock just before the wall clock and {@link PathProbe#end}
     * just after it, so the CPU figure spans a little more than the wall one, and a thread charged
     * time between those reads shows CPU that no wall time matches: this VM charges the running
     * thread with whatever the host takes from its vCPU (PathProbe's class comment), 2.4 ms once
     * between reads around a 5 ms sleep (session 34). A CPU column that counted the sleep itself
     * would never show it, and fails here after this guard.
     */
    static final long SLEEP_SHOWN_GUARD_NANOS = 60_000_000_000L;

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
