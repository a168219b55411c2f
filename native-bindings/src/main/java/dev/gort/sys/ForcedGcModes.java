package dev.gort.sys;

/**
 * A JVM-wide override of the collector's debug modes, for running a whole test suite under one of
 * them (TESTING.md G2, Go's {@code GODEBUG=gccheckmark=1 go test runtime}): the system property
 * {@code -Dgort.gc.force=gccheckmark=1}, {@code gcstoptheworld=2}, {@code gcpoison=1} or a
 * comma-separated list of them. Every {@code Collector} applies it on top of the options it was
 * built with ({@code GcOptions.withForcedModes}), and every {@code Heap} takes {@code gcpoison}
 * as its clobber-free fill, so tests that build their own options run in the forced mode too.
 * {@code ./gort test --gc-mode=checkmark|stw2|poison} passes the property to every test JVM, and
 * tests pass it on to the JVMs they start ({@link #childJvmFlags()}).
 *
 * <p>A key that is given replaces the built value (so {@code gcstoptheworld=0} forces concurrent
 * mark); a key that is not given leaves it alone. The property is read once, by the first caller
 * of {@link #get()}. A malformed entry is refused with a warning on stderr naming the entry and
 * what is accepted, and is ignored (the other entries still apply), the same rule as
 * {@link TuningProperty}: throwing from a constructor's first line would make every collector of
 * the JVM unusable. Nothing is printed when the property is unset or fully accepted, so child-JVM
 * tests that match stderr exactly are not disturbed.
 *
 * <p>Fields are {@link #UNSET} (-1) when not forced.
 */
public record ForcedGcModes(int gccheckmark, int gcstoptheworld, int gcpoison) {

    /** The system property's name. */
    public static final String PROPERTY = "gort.gc.force";
    /** A mode the property does not force. */
    public static final int UNSET = -1;
    /** Nothing forced. */
    public static final ForcedGcModes NONE = new ForcedGcModes(UNSET, UNSET, UNSET);

    private static final String ACCEPTED =
            "a comma-separated list of gccheckmark=0|1, gcstoptheworld=0|1|2, gcpoison=0|1";

    public ForcedGcModes {
        check("gccheckmark", gccheckmark, 1);
        check("gcstoptheworld", gcstoptheworld, 2);
        check("gcpoison", gcpoison, 1);
    }

    private static void check(String key, int v, int max) {
        if (v < UNSET || v > max) {
            throw new IllegalArgumentException(key + " must be 0.." + max + " or UNSET (-1), got " + v);
        }
    }

    private static volatile ForcedGcModes current;

    /** The JVM's forced modes, parsed from {@value #PROPERTY} on first use (warnings printed then). */
    public static ForcedGcModes get() {
        ForcedGcModes f = current;
        if (f == null) {
            synchronized (ForcedGcModes.class) {
                f = current;
                if (f == null) {
                    f = parse(System.getProperty(PROPERTY), System.err);
                    current = f;
                }
            }
        }
        return f;
    }

    /** True when at least one mode is forced. */
    public boolean any() {
        return gccheckmark != UNSET || gcstoptheworld != UNSET || gcpoison != UNSET;
    }

    /** {@code built} unless gccheckmark is forced. */
    public boolean checkmark(boolean built) {
        return gccheckmark == UNSET ? built : gccheckmark == 1;
    }

    /** {@code built} unless gcstoptheworld is forced. */
    public int stopTheWorld(int built) {
        return gcstoptheworld == UNSET ? built : gcstoptheworld;
    }

    /** {@code built} unless gcpoison is forced. */
    public boolean poison(boolean built) {
        return gcpoison == UNSET ? built : gcpoison == 1;
    }

    /**
     * The flag a child JVM needs to run under these modes ({@code -Dgort.gc.force=<toString()>}),
     * or no flag when nothing is forced. Tests that start JVMs put it before their own flags (a
     * later {@code -D} of the same property wins), so {@code ./gort test --gc-mode=...} reaches
     * the fatal-case and start-up children too. Only the accepted entries are passed on: a child
     * repeats no warning for an entry this JVM already refused.
     */
    public java.util.List<String> childJvmFlags() {
        return any() ? java.util.List.of("-D" + PROPERTY + "=" + this) : java.util.List.of();
    }

    /** The forced entries in the property's own syntax ("" when none), for messages and test names. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        append(b, "gccheckmark", gccheckmark);
        append(b, "gcstoptheworld", gcstoptheworld);
        append(b, "gcpoison", gcpoison);
        return b.toString();
    }

    private static void append(StringBuilder b, String key, int v) {
        if (v != UNSET) {
            b.append(b.isEmpty() ? "" : ",").append(key).append('=').append(v);
        }
    }

    /**
     * {@code value} (null or blank: nothing forced) parsed; every refused entry gets one warning
     * line on {@code warnings} naming it and what is accepted, and is skipped.
     */
    public static ForcedGcModes parse(String value, java.io.PrintStream warnings) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        int checkmark = UNSET, stw = UNSET, poison = UNSET;
        for (String raw : value.split(",", -1)) {
            String entry = raw.trim();
            try {
                int eq = entry.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("has no '='");
                }
                String key = entry.substring(0, eq).trim();
                String v = entry.substring(eq + 1).trim();
                switch (key) {
                    case "gccheckmark" -> checkmark = number(v, 1);
                    case "gcstoptheworld" -> stw = number(v, 2);
                    case "gcpoison" -> poison = number(v, 1);
                    default -> throw new IllegalArgumentException("names an unknown mode '" + key + "'");
                }
            } catch (IllegalArgumentException e) {
                warnings.println("gort: warning: -D" + PROPERTY + "=" + value + ": entry '" + entry + "' " + e.getMessage()
                        + " and is ignored; accepted: " + ACCEPTED);
            }
        }
        return new ForcedGcModes(checkmark, stw, poison);
    }

    private static int number(String v, int max) {
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n > max) {
            throw new IllegalArgumentException("has a value outside 0.." + max);
        }
        return n;
    }
}
