package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * CPU-time and resource-usage clocks (clock_gettime, getrusage), for gctrace's CPU figures and
 * for benchmarks. Each call uses a small per-thread scratch buffer: no allocation per call.
 */
public final class CpuClock {
    private CpuClock() {
    }

    private static final OsConstants C = Platform.current().constants();
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Math.max(C.sizeof_rusage(), C.sizeof_timespec()), 8));

    /** clock_gettime(clockId) in nanoseconds. */
    public static long nanos(int clockId) {
        MemorySegment ts = SCRATCH.get();
        LibC.clock_gettime(clockId, ts.address());
        return ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ts.get(ValueLayout.JAVA_LONG, 8);
    }

    /** CPU time consumed by the calling thread, in nanoseconds. */
    public static long threadCpuNanos() {
        return nanos(C.CLOCK_THREAD_CPUTIME_ID());
    }

    /** CPU time consumed by the whole process, in nanoseconds. */
    public static long processCpuNanos() {
        return nanos(C.CLOCK_PROCESS_CPUTIME_ID());
    }

    /** CLOCK_MONOTONIC in nanoseconds. */
    public static long monotonicNanos() {
        return nanos(C.CLOCK_MONOTONIC());
    }

    /** Resource usage of the process: user and system CPU (ns) and peak RSS (bytes). */
    public record Usage(long userNanos, long systemNanos, long maxRssBytes) {
    }

    /** getrusage(RUSAGE_SELF). ru_maxrss is KiB on Linux and bytes on macOS; returned in bytes. */
    public static Usage selfUsage() {
        MemorySegment ru = SCRATCH.get();
        LibC.getrusage(C.RUSAGE_SELF(), ru.address());
        // struct rusage starts with ru_utime and ru_stime (struct timeval: 8-byte sec, 8-byte usec on LP64).
        long user = ru.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ru.get(ValueLayout.JAVA_LONG, 8) * 1000L;
        long sys = ru.get(ValueLayout.JAVA_LONG, 16) * 1_000_000_000L + ru.get(ValueLayout.JAVA_LONG, 24) * 1000L;
        long maxRss = ru.get(ValueLayout.JAVA_LONG, C.offsetof_rusage_ru_maxrss());
        return new Usage(user, sys, Platform.current().isLinux() ? maxRss * 1024 : maxRss);
    }
}
