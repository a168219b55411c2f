package dev.gort.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct timespec} (clock_gettime's result), the same on every LP64 ABI gort supports.
 *
 * <pre>
 *   offset 0        8        16
 *          +--------+--------+
 *          | tv_sec |tv_nsec |   time_t tv_sec; long tv_nsec;
 *          +--------+--------+
 * </pre>
 *
 * Checked against {@code <time.h>} by HeaderConformanceTest (sizeof and every member's offsetof).
 */
public final class Timespec {
    private Timespec() {
    }

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec")).withName("timespec");

    public static final long TV_SEC = 0;
    public static final long TV_NSEC = 8;

    /** The timespec at {@code address} in nanoseconds. */
    public static long nanos(long address) {
        return NativeMemory.getLong(address + TV_SEC) * 1_000_000_000L + NativeMemory.getLong(address + TV_NSEC);
    }
}
