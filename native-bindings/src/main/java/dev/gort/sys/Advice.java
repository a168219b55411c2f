package dev.gort.sys;

/**
 * How released pages go back to the kernel.
 *
 * <ul>
 * <li>{@link #DONTNEED}: MADV_DONTNEED. RSS drops at once; on Linux anonymous private pages read
 *     back as zero afterwards (gort relies on that to skip zeroing: Go's needzero=0).</li>
 * <li>{@link #FREE}: MADV_FREE. The kernel may take the pages lazily under memory pressure; until
 *     then they stay in RSS (Linux shows them as LazyFree). Contents are undefined afterwards.</li>
 * <li>{@link #FREE_REUSABLE}: macOS MADV_FREE_REUSABLE, which also fixes the task's footprint
 *     accounting. Contents undefined afterwards.</li>
 * </ul>
 */
public enum Advice {
    DONTNEED, FREE, FREE_REUSABLE;

    /** This advice's value on the current OS; throws when the OS has no such advice. */
    public int value() {
        return valueOn(Platform.current());
    }

    /** This advice's value on platform {@code p}; throws when that OS has no such advice. Visible for tests. */
    int valueOn(Platform p) {
        OsConstants c = p.constants();
        int v = switch (this) {
            case DONTNEED -> c.MADV_DONTNEED();
            case FREE -> c.MADV_FREE();
            case FREE_REUSABLE -> c.MADV_FREE_REUSABLE();
        };
        if (v == OsConstants.ABSENT) {
            throw new UnsupportedOperationException("MADV_" + name() + " does not exist on " + p
                    + "; accepted here: " + (p.isMacOS() ? "DONTNEED, FREE, FREE_REUSABLE" : "DONTNEED, FREE"));
        }
        return v;
    }

    /** Whether a successful release with this advice guarantees the pages read back as zero. */
    public boolean zeroesPages() {
        return zeroesPagesOn(Platform.current());
    }

    /**
     * {@link #zeroesPages} on platform {@code p}: only Linux's MADV_DONTNEED on private anonymous
     * memory promises zero-fill on the next touch (madvise(2)). Darwin's mman.h promises it for no
     * advice: MADV_DONTNEED is POSIX_MADV_DONTNEED ("dont need these pages") and MADV_FREE /
     * MADV_FREE_REUSABLE discard the contents without saying what a later read returns, so there
     * released pages must be zeroed before reuse. Visible for tests.
     */
    boolean zeroesPagesOn(Platform p) {
        return this == DONTNEED && p.isLinux();
    }

    /** Parses {@code dontneed}, {@code free} or {@code free_reusable} (any case). */
    public static Advice parse(String s) {
        for (Advice a : values()) {
            if (a.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown release advice '" + s + "'; accepted: dontneed, free"
                + (Platform.current().isMacOS() ? ", free_reusable" : ""));
    }

}
