package dev.gort.gc;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;

import java.util.ArrayList;
import java.util.List;

/**
 * The global root table: native pointer slots the collector scans as roots every cycle (gort's
 * counterpart of Go's data and BSS segments). Each {@link Global} handle owns one slot.
 *
 * <pre>
 *   base + 8*i    slot i: a managed pointer or 0     (i in [0, highWater))
 * </pre>
 *
 * Slots live in one reservation committed 64 KiB at a time; a released handle's slot is zeroed and
 * put on a free list, so the table only grows to the peak number of live handles. Scanning covers
 * {@code [0, highWater)} in blocks of {@link #BLOCK_SLOTS} (Go scans data/BSS in 256 KiB root jobs so
 * several workers share big tables). Stores into slots go through the write barrier, as Go's
 * global stores do.
 */
public final class GlobalRoots implements AutoCloseable {
    /** Slots per root-scanning job: 256 KiB of slots, as Go's rootBlockBytes. */
    public static final int BLOCK_SLOTS = (256 << 10) / 8;
    private static final long COMMIT_STEP = 64 << 10;

    private final OsMemory os;
    private final long base;
    private final long reserved;
    private long committed;             // guarded by this
    private volatile long highWater;    // slots ever handed out
    private final List<Long> free = new ArrayList<>();  // guarded by this
    private long live;                  // guarded by this
    private boolean closed;

    public GlobalRoots() {
        this(PosixOsMemory.get(), 1L << 30);
    }

    public GlobalRoots(OsMemory os, long reserveBytes) {
        if (reserveBytes < COMMIT_STEP || reserveBytes % COMMIT_STEP != 0) {
            throw new IllegalArgumentException("global root table reservation must be a positive multiple of "
                    + COMMIT_STEP + " bytes, got " + reserveBytes);
        }
        this.os = os;
        this.reserved = reserveBytes;
        this.base = os.reserve(reserveBytes);
    }

    /** Allocates a slot (zero); returns its index. */
    public synchronized long allocSlot() {
        if (closed) {
            throw new IllegalStateException("global root table is closed");
        }
        live++;
        if (!free.isEmpty()) {
            return free.removeLast();
        }
        long i = highWater;
        long need = (i + 1) * 8;
        if (need > committed) {
            if (committed + COMMIT_STEP > reserved) {
                live--;
                throw new IllegalStateException("global root table full: " + i + " slots in a "
                        + (reserved >> 20) + " MiB reservation (release unused Global handles)");
            }
            os.commit(base + committed, COMMIT_STEP);
            committed += COMMIT_STEP;
        }
        highWater = i + 1;
        return i;
    }

    /** Releases slot {@code i}: it is cleared (through the barrier) and reused later. */
    public synchronized void freeSlot(long i) {
        checkIndex(i);
        WriteBarrier.storePointer(slotAddress(i), 0);
        free.add(i);
        live--;
    }

    public long slotAddress(long i) {
        return base + (i << 3);
    }

    void checkIndex(long i) {
        if (i < 0 || i >= highWater) {
            throw new IllegalArgumentException("global slot " + i + " out of range [0, " + highWater + ")");
        }
    }

    /** Slots ever handed out: scanning covers [0, highWater). */
    public long highWater() {
        return highWater;
    }

    /** Root jobs: ceil(highWater / BLOCK_SLOTS). */
    public long blocks() {
        return (highWater + BLOCK_SLOTS - 1) / BLOCK_SLOTS;
    }

    /** Scannable bytes (the pacer's globalsScan). */
    public long scanBytes() {
        return highWater << 3;
    }

    public synchronized long liveHandles() {
        return live;
    }

    public long base() {
        return base;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            os.unmap(base, reserved);
        }
    }

    static long load(long address) {
        return NativeMemory.getLong(address);
    }
}
