package dev.gort.sys;

import java.util.Map;

/**
 * errno values and their symbolic names, per OS. Only the values gort can meet are listed; an
 * unknown value prints as {@code errno N}. Checked against {@code <errno.h>} by HeaderConformanceTest.
 */
public final class Errno {
    private Errno() {
    }

    /** Linux values (asm-generic/errno*.h; the same on x86_64 and aarch64). */
    public static final Map<String, Integer> LINUX = Map.ofEntries(
            Map.entry("EPERM", 1), Map.entry("ENOENT", 2), Map.entry("ESRCH", 3), Map.entry("EINTR", 4),
            Map.entry("EIO", 5), Map.entry("ENXIO", 6), Map.entry("E2BIG", 7), Map.entry("EBADF", 9),
            Map.entry("ECHILD", 10), Map.entry("EAGAIN", 11), Map.entry("ENOMEM", 12), Map.entry("EACCES", 13),
            Map.entry("EFAULT", 14), Map.entry("EBUSY", 16), Map.entry("EEXIST", 17), Map.entry("ENODEV", 19),
            Map.entry("ENOTDIR", 20), Map.entry("EISDIR", 21), Map.entry("EINVAL", 22), Map.entry("ENFILE", 23),
            Map.entry("EMFILE", 24), Map.entry("ENOSPC", 28), Map.entry("EPIPE", 32), Map.entry("ERANGE", 34),
            Map.entry("EDEADLK", 35), Map.entry("ENOSYS", 38), Map.entry("ENOTSOCK", 88), Map.entry("EOPNOTSUPP", 95),
            Map.entry("EAFNOSUPPORT", 97), Map.entry("EADDRINUSE", 98), Map.entry("EADDRNOTAVAIL", 99),
            Map.entry("ENETUNREACH", 101), Map.entry("ECONNABORTED", 103), Map.entry("ECONNRESET", 104),
            Map.entry("ENOBUFS", 105), Map.entry("EISCONN", 106), Map.entry("ENOTCONN", 107),
            Map.entry("ETIMEDOUT", 110), Map.entry("ECONNREFUSED", 111), Map.entry("EALREADY", 114),
            Map.entry("EINPROGRESS", 115));

    /**
     * macOS (Darwin) values, the same on x86_64 and arm64: checked by hand against xnu's
     * {@code bsd/sys/errno.h} (apple-oss-distributions/xnu) and pinned by MacOsHeaderTableTest;
     * never compiled or run on macOS, so HeaderConformanceTest has not checked them. EOPNOTSUPP is
     * 102, distinct from ENOTSUP 45, because 64-bit Darwin is always {@code __DARWIN_UNIX03}.
     */
    public static final Map<String, Integer> MACOS = Map.ofEntries(
            Map.entry("EPERM", 1), Map.entry("ENOENT", 2), Map.entry("ESRCH", 3), Map.entry("EINTR", 4),
            Map.entry("EIO", 5), Map.entry("ENXIO", 6), Map.entry("E2BIG", 7), Map.entry("EBADF", 9),
            Map.entry("ECHILD", 10), Map.entry("EDEADLK", 11), Map.entry("ENOMEM", 12), Map.entry("EACCES", 13),
            Map.entry("EFAULT", 14), Map.entry("EBUSY", 16), Map.entry("EEXIST", 17), Map.entry("ENODEV", 19),
            Map.entry("ENOTDIR", 20), Map.entry("EISDIR", 21), Map.entry("EINVAL", 22), Map.entry("ENFILE", 23),
            Map.entry("EMFILE", 24), Map.entry("ENOSPC", 28), Map.entry("EPIPE", 32), Map.entry("ERANGE", 34),
            Map.entry("EAGAIN", 35), Map.entry("EINPROGRESS", 36), Map.entry("EALREADY", 37),
            Map.entry("ENOTSOCK", 38), Map.entry("ENOTSUP", 45), Map.entry("EAFNOSUPPORT", 47),
            Map.entry("EADDRINUSE", 48), Map.entry("EADDRNOTAVAIL", 49), Map.entry("ENETUNREACH", 51),
            Map.entry("ECONNABORTED", 53), Map.entry("ECONNRESET", 54), Map.entry("ENOBUFS", 55),
            Map.entry("EISCONN", 56), Map.entry("ENOTCONN", 57), Map.entry("ETIMEDOUT", 60),
            Map.entry("ECONNREFUSED", 61), Map.entry("ENOSYS", 78), Map.entry("EOPNOTSUPP", 102));

    private static final String[] NAMES = invert(table(Platform.current()));

    /** The errno table of platform {@code p}: Linux's or macOS's. Visible for tests. */
    static Map<String, Integer> table(Platform p) {
        return p.isLinux() ? LINUX : MACOS;
    }

    /** This OS's value for {@code name}; throws for a name not in the table. */
    public static int value(String name) {
        Map<String, Integer> table = table(Platform.current());
        Integer v = table.get(name);
        if (v == null) {
            throw new IllegalArgumentException("unknown errno name '" + name + "'; known on " + Platform.current() + ": "
                    + String.join(", ", new java.util.TreeSet<>(table.keySet())));
        }
        return v;
    }

    /** The symbolic name of {@code errno} on this OS, or {@code "errno N"}. */
    public static String name(int errno) {
        return errno >= 0 && errno < NAMES.length && NAMES[errno] != null ? NAMES[errno] : "errno " + errno;
    }

    private static String[] invert(Map<String, Integer> table) {
        int max = table.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        String[] names = new String[max + 1];
        table.forEach((n, v) -> {
            if (names[v] == null || n.compareTo(names[v]) < 0 && !n.equals("EWOULDBLOCK")) {
                names[v] = n;
            }
        });
        return names;
    }
}
