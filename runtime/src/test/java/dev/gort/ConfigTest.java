package dev.gort;

import dev.gort.sysmon.SysmonConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Every key, every accepted form, and the exact message of every refused one (TESTING.md F21-F24). */
class ConfigTest {
    private static Config env(String k, String v) {
        return Config.load(Map.of(k, v), Map.of(), 2);
    }

    private static ConfigException refusedEnv(String k, String v) {
        return assertThrows(ConfigException.class, () -> env(k, v), k + "=" + v);
    }

    @Test
    void defaultsAreGos() {
        Config c = Config.defaults(6);
        assertEquals(6, c.gomaxprocs());
        assertEquals(100, c.gogc());
        assertEquals(Config.NO_MEMORY_LIMIT, c.memoryLimit());
        assertEquals(new Affinity.None(), c.affinity());
        assertEquals(SysmonConfig.defaults(), c.sysmon());
        assertEquals(0, c.debug().gctrace());
        assertTrue(c.debug().madvdontneed(), "MADV_DONTNEED is the default as in Go 1.16+");
        assertTrue(c.warnings().isEmpty());
        assertEquals("default", c.source(ConfigKey.GOGC));
        assertTrue(c.describe().contains("GOGC"), c.describe());
    }

    // ---- GOMAXPROCS (F21)

    @Test
    void gomaxprocsPositive() {
        assertEquals(1, env("GOMAXPROCS", "1").gomaxprocs());
        assertEquals(7, env("GOMAXPROCS", "7").gomaxprocs());
        assertEquals(256, env("GOMAXPROCS", "256").gomaxprocs());
        assertTrue(env("GOMAXPROCS", "256").warnings().isEmpty());
    }

    @Test
    void gomaxprocs1024StartsCappedWithAWarning() {
        Config c = env("GOMAXPROCS", "1024");
        assertEquals(256, c.gomaxprocs());
        assertEquals(List.of("GOMAXPROCS=1024 (environment variable GOMAXPROCS) capped to 256, the most gort runs on a machine with 2 CPUs"),
                c.warnings());
        Config huge = env("GOMAXPROCS", "99999999999999999999999");
        assertEquals(256, huge.gomaxprocs());
        assertEquals(1, huge.warnings().size());
    }

    @Test
    void gomaxprocsCapRisesWithTheCpuCount() {
        Config c = Config.load(Map.of("GOMAXPROCS", "1024"), Map.of(), 1024);
        assertEquals(1024, c.gomaxprocs());
        assertTrue(c.warnings().isEmpty());
        assertEquals(512, Config.procsCap(512));
        assertEquals(256, Config.procsCap(8));
        assertEquals(1024, Config.procsCap(4096), "never above the scheduler's limit");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-1", "+4", "4.0", " 4", "4 ", "0x10", "four"})
    void gomaxprocsMalformed(String v) {
        ConfigException e = refusedEnv("GOMAXPROCS", v);
        assertEquals("malformed GOMAXPROCS: \"" + v + "\" (environment variable GOMAXPROCS); accepted: "
                + ConfigKey.GOMAXPROCS.accepted(), e.getMessage());
        assertEquals(ConfigKey.GOMAXPROCS, e.key());
        assertEquals(v, e.value());
    }

    @Test
    void gomaxprocsZero() {
        assertEquals("malformed GOMAXPROCS: \"0\" (environment variable GOMAXPROCS): zero Ps cannot run anything; accepted: "
                        + "a positive integer (the number of Ps; values above the cap are capped with a warning), e.g. GOMAXPROCS=4",
                refusedEnv("GOMAXPROCS", "0").getMessage());
    }

    @Test
    void emptyValueMeansUnset() {
        assertEquals(2, env("GOMAXPROCS", "").gomaxprocs());
        assertEquals(100, env("GOGC", "").gogc());
        assertEquals("default", env("GOGC", "").source(ConfigKey.GOGC));
    }

    // ---- GOGC (F22)

    @Test
    void gogcForms() {
        assertEquals(Config.GOGC_OFF, env("GOGC", "off").gogc());
        assertEquals(0, env("GOGC", "0").gogc());
        assertEquals(50, env("GOGC", "50").gogc());
        assertEquals(Integer.MAX_VALUE, env("GOGC", "2147483647").gogc());
    }

    /** Go's readGOGC takes an int32 and setGCPercent makes any negative one -1 (off); "-0" is 0. */
    @Test
    void negativeGogcIsOff() {
        assertEquals(Config.GOGC_OFF, env("GOGC", "-1").gogc());
        assertEquals(Config.GOGC_OFF, env("GOGC", "-50").gogc());
        assertEquals(Config.GOGC_OFF, env("GOGC", "-2147483648").gogc());
        assertEquals(Config.GOGC_OFF, Config.load(Map.of(), Map.of("gort.gogc", "-7"), 2).gogc());
        assertEquals(0, env("GOGC", "-0").gogc());
        assertEquals("malformed GOGC: \"-2147483649\" (environment variable GOGC): smaller than -2147483648; accepted: "
                + ConfigKey.GOGC.accepted(), refusedEnv("GOGC", "-2147483649").getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-", "--1", "+5", "-x", "OFF", "Off", "100%", "1e3", "10.5", "on"})
    void gogcMalformed(String v) {
        assertEquals("malformed GOGC: \"" + v + "\" (environment variable GOGC); accepted: \"off\" or an integer percent (any negative one is off, as in Go), e.g. GOGC=100",
                refusedEnv("GOGC", v).getMessage());
    }

    @Test
    void gogcTooLarge() {
        assertEquals("malformed GOGC: \"2147483648\" (environment variable GOGC): larger than 2147483647; accepted: "
                + ConfigKey.GOGC.accepted(), refusedEnv("GOGC", "2147483648").getMessage());
    }

    // ---- GOMEMLIMIT (F23)

    @Test
    void memoryLimitGoSyntax() {
        assertEquals(512L << 20, env("GOMEMLIMIT", "512MiB").memoryLimit());
        assertEquals(1L << 30, env("GOMEMLIMIT", "1GiB").memoryLimit());
        assertEquals(3L << 40, env("GOMEMLIMIT", "3TiB").memoryLimit());
        assertEquals(64L << 10, env("GOMEMLIMIT", "64KiB").memoryLimit());
        assertEquals(123, env("GOMEMLIMIT", "123").memoryLimit());
        assertEquals(123, env("GOMEMLIMIT", "123B").memoryLimit());
        assertEquals(0, env("GOMEMLIMIT", "0").memoryLimit());
        assertEquals(Config.NO_MEMORY_LIMIT, env("GOMEMLIMIT", "off").memoryLimit());
        assertEquals(Config.NO_MEMORY_LIMIT, env("GOMEMLIMIT", "9223372036854775807").memoryLimit());
    }

    @ParameterizedTest
    @ValueSource(strings = {"512MB", "512mib", "512 MiB", "1.5GiB", "-1", "KiB", "B", "iB", "12PiB", "12Ki", "off ",
            "9223372036854775808", "8388608TiB", "lots"})
    void memoryLimitMalformed(String v) {
        ConfigException e = refusedEnv("GOMEMLIMIT", v);
        assertTrue(e.getMessage().startsWith("malformed GOMEMLIMIT: \"" + v + "\" (environment variable GOMEMLIMIT); accepted: "
                + "\"off\" or a byte count: a non-negative integer with an optional suffix B, KiB, MiB, GiB or TiB, e.g. GOMEMLIMIT=512MiB"),
                e.getMessage());
    }

    // ---- GORT_DEBUG (F24)

    @Test
    void debugKeys() {
        Config c = env("GORT_DEBUG", "gctrace=1,schedtrace=1000,scheddetail=1,scavtrace=1,gccheckmark=1,gcpoison=1,"
                + "gcstress=100,gcstoptheworld=2,madvdontneed=0,invalidptr=0,harddecommit=1");
        GortDebug d = c.debug();
        assertEquals(1, d.gctrace());
        assertEquals(1000, d.schedtrace());
        assertTrue(d.scheddetail());
        assertTrue(d.scavtrace());
        assertTrue(d.gccheckmark());
        assertTrue(d.gcpoison());
        assertEquals(100, d.gcstress());
        assertEquals(2, d.gcstoptheworld());
        assertFalse(d.madvdontneed());
        assertFalse(d.invalidptr());
        assertTrue(d.harddecommit());
        assertTrue(c.sysmon().scavtrace(), "scavtrace reaches sysmon's settings");
        assertTrue(c.warnings().isEmpty());
    }

    @Test
    void debugEmptyItemsSkippedLastWins() {
        Config c = env("GORT_DEBUG", ",gctrace=1,,gctrace=2,");
        assertEquals(2, c.debug().gctrace());
        assertEquals("gctrace=2", c.debug().toString());
        assertTrue(c.debug().isSet(DebugKey.GCTRACE));
        assertFalse(c.debug().isSet(DebugKey.SCAVTRACE));
    }

    @Test
    void debugMalformedValueNamesTheKey() {
        assertEquals("malformed GORT_DEBUG: \"scavtrace=1,gctrace=x\" (environment variable GORT_DEBUG): gctrace=\"x\" is out of range; "
                + "accepted: for gctrace: 0, 1 or 2", refusedEnv("GORT_DEBUG", "scavtrace=1,gctrace=x").getMessage());
        assertEquals("malformed GORT_DEBUG: \"gcstoptheworld=3\" (environment variable GORT_DEBUG): gcstoptheworld=\"3\" is out of range; "
                + "accepted: for gcstoptheworld: 0, 1 or 2", refusedEnv("GORT_DEBUG", "gcstoptheworld=3").getMessage());
        assertEquals("malformed GORT_DEBUG: \"scavtrace=2\" (environment variable GORT_DEBUG): scavtrace=\"2\" is out of range; "
                + "accepted: for scavtrace: 0 or 1", refusedEnv("GORT_DEBUG", "scavtrace=2").getMessage());
        assertEquals("malformed GORT_DEBUG: \"schedtrace=-5\" (environment variable GORT_DEBUG): schedtrace=\"-5\" is out of range; "
                + "accepted: for schedtrace: a non-negative integer", refusedEnv("GORT_DEBUG", "schedtrace=-5").getMessage());
        assertEquals("malformed GORT_DEBUG: \"gcstress=\" (environment variable GORT_DEBUG): gcstress=\"\" is out of range; "
                + "accepted: for gcstress: a non-negative integer", refusedEnv("GORT_DEBUG", "gcstress=").getMessage());
        assertEquals("malformed GORT_DEBUG: \"gctrace\" (environment variable GORT_DEBUG): key gctrace has no value; "
                + "accepted: gctrace=<value> with value 0, 1 or 2", refusedEnv("GORT_DEBUG", "gctrace").getMessage());
    }

    @Test
    void debugUnknownKeysOneWarning() {
        Config c = env("GORT_DEBUG", "gctrace=1,foo=1,asyncpreemptoff=1,foo=2,bar");
        assertEquals(1, c.debug().gctrace());
        assertEquals(List.of("unknown GORT_DEBUG keys foo, asyncpreemptoff, bar (environment variable GORT_DEBUG) ignored; known keys: "
                + "gctrace, schedtrace, scheddetail, scavtrace, gccheckmark, gcpoison, gcstress, gcstoptheworld, madvdontneed, "
                + "invalidptr, harddecommit, checkptr"), c.warnings());
        assertEquals(List.of("unknown GORT_DEBUG key gctrcae (environment variable GORT_DEBUG) ignored; known keys: "
                + DebugKey.known()), env("GORT_DEBUG", "gctrcae=1").warnings());
    }

    // ---- GORT_AFFINITY

    @Test
    void affinityForms() {
        assertEquals(new Affinity.None(), env("GORT_AFFINITY", "none").affinity());
        assertEquals(new Affinity.Spread(), env("GORT_AFFINITY", "spread").affinity());
        Affinity a = env("GORT_AFFINITY", "list:0,2,1").affinity();
        assertEquals(new Affinity.CpuList(new int[]{0, 2, 1}), a);
        assertEquals("list:0,2,1", a.toString());
        assertArrayEquals(new int[]{1023}, ((Affinity.CpuList) env("GORT_AFFINITY", "list:1023").affinity()).cpus());
    }

    @Test
    void affinityMalformed() {
        String accepted = "; accepted: none, spread, or list: followed by comma-separated CPU numbers, e.g. GORT_AFFINITY=list:0,2";
        String src = " (environment variable GORT_AFFINITY): ";
        assertEquals("malformed GORT_AFFINITY: \"all\"" + src + "unknown policy" + accepted, refusedEnv("GORT_AFFINITY", "all").getMessage());
        assertEquals("malformed GORT_AFFINITY: \"LIST:0\"" + src + "unknown policy" + accepted, refusedEnv("GORT_AFFINITY", "LIST:0").getMessage());
        assertEquals("malformed GORT_AFFINITY: \"list:\"" + src + "the list names no CPU" + accepted, refusedEnv("GORT_AFFINITY", "list:").getMessage());
        assertEquals("malformed GORT_AFFINITY: \"list:0,,2\"" + src + "\"\" is not a CPU number" + accepted,
                refusedEnv("GORT_AFFINITY", "list:0,,2").getMessage());
        assertEquals("malformed GORT_AFFINITY: \"list:a\"" + src + "\"a\" is not a CPU number" + accepted,
                refusedEnv("GORT_AFFINITY", "list:a").getMessage());
        assertEquals("malformed GORT_AFFINITY: \"list:-1\"" + src + "\"-1\" is not a CPU number" + accepted,
                refusedEnv("GORT_AFFINITY", "list:-1").getMessage());
        assertEquals("malformed GORT_AFFINITY: \"list:1,0,1\"" + src + "CPU 1 is listed twice" + accepted,
                refusedEnv("GORT_AFFINITY", "list:1,0,1").getMessage());
        assertEquals("malformed GORT_AFFINITY: \"list:2000\"" + src + "CPU 2000 is beyond the largest CPU number 1023" + accepted,
                refusedEnv("GORT_AFFINITY", "list:2000").getMessage());
    }

    /**
     * A list naming CPUs the process may not run on is refused at start, naming them and the CPUs
     * its affinity mask allows (before: accepted, then "cannot pin M0 to CPU 7 ... running
     * unpinned" once the M started). Through Gort.run too: nothing starts.
     */
    @Test
    void affinityOutsideTheProcessMaskIsRefusedNamingTheCpusAllowed() {
        java.util.BitSet allowed = new java.util.BitSet();
        allowed.set(0, 2);
        allowed.set(4);
        env("GORT_AFFINITY", "list:1,0,4").checkAffinity(allowed);
        env("GORT_AFFINITY", "spread").checkAffinity(allowed);
        ConfigException e = assertThrows(ConfigException.class, () -> env("GORT_AFFINITY", "list:0,7").checkAffinity(allowed));
        assertEquals("malformed GORT_AFFINITY: \"list:0,7\" (environment variable GORT_AFFINITY): CPU 7 is not in this process's"
                + " affinity mask; accepted: the CPUs it allows, 0-1,4 (list:<cpu>[,<cpu>...] of those), spread or none", e.getMessage());
        e = assertThrows(ConfigException.class, () -> env("GORT_AFFINITY", "list:9,0,2").checkAffinity(allowed));
        assertTrue(e.getMessage().contains("CPUs 9,2 are not in this process's affinity mask"), e.getMessage());
        env("GORT_AFFINITY", "list:7").checkAffinity(new java.util.BitSet());   // an unreadable mask refuses nothing

        java.util.BitSet mask = dev.gort.sys.CpuAffinity.mask();
        int missing = mask.nextClearBit(0);
        org.junit.jupiter.api.Assumptions.assumeTrue(missing <= Affinity.MAX_CPU, "every CPU number is in this process's mask");
        java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
        e = assertThrows(ConfigException.class, () -> Gort.run(new String[0], a -> ran.set(true),
                new Gort.Options().settings(Map.of("GORT_AFFINITY", "list:" + missing), Map.of())));
        assertTrue(e.getMessage().contains("CPU " + missing + " is not in this process's affinity mask; accepted: the CPUs it allows, "
                + dev.gort.sys.CpuAffinity.format(mask)), e.getMessage());
        assertFalse(ran.get(), "nothing ran");
    }

    // ---- precedence

    @Test
    void propertyWinsOverEnvironment() {
        Config c = Config.load(Map.of("GOGC", "50", "GOMAXPROCS", "3"), Map.of("gort.gogc", "200", "gort.gomaxprocs", "3"), 2);
        assertEquals(200, c.gogc());
        assertEquals(3, c.gomaxprocs());
        assertEquals("system property gort.gogc", c.source(ConfigKey.GOGC));
        assertEquals("system property gort.gomaxprocs", c.source(ConfigKey.GOMAXPROCS));
        assertEquals(List.of("GOGC=50 from the environment is overridden by system property gort.gogc=200"), c.warnings(),
                "a conflict warns; the same value twice does not");
        Config envOnly = env("GOGC", "50");
        assertEquals("environment variable GOGC", envOnly.source(ConfigKey.GOGC));
    }

    @Test
    void propertyMalformedNamesTheProperty() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("GOGC", "50"), Map.of("gort.gogc", "fifty"), 2));
        assertEquals("malformed GOGC: \"fifty\" (system property gort.gogc); accepted: " + ConfigKey.GOGC.accepted(), e.getMessage());
        ConfigException d = assertThrows(ConfigException.class,
                () -> Config.load(Map.of(), Map.of("gort.debug", "gcpoison=yes"), 2));
        assertTrue(d.getMessage().startsWith("malformed GORT_DEBUG: \"gcpoison=yes\" (system property gort.debug): gcpoison=\"yes\""),
                d.getMessage());
        ConfigException m = assertThrows(ConfigException.class,
                () -> Config.load(Map.of(), Map.of("gort.gomemlimit", "1G"), 2));
        assertTrue(m.getMessage().startsWith("malformed GOMEMLIMIT: \"1G\" (system property gort.gomemlimit); accepted: "), m.getMessage());
    }

    @Test
    void firstMalformedKeyReportedInKeyOrder() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("GOGC", "x", "GOMAXPROCS", "y"), Map.of(), 2));
        assertEquals(ConfigKey.GOMAXPROCS, e.key());
    }

    // ---- sysmon and scavenger periods

    @Test
    void sysmonDurations() {
        Config c = Config.load(Map.of("GORT_SYSMON_MIN_SLEEP", "5us", "GORT_SYSMON_MAX_SLEEP", "1.5ms",
                "GORT_FORCEGC_PERIOD", "200ms", "GORT_SCAVENGE_IDLE", "2m30s", "GORT_SCAVENGE_PERIOD", "off",
                "GORT_SCAVENGE_RETAIN_EXTRA", "25"), Map.of("gort.sysmon.preempt", "2ms", "gort.sysmon.netpoll", "1ms",
                "gort.sysmon.syscallretake", "100us"), 2);
        SysmonConfig s = c.sysmon();
        assertEquals(5_000, s.minSleepNanos());
        assertEquals(1_500_000, s.maxSleepNanos());
        assertEquals(200_000_000, s.forceGcPeriodNanos());
        assertEquals(150_000_000_000L, s.scavengeIdleNanos());
        assertEquals(SysmonConfig.OFF, s.scavengePeriodNanos());
        assertEquals(25, s.retainExtraPercent());
        assertEquals(2_000_000, s.forcePreemptNanos());
        assertEquals(1_000_000, s.netpollMaxAgeNanos());
        assertEquals(100_000, s.syscallRetakeNanos());
        assertEquals(SysmonConfig.OFF, env("GORT_FORCEGC_PERIOD", "off").sysmon().forceGcPeriodNanos());
    }

    @Test
    void sysmonDurationsMalformed() {
        assertEquals("malformed GORT_SYSMON_PREEMPT: \"10\" (environment variable GORT_SYSMON_PREEMPT); accepted: a positive Go duration "
                + "(a number with unit ns, us, ms, s, m or h; parts may be combined), e.g. 10ms", refusedEnv("GORT_SYSMON_PREEMPT", "10").getMessage());
        assertEquals("malformed GORT_FORCEGC_PERIOD: \"0\" (environment variable GORT_FORCEGC_PERIOD): must be above zero (use off to disable); "
                + "accepted: \"off\" or a positive Go duration (a number with unit ns, us, ms, s, m or h; parts may be combined), e.g. 2m",
                refusedEnv("GORT_FORCEGC_PERIOD", "0").getMessage());
        assertEquals("malformed GORT_SYSMON_NETPOLL: \"off\" (environment variable GORT_SYSMON_NETPOLL); accepted: "
                + ConfigKey.SYSMON_NETPOLL.accepted(), refusedEnv("GORT_SYSMON_NETPOLL", "off").getMessage());
        for (String v : new String[]{"-5ms", "5 ms", "5sec", "ms", "1.ms.", "5MS", "1e3ms"}) {
            assertTrue(refusedEnv("GORT_SCAVENGE_IDLE", v).getMessage().startsWith("malformed GORT_SCAVENGE_IDLE: \"" + v + "\""), v);
        }
        assertEquals("malformed GORT_SCAVENGE_RETAIN_EXTRA: \"ten\" (environment variable GORT_SCAVENGE_RETAIN_EXTRA); accepted: "
                + "a non-negative integer percent of the heap goal, e.g. 10", refusedEnv("GORT_SCAVENGE_RETAIN_EXTRA", "ten").getMessage());
    }

    @Test
    void minSleepAboveMaxSleep() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("GORT_SYSMON_MIN_SLEEP", "20ms"), Map.of(), 2));
        assertEquals("malformed GORT_SYSMON_MIN_SLEEP: \"20ms\" (environment variable GORT_SYSMON_MIN_SLEEP): sysmon min sleep 20ms "
                + "is above its max sleep 10ms (20ms given); accepted: " + ConfigKey.SYSMON_MIN_SLEEP.accepted(), e.getMessage());
        ConfigException m = assertThrows(ConfigException.class,
                () -> Config.load(Map.of("GORT_SYSMON_MAX_SLEEP", "1us"), Map.of(), 2));
        assertEquals(ConfigKey.SYSMON_MAX_SLEEP, m.key());
    }

    @Test
    void badCpuCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Config.defaults(0));
        assertEquals("ncpu 0 < 1; accepted: the number of usable CPUs, >= 1", e.getMessage());
    }

    @Test
    void fromSystemReadsTheRealProcess() {
        Config c = Config.fromSystem();
        assertTrue(c.gomaxprocs() >= 1);
        assertEquals(Runtime.getRuntime().availableProcessors(), c.ncpu());
    }
}
