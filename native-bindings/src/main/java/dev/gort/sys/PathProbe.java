package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p><b>Long calls, one by one.</b> Each start also reads the thread's getrusage (user and system
 * CPU, minor and major page faults, voluntary and involuntary context switches), and every call
 * over {@link #EVENT_NANOS} of wall is kept in a ring ({@link #EVENTS} entries) with its start on
 * CLOCK_MONOTONIC (System.nanoTime, for a perf trace's {@code -k CLOCK_MONOTONIC} timestamps) and
 * those counters' deltas: system CPU with thousands of minor faults is the kernel faulting pages
 * in; CPU well below wall with involuntary switches is a thread that lost its CPU; CPU equal to
 * wall in user mode with no fault is our own work. {@link #report} lists the longest.
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
    public static final int MHEAP_FIND = 16;
    public static final int MHEAP_SETUP = 17;
    public static final int MHEAP_FREE = 18;
    public static final int CENTRAL_LOCK_WAIT = 19;
    public static final int RECLAIM_CHUNK = 20;
    private static final String[] NAMES = {"mcache refill (all of it)", "reclaim (sweep before the mheap grows)",
        "large object", "mheap growth", "proportional sweep (sweep credit)", "assist drain", "allocation checks (cycle start owed)",
        "execute's stack scan before a goroutine runs", "refill: mcentral cacheSpan", "refill: set-aside spans returned",
        "cacheSpan: claimed spans swept (full ones listed, the next claimed)", "cacheSpan: a fresh span (reclaim, mheap)",
        "cacheSpan: the first lock hold (swept partial list, first claim; the old span freed)",
        "mheap.allocSpan: taking the mheap lock", "mheap.allocSpan: under the mheap lock (growth included)",
        "arena commit for growth (outside the mheap lock unless a fallback)",
        "mheap.allocSpanLocked: findFit", "mheap.allocSpanLocked: the run split and the span set up (released bits, spans entries)",
        "mheap.freeSpan (lock wait included)", "cacheSpan: waiting for the mcentral lock (first hold)",
        "reclaim: one chunk of the walk"};

    /** calls, max wall, CPU at max wall, max CPU, wall over 0.5 / 2 ms, CPU over 0.5 / 2 ms, CPU unknown. */
    private static final int FIELDS = 9;
    private static final AtomicLongArray STATS = new AtomicLongArray(NAMES.length * FIELDS);
    /** Per open start: wall, CPU, then {@link #COUNTERS} getrusage counters. */
    private static final int LEVEL = 8;
    /**
     * Per carrier thread: the depth of open starts, then for each its {@link #LEVEL} longs (paths
     * nest: a refill's reclaim). A goroutine that moves to another M inside a path ends there with
     * a start that is not on that thread's stack: its CPU time is unknown (counted as such).
     */
    private static final ThreadLocal<long[]> STARTS = ThreadLocal.withInitial(() -> new long[1 + LEVEL * 8]);
    /** user us, system us, minor faults, major faults, voluntary switches, involuntary switches. */
    private static final int COUNTERS = 6;
    private static final long[] RUSAGE_OFFSETS = {Rusage.RU_MINFLT, Rusage.RU_MAJFLT, Rusage.RU_NVCSW, Rusage.RU_NIVCSW};
    private static final ThreadLocal<MemorySegment> RUSAGE = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(Rusage.LAYOUT.byteSize(), 8));
    private static final int RUSAGE_THREAD = Platform.current().constants().RUSAGE_THREAD();
    private static final boolean HAS_RUSAGE_THREAD = Platform.current().constants().has(RUSAGE_THREAD);

    /** Calls longer than this (wall) are kept one by one in the event ring ({@link #report} lists {@code -Dgort.debug.pathprobe.events=N}, 40 by default). */
    public static final long EVENT_NANOS = 1_000_000;
    /** Size of the event ring (the newest kept). */
    public static final int EVENTS = 512;
    /** path, start (nanoTime), wall, CPU, then the {@link #COUNTERS} deltas, thread id. */
    private static final int EVENT_FIELDS = 5 + COUNTERS;
    private static final AtomicLongArray EVENT_RING = new AtomicLongArray(EVENTS * EVENT_FIELDS);
    private static final AtomicLong EVENT_COUNT = new AtomicLong();

    private PathProbe() {
    }

    /** The wall clock now; also pushes it and the thread's CPU clock for the matching {@link #end}. */
    public static long start() {
        long[] s = STARTS.get();
        int depth = (int) s[0];
        int at = 1 + depth * LEVEL;
        if (at + LEVEL <= s.length) {
            readCounters(s, at + 2);
            s[at + 1] = CpuClock.threadCpuNanos();
            s[at] = System.nanoTime();
            s[0] = depth + 1;
            return s[at];
        }
        s[0] = depth + 1;
        return System.nanoTime();
    }

    /** Ends the call of {@code path} that {@link #start} returned {@code startNanos} for. */
    public static void end(int path, long startNanos) {
        long wall = System.nanoTime() - startNanos;
        long[] s = STARTS.get();
        int depth = (int) s[0] - 1;
        long cpu = -1;
        int at = 1 + depth * LEVEL;
        if (depth >= 0 && at + LEVEL <= s.length && s[at] == startNanos) {
            cpu = CpuClock.threadCpuNanos() - s[at + 1];
            s[0] = depth;
            if (wall > EVENT_NANOS && path != ASSIST_DRAIN && path != SWEEP_CREDIT) {     // those two poll: not what a stop waits for
                event(path, startNanos, wall, cpu, s, at + 2);
            }
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

    /** Reads the thread's getrusage counters into {@code into[at..at + COUNTERS)} (zeros where there is no RUSAGE_THREAD). */
    private static void readCounters(long[] into, int at) {
        if (!HAS_RUSAGE_THREAD) {
            return;
        }
        long ru = RUSAGE.get().address();
        LibC.getrusage(RUSAGE_THREAD, ru);
        into[at] = Rusage.micros(ru + Rusage.RU_UTIME);
        into[at + 1] = Rusage.micros(ru + Rusage.RU_STIME);
        for (int i = 0; i < RUSAGE_OFFSETS.length; i++) {
            into[at + 2 + i] = NativeMemory.getLong(ru + RUSAGE_OFFSETS[i]);
        }
    }

    /** Keeps one long call in the ring, with the getrusage deltas since its start ({@code starts[at..]}). */
    private static void event(int path, long startNanos, long wall, long cpu, long[] starts, int at) {
        long[] now = new long[COUNTERS];       // a call over 1 ms: one small array is nothing next to it
        readCounters(now, 0);
        int b = (int) (EVENT_COUNT.getAndIncrement() % EVENTS) * EVENT_FIELDS;
        EVENT_RING.set(b, path);
        EVENT_RING.set(b + 1, startNanos);
        EVENT_RING.set(b + 2, wall);
        EVENT_RING.set(b + 3, cpu);
        for (int i = 0; i < COUNTERS; i++) {
            EVENT_RING.set(b + 4 + i, now[i] - starts[at + i]);
        }
        EVENT_RING.set(b + 4 + COUNTERS, CpuAffinity.threadId());
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
        EVENT_COUNT.set(0);
    }

    /**
     * The kept long calls, longest first, at most {@code limit}: one line each with the path, its
     * start on CLOCK_MONOTONIC (ms), wall and CPU (ms), user and system CPU (ms, getrusage's
     * resolution), minor / major faults and voluntary / involuntary switches inside it, the thread.
     */
    public static String events(int limit) {
        int n = (int) Math.min(EVENT_COUNT.get(), EVENTS);
        long[][] rows = new long[n][EVENT_FIELDS];
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < EVENT_FIELDS; f++) {
                rows[i][f] = EVENT_RING.get(i * EVENT_FIELDS + f);
            }
        }
        java.util.Arrays.sort(rows, (a, b) -> Long.compare(b[2], a[2]));
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "slow path calls over %.1f ms (%d, the newest %d kept; longest first): start ms (CLOCK_MONOTONIC), wall ms, CPU ms,"
                        + " user / sys ms, minor / major faults, voluntary / involuntary switches, thread%n",
                EVENT_NANOS / 1e6, EVENT_COUNT.get(), n));
        for (int i = 0; i < Math.min(n, limit); i++) {
            long[] r = rows[i];
            out.append(String.format(Locale.ROOT, "  %.3f %.3f %.3f %.1f / %.1f %d / %d %d / %d t%d %s%n", r[1] / 1e6, r[2] / 1e6,
                    r[3] / 1e6, r[4] / 1e3, r[5] / 1e3, r[6], r[7], r[8], r[9], r[10], NAMES[(int) r[0]]));
        }
        return out.toString();
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
        // Bad input gets the shared warning naming what is accepted, and the default (a report at exit
        // must not throw).
        out.append(events((int) TuningProperty.whole("gort.debug.pathprobe.events",
                System.getProperty("gort.debug.pathprobe.events"), "calls", 40, 0, EVENTS)));
        return out.toString();
    }
}
