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

    public void set(int i, long pointer) {
        NativeMemory.putLong(address(i), pointer);
    }

    public long get(int i) {
        return NativeMemory.getLong(address(i));
    }

    public long address(int i) {
        if (i < 0 || i >= n) {
            throw new IndexOutOfBoundsException("root slot " + i + " out of range [0, " + n + ")");
        }
        return base + 8L * i;
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
