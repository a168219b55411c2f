package dev.gort.gc;

import dev.gort.sys.NativeMemory;

import java.lang.foreign.ValueLayout;

/**
 * Field access on managed objects by address: {@code obj + offset} on the one all-memory segment,
 * no MemorySegment per access. Offsets come from {@link Type#offset(String)} (read them once into
 * static finals). Like C, nothing is bounds-checked: a wrong address is a wrong access.
 *
 * <p>Pointer stores into heap objects must use {@link #storePtr}: it applies the write barrier
 * while the collector marks. Every other store is plain. Storing a pointer with {@link #putLong}
 * would hide it from the collector during marking; don't.
 */
public final class Mem {
    private Mem() {
    }

    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE;

    /** Reads a managed pointer field. */
    public static long loadPtr(long obj, long offset) {
        return NativeMemory.getLong(obj + offset);
    }

    /** Writes a managed pointer field through the write barrier. */
    public static void storePtr(long obj, long offset, long value) {
        WriteBarrier.storeField(obj, obj + offset, value);
    }

    /** Element {@code index} of an array of pointers starting at {@code array}. */
    public static long loadPtrAt(long array, long index) {
        return NativeMemory.getLong(array + (index << 3));
    }

    /** Stores element {@code index} of an array of pointers through the write barrier. */
    public static void storePtrAt(long array, long index, long value) {
        storePtr(array, index << 3, value);
    }

    public static long getLong(long obj, long offset) {
        return NativeMemory.getLong(obj + offset);
    }

    public static void putLong(long obj, long offset, long value) {
        NativeMemory.putLong(obj + offset, value);
    }

    public static int getInt(long obj, long offset) {
        return NativeMemory.getInt(obj + offset);
    }

    public static void putInt(long obj, long offset, int value) {
        NativeMemory.putInt(obj + offset, value);
    }

    public static double getDouble(long obj, long offset) {
        return NativeMemory.ALL.get(DOUBLE, obj + offset);
    }

    public static void putDouble(long obj, long offset, double value) {
        NativeMemory.ALL.set(DOUBLE, obj + offset, value);
    }

    public static byte getByte(long obj, long offset) {
        return NativeMemory.getByte(obj + offset);
    }

    public static void putByte(long obj, long offset, byte value) {
        NativeMemory.putByte(obj + offset, value);
    }

    /** Copies {@code n} bytes between noscan regions (byte arrays). */
    public static void copyBytes(long from, long to, long n) {
        NativeMemory.copy(from, to, n);
    }

    /**
     * Copies {@code n} elements of an array of pointers, with Go's bulk pre-write barrier. Only from
     * a thread the collector's stop-the-world stops (a goroutine, a registered thread): from any
     * other thread a cycle could start between the barrier check and the end of the copy, so it
     * throws IllegalStateException (see {@link WriteBarrier#requireStoppableCaller}).
     */
    public static void copyPtrs(long fromArray, long toArray, long n) {
        WriteBarrier.requireStoppableCaller("Mem.copyPtrs");
        if (WriteBarrier.enabled) {
            WriteBarrier.bulkPreWrite(toArray, fromArray, n, null);
        }
        NativeMemory.copy(fromArray, toArray, n << 3);
    }
}
