package dev.gort;

/**
 * The keys GORT_DEBUG knows (Go's GODEBUG runtime keys where gort has the same behaviour), each
 * with its range and default. A value outside the range stops start-up; an unknown key is
 * reported once as a warning listing these keys.
 */
public enum DebugKey {
    /** 1: one line per GC cycle in Go's gctrace format (2 also repeats the cycle's figures). */
    GCTRACE("gctrace", 0, 2, 0),
    /** X > 0: a SCHED line every X milliseconds. */
    SCHEDTRACE("schedtrace", 0, Integer.MAX_VALUE, 0),
    /** 1: with schedtrace, one line per P, M and G. */
    SCHEDDETAIL("scheddetail", 0, 1, 0),
    /** 1: Go's scav line after each scavenger pass that ran. */
    SCAVTRACE("scavtrace", 0, 1, 0),
    /** 1: re-mark the whole heap with the world stopped after each concurrent mark and compare. */
    GCCHECKMARK("gccheckmark", 0, 1, 0),
    /** 1: fill freed memory with a poison pattern. */
    GCPOISON("gcpoison", 0, 1, 0),
    /** N > 0: a GC every N allocations. */
    GCSTRESS("gcstress", 0, Integer.MAX_VALUE, 0),
    /** 1: mark with the world stopped; 2: also sweep with the world stopped. */
    GCSTOPTHEWORLD("gcstoptheworld", 0, 2, 0),
    /** 1 (default on Linux, as Go 1.16+): release with MADV_DONTNEED; 0: MADV_FREE. */
    MADVDONTNEED("madvdontneed", 0, 1, 1),
    /** 1 (default): a bad pointer found while scanning is fatal; 0: ignored. */
    INVALIDPTR("invalidptr", 0, 1, 1),
    /** 1: released memory is also made inaccessible (mprotect PROT_NONE), so stray reads fault. */
    HARDDECOMMIT("harddecommit", 0, 1, 0),
    /**
     * 1: every {@code dev.gort.gc.Mem} accessor checks that its address lies in an open heap's
     * arena (an address kept past its runtime fails with a message, not a SIGSEGV). Read from the
     * process environment, {@code -Dgort.debug} or {@code -Dgort.checkptr=1} once, when Mem loads.
     */
    CHECKPTR("checkptr", 0, 1, 0);

    private final String key;
    private final int min;
    private final int max;
    private final int defaultValue;

    DebugKey(String key, int min, int max, int defaultValue) {
        this.key = key;
        this.min = min;
        this.max = max;
        this.defaultValue = defaultValue;
    }

    /** The key as written in GORT_DEBUG. */
    public String key() {
        return key;
    }

    public int min() {
        return min;
    }

    public int max() {
        return max;
    }

    public int defaultValue() {
        return defaultValue;
    }

    /** The accepted values, as quoted in messages. */
    public String accepted() {
        if (max == Integer.MAX_VALUE) {
            return "a non-negative integer";
        }
        StringBuilder sb = new StringBuilder();
        for (int v = min; v <= max; v++) {
            sb.append(v == min ? "" : v == max ? " or " : ", ").append(v);
        }
        return sb.toString();
    }

    /** The key for {@code name}, or null. */
    public static DebugKey byName(String name) {
        for (DebugKey k : values()) {
            if (k.key.equals(name)) {
                return k;
            }
        }
        return null;
    }

    /** All keys, comma-separated, for the unknown-key warning. */
    public static String known() {
        StringBuilder sb = new StringBuilder();
        for (DebugKey k : values()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(k.key);
        }
        return sb.toString();
    }
}
