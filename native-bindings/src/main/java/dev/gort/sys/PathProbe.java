package dev.gort.sys;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long the runtime's slow paths run ({@code -Dgort.debug.pathprobe=true}; a static final, so
 * every hook folds away when off): for each named path, the calls, the longest call's wall time and
 * the calling thread's CPU time in it, and the calls over 0.5 and 2 ms. A path that runs without a
 * preemption check holds up a stop-the-world for as long as it runs, so this says which of them
 * could explain a slow stop and whether they spent the time on a CPU (CPU close to wall: work; CPU
 * far below wall: the thread waited, for a lock or a CPU). On this VM a thread's CPU time also
 * counts time the host took its vCPU away, so one long call with CPU equal to wall is not yet work:
 * many are.
 *
 * <p>Use: {@code long t = PathProbe.ON ? PathProbe.start() : 0; ... if (PathProbe.ON) PathProbe.end(SITE, t);}
 * Each start reads two clocks (the wall clock and the thread's CPU clock, a system call), so a
 * path is probed only if it is rare next to the work it does (a refill per span, not an allocation).
 */
public final class PathProbe {
    public static final boolean ON = dev.gort.sys.TuningProperty.flag("gort.debug.pathprobe", false);

    public static final int REFILL = 0;
    public static final int RECLAIM = 1;
    public static final int LARGE = 2;
    public static final int GROW = 3;
    public static final int SWEEP_CREDIT = 4;
    public static final int ASSIST_DRAIN = 5;
    public static final int ALLOC_CHECKS = 6;
    public static final int BEFORE_RUN = 7;
    public static final int CACHE_SPAN = 8;
    public static final int DRAIN_STALE = 9;
    public static final int CENTRAL_SWEEPS = 10;
    public static final int CENTRAL_GROW = 11;
    public static final int CENTRAL_LISTS = 12;
    public static final int MHEAP_LOCK = 13;
    public static final int MHEAP_LOCKED = 14;
    public static final int COMMIT = 15;
    private static final String[] NAMES = {"mcache refill (all of it)", "reclaim (sweep before the mheap grows)",
        "large object", "mheap growth", "proportional sweep (sweep credit)", "assist drain", "allocation checks (cycle start owed)",
        "execute's stack scan before a goroutine runs", "refill: mcentral cacheSpan", "refill: set-aside spans returned",
        "cacheSpan: claimed spans swept (full ones listed, the next claimed)", "cacheSpan: a fresh span (reclaim, mheap)",
        "cacheSpan: the first lock hold (swept partial list, first claim; the old span freed)",
        "mheap.allocSpan: taking the mheap lock", "mheap.allocSpan: under the mheap lock (growth included)",
        "arena commit for growth (outside the mheap lock unless a fallback)"};

    /** calls, max wall, CPU at max wall, max CPU, wall over 0.5 / 2 ms, CPU over 0.5 / 2 ms, CPU unknown. */
    private static final int FIELDS = 9;
    private static final AtomicLongArray STATS = new AtomicLongArray(NAMES.length * FIELDS);
    /**
     * Per carrier thread: the depth of open starts, then for each its wall and CPU clocks (paths
     * nest: a refill's reclaim). A goroutine that moves to another M inside a path ends there with
     * a start that is not on that thread's stack: its CPU time is unknown (counted as such).
     */
    private static final ThreadLocal<long[]> STARTS = ThreadLocal.withInitial(() -> new long[1 + 2 * 8]);

    private PathProbe() {
    }

    /** The wall clock now; also pushes it and the thread's CPU clock for the matching {@link #end}. */
    public static long start() {
        long[] s = STARTS.get();
        int depth = (int) s[0];
        long now = System.nanoTime();
        if (2 * depth + 2 < s.length) {
            s[2 * depth + 1] = now;
            s[2 * depth + 2] = CpuClock.threadCpuNanos();
        }
        s[0] = depth + 1;
        return now;
    }

    /** Ends the call of {@code path} that {@link #start} returned {@code startNanos} for. */
    public static void end(int path, long startNanos) {
        long wall = System.nanoTime() - startNanos;
        long[] s = STARTS.get();
        int depth = (int) s[0] - 1;
        long cpu = -1;
        if (depth >= 0 && 2 * depth + 2 < s.length && s[2 * depth + 1] == startNanos) {
            cpu = CpuClock.threadCpuNanos() - s[2 * depth + 2];
            s[0] = depth;
        } else {
            s[0] = 0;       // another thread's start (the goroutine moved): this stack is no longer trusted
        }
        int b = path * FIELDS;
        STATS.incrementAndGet(b);
        long max;
        while (wall > (max = STATS.get(b + 1))) {
            if (STATS.compareAndSet(b + 1, max, wall)) {
                STATS.set(b + 2, cpu);      // racy pairing with the max: a diagnostic
                break;
            }
        }
        while (cpu > (max = STATS.get(b + 3)) && !STATS.compareAndSet(b + 3, max, cpu)) {
            // retry
        }
        count(b + 4, wall);
        if (cpu >= 0) {
            count(b + 6, cpu);
        } else {
            STATS.incrementAndGet(b + 8);
        }
    }

    private static void count(int at, long nanos) {
        if (nanos > 500_000) {
            STATS.incrementAndGet(at);
        }
        if (nanos > 2_000_000) {
            STATS.incrementAndGet(at + 1);
        }
    }

    /** Forgets every figure so far (e.g. a benchmark's build phase). */
    public static void reset() {
        for (int i = 0; i < STATS.length(); i++) {
            STATS.set(i, 0);
        }
    }

    /** One line per path that ran: calls, longest wall (its CPU), longest CPU, calls over 0.5 / 2 ms by wall and by CPU. */
    public static String report() {
        StringBuilder out = new StringBuilder("slow paths (-Dgort.debug.pathprobe): calls, longest wall ms (CPU ms in it), longest CPU ms,"
                + " calls over 0.5 / 2 ms of wall, of CPU (CPU unknown: moved between threads)\n");
        for (int p = 0; p < NAMES.length; p++) {
            int b = p * FIELDS;
            if (STATS.get(b) == 0) {
                continue;
            }
            out.append(String.format(Locale.ROOT, "  %s: %d, %.3f (%.3f), %.3f, wall %d / %d, CPU %d / %d (unknown %d)%n", NAMES[p], STATS.get(b),
                    STATS.get(b + 1) / 1e6, STATS.get(b + 2) / 1e6, STATS.get(b + 3) / 1e6, STATS.get(b + 4), STATS.get(b + 5),
                    STATS.get(b + 6), STATS.get(b + 7), STATS.get(b + 8)));
        }
        return out.toString();
    }
}
