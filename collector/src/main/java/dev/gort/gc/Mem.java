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
 *
 * <p><b>checkptr</b> (Go's {@code -d=checkptr} in spirit): with {@code GORT_DEBUG=checkptr=1} in the
 * environment, {@code -Dgort.debug=checkptr=1} or {@code -Dgort.checkptr=1}, read once when this
 * class loads, every accessor first
 * checks that the bytes it touches lie in the committed arena of a heap that is not closed, and
 * throws IllegalStateException otherwise: an address kept past its runtime (whose heap was
 * unmapped) or never from the heap fails with its address instead of a SIGSEGV. Off by default:
 * the check is a scan of the open heaps per access; off, the constant folds it away. It also
 * checks the store rule (README, "The rule"): {@link #storePtr}, {@code Global.set/compareAndSet}
 * and {@code PtrChan.send/recv} throw IllegalStateException on a thread the stop-the-world does
 * not stop (a plain thread, a goroutine inside {@code Go.syscall}), whose store can hide a
 * pointer from marking; those single stores are not checked otherwise (a mutator lookup per store).
 */
public final class Mem {
    private Mem() {
    }

    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE;

    /** GORT_DEBUG=checkptr=1 or -Dgort.checkptr=1: every access checks its address (see the class comment). */
    static final boolean CHECKPTR = readCheckptr();

    /** A malformed setting is reported and leaves checking off: a class initializer that threw would leave Mem unusable. */
    private static boolean readCheckptr() {
        try {
            return checkptrSetting(System.getProperty("gort.checkptr"),
                    System.getProperty("gort.debug", "") + "," + java.util.Objects.requireNonNullElse(System.getenv("GORT_DEBUG"), ""));
        } catch (IllegalArgumentException e) {
            System.err.println("gort: warning: " + e.getMessage() + "; Mem accessors are not checked in this JVM");
            return false;
        }
    }

    /** Whether this JVM checks Mem addresses (GORT_DEBUG=checkptr=1 or -Dgort.checkptr=1 when Mem loaded). */
    public static boolean checkptr() {
        return CHECKPTR;
    }

    /**
     * The checkptr switch from {@code -Dgort.checkptr} (wins) or the {@code checkptr=} entry of the
     * GORT_DEBUG / gort.debug list; anything but 0 or 1 is refused with the accepted forms.
     */
    static boolean checkptrSetting(String property, String gortDebug) {
        if (property != null) {
            return zeroOrOne(property, "-Dgort.checkptr=" + property);
        }
        boolean on = false;
        if (gortDebug != null) {
            for (String kv : gortDebug.split(",")) {
                String t = kv.trim();
                if (t.startsWith("checkptr=")) {
                    on = zeroOrOne(t.substring("checkptr=".length()), "GORT_DEBUG " + t);
                }
            }
        }
        return on;
    }

    private static boolean zeroOrOne(String value, String what) {
        return switch (value.trim()) {
            case "0" -> false;
            case "1" -> true;
            default -> throw new IllegalArgumentException("malformed " + what + ": accepted are 0 (off, the default) and 1 "
                    + "(every Mem access checks its address)");
        };
    }

    private static void check(String op, long address, long bytes) {
        if (!dev.gort.arena.Heap.inOpenArena(address, bytes)) {
            throw new IllegalStateException("Mem." + op + ": address 0x" + Long.toHexString(address) + " (" + bytes
                    + " bytes) is not in the arena of an open gort heap: its heap was closed (the runtime or collector ended) "
                    + "or it never was a gort-heap address; accepted: addresses of objects from Collector.alloc while their "
                    + "heap is open (checked because GORT_DEBUG=checkptr=1)");
        }
    }

    /** Reads a managed pointer field. */
    public static long loadPtr(long obj, long offset) {
        if (CHECKPTR) {
            check("loadPtr", obj + offset, 8);
        }
        return NativeMemory.getLong(obj + offset);
    }

    /** Writes a managed pointer field through the write barrier. */
    public static void storePtr(long obj, long offset, long value) {
        if (CHECKPTR) {
            check("storePtr", obj + offset, 8);
            WriteBarrier.requireStoppableCaller("Mem.storePtr");
        }
        WriteBarrier.storeField(obj, obj + offset, value);
    }

    /** Element {@code index} of an array of pointers starting at {@code array}. */
    public static long loadPtrAt(long array, long index) {
        if (CHECKPTR) {
            check("loadPtrAt", array + (index << 3), 8);
        }
        return NativeMemory.getLong(array + (index << 3));
    }

    /** Stores element {@code index} of an array of pointers through the write barrier. */
    public static void storePtrAt(long array, long index, long value) {
        storePtr(array, index << 3, value);
    }

    public static long getLong(long obj, long offset) {
        if (CHECKPTR) {
            check("getLong", obj + offset, 8);
        }
        return NativeMemory.getLong(obj + offset);
    }

    public static void putLong(long obj, long offset, long value) {
        if (CHECKPTR) {
            check("putLong", obj + offset, 8);
        }
        NativeMemory.putLong(obj + offset, value);
    }

    public static int getInt(long obj, long offset) {
        if (CHECKPTR) {
            check("getInt", obj + offset, 4);
        }
        return NativeMemory.getInt(obj + offset);
    }

    public static void putInt(long obj, long offset, int value) {
        if (CHECKPTR) {
            check("putInt", obj + offset, 4);
        }
        NativeMemory.putInt(obj + offset, value);
    }

    public static double getDouble(long obj, long offset) {
        if (CHECKPTR) {
            check("getDouble", obj + offset, 8);
        }
        return NativeMemory.ALL.get(DOUBLE, obj + offset);
    }

    public static void putDouble(long obj, long offset, double value) {
        if (CHECKPTR) {
            check("putDouble", obj + offset, 8);
        }
        NativeMemory.ALL.set(DOUBLE, obj + offset, value);
    }

    public static byte getByte(long obj, long offset) {
        if (CHECKPTR) {
            check("getByte", obj + offset, 1);
        }
        return NativeMemory.getByte(obj + offset);
    }

    public static void putByte(long obj, long offset, byte value) {
        if (CHECKPTR) {
            check("putByte", obj + offset, 1);
        }
        NativeMemory.putByte(obj + offset, value);
    }

    /** Copies {@code n} bytes between noscan regions (byte arrays). */
    public static void copyBytes(long from, long to, long n) {
        if (CHECKPTR) {
            check("copyBytes", from, n);
            check("copyBytes", to, n);
        }
        NativeMemory.copy(from, to, n);
    }

    /**
     * Copies {@code n} elements of an array of pointers, with Go's bulk pre-write barrier. Only from
     * a thread the collector's stop-the-world stops (a goroutine, a registered thread): from any
     * other thread a cycle could start between the barrier check and the end of the copy, so it
     * throws IllegalStateException (see {@link WriteBarrier#requireStoppableCaller}).
     */
    public static void copyPtrs(long fromArray, long toArray, long n) {
        if (CHECKPTR) {
            check("copyPtrs", fromArray, n << 3);
            check("copyPtrs", toArray, n << 3);
        }
        WriteBarrier.requireStoppableCaller("Mem.copyPtrs");
        if (WriteBarrier.enabled) {
            WriteBarrier.bulkPreWrite(toArray, fromArray, n, null);
        }
        NativeMemory.copy(fromArray, toArray, n << 3);
    }
}
