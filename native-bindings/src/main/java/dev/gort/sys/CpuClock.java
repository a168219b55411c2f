package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * CPU-time and resource-usage clocks (clock_gettime, getrusage), for gctrace's CPU figures and
 * for benchmarks. Each call uses a small per-thread scratch buffer: no allocation per call.
 */
public final class CpuClock {
    private CpuClock() {
    }

    private static final OsConstants C = Platform.current().constants();
    private static final CarrierLocal<MemorySegment> SCRATCH =
            new CarrierLocal<>(() -> Arena.ofAuto().allocate(Math.max(Rusage.LAYOUT.byteSize(), Timespec.LAYOUT.byteSize()), 8));

    /** clock_gettime(clockId) in nanoseconds. */
    public static long nanos(int clockId) {
        long ts = SCRATCH.get().address();
        LibC.clock_gettime(clockId, ts);
        return Timespec.nanos(ts);
    }

    /**
     * The wall clock, clock_gettime(CLOCK_REALTIME), in nanoseconds since the Unix epoch (the clock
     * Instant.now() reads), allocating nothing: for a wall-clock time taken inside a
     * stop-the-world pause (the collector's LastGC, as Go's gcMarkTermination reads it there).
     */
    public static long realtimeNanos() {
        return nanos(C.CLOCK_REALTIME());
    }

    /** CPU time consumed by the calling thread, in nanoseconds. */
    public static long threadCpuNanos() {
        return nanos(C.CLOCK_THREAD_CPUTIME_ID());
    }

    /**
     * CPU time consumed so far by thread {@code tid} of this process (Linux: its CPUCLOCK_SCHED
     * per-thread clock, {@code ((~tid) << 3) | 6}, the clockid pthread_getcpuclockid makes), in
     * nanoseconds; 0 when not known: not Linux, {@code tid} not positive, or no such thread (it
     * ended). Allocates nothing. Read by one thread for another: the collector's stopper reads the
     * clock of each M holding a running P before its stop request, so that the M that runs the
     * stopped steps reads none inside the pause (docs/performance.md, session 28, pausecpu28).
     */
    public static long threadCpuNanosOf(int tid) {
        if (tid <= 0 || !LINUX) {
            return 0;
        }
        long ts = SCRATCH.get().address();
        if (LibC.clock_gettimeOrMinus1(~tid << 3 | CPUCLOCK_PERTHREAD_SCHED, ts) != 0) {
            return 0;
        }
        return Timespec.nanos(ts);
    }

    private static final boolean LINUX = Platform.current().isLinux();
    /** Linux's clockid bits for a thread's (not the process's) scheduler CPU clock: CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_SCHED. */
    private static final int CPUCLOCK_PERTHREAD_SCHED = 4 | 2;

    /** CPU time consumed by the whole process, in nanoseconds. */
    public static long processCpuNanos() {
        return nanos(C.CLOCK_PROCESS_CPUTIME_ID());
    }

    /** CLOCK_MONOTONIC in nanoseconds. */
    public static long monotonicNanos() {
        return nanos(C.CLOCK_MONOTONIC());
    }

    /**
     * Resource usage: user and system CPU (ns), peak RSS (bytes), page faults and context switches.
     *
     * @param userNanos           CPU time in user mode
     * @param systemNanos         CPU time in the kernel
     * @param maxRssBytes         peak resident set size
     * @param minorFaults         page faults served without I/O (first touch of a committed page is one)
     * @param majorFaults         page faults that needed I/O
     * @param voluntarySwitches   context switches because the thread blocked
     * @param involuntarySwitches context switches because the scheduler preempted the thread
     */
    public record Usage(long userNanos, long systemNanos, long maxRssBytes, long minorFaults, long majorFaults,
                        long voluntarySwitches, long involuntarySwitches) {
    }

    /** getrusage(RUSAGE_SELF): the whole process. */
    public static Usage selfUsage() {
        return usage(C.RUSAGE_SELF());
    }

    /** getrusage(RUSAGE_THREAD): the calling thread (Linux only). */
    public static Usage threadUsage() {
        if (!C.has(C.RUSAGE_THREAD())) {
            throw new UnsupportedOperationException("RUSAGE_THREAD does not exist on " + Platform.current());
        }
        return usage(C.RUSAGE_THREAD());
    }

    /**
     * The calling thread's context switches, packed: voluntary ({@code ru_nvcsw}) in the high 32
     * bits, involuntary ({@code ru_nivcsw}) in the low 32 (see {@link #voluntary} and
     * {@link #involuntary}); 0 where RUSAGE_THREAD does not exist. Allocates nothing (diagnostics
     * inside a pause). Unlike {@link #threadCpuNanos}, getrusage(RUSAGE_THREAD) does not make the
     * kernel bring the caller's run time up to date (Linux 6.18 here: clock_gettime of a thread or
     * process CPU clock and getrusage(RUSAGE_SELF) do, and then switch the caller out at once if
     * its time slice is spent and another thread is queued on its CPU), so reading it is not itself
     * a point where the caller is preempted (docs/performance.md, session 27, gate27).
     */
    public static long threadSwitches() {
        if (!C.has(C.RUSAGE_THREAD())) {
            return 0;
        }
        long ru = SCRATCH.get().address();
        LibC.getrusage(C.RUSAGE_THREAD(), ru);
        return NativeMemory.getLong(ru + Rusage.RU_NVCSW) << 32 | (NativeMemory.getLong(ru + Rusage.RU_NIVCSW) & 0xffff_ffffL);
    }

    /**
     * The calling thread's minor page faults so far ({@code ru_minflt} of getrusage(RUSAGE_THREAD):
     * first touches of pages, each served by the kernel without I/O, ~1.2 us apiece on the 2-core
     * VM); 0 where RUSAGE_THREAD does not exist. Allocates nothing; like {@link #threadSwitches},
     * not a point where the kernel switches the caller out (pausetrace's per-step diagnostic).
     */
    public static long threadMinorFaults() {
        if (!C.has(C.RUSAGE_THREAD())) {
            return 0;
        }
        long ru = SCRATCH.get().address();
        LibC.getrusage(C.RUSAGE_THREAD(), ru);
        return NativeMemory.getLong(ru + Rusage.RU_MINFLT);
    }

    /** The voluntary switches of a {@link #threadSwitches} value (or of a difference of two). */
    public static int voluntary(long switches) {
        return (int) (switches >>> 32);
    }

    /** The involuntary switches of a {@link #threadSwitches} value (or of a difference of two, when they did not wrap). */
    public static int involuntary(long switches) {
        return (int) switches;
    }

    /**
     * getrusage's {@code ru_maxrss} in bytes on platform {@code p}: Linux reports KiB (getrusage(2)),
     * macOS bytes (what Go tools that divide by 1 MiB there rely on; not read in xnu's source). Visible for tests.
     */
    static long maxRssBytes(long ruMaxrss, Platform p) {
        return p.isLinux() ? ruMaxrss * 1024 : ruMaxrss;
    }

    private static Usage usage(int who) {
        long ru = SCRATCH.get().address();
        LibC.getrusage(who, ru);
        long maxRss = NativeMemory.getLong(ru + Rusage.RU_MAXRSS);
        return new Usage(Rusage.micros(ru + Rusage.RU_UTIME) * 1000L, Rusage.micros(ru + Rusage.RU_STIME) * 1000L,
                maxRssBytes(maxRss, Platform.current()),
                NativeMemory.getLong(ru + Rusage.RU_MINFLT), NativeMemory.getLong(ru + Rusage.RU_MAJFLT),
                NativeMemory.getLong(ru + Rusage.RU_NVCSW), NativeMemory.getLong(ru + Rusage.RU_NIVCSW));
    }
}
