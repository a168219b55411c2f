package dev.gort.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct rusage} (getrusage's result) and the {@code struct timeval} it starts with.
 *
 * <pre>
 *   struct timeval           Linux LP64                 macOS LP64
 *     offset 0  tv_sec       time_t (8)                 time_t (8)
 *     offset 8  tv_usec      suseconds_t = long (8)     suseconds_t = int (4) + 4 bytes padding
 *     sizeof                 16                         16
 *
 *   struct rusage (both OSes, 144 bytes)
 *   0        16       32         40                                                    144
 *   +--------+--------+----------+--------- 13 more longs (ixrss .. nivcsw) -----------+
 *   |ru_utime|ru_stime|ru_maxrss | ru_ixrss ru_idrss ru_isrss ru_minflt ru_majflt ...   |
 *   +--------+--------+----------+------------------------------------------------------+
 *   ru_maxrss: peak RSS, in KiB on Linux and in bytes on macOS.
 * </pre>
 *
 * The layouts are per OS because {@code tv_usec} differs in width; since both ABIs are
 * little-endian, reading it as a 32-bit int at offset 8 is right on both, which is what
 * {@link #micros} does. Checked against {@code <sys/resource.h>} by HeaderConformanceTest on the
 * running OS; the macOS layout (xnu bsd/sys/resource.h and bsd/sys/_types.h) by
 * MacOsHeaderTableTest through {@code rusage(Platform)}.
 */
public final class Rusage {
    private Rusage() {
    }

    private static final String[] LONG_FIELDS = {"ru_maxrss", "ru_ixrss", "ru_idrss", "ru_isrss", "ru_minflt",
        "ru_majflt", "ru_nswap", "ru_inblock", "ru_oublock", "ru_msgsnd", "ru_msgrcv", "ru_nsignals", "ru_nvcsw",
        "ru_nivcsw"};

    /** {@code struct timeval} for this OS. */
    public static final StructLayout TIMEVAL = timeval(Platform.current());

    /** {@code struct rusage} for this OS. */
    public static final StructLayout LAYOUT = rusage(Platform.current());

    public static final long RU_UTIME = 0;
    public static final long RU_STIME = 16;
    public static final long RU_MAXRSS = 32;
    public static final long RU_MINFLT = 32 + 4 * 8;
    public static final long RU_MAJFLT = 32 + 5 * 8;
    public static final long RU_NVCSW = 32 + 12 * 8;
    public static final long RU_NIVCSW = 32 + 13 * 8;

    /**
     * {@code struct timeval} on platform {@code p}. macOS: {@code tv_usec} is
     * {@code __darwin_suseconds_t} = {@code __int32_t} (xnu {@code bsd/sys/_types.h}), then 4
     * bytes of padding to the 8-byte alignment of {@code tv_sec}. Visible for tests.
     */
    static StructLayout timeval(Platform p) {
        return p.isLinux()
                ? MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec")).withName("timeval")
                : MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"), JAVA_INT.withName("tv_usec"),
                        MemoryLayout.paddingLayout(4)).withName("timeval");
    }

    /** {@code struct rusage} on platform {@code p} (xnu {@code bsd/sys/resource.h} on macOS). Visible for tests. */
    static StructLayout rusage(Platform p) {
        StructLayout timeval = timeval(p);
        MemoryLayout[] members = new MemoryLayout[2 + LONG_FIELDS.length];
        members[0] = timeval.withName("ru_utime");
        members[1] = timeval.withName("ru_stime");
        for (int i = 0; i < LONG_FIELDS.length; i++) {
            members[2 + i] = ValueLayout.JAVA_LONG.withName(LONG_FIELDS[i]);
        }
        return MemoryLayout.structLayout(members).withName("rusage");
    }

    /** The timeval at {@code address} in microseconds. */
    public static long micros(long address) {
        return NativeMemory.getLong(address) * 1_000_000L + NativeMemory.getInt(address + 8);
    }
}
