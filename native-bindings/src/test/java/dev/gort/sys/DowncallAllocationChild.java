package dev.gort.sys;

import java.lang.management.ManagementFactory;

/**
 * Child JVM for {@link DowncallAllocationTest}: calls each memory syscall wrapper of {@link LibC}
 * many times on a mapping of its own and prints, per wrapper, the Java heap bytes one call
 * allocated on average ({@code CALL bytes-per-call}). Runs in whatever compiler mode the parent
 * chose (-Xint, C1 only), where no escape analysis removes an allocation.
 */
public final class DowncallAllocationChild {
    private DowncallAllocationChild() {
    }

    static final int WARMUP = 2_000;
    static final int CALLS = 2_000;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    interface Call {
        void run();
    }

    public static void main(String[] args) {
        OsConstants c = Platform.current().constants();
        long page = LibC.sysconf(c._SC_PAGESIZE());
        long shortLen = 16 * page;
        long longLen = LibC.SHORT_CALL_BYTES + page;        // above the bound: the non-critical handles
        long base = LibC.mmap(0L, longLen + page, c.PROT_READ() | c.PROT_WRITE(),
                c.MAP_PRIVATE() | c.MAP_ANONYMOUS() | c.MAP_NORESERVE(), -1, 0L);
        long vecMemory = LibC.malloc(longLen / page + 1);
        int rw = c.PROT_READ() | c.PROT_WRITE();
        // Not MAP_FIXED: that mmap is never repeated, so it always captures errno (LibC.mmap; only
        // release's cold fallback, OsMemory.remap, maps fixed).
        int anon = c.MAP_PRIVATE() | c.MAP_ANONYMOUS() | c.MAP_NORESERVE();

        measure("empty", () -> { });
        measure("madvise-short", () -> LibC.madvise(base, shortLen, c.MADV_DONTNEED()));
        measure("madvise-long", () -> LibC.madvise(base, longLen, c.MADV_DONTNEED()));
        measure("mprotect", () -> LibC.mprotect(base, shortLen, rw));
        measure("mincore-short", () -> LibC.mincore(base, shortLen, vecMemory));
        measure("mincore-long", () -> LibC.mincore(base, longLen, vecMemory));
        measure("munmap+mmap", () -> LibC.munmap(LibC.mmap(0L, page, rw, anon, -1, 0L), page));
        LibC.munmap(base, longLen + page);
        LibC.free(vecMemory);
    }

    /** Prints {@code name} and the heap bytes per call of {@code call}, after a warm-up that loads and links everything. */
    static void measure(String name, Call call) {
        for (int i = 0; i < WARMUP; i++) {
            call.run();
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < CALLS; i++) {
            call.run();
        }
        long after = THREADS.getCurrentThreadAllocatedBytes();
        System.out.println(name + " " + (after - before) / (double) CALLS);
    }
}
