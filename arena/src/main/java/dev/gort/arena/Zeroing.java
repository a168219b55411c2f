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

    /** clobberFree's poison: every byte 0xDF, as in mimalloc's debug fill. */
    static final long POISON = 0xDFDF_DFDF_DFDF_DFDFL;

    /** Fills a freed object with the poison. */
    static void poison(long address, long bytes) {
        for (long i = 0; i < bytes; i += 8) {
            Mem.putLong(address + i, POISON);
        }
    }

    /**
     * Checks a slot about to be reused: all poison (freed) or all zero (never used since the span
     * was made). Returns the offset of the first word that breaks the pattern, or -1.
     */
    static long checkPoison(long address, long bytes) {
        long first = Mem.getLong(address);
        if (first != POISON && first != 0) {
            return 0;
        }
        for (long i = 8; i < bytes; i += 8) {
            if (Mem.getLong(address + i) != first) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Zeroes the objects of a span handed out whole ({@code bytes}, a multiple of 8, at its 8-aligned
     * start) with libc's memset, stores only. The memory is a span a sweep freed about a cycle
     * ago, so it is cold (binary-trees' heap cycles through ~150 MiB, beyond the 32 MiB L3): a copy
     * from a block of zeros ({@link #zero}, a load and a store a word) took 436 ns an 8 KiB span
     * against memset's 308 (SpanZeroBench, session 36), while for hot memory the copy wins (48
     * against 68 ns), hence memset only here, where the span is known to come back from the heap.
     */
    static void zeroSpan(long address, long bytes) {
        NativeMemory.fill(address, bytes, (byte) 0);
    }

    /** Zeroes {@code bytes} (a multiple of 8) at {@code address} (8-aligned). */
    @SuppressWarnings("fallthrough")
    static void zero(long address, long bytes) {
        if (bytes <= 128) {
            // Straight-line stores, falling through from the highest word: measured several
            // times faster than a loop for the small classes, where zeroing dominates a pair.
            switch ((int) (bytes >>> 3)) {
            case 16:
                Mem.putLong(address + 120, 0L);
            case 15:
                Mem.putLong(address + 112, 0L);
            case 14:
                Mem.putLong(address + 104, 0L);
            case 13:
                Mem.putLong(address + 96, 0L);
            case 12:
                Mem.putLong(address + 88, 0L);
            case 11:
                Mem.putLong(address + 80, 0L);
            case 10:
                Mem.putLong(address + 72, 0L);
            case 9:
                Mem.putLong(address + 64, 0L);
            case 8:
                Mem.putLong(address + 56, 0L);
            case 7:
                Mem.putLong(address + 48, 0L);
            case 6:
                Mem.putLong(address + 40, 0L);
            case 5:
                Mem.putLong(address + 32, 0L);
            case 4:
                Mem.putLong(address + 24, 0L);
            case 3:
                Mem.putLong(address + 16, 0L);
            case 2:
                Mem.putLong(address + 8, 0L);
            case 1:
                Mem.putLong(address + 0, 0L);
                default:
                    return;
            }
        }
        while (bytes > 0) {
            long n = Math.min(bytes, ZERO_BYTES);
            MemorySegment.copy(ZEROS, 0, NativeMemory.ALL, address, n);
            address += n;
            bytes -= n;
        }
    }
}
