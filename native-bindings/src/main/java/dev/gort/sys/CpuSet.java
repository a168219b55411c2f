package dev.gort.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Linux {@code cpu_set_t}: a fixed bitmap of CPU_SETSIZE (1024) bits in unsigned longs, CPU n at
 * bit n % 64 of word n / 64 (little-endian, so also byte n / 8, bit n % 8).
 *
 * <pre>
 *   offset 0          8          16               120        128
 *          +----------+----------+----- ... ------+----------+
 *          | cpus 0-63|cpus64-127|                |cpus 960- |   unsigned long __bits[16]
 *          +----------+----------+----- ... ------+----------+
 * </pre>
 *
 * sched_setaffinity/sched_getaffinity take its size in bytes. macOS has no cpu_set_t. Checked
 * against {@code <sched.h>} by HeaderConformanceTest.
 */
public final class CpuSet {
    private CpuSet() {
    }

    public static final int CPU_SETSIZE = 1024;
    public static final int WORDS = CPU_SETSIZE / 64;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(WORDS, JAVA_LONG).withName("__bits")).withName("cpu_set_t");
}
