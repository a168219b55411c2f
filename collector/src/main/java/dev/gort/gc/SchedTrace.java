package dev.gort.gc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who held the CPU during a pause ({@code -Dgort.gc.pausetrace.sched=true}, diagnostics only: it
 * reads /proc and allocates). Linux keeps, per thread, {@code /proc/self/task/<tid>/schedstat}:
 * nanoseconds run on a CPU, nanoseconds waited runnable on a run queue, and time slices. A
 * snapshot of every thread of the process is taken just before the stop request and just after
 * the restart; a slow pause then prints the threads that ran or waited in between, as
 * {@code name run/wait ms (slices) R>S} (the thread's state letter from {@code stat} in the
 * snapshot before the request and in the one after the restart). Run time by this process's threads beyond the pause's CPUs
 * names the competitor; a stopping mutator's or the stopper's wait with no other thread of the
 * process running means the CPU went to another process (or the hypervisor: steal time).
 *
 * <p>The snapshots sit outside the pause (before the stop request, after the restart), so they
 * do not lengthen it; but the interval the figures cover is the pause plus the two snapshots
 * (each reads every thread's file: ~0.5 ms on a quiet machine, several ms at load 10), which the
 * line prints, so run times are upper bounds for the pause itself and shares are approximate.
 */
final class SchedTrace {
    static final boolean ENABLED = dev.gort.sys.TuningProperty.flag("gort.gc.pausetrace.sched", false);
    /** Pauses at least this long get a line (ns); {@code -Dgort.gc.pausetrace.sched.minus=...} in microseconds. */
    static final long MIN_NANOS = Long.getLong("gort.gc.pausetrace.sched.minus", 400) * 1000;
    private static final Path TASKS = Path.of("/proc/self/task");

    /** tid -> {run ns, wait ns, slices, state letter from /proc/.../stat (R running or runnable, S sleeping, D ...)}. */
    private Map<Integer, long[]> before = new HashMap<>();
    private final Map<Integer, String> names = new HashMap<>();
    private long stealBefore;

    SchedTrace() {
        // Run the /proc reading a few hundred times now (diagnostic mode only, ~0.1-1 s): otherwise
        // its first executions, right before stop requests, queue JIT compiles of the file-reading
        // code, and the compiler threads then compete with the very pauses being attributed.
        for (int i = 0; i < WARMUP_SNAPSHOTS; i++) {
            snapshot();
        }
    }

    static final int WARMUP_SNAPSHOTS = Integer.getInteger("gort.gc.pausetrace.sched.warmup", 300);

    /** Snapshot before the stop request. */
    void begin() {
        long t0 = System.nanoTime();
        before = snapshot();
        stealBefore = stealJiffies();
        beginNanos = System.nanoTime() - t0;
    }

    /** How long the last begin snapshot took: the interval reported is the pause plus both snapshots. */
    private long beginNanos;

    /**
     * Snapshot after the restart; returns a line naming the threads that ran or waited since
     * {@link #begin}, busiest first, or null if the pause was shorter than the threshold.
     */
    String end(long pauseNanos) {
        long t0 = System.nanoTime();
        Map<Integer, long[]> after = snapshot();
        long steal = stealJiffies() - stealBefore;
        long snapshotsNanos = beginNanos + System.nanoTime() - t0;
        if (pauseNanos < MIN_NANOS) {
            return null;
        }
        List<String> rows = new ArrayList<>();
        List<long[]> keys = new ArrayList<>();
        long totalRun = 0;
        for (Map.Entry<Integer, long[]> e : after.entrySet()) {
            long[] b = before.get(e.getKey());
            long[] a = e.getValue();
            long run = a[0] - (b == null ? 0 : b[0]);
            long wait = a[1] - (b == null ? 0 : b[1]);
            long slices = a[2] - (b == null ? 0 : b[2]);
            if (run < 20_000 && wait < 20_000) {
                continue;
            }
            totalRun += run;
            keys.add(new long[] {run + wait, rows.size()});
            StringBuilder row = Millis.append(Millis.append(new StringBuilder(name(e.getKey())).append(' '), run).append('/'), wait);
            rows.add(row.append(" (").append(slices).append(") ").append(b == null ? '?' : (char) b[3]).append('>').append((char) a[3]).toString());
        }
        keys.sort((x, y) -> Long.compare(y[0], x[0]));
        StringBuilder sb = new StringBuilder("  sched: run/wait ms (slices) state before>after, over the pause and the two snapshots (")
                .append(Millis.of(snapshotsNanos)).append(" ms): process run ")
                .append(Millis.of(totalRun)).append(" ms, steal ").append(steal).append(" jiffies:");
        for (long[] k : keys) {
            sb.append(' ').append(rows.get((int) k[1])).append(';');
        }
        return sb.toString();
    }

    private String name(int tid) {
        return names.computeIfAbsent(tid, t -> {
            try {
                return Files.readString(TASKS.resolve(t + "/comm")).trim() + "#" + t;
            } catch (IOException e) {
                return "?#" + t;
            }
        });
    }

    private static Map<Integer, long[]> snapshot() {
        Map<Integer, long[]> m = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(TASKS)) {
            for (Path p : ds) {
                int tid;
                try {
                    tid = Integer.parseInt(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                try {
                    String[] f = Files.readString(p.resolve("schedstat")).trim().split(" ");
                    m.put(tid, new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), state(p)});
                } catch (NoSuchFileException e) {
                    // the thread exited meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // no schedstat on this kernel: an empty snapshot
        }
        return m;
    }

    /**
     * The thread's state letter from {@code stat} (after the last ')': the name may hold spaces and
     * parentheses): R is running or runnable, so R in the snapshot before a stop request names the
     * threads that competed for the CPUs when the stop began. '?' if unreadable.
     */
    private static long state(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        int close = stat.lastIndexOf(')');
        return close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
    }

    /** The machine's steal time (the hypervisor ran someone else), in jiffies, from /proc/stat. */
    private static long stealJiffies() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            return f.length > 8 ? Long.parseLong(f[8]) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
