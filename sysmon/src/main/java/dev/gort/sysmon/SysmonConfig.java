package dev.gort.sysmon;

/**
 * sysmon's periods, all in nanoseconds. {@link #defaults()} are Go's values (GO-FACTS 1.3); tests
 * shorten them. A period of {@link #OFF} disables that duty.
 *
 * @param minSleepNanos            first sleep between rounds (Go: 20 us)
 * @param maxSleepNanos            cap of the doubling sleep (Go: 10 ms)
 * @param idleRoundsBeforeBackoff  rounds without work before the sleep starts doubling (Go: 50, about 1 ms)
 * @param forcePreemptNanos        a G running this long gets its preempt flag set (Go: forcePreemptNS, 10 ms)
 * @param syscallRetakeNanos       a P in a syscall this long is retaken even when nobody is waiting
 *                                 for it (Go: 10 ms); with waiting work, one sysmon tick suffices
 * @param forceGcPeriodNanos       a GC is forced when none ran for this long (Go: forcegcperiod, 2 min)
 * @param netpollMaxAgeNanos       sysmon polls the network when nobody did for this long (Go: 10 ms)
 * @param scavengePeriodNanos      how often sysmon drives the scavenger's age pass (Go 1.0-1.12: 2.5 min)
 * @param scavengeIdleNanos        free page runs idle at least this long are released (Go 1.0-1.12: 5 min)
 * @param retainExtraPercent       retained heap allowed above the heap goal before the scavenger
 *                                 releases down to it (Go: retainExtraPercent = 10)
 * @param scavtrace                print Go's {@code scav} line after each scavenger pass that ran
 * @param schedtraceNanos          print the scheduler's SCHED line this often (Go: GODEBUG=schedtrace=ms,
 *                                 printed by sysmon), or {@link #OFF}
 * @param scheddetail              with schedtrace, also the per-P, per-M and per-G lines (Go: scheddetail=1)
 */
public record SysmonConfig(long minSleepNanos, long maxSleepNanos, int idleRoundsBeforeBackoff,
                           long forcePreemptNanos, long syscallRetakeNanos, long forceGcPeriodNanos,
                           long netpollMaxAgeNanos, long scavengePeriodNanos, long scavengeIdleNanos,
                           int retainExtraPercent, boolean scavtrace, long schedtraceNanos, boolean scheddetail) {

    /** Marks a disabled duty (forced GC, scavenging). */
    public static final long OFF = Long.MAX_VALUE;

    public static final long MICROS = 1_000L;
    public static final long MILLIS = 1_000_000L;
    public static final long SECONDS = 1_000_000_000L;

    public SysmonConfig {
        requirePositive("minSleepNanos", minSleepNanos);
        requirePositive("maxSleepNanos", maxSleepNanos);
        if (minSleepNanos > maxSleepNanos) {
            throw new IllegalArgumentException("sysmon min sleep (" + minSleepNanos + " ns) is above its max sleep ("
                    + maxSleepNanos + " ns); accepted: min sleep <= max sleep");
        }
        if (idleRoundsBeforeBackoff < 0) {
            throw new IllegalArgumentException("idleRoundsBeforeBackoff " + idleRoundsBeforeBackoff + " < 0; accepted: >= 0");
        }
        requirePositive("forcePreemptNanos", forcePreemptNanos);
        requirePositive("syscallRetakeNanos", syscallRetakeNanos);
        requirePositive("forceGcPeriodNanos", forceGcPeriodNanos);
        requirePositive("netpollMaxAgeNanos", netpollMaxAgeNanos);
        requirePositive("scavengePeriodNanos", scavengePeriodNanos);
        requirePositive("scavengeIdleNanos", scavengeIdleNanos);
        if (retainExtraPercent < 0) {
            throw new IllegalArgumentException("retainExtraPercent " + retainExtraPercent + " < 0; accepted: >= 0");
        }
        requirePositive("schedtraceNanos", schedtraceNanos);
    }

    /** Without schedtrace (the configuration before sysmon printed it). */
    public SysmonConfig(long minSleepNanos, long maxSleepNanos, int idleRoundsBeforeBackoff,
                        long forcePreemptNanos, long syscallRetakeNanos, long forceGcPeriodNanos,
                        long netpollMaxAgeNanos, long scavengePeriodNanos, long scavengeIdleNanos,
                        int retainExtraPercent, boolean scavtrace) {
        this(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, forcePreemptNanos, syscallRetakeNanos,
                forceGcPeriodNanos, netpollMaxAgeNanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent,
                scavtrace, OFF, false);
    }

    /** Go's values. */
    public static SysmonConfig defaults() {
        return new SysmonConfig(20 * MICROS, 10 * MILLIS, 50, 10 * MILLIS, 10 * MILLIS, 120 * SECONDS,
                10 * MILLIS, 150 * SECONDS, 300 * SECONDS, 10, false);
    }

    public SysmonConfig withSleep(long minNanos, long maxNanos) {
        return new SysmonConfig(minNanos, maxNanos, idleRoundsBeforeBackoff, forcePreemptNanos, syscallRetakeNanos,
                forceGcPeriodNanos, netpollMaxAgeNanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent, scavtrace, schedtraceNanos, scheddetail);
    }

    public SysmonConfig withForcePreempt(long nanos) {
        return new SysmonConfig(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, nanos, syscallRetakeNanos,
                forceGcPeriodNanos, netpollMaxAgeNanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent, scavtrace, schedtraceNanos, scheddetail);
    }

    public SysmonConfig withSyscallRetake(long nanos) {
        return new SysmonConfig(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, forcePreemptNanos, nanos,
                forceGcPeriodNanos, netpollMaxAgeNanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent, scavtrace, schedtraceNanos, scheddetail);
    }

    public SysmonConfig withForceGcPeriod(long nanos) {
        return new SysmonConfig(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, forcePreemptNanos, syscallRetakeNanos,
                nanos, netpollMaxAgeNanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent, scavtrace, schedtraceNanos, scheddetail);
    }

    public SysmonConfig withNetpollMaxAge(long nanos) {
        return new SysmonConfig(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, forcePreemptNanos, syscallRetakeNanos,
                forceGcPeriodNanos, nanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent, scavtrace, schedtraceNanos, scheddetail);
    }

    public SysmonConfig withScavenge(long periodNanos, long idleNanos, int retainExtra) {
        return new SysmonConfig(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, forcePreemptNanos, syscallRetakeNanos,
                forceGcPeriodNanos, netpollMaxAgeNanos, periodNanos, idleNanos, retainExtra, scavtrace, schedtraceNanos, scheddetail);
    }

    public SysmonConfig withScavtrace(boolean on) {
        return new SysmonConfig(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, forcePreemptNanos, syscallRetakeNanos,
                forceGcPeriodNanos, netpollMaxAgeNanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent, on, schedtraceNanos, scheddetail);
    }

    /** The SCHED line every {@code periodNanos} ({@link #OFF}: never), with the detail lines if {@code detail}. */
    public SysmonConfig withSchedtrace(long periodNanos, boolean detail) {
        return new SysmonConfig(minSleepNanos, maxSleepNanos, idleRoundsBeforeBackoff, forcePreemptNanos, syscallRetakeNanos,
                forceGcPeriodNanos, netpollMaxAgeNanos, scavengePeriodNanos, scavengeIdleNanos, retainExtraPercent, scavtrace,
                periodNanos, detail);
    }

    private static void requirePositive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " = " + v + "; accepted: a positive number of nanoseconds (or OFF)");
        }
    }
}
