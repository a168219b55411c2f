package dev.gort.sys;

/**
 * Tuning knobs given as system properties ({@code -Dgort.gc.stopspin.us=50}) and read once by a
 * class initializer. A malformed or out-of-range value is refused with a warning on stderr that
 * names the property, the value and what is accepted, and the default is used: throwing from a
 * class initializer would leave the class unusable for the rest of the JVM's life (the same rule
 * as {@code GORT_DEBUG=checkptr=}).
 */
public final class TuningProperty {
    private TuningProperty() {
    }

    /**
     * The property {@code name} as a whole number of microseconds in {@code min..max}, converted
     * to nanoseconds; {@code defaultMicros} when it is unset or refused.
     */
    public static long microsAsNanos(String name, long defaultMicros, long min, long max) {
        String value = System.getProperty(name);
        try {
            return parseMicros(name, value, defaultMicros, min, max) * 1000;
        } catch (IllegalArgumentException e) {
            System.err.println("gort: warning: " + e.getMessage() + "; using the default " + defaultMicros + " us");
            return defaultMicros * 1000;
        }
    }

    /** The property {@code name} as {@code true} or {@code false} (any case); {@code defaultValue} when it is unset or refused. */
    public static boolean flag(String name, boolean defaultValue) {
        String value = System.getProperty(name);
        try {
            return parseFlag(name, value, defaultValue);
        } catch (IllegalArgumentException e) {
            System.err.println("gort: warning: " + e.getMessage() + "; using the default " + defaultValue);
            return defaultValue;
        }
    }

    /**
     * {@code -Dname=true|false} for a setting whose default depends on the caller's context: null
     * when unset, and when not valid (a warning names the value, what is accepted and that the
     * context's default, {@code defaultDescription}, applies), so a bad value never overrides it.
     */
    public static Boolean flagOrContextDefault(String name, String defaultDescription) {
        String value = System.getProperty(name);
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.valueOf(v.equalsIgnoreCase("true"));
        }
        System.err.println("gort: warning: -D" + name + "=" + value + " is not valid; accepted: true or false"
                + " (unset: " + defaultDescription + "); using that default");
        return null;
    }

    /** {@code value} (null: unset) as a flag, or an error naming what is accepted. */
    static boolean parseFlag(String name, String value, boolean defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        String v = value.trim();
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("-D" + name + "=" + value + " is not valid; accepted: true or false (default "
                + defaultValue + ")");
    }

    /** {@code value} (null: unset) as microseconds in {@code min..max}, or an error naming what is accepted. */
    static long parseMicros(String name, String value, long defaultMicros, long min, long max) {
        return parseWhole(name, value, "microseconds", defaultMicros, min, max);
    }

    /**
     * {@code value}, the property {@code name}'s (null: unset), as a whole number of {@code unit}
     * in {@code min..max}; {@code defaultValue} when it is unset or refused, with a warning naming
     * what is accepted (for a knob read once in a class initializer).
     */
    public static long whole(String name, String value, String unit, long defaultValue, long min, long max) {
        try {
            return parseWhole(name, value, unit, defaultValue, min, max);
        } catch (IllegalArgumentException e) {
            System.err.println("gort: warning: " + e.getMessage() + "; using the default " + defaultValue);
            return defaultValue;
        }
    }

    /** {@code value} (null: unset) as a whole number of {@code unit} in {@code min..max}, or an error naming what is accepted. */
    public static long parseWhole(String name, String value, String unit, long defaultValue, long min, long max) {
        if (value == null) {
            return defaultValue;
        }
        long v;
        try {
            v = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            v = Long.MIN_VALUE;
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("-D" + name + "=" + value + " is not valid; accepted: whole " + unit + " "
                    + min + ".." + max + " (default " + defaultValue + ")");
        }
        return v;
    }
}
