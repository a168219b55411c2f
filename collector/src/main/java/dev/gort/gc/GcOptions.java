package dev.gort.gc;

import java.util.Locale;

/**
 * The collector's settings, parsed from Go's environment syntax: {@code GOGC}, {@code GOMEMLIMIT}
 * and the collector's {@code GORT_DEBUG} keys. Malformed values are rejected with the key, the value
 * and the accepted form (gort is stricter than Go, which silently falls back).
 *
 * @param gcPercent      GOGC: a percentage, or {@link Pacer#OFF}
 * @param memoryLimit    GOMEMLIMIT in bytes, or {@link Pacer#INFINITE}
 * @param gctrace        print Go's gctrace line per cycle to stderr
 * @param gccheckmark    re-mark the heap with the world stopped after each concurrent mark and
 *                       fail on anything concurrent marking missed
 * @param gcpoison       fill freed memory with {@link #POISON_BYTE}
 * @param gcstress       collect every N allocations (0 = off)
 * @param gcstoptheworld 0 = concurrent; 1 = mark with the world stopped; 2 = also sweep stopped
 */
public record GcOptions(int gcPercent, long memoryLimit, boolean gctrace, boolean gccheckmark,
                        boolean gcpoison, long gcstress, int gcstoptheworld) {

    /** The byte freed memory is filled with under gcpoison (as Go's clobberfree 0xdeadbeef idea). */
    public static final byte POISON_BYTE = (byte) 0xDF;

    public static final GcOptions DEFAULT = new GcOptions(100, Pacer.INFINITE, false, false, false, 0, 0);

    public GcOptions {
        if (gcPercent < Pacer.OFF) {
            throw new IllegalArgumentException("gcPercent must be >= 0 or Pacer.OFF, got " + gcPercent);
        }
        if (memoryLimit < 0) {
            throw new IllegalArgumentException("memoryLimit must be >= 0, got " + memoryLimit);
        }
        if (gcstress < 0) {
            throw new IllegalArgumentException("gcstress must be >= 0, got " + gcstress);
        }
        if (gcstoptheworld < 0 || gcstoptheworld > 2) {
            throw new IllegalArgumentException("gcstoptheworld must be 0, 1 or 2, got " + gcstoptheworld);
        }
    }

    public GcOptions withGcPercent(int p) {
        return new GcOptions(p, memoryLimit, gctrace, gccheckmark, gcpoison, gcstress, gcstoptheworld);
    }

    public GcOptions withMemoryLimit(long l) {
        return new GcOptions(gcPercent, l, gctrace, gccheckmark, gcpoison, gcstress, gcstoptheworld);
    }

    /** Parses GOGC: {@code off} or a non-negative integer; null/empty means 100. */
    public static int parseGogc(String v) {
        if (v == null || v.isEmpty()) {
            return 100;
        }
        if (v.equals("off")) {
            return Pacer.OFF;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the message
        }
        throw new IllegalArgumentException("malformed GOGC=\"" + v + "\": accepted forms are a non-negative integer percentage (e.g. 100) or off");
    }

    /**
     * Parses GOMEMLIMIT: {@code off} or a byte count with an optional suffix B, KiB, MiB, GiB, TiB
     * (Go's syntax); null/empty means no limit.
     */
    public static long parseMemoryLimit(String v) {
        if (v == null || v.isEmpty() || v.equals("off")) {
            return Pacer.INFINITE;
        }
        String[] suffixes = {"TiB", "GiB", "MiB", "KiB", "B"};
        int[] shifts = {40, 30, 20, 10, 0};
        String num = v;
        int shift = 0;
        for (int i = 0; i < suffixes.length; i++) {
            if (v.endsWith(suffixes[i])) {
                num = v.substring(0, v.length() - suffixes[i].length());
                shift = shifts[i];
                break;
            }
        }
        try {
            if (!num.isEmpty() && num.chars().allMatch(Character::isDigit)) {
                long n = Long.parseLong(num);
                if (n <= (Long.MAX_VALUE >>> shift)) {
                    return n << shift;
                }
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new IllegalArgumentException("malformed GOMEMLIMIT=\"" + v
                + "\": accepted forms are off or a byte count with an optional suffix B, KiB, MiB, GiB or TiB (e.g. 512MiB), at most 2^63-1 bytes");
    }

    /** The GORT_DEBUG keys this record understands. */
    public static final java.util.List<String> DEBUG_KEYS = java.util.List.of("gctrace", "gccheckmark", "gcpoison", "gcstress", "gcstoptheworld");

    /**
     * Applies the collector keys of a GORT_DEBUG string ({@code key=value,...}); keys that are not
     * the collector's are ignored here (the runtime warns about unknown keys once, for all modules).
     */
    public GcOptions withDebug(String gortDebug) {
        boolean trace = gctrace, check = gccheckmark, poison = gcpoison;
        long stress = gcstress;
        int stw = gcstoptheworld;
        if (gortDebug == null || gortDebug.isBlank()) {
            return this;
        }
        for (String kv : gortDebug.split(",")) {
            if (kv.isBlank()) {
                continue;
            }
            int eq = kv.indexOf('=');
            String key = (eq < 0 ? kv : kv.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
            String val = eq < 0 ? "" : kv.substring(eq + 1).trim();
            switch (key) {
                case "gctrace" -> trace = flag(key, val);
                case "gccheckmark" -> check = flag(key, val);
                case "gcpoison" -> poison = flag(key, val);
                case "gcstress" -> stress = nonNegative(key, val);
                case "gcstoptheworld" -> {
                    long n = nonNegative(key, val);
                    if (n > 2) {
                        throw new IllegalArgumentException("malformed GORT_DEBUG gcstoptheworld=" + val + ": accepted values are 0, 1 or 2");
                    }
                    stw = (int) n;
                }
                default -> {
                    // not a collector key
                }
            }
        }
        return new GcOptions(gcPercent, memoryLimit, trace, check, poison, stress, stw);
    }

    private static boolean flag(String key, String val) {
        return switch (val) {
            case "1" -> true;
            case "0" -> false;
            default -> throw new IllegalArgumentException("malformed GORT_DEBUG " + key + "=" + val + ": accepted values are 0 or 1");
        };
    }

    private static long nonNegative(String key, String val) {
        try {
            long n = Long.parseLong(val);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new IllegalArgumentException("malformed GORT_DEBUG " + key + "=" + val + ": accepted values are non-negative integers");
    }
}
