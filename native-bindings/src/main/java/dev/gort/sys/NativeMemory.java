package dev.gort.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The one segment that spans all of memory, so native structures are read and written by plain
 * address with no MemorySegment per access. Bounds checks against {@code Long.MAX_VALUE} fold away
 * in C2 (measured: same speed as a {@code long[]} read). Callers are responsible for addresses:
 * a wrong one is a wrong native access, exactly as in C.
 */
public final class NativeMemory {
    private NativeMemory() {
    }

    /** Every address from 0 to Long.MAX_VALUE. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /**
     * Layouts for plain reads and writes. Unaligned variants on purpose: the aligned layouts make
     * every access check the address's alignment, which measured 2.3x slower for plain
     * read-modify-writes (7.6 vs 3.4 ns for ten). Every gort structure is naturally aligned anyway,
     * and x86_64/aarch64 load and store aligned words the same way whichever layout is used.
     */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    /**
     * Coordinates (MemorySegment, long offset): use with {@link #ALL} and an address. Atomic and
     * ordered access modes need natural alignment, so these come from the aligned layouts.
     */
    public static final VarHandle LONG_HANDLE = ValueLayout.JAVA_LONG.varHandle();
    public static final VarHandle INT_HANDLE = ValueLayout.JAVA_INT.varHandle();

    public static long getLong(long address) {
        return ALL.get(LONG, address);
    }

    public static void putLong(long address, long value) {
        ALL.set(LONG, address, value);
    }

    public static int getInt(long address) {
        return ALL.get(INT, address);
    }

    public static void putInt(long address, int value) {
        ALL.set(INT, address, value);
    }

    public static byte getByte(long address) {
        return ALL.get(ValueLayout.JAVA_BYTE, address);
    }

    public static void putByte(long address, byte value) {
        ALL.set(ValueLayout.JAVA_BYTE, address, value);
    }

    public static long getLongAcquire(long address) {
        return (long) LONG_HANDLE.getAcquire(ALL, address);
    }

    public static void putLongRelease(long address, long value) {
        LONG_HANDLE.setRelease(ALL, address, value);
    }

    public static long getLongVolatile(long address) {
        return (long) LONG_HANDLE.getVolatile(ALL, address);
    }

    public static void putLongVolatile(long address, long value) {
        LONG_HANDLE.setVolatile(ALL, address, value);
    }

    public static boolean casLong(long address, long expected, long value) {
        return LONG_HANDLE.compareAndSet(ALL, address, expected, value);
    }

    public static long getAndAddLong(long address, long delta) {
        return (long) LONG_HANDLE.getAndAdd(ALL, address, delta);
    }

    public static int getIntAcquire(long address) {
        return (int) INT_HANDLE.getAcquire(ALL, address);
    }

    public static void putIntRelease(long address, int value) {
        INT_HANDLE.setRelease(ALL, address, value);
    }

    public static boolean casInt(long address, int expected, int value) {
        return INT_HANDLE.compareAndSet(ALL, address, expected, value);
    }

    /**
     * Sets {@code bytes} bytes at {@code address} to {@code value}. No MemorySegment per call
     * (the hot-path rule): it used to fill an {@code asSlice} of {@link #ALL}, an object per call
     * on the span allocation path (every descriptor's set-up) until C2 removed it, and Java garbage
     * in the interpreter and C1. Up to {@link #FILL_BY_STORES_MAX_BYTES} it stores words (then the
     * tail's bytes); larger ranges call libc's memset, critical (no thread-state transition) up to
     * {@link LibC#SHORT_CALL_BYTES}, since a critical call holds off the JVM's safepoints.
     */
    public static void fill(long address, long bytes, byte value) {
        if (bytes <= FILL_BY_STORES_MAX_BYTES) {
            if (bytes < 0) {
                throw new IllegalArgumentException("NativeMemory.fill of " + bytes + " bytes at 0x" + Long.toHexString(address)
                        + ": the size must be 0 or more");
            }
            fillByStores(address, bytes, value);
        } else {
            Memset.fill(address, bytes, value);
        }
    }

    /**
     * The largest fill done by word stores rather than memset. JMH ({@code FillBench}, session 24,
     * hostgc24): the stores are not vectorized (~0.6 ns a word), memset's critical downcall costs
     * ~2.8 ns up to 64 B and 6.5 ns for a descriptor's 256 B (the stores 18 ns), so the stores win
     * only below the downcall's fixed cost.
     */
    static final long FILL_BY_STORES_MAX_BYTES = 32;

    private static void fillByStores(long address, long bytes, byte value) {
        long word = (value & 0xFFL) * 0x0101_0101_0101_0101L;
        long end = address + bytes;
        long a = address;
        for (; end - a >= 8; a += 8) {
            ALL.set(LONG, a, word);
        }
        for (; a < end; a++) {
            ALL.set(ValueLayout.JAVA_BYTE, a, value);
        }
    }

    /** libc's memset, linked at the first fill above {@link #FILL_BY_STORES_MAX_BYTES}. */
    private static final class Memset {
        // void *memset(void *s, int c, size_t n): the pointers as longs (LibC's convention)
        private static final java.lang.foreign.FunctionDescriptor DESCRIPTOR = java.lang.foreign.FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG);
        private static final java.lang.invoke.MethodHandle SHORT = LibC.handle("memset", DESCRIPTOR, false, true);
        private static final java.lang.invoke.MethodHandle LONG_CALL = LibC.handle("memset", DESCRIPTOR, false, false);

        static void fill(long address, long bytes, byte value) {
            try {
                long unused = bytes <= LibC.SHORT_CALL_BYTES
                        ? (long) SHORT.invokeExact(address, value & 0xFF, bytes)
                        : (long) LONG_CALL.invokeExact(address, value & 0xFF, bytes);
            } catch (Throwable t) {
                throw new AssertionError("memset", t);      // a downcall throws nothing of its own
            }
        }
    }

    /** Copies {@code bytes} bytes; the ranges may overlap. */
    public static void copy(long from, long to, long bytes) {
        MemorySegment.copy(ALL, from, ALL, to, bytes);
    }
}
