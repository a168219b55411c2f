package dev.gort;

/**
 * Every setting gort reads at start-up: its environment name (Go's where Go has one), its system
 * property name, and the accepted form quoted in error messages.
 *
 * <p>Precedence: a system property wins over the environment variable. A {@code -D} flag is given
 * to this one JVM on its command line, while the environment is inherited by every process below a
 * shell, so the property is the more specific intent (Spring Boot orders its sources the same
 * way). When both are set and differ, start-up warns that the environment value is overridden.
 * An empty value counts as unset, as in Go.
 */
public enum ConfigKey {
    GOMAXPROCS("GOMAXPROCS", "gort.gomaxprocs",
            "a positive integer (the number of Ps; values above the cap are capped with a warning), e.g. GOMAXPROCS=4"),
    GOGC("GOGC", "gort.gogc",
            "\"off\" or an integer percent (any negative one is off, as in Go), e.g. GOGC=100"),
    GOMEMLIMIT("GOMEMLIMIT", "gort.gomemlimit",
            "\"off\" or a byte count: a non-negative integer with an optional suffix B, KiB, MiB, GiB or TiB,"
                    + " e.g. GOMEMLIMIT=512MiB (9223372036854775807 also means no limit)"),
    GORT_DEBUG("GORT_DEBUG", "gort.debug",
            "comma-separated key=value pairs, e.g. GORT_DEBUG=gctrace=1,schedtrace=1000"),
    GORT_AFFINITY("GORT_AFFINITY", "gort.affinity",
            "none, spread, or list: followed by comma-separated CPU numbers, e.g. GORT_AFFINITY=list:0,2"),
    SYSMON_MIN_SLEEP("GORT_SYSMON_MIN_SLEEP", "gort.sysmon.minsleep", durationForm("20us")),
    SYSMON_MAX_SLEEP("GORT_SYSMON_MAX_SLEEP", "gort.sysmon.maxsleep", durationForm("10ms")),
    SYSMON_PREEMPT("GORT_SYSMON_PREEMPT", "gort.sysmon.preempt", durationForm("10ms")),
    SYSMON_SYSCALL_RETAKE("GORT_SYSMON_SYSCALL_RETAKE", "gort.sysmon.syscallretake", durationForm("10ms")),
    SYSMON_NETPOLL("GORT_SYSMON_NETPOLL", "gort.sysmon.netpoll", durationForm("10ms")),
    FORCEGC_PERIOD("GORT_FORCEGC_PERIOD", "gort.forcegc.period", "\"off\" or " + durationForm("2m")),
    SCAVENGE_PERIOD("GORT_SCAVENGE_PERIOD", "gort.scavenge.period", "\"off\" or " + durationForm("2m30s")),
    SCAVENGE_IDLE("GORT_SCAVENGE_IDLE", "gort.scavenge.idle", durationForm("5m")),
    SCAVENGE_RETAIN_EXTRA("GORT_SCAVENGE_RETAIN_EXTRA", "gort.scavenge.retainextra",
            "a non-negative integer percent of the heap goal, e.g. 10");

    private final String env;
    private final String property;
    private final String accepted;

    ConfigKey(String env, String property, String accepted) {
        this.env = env;
        this.property = property;
        this.accepted = accepted;
    }

    /** The environment variable's name. */
    public String env() {
        return env;
    }

    /** The system property's name. */
    public String property() {
        return property;
    }

    /** The accepted form, as quoted in messages. */
    public String accepted() {
        return accepted;
    }

    private static String durationForm(String example) {
        return "a positive Go duration (a number with unit ns, us, ms, s, m or h; parts may be combined), e.g. " + example;
    }
}
