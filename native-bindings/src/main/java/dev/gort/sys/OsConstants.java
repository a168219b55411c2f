package dev.gort.sys;

/**
 * Per-OS values of the C constants the bindings use. Names follow the C headers; a value of
 * {@link #ABSENT} means the OS has no such constant. Every value is checked against the system
 * headers by {@code HeaderConformanceTest} (see {@code src/main/c/gort_sys.h}).
 *
 * <p>Linux values are identical on x86_64 and aarch64 for every constant listed here (the
 * generic and x86 asm headers agree on them); macOS values are the same on x86_64 and arm64.
 * HeaderConformanceTest checks only the table of the OS it runs on, and no Mac has run it: the
 * macOS values were read in Apple's headers (xnu bsd/sys/mman.h, bsd/sys/resource.h ...) and are
 * pinned, each with its header, by MacOsHeaderTableTest (see docs/macos.md).
 */
public record OsConstants(
        int PROT_NONE, int PROT_READ, int PROT_WRITE, int PROT_EXEC,
        int MAP_SHARED, int MAP_PRIVATE, int MAP_FIXED, int MAP_ANONYMOUS, int MAP_NORESERVE,
        int MADV_NORMAL, int MADV_DONTNEED, int MADV_FREE, int MADV_HUGEPAGE, int MADV_NOHUGEPAGE,
        int MADV_FREE_REUSABLE, int MADV_FREE_REUSE,
        int _SC_PAGESIZE, int _SC_NPROCESSORS_CONF, int _SC_NPROCESSORS_ONLN,
        int CLOCK_REALTIME, int CLOCK_MONOTONIC, int CLOCK_PROCESS_CPUTIME_ID, int CLOCK_THREAD_CPUTIME_ID,
        int RUSAGE_SELF, int RUSAGE_THREAD,
        int CPU_SETSIZE,
        // struct sizes and offsets (LP64)
        int sizeof_timespec, int sizeof_rusage, int offsetof_rusage_ru_maxrss, int sizeof_cpu_set_t) {

    /** Marks a constant the OS does not define. */
    public static final int ABSENT = Integer.MIN_VALUE;

    public static final OsConstants LINUX = new OsConstants(
            0, 1, 2, 4,
            0x01, 0x02, 0x10, 0x20, 0x4000,
            0, 4, 8, 14, 15,
            ABSENT, ABSENT,
            30, 83, 84,
            0, 1, 2, 3,
            0, 1,
            1024,
            16, 144, 32, 128);

    public static final OsConstants MACOS = new OsConstants(
            0, 1, 2, 4,
            0x0001, 0x0002, 0x0010, 0x1000, 0x0040,
            0, 4, 5, ABSENT, ABSENT,
            7, 8,
            29, 57, 58,
            0, 6, 12, 16,
            0, ABSENT,
            ABSENT,
            16, 144, 32, ABSENT);

    public boolean has(int constant) {
        return constant != ABSENT;
    }
}
