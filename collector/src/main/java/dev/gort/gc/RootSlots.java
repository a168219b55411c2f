package dev.gort.gc;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;

/**
 * A fixed array of native root pointer slots owned by one mutator thread: the thread-world's
 * counterpart of a goroutine's shadow-stack frame. Stores are plain (no write barrier), exactly like
 * frame-slot stores: the slots are scanned with the world stopped at the start of every cycle and
 * the hybrid barrier makes a rescan unnecessary.
 */
public final class RootSlots implements AutoCloseable {
    private final long base;
    private final int n;
    private boolean closed;

    public RootSlots(int n) {
        if (n < 0 || n > (1 << 24)) {
            throw new IllegalArgumentException("root slot count must be in [0, 16777216], got " + n);
        }
        this.n = n;
        long bytes = Math.max(8, 8L * n);
        this.base = LibC.malloc(bytes);
        if (base == 0) {
            throw new OutOfMemoryError("malloc(" + bytes + ") for root slots failed");
        }
        NativeMemory.fill(base, bytes, (byte) 0);
    }

    public int size() {
        return n;
    }

    /**
     * Stores {@code pointer} in slot {@code i}: a plain store (no barrier, see the class comment).
     * Called twice per node by a recursive builder, so kept to a few bytecodes: the range check is
     * one unsigned compare with the message built out of line, and C2 inlines it where it would
     * otherwise call it (its inlining budget is spent fast by native accesses).
     */
    public void set(int i, long pointer) {
        NativeMemory.putLong(slot(i), pointer);
    }

    public long get(int i) {
        return NativeMemory.getLong(slot(i));
    }

    /** The native address of slot {@code i}; IndexOutOfBoundsException outside [0, size()). */
    public long address(int i) {
        return slot(i);
    }

    private long slot(int i) {
        if (Integer.compareUnsigned(i, n) >= 0) {
            throw outOfRange(i);
        }
        return base + ((long) i << 3);
    }

    private IndexOutOfBoundsException outOfRange(int i) {
        return new IndexOutOfBoundsException("root slot " + i + " out of range [0, " + n + ")");
    }

    long base() {
        return base;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.free(base);
        }
    }
}
