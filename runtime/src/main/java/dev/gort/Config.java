package dev.gort;

import dev.gort.sysmon.SysmonConfig;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * gort's start-up settings, read once from an environment map and a system-property map (both
 * injectable so tests need no real environment); see {@link ConfigKey} for every key, its
 * accepted form and the precedence rule (a system property wins over the environment).
 *
 * <p>gort is stricter than Go, which silently falls back to defaults: a malformed value stops
 * start-up with a {@link ConfigException} naming the key, the value, its source and the accepted
 * form (TESTING.md F21-F24). Conditions worth knowing but not fatal (GOMAXPROCS capped, an
 * environment value overridden by a property, unknown GORT_DEBUG keys) become {@link #warnings()},
 * which {@code Gort.run} prints to stderr as {@code gort: warning: ...}.
 */
public final class Config {
    /** GOGC value meaning "collector off". */
    public static final int GOGC_OFF = -1;
    /** GOMEMLIMIT value meaning "no limit" (Go: math.MaxInt64). */
    public static final long NO_MEMORY_LIMIT = Long.MAX_VALUE;
    /** GOMAXPROCS cap on a machine with fewer CPUs (Go <= 1.9's _MaxGomaxprocs); raised to the CPU count above it. */
    public static final int MIN_PROCS_CAP = 256;
    /** The scheduler's hard limit on Ps (Go 1.10-1.14's _MaxGomaxprocs). */
    public static final int MAX_PROCS = 1024;

    private final int gomaxprocs;
    private final int gogc;
    private final long memoryLimit;
    private final GortDebug debug;
    private final Affinity affinity;
    private final SysmonConfig sysmon;
    private final int ncpu;
    private final List<String> warnings;
    private final Map<ConfigKey, String> sources;

    private Config(Builder b) {
        this.gomaxprocs = b.gomaxprocs;
        this.gogc = b.gogc;
        this.memoryLimit = b.memoryLimit;
        this.debug = b.debug;
        this.affinity = b.affinity;
        this.sysmon = b.sysmon;
        this.ncpu = b.ncpu;
        this.warnings = List.copyOf(b.warnings);
        this.sources = Map.copyOf(b.sources);
    }

    /** Reads the real environment and system properties; {@code ncpu} = the JVM's available processors. */
    public static Config fromSystem() {
        Map<String, String> props = new java.util.HashMap<>();
        System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
        return load(System.getenv(), props, Runtime.getRuntime().availableProcessors());
    }

    /** All defaults for a machine with {@code ncpu} CPUs. */
    public static Config defaults(int ncpu) {
        return load(Map.of(), Map.of(), ncpu);
    }

    /**
     * Parses every key from {@code env} and {@code properties}.
     *
     * @param ncpu the CPUs this process may use (GOMAXPROCS's default, and the cap's floor)
     * @throws ConfigException for the first malformed value, in {@link ConfigKey} order
     */
    public static Config load(Map<String, String> env, Map<String, String> properties, int ncpu) {
        if (ncpu < 1) {
            throw new IllegalArgumentException("ncpu " + ncpu + " < 1; accepted: the number of usable CPUs, >= 1");
        }
        Builder b = new Builder(env, properties, ncpu);
        b.readGomaxprocs();
        b.readGogc();
        b.readMemoryLimit();
        b.readDebug();
        b.readAffinity();
        b.readSysmon();
        return new Config(b);
    }

    /** The number of Ps. */
    public int gomaxprocs() {
        return gomaxprocs;
    }

    /** GOGC percent, or {@link #GOGC_OFF}. */
    public int gogc() {
        return gogc;
    }

    /** The soft memory limit in bytes, or {@link #NO_MEMORY_LIMIT}. */
    public long memoryLimit() {
        return memoryLimit;
    }

    public GortDebug debug() {
        return debug;
    }

    public Affinity affinity() {
        return affinity;
    }

    /** sysmon's periods, with scavtrace taken from GORT_DEBUG. */
    public SysmonConfig sysmon() {
        return sysmon;
    }

    /** The CPU count this configuration was resolved against. */
    public int ncpu() {
        return ncpu;
    }

    /**
     * Refuses a {@code GORT_AFFINITY} list naming CPUs outside {@code allowed} (the process's
     * affinity mask; {@code Gort.run} checks before anything starts). Before, such a list was
     * accepted and the M pinned there warned once and ran unpinned. An empty mask (unreadable)
     * refuses nothing.
     *
     * @throws ConfigException naming the CPUs not allowed and the ones that are
     */
    public void checkAffinity(java.util.BitSet allowed) {
        if (!(affinity instanceof Affinity.CpuList) || allowed.isEmpty()) {
            return;
        }
        // The scheduler's rule and words (Scheduler.create refuses the same list the same way).
        int[] bad = dev.gort.sched.Affinity.parse(affinity.toString()).cpusNotAllowed(allowed);
        if (bad.length == 0) {
            return;
        }
        throw new ConfigException(ConfigKey.GORT_AFFINITY, affinity.toString(), source(ConfigKey.GORT_AFFINITY),
                dev.gort.sched.Affinity.notAllowedProblem(bad), dev.gort.sched.Affinity.notAllowedAccepted(allowed));
    }

    /** Non-fatal findings, in the order found; each a sentence without the "gort: warning: " prefix. */
    public List<String> warnings() {
        return warnings;
    }

    /** Where a key's effective value came from: "environment variable X", "system property y" or "default". */
    public String source(ConfigKey key) {
        return sources.getOrDefault(key, "default");
    }

    /** The largest GOMAXPROCS accepted without capping on a machine with {@code ncpu} CPUs. */
    public static int procsCap(int ncpu) {
        return Math.max(MIN_PROCS_CAP, Math.min(ncpu, MAX_PROCS));
    }

    /** One line per key with its effective value and source, for {@code --print-config} style output. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        line(sb, ConfigKey.GOMAXPROCS, Integer.toString(gomaxprocs));
        line(sb, ConfigKey.GOGC, gogc == GOGC_OFF ? "off" : Integer.toString(gogc));
        line(sb, ConfigKey.GOMEMLIMIT, memoryLimit == NO_MEMORY_LIMIT ? "off" : memoryLimit + "B");
        line(sb, ConfigKey.GORT_DEBUG, debug.toString());
        line(sb, ConfigKey.GORT_AFFINITY, affinity.toString());
        line(sb, ConfigKey.SYSMON_MIN_SLEEP, GoSyntax.formatDuration(sysmon.minSleepNanos()));
        line(sb, ConfigKey.SYSMON_MAX_SLEEP, GoSyntax.formatDuration(sysmon.maxSleepNanos()));
        line(sb, ConfigKey.SYSMON_PREEMPT, GoSyntax.formatDuration(sysmon.forcePreemptNanos()));
        line(sb, ConfigKey.SYSMON_SYSCALL_RETAKE, GoSyntax.formatDuration(sysmon.syscallRetakeNanos()));
        line(sb, ConfigKey.SYSMON_NETPOLL, GoSyntax.formatDuration(sysmon.netpollMaxAgeNanos()));
        line(sb, ConfigKey.FORCEGC_PERIOD, offOrDuration(sysmon.forceGcPeriodNanos()));
        line(sb, ConfigKey.SCAVENGE_PERIOD, offOrDuration(sysmon.scavengePeriodNanos()));
        line(sb, ConfigKey.SCAVENGE_IDLE, GoSyntax.formatDuration(sysmon.scavengeIdleNanos()));
        line(sb, ConfigKey.SCAVENGE_RETAIN_EXTRA, sysmon.retainExtraPercent() + "%");
        return sb.toString();
    }

    private void line(StringBuilder sb, ConfigKey k, String value) {
        sb.append(String.format("%-27s %-12s (%s)%n", k.env(), value, source(k)));
    }

    private static String offOrDuration(long nanos) {
        return nanos == SysmonConfig.OFF ? "off" : GoSyntax.formatDuration(nanos);
    }

    @Override
    public String toString() {
        return "Config{GOMAXPROCS=" + gomaxprocs + ", GOGC=" + (gogc == GOGC_OFF ? "off" : gogc) + ", GOMEMLIMIT="
                + (memoryLimit == NO_MEMORY_LIMIT ? "off" : memoryLimit) + ", GORT_DEBUG=" + debug + ", GORT_AFFINITY="
                + affinity + "}";
    }

    /** Mutable state while parsing: the raw maps, results so far, and warnings. */
    private static final class Builder {
        final Map<String, String> env;
        final Map<String, String> props;
        final int ncpu;
        final List<String> warnings = new ArrayList<>();
        final Map<ConfigKey, String> sources = new EnumMap<>(ConfigKey.class);
        final Map<ConfigKey, String> rawSeen = new EnumMap<>(ConfigKey.class);
        int gomaxprocs;
        int gogc = 100;
        long memoryLimit = NO_MEMORY_LIMIT;
        GortDebug debug = GortDebug.defaults();
        Affinity affinity = new Affinity.None();
        SysmonConfig sysmon = SysmonConfig.defaults();

        Builder(Map<String, String> env, Map<String, String> props, int ncpu) {
            this.env = env;
            this.props = props;
            this.ncpu = ncpu;
            this.gomaxprocs = ncpu;
        }

        /** The effective raw value of {@code key} (property over env), or null when unset/empty. */
        String raw(ConfigKey key) {
            if (rawSeen.containsKey(key)) {
                return rawSeen.get(key);
            }
            String r = rawOnce(key);
            rawSeen.put(key, r);
            return r;
        }

        private String rawOnce(ConfigKey key) {
            String e = env.get(key.env());
            String p = props.get(key.property());
            if (e != null && e.isEmpty()) {
                e = null;
            }
            if (p != null && p.isEmpty()) {
                p = null;
            }
            if (p != null) {
                if (e != null && !e.equals(p)) {
                    warnings.add(key.env() + "=" + e + " from the environment is overridden by system property "
                            + key.property() + "=" + p);
                }
                sources.put(key, "system property " + key.property());
                return p;
            }
            if (e != null) {
                sources.put(key, "environment variable " + key.env());
            }
            return e;
        }

        ConfigException malformed(ConfigKey key, String value, String detail) {
            return new ConfigException(key, value, sources.get(key), detail, key.accepted());
        }

        void readGomaxprocs() {
            String v = raw(ConfigKey.GOMAXPROCS);
            if (v == null) {
                return;
            }
            long n = GoSyntax.parseDecimal(v);
            if (n == GoSyntax.MALFORMED && !v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
                n = Long.MAX_VALUE; // digits only but beyond a long: simply very large, so capped below
            }
            if (n == GoSyntax.MALFORMED) {
                throw malformed(ConfigKey.GOMAXPROCS, v, null);
            }
            if (n == 0) {
                throw malformed(ConfigKey.GOMAXPROCS, v, "zero Ps cannot run anything");
            }
            int cap = procsCap(ncpu);
            if (n > cap) {
                warnings.add("GOMAXPROCS=" + v + " (" + sources.get(ConfigKey.GOMAXPROCS) + ") capped to " + cap
                        + ", the most gort runs on a machine with " + ncpu + " CPUs");
                n = cap;
            }
            gomaxprocs = (int) n;
        }

        void readGogc() {
            String v = raw(ConfigKey.GOGC);
            if (v == null) {
                return;
            }
            if (v.equals("off")) {
                gogc = GOGC_OFF;
                return;
            }
            // Go's readGOGC: "off", or an int32; any negative one is off (setGCPercent maps it to
            // -1). Go takes anything else as 100 without a word; gort refuses it (ConfigException).
            boolean negative = v.startsWith("-");
            long n = GoSyntax.parseDecimal(negative ? v.substring(1) : v);
            long bound = negative ? -(long) Integer.MIN_VALUE : Integer.MAX_VALUE;
            if (n == GoSyntax.MALFORMED || n > bound) {
                throw malformed(ConfigKey.GOGC, v, n == GoSyntax.MALFORMED ? null
                        : negative ? "smaller than " + Integer.MIN_VALUE : "larger than " + Integer.MAX_VALUE);
            }
            gogc = negative && n > 0 ? GOGC_OFF : (int) n;
        }

        void readMemoryLimit() {
            String v = raw(ConfigKey.GOMEMLIMIT);
            if (v == null) {
                return;
            }
            if (v.equals("off")) {
                memoryLimit = NO_MEMORY_LIMIT;
                return;
            }
            long n = GoSyntax.parseByteCount(v);
            if (n == GoSyntax.MALFORMED) {
                throw malformed(ConfigKey.GOMEMLIMIT, v, null);
            }
            memoryLimit = n;
        }

        void readDebug() {
            String v = raw(ConfigKey.GORT_DEBUG);
            if (v != null) {
                debug = GortDebug.parse(v, sources.get(ConfigKey.GORT_DEBUG), warnings);
            }
        }

        void readAffinity() {
            String v = raw(ConfigKey.GORT_AFFINITY);
            if (v == null) {
                return;
            }
            String[] problem = new String[1];
            Affinity a = Affinity.parse(v, problem);
            if (a == null) {
                throw malformed(ConfigKey.GORT_AFFINITY, v, problem[0]);
            }
            affinity = a;
        }

        void readSysmon() {
            SysmonConfig d = SysmonConfig.defaults();
            long minSleep = duration(ConfigKey.SYSMON_MIN_SLEEP, d.minSleepNanos(), false);
            long maxSleep = duration(ConfigKey.SYSMON_MAX_SLEEP, d.maxSleepNanos(), false);
            if (minSleep > maxSleep) {
                ConfigKey blamed = sources.containsKey(ConfigKey.SYSMON_MIN_SLEEP) ? ConfigKey.SYSMON_MIN_SLEEP
                        : ConfigKey.SYSMON_MAX_SLEEP;
                String value = GoSyntax.formatDuration(blamed == ConfigKey.SYSMON_MIN_SLEEP ? minSleep : maxSleep);
                throw malformed(blamed, raw(blamed), "sysmon min sleep " + GoSyntax.formatDuration(minSleep)
                        + " is above its max sleep " + GoSyntax.formatDuration(maxSleep) + " (" + value + " given)");
            }
            long preempt = duration(ConfigKey.SYSMON_PREEMPT, d.forcePreemptNanos(), false);
            long retake = duration(ConfigKey.SYSMON_SYSCALL_RETAKE, d.syscallRetakeNanos(), false);
            long netpoll = duration(ConfigKey.SYSMON_NETPOLL, d.netpollMaxAgeNanos(), false);
            long forcegc = duration(ConfigKey.FORCEGC_PERIOD, d.forceGcPeriodNanos(), true);
            long scavPeriod = duration(ConfigKey.SCAVENGE_PERIOD, d.scavengePeriodNanos(), true);
            long scavIdle = duration(ConfigKey.SCAVENGE_IDLE, d.scavengeIdleNanos(), false);
            int retainExtra = d.retainExtraPercent();
            String r = raw(ConfigKey.SCAVENGE_RETAIN_EXTRA);
            if (r != null) {
                long n = GoSyntax.parseDecimal(r);
                if (n == GoSyntax.MALFORMED || n > 10_000) {
                    throw malformed(ConfigKey.SCAVENGE_RETAIN_EXTRA, r,
                            n == GoSyntax.MALFORMED ? null : "above 10000%");
                }
                retainExtra = (int) n;
            }
            sysmon = new SysmonConfig(minSleep, maxSleep, d.idleRoundsBeforeBackoff(), preempt, retake, forcegc, netpoll,
                    scavPeriod, scavIdle, retainExtra, debug.scavtrace());
        }

        long duration(ConfigKey key, long def, boolean offAllowed) {
            String v = raw(key);
            if (v == null) {
                return def;
            }
            if (offAllowed && v.equals("off")) {
                return SysmonConfig.OFF;
            }
            long n = GoSyntax.parseDuration(v);
            if (n == GoSyntax.MALFORMED) {
                throw malformed(key, v, null);
            }
            if (n == 0) {
                throw malformed(key, v, "must be above zero" + (offAllowed ? " (use off to disable)" : ""));
            }
            return n;
        }
    }
}
