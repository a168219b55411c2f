package dev.gort.arena;

import dev.gort.sys.NativeMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain loads and stores for the allocator's hot paths, on the same all-memory segment as
 * {@link NativeMemory} but through the unaligned layouts: every address used here is naturally
 * aligned anyway, and skipping the per-access alignment check measured 2.3x faster on JDK 25
 * (10 read-modify-writes: 3.4 ns instead of 7.6 ns; a Java long[] does them in 2.7 ns). Atomic
 * and ordered accesses keep using NativeMemory's aligned VarHandles.
 */
final class Mem {
    private Mem() {
    }

    private static final MemorySegment ALL = NativeMemory.ALL;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    /**
     * User-space addresses fit in 56 bits on every platform gort runs on (x86_64 with 4- or 5-level
     * page tables, aarch64 with 48- or 52-bit VAs). {@link #at} masks an address with it: a no-op on
     * a real address, but it tells C2 the value lies in [0, 2^56), so for every {@code at(base) +
     * constant} the all-memory segment's bounds check ({@code address + 8 <= Long.MAX_VALUE}) is
     * proven and removed. A span access then costs its load alone, instead of lea + cmp + jae each.
     */
    static final long ADDRESS_MASK = (1L << 56) - 1;

    /** {@code address} with its range known to C2 (see {@link #ADDRESS_MASK}); mask a base once. */
    static long at(long address) {
        return address & ADDRESS_MASK;
    }

    static long getLong(long address) {
        return ALL.get(LONG, address);
    }

    static void putLong(long address, long value) {
        ALL.set(LONG, address, value);
    }

    static int getInt(long address) {
        return ALL.get(INT, address);
    }

    static void putInt(long address, int value) {
        ALL.set(INT, address, value);
    }
}
