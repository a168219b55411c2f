package dev.gort.cli;

import dev.gort.sys.Advice;
import dev.gort.sys.Platform;

import java.util.Locale;

/**
 * {@code release-check [--size 1GiB] [--advice dontneed|free] [--json]}.
 *
 * @param size   bytes to allocate, touch, free and release (Go byte syntax: 256MiB, 1GiB; at least 16 MiB)
 * @param advice how free pages go back to the kernel
 * @param json   print JSON instead of the table
 */
public record ReleaseCheckArgs(long size, Advice advice, boolean json) {
    public static final long MIN_SIZE = 16L << 20;
    public static final long DEFAULT_SIZE = 1L << 30;

    public static final String USAGE = "usage: ./gort release-check [--size 1GiB] [--advice dontneed|free"
            + (Platform.current().isMacOS() ? "|free_reusable" : "") + "] [--json]\n"
            + "  --size    bytes to allocate, touch, free and release: an integer with suffix KiB, MiB, GiB or TiB"
            + " (default 1GiB, at least 16MiB)\n"
            + "  --advice  how free pages go back: dontneed (RSS drops at once; default) or free (lazy: LazyFree until memory pressure)\n"
            + "  --json    print the steps and checks as JSON\n"
            + "exit code: 0 every check passed, 1 a check failed, 2 bad arguments";

    public static ReleaseCheckArgs parse(String... args) {
        long size = DEFAULT_SIZE;
        Advice advice = Advice.DONTNEED;
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--size" -> {
                    String v = value != null ? value : next(args, ++i, "--size");
                    size = parseSize(v);
                }
                case "--advice" -> {
                    String v = value != null ? value : next(args, ++i, "--advice");
                    try {
                        advice = Advice.parse(v);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("release-check: --advice " + v + ": " + e.getMessage() + "\n" + USAGE);
                    }
                    if (advice == Advice.FREE_REUSABLE && !Platform.current().isMacOS()) {
                        throw new UsageException("release-check: --advice free_reusable exists only on macOS\n" + USAGE);
                    }
                }
                case "--json" -> {
                    if (value != null) {
                        throw new UsageException("release-check: --json takes no value\n" + USAGE);
                    }
                    json = true;
                }
                default -> throw new UsageException("release-check: unknown argument '" + args[i] + "'\n" + USAGE);
            }
        }
        return new ReleaseCheckArgs(size, advice, json);
    }

    private static String next(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new UsageException("release-check: " + flag + " needs a value\n" + USAGE);
        }
        return args[i];
    }

    static long parseSize(String v) {
        long n = dev.gort.Sizes.parseBytes(v);
        if (n < 0) {
            throw new UsageException("release-check: --size " + v + " is not a byte count; accepted: an integer with an optional suffix"
                    + " B, KiB, MiB, GiB or TiB, e.g. 256MiB\n" + USAGE);
        }
        if (n < MIN_SIZE) {
            throw new UsageException("release-check: --size " + v + " is below 16MiB: too small to tell a release from the JVM's own noise\n"
                    + USAGE);
        }
        return n;
    }

    @Override
    public String toString() {
        return "--size " + Format.bytes(size) + " --advice " + advice.name().toLowerCase(Locale.ROOT) + (json ? " --json" : "");
    }
}
