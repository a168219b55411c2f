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
