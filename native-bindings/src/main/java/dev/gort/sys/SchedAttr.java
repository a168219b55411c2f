package dev.gort.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Linux's {@code struct sched_attr} (sched_setattr(2), {@code <linux/sched/types.h>}), version 1
 * (56 bytes, with the utilization clamps), and the two system call numbers, which glibc before
 * 2.41 does not wrap.
 *
 * <pre>
 *   offset 0      4            8              16         20            24
 *          +------+------------+--------------+----------+-------------+
 *          | size |sched_policy| sched_flags  |sched_nice|sched_priority|
 *          +------+------------+--------------+----------+-------------+
 *   offset 24            32             40           48       52       56
 *          +-------------+--------------+------------+--------+--------+
 *          |sched_runtime|sched_deadline|sched_period|util_min|util_max|
 *          +-------------+--------------+------------+--------+--------+
 * </pre>
 *
 * For SCHED_OTHER, Linux 6.12 and later read {@code sched_runtime} as the thread's requested
 * EEVDF slice (clamped to 0.1-100 ms): a shorter slice gives an earlier virtual deadline, so the
 * thread, when woken, preempts a CPU-bound thread instead of waiting out that thread's slice.
 * Older kernels ignore the field (sched_getattr then reads it back as 0).
 * Checked against {@code <linux/sched/types.h>} by HeaderConformanceTest.
 */
public final class SchedAttr {
    private SchedAttr() {
    }

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("size"),
            JAVA_INT.withName("sched_policy"),
            JAVA_LONG.withName("sched_flags"),
            JAVA_INT.withName("sched_nice"),
            JAVA_INT.withName("sched_priority"),
            JAVA_LONG.withName("sched_runtime"),
            JAVA_LONG.withName("sched_deadline"),
            JAVA_LONG.withName("sched_period"),
            JAVA_INT.withName("sched_util_min"),
            JAVA_INT.withName("sched_util_max")).withName("sched_attr");

    public static final long SIZE = 0;
    public static final long SCHED_POLICY = 4;
    public static final long SCHED_FLAGS = 8;
    public static final long SCHED_NICE = 16;
    public static final long SCHED_PRIORITY = 20;
    public static final long SCHED_RUNTIME = 24;
    public static final long SCHED_DEADLINE = 32;
    public static final long SCHED_PERIOD = 40;

    /** SCHED_OTHER (SCHED_NORMAL): the default time-sharing policy. */
    public static final int SCHED_OTHER = 0;

    private static final boolean AARCH64 = System.getProperty("os.arch").equals("aarch64");
    /** __NR_sched_setattr: 314 on x86_64, 274 on aarch64 (asm/unistd.h). */
    static final long SYS_SCHED_SETATTR = AARCH64 ? 274 : 314;
    /** __NR_sched_getattr: 315 on x86_64, 275 on aarch64. */
    static final long SYS_SCHED_GETATTR = AARCH64 ? 275 : 315;
}
