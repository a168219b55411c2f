package dev.gort.arena;

import dev.gort.sys.NativeMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Zeroing memory handed out, without a MemorySegment per call. */
final class Zeroing {
    private Zeroing() {
    }

    private static final long ZERO_BYTES = SizeClasses.MAX_SMALL_SIZE;
    /** A zero source for copies: MemorySegment.copy is a static call, it allocates nothing. */
    private static final MemorySegment ZEROS = Arena.global().allocate(ZERO_BYTES, 64);

    /** Zeroes {@code bytes} (a multiple of 8) at {@code address} (8-aligned). */
    static void zero(long address, long bytes) {
        if (bytes <= 128) {
            for (long i = 0; i < bytes; i += 8) {
                NativeMemory.putLong(address + i, 0L);
            }
            return;
        }
        while (bytes > 0) {
            long n = Math.min(bytes, ZERO_BYTES);
            MemorySegment.copy(ZEROS, 0, NativeMemory.ALL, address, n);
            address += n;
            bytes -= n;
        }
    }
}
