package dev.gort.gc;

/**
 * The collector's settings. The runtime parses them from {@code GOGC}, {@code GOMEMLIMIT} and
 * {@code GORT_DEBUG} (dev.gort.Config, with Go's syntaxes and exact messages) and hands them here;
 * this record only checks ranges, so a programmatic caller gets the same clear errors.
 *
 * @param gcPercent      GOGC: a percentage, or any negative value for off (stored as {@link Pacer#OFF})
 * @param memoryLimit    GOMEMLIMIT in bytes, or {@link Pacer#INFINITE}
 * @param gctrace        print Go's gctrace line per cycle to stderr
 * @param gccheckmark    re-mark the heap with the world stopped after each concurrent mark and
 *                       fail on anything concurrent marking missed
 * @param gcpoison       fill freed memory with {@link #POISON_BYTE}
 * @param gcstress       collect every N allocations (0 = off)
 * @param gcstoptheworld 0 = concurrent; 1 = mark with the world stopped; 2 = also sweep stopped
 * @param invalidptr     a bad pointer found while scanning is fatal (true, default) or ignored
 */
public record GcOptions(int gcPercent, long memoryLimit, boolean gctrace, boolean gccheckmark,
                        boolean gcpoison, long gcstress, int gcstoptheworld, boolean invalidptr) {

    /** The byte freed memory is filled with under gcpoison. */
    public static final byte POISON_BYTE = (byte) 0xDF;

    public static final GcOptions DEFAULT = new GcOptions(100, Pacer.INFINITE, false, false, false, 0, 0, true);

    public GcOptions {
        // Any negative percentage is off, as GOGC and setGCPercent read it (Go's rule); one stored form.
        if (gcPercent < 0) {
            gcPercent = Pacer.OFF;
        }
        if (memoryLimit < 0) {
            throw new IllegalArgumentException("memoryLimit must be >= 0 bytes (Pacer.INFINITE for none), got " + memoryLimit);
        }
        if (gcstress < 0) {
            throw new IllegalArgumentException("gcstress must be >= 0 (0 = off), got " + gcstress);
        }
        if (gcstoptheworld < 0 || gcstoptheworld > 2) {
            throw new IllegalArgumentException("gcstoptheworld must be 0, 1 or 2, got " + gcstoptheworld);
        }
    }

    public GcOptions withGcPercent(int p) {
        return new GcOptions(p, memoryLimit, gctrace, gccheckmark, gcpoison, gcstress, gcstoptheworld, invalidptr);
    }

    public GcOptions withMemoryLimit(long l) {
        return new GcOptions(gcPercent, l, gctrace, gccheckmark, gcpoison, gcstress, gcstoptheworld, invalidptr);
    }

    /**
     * These options with the JVM-wide forced debug modes applied on top ({@code -Dgort.gc.force},
     * see {@link dev.gort.sys.ForcedGcModes}); every Collector calls it on the options it is built
     * with, so a whole test suite can run under gccheckmark or gcstoptheworld=2.
     */
    public GcOptions withForcedModes() {
        return withForcedModes(dev.gort.sys.ForcedGcModes.get());
    }

    /** These options with {@code forced} applied on top: a forced key replaces the built value. */
    public GcOptions withForcedModes(dev.gort.sys.ForcedGcModes forced) {
        if (!forced.any()) {
            return this;
        }
        return new GcOptions(gcPercent, memoryLimit, gctrace, forced.checkmark(gccheckmark), forced.poison(gcpoison),
                gcstress, forced.stopTheWorld(gcstoptheworld), invalidptr);
    }

    public GcOptions withDebug(boolean trace, boolean checkmark, boolean poison, long stress, int stw) {
        return new GcOptions(gcPercent, memoryLimit, trace, checkmark, poison, stress, stw, invalidptr);
    }
}
