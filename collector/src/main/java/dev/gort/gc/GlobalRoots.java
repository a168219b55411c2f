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
 * Slots live in one reservation committed 64 KiB (or one OS page, if larger) at a time; a released handle's slot is zeroed and
 * put on a free list, so the table only grows to the peak number of live handles. Scanning covers
 * {@code [0, highWater)} in blocks of {@link #BLOCK_SLOTS} (Go scans data/BSS in 256 KiB root jobs so
 * several workers share big tables). Stores into slots go through the write barrier, as Go's
 * global stores do.
 */
public final class GlobalRoots implements AutoCloseable {
    /** Slots per root-scanning job: 256 KiB of slots, as Go's rootBlockBytes. */
    public static final int BLOCK_SLOTS = (256 << 10) / 8;
    private static final long MIN_COMMIT_STEP = 64 << 10;

    private final OsMemory os;
    private final long base;
    private final long reserved;
    /** max(64 KiB, the OS page): a kernel refuses a commit that is not whole pages. */
    private final long commitStep;
    private long committed;             // guarded by this
    private volatile long highWater;    // slots ever handed out
    private final List<Long> free = new ArrayList<>();  // guarded by this
    private long live;                  // guarded by this
    /** Set once by {@link #close()}: every handle's access checks it first (no native read after close). */
    private volatile boolean closed;

    public GlobalRoots() {
        this(PosixOsMemory.get(), 1L << 30);
    }

    public GlobalRoots(OsMemory os, long reserveBytes) {
        long step = Math.max(MIN_COMMIT_STEP, os.pageSize());
        if (reserveBytes < step || reserveBytes % step != 0) {
            throw new IllegalArgumentException("global root table reservation must be a positive multiple of "
                    + step + " bytes (64 KiB or the OS page, whichever is larger), got " + reserveBytes);
        }
        this.commitStep = step;
        this.os = os;
        this.reserved = reserveBytes;
        this.base = os.reserve(reserveBytes);
    }

    /** Allocates a slot (zero); returns its index. */
    public synchronized long allocSlot() {
        requireOpen("a new global slot");
        live++;
        if (!free.isEmpty()) {
            return free.removeLast();
        }
        long i = highWater;
        long need = (i + 1) * 8;
        if (need > committed) {
            if (committed + commitStep > reserved) {
                live--;
                throw new IllegalStateException("global root table full: " + i + " slots in a "
                        + (reserved >> 20) + " MiB reservation (release unused Global handles)");
            }
            os.commit(base + committed, commitStep);
            committed += commitStep;
        }
        highWater = i + 1;
        return i;
    }

    /**
     * Releases slot {@code i}: it is cleared (through the barrier) and reused later. Nothing to do
     * once closed. Any thread: a thread the stop-the-world does not stop clears the slot inside the
     * store gate (see {@link WriteBarrier#enterStoreGate}).
     */
    public void freeSlot(long i) {
        java.util.concurrent.Semaphore gate = WriteBarrier.enterStoreGate();
        try {
            releaseSlot(i);
        } finally {
            WriteBarrier.leaveStoreGate(gate);
        }
    }

    /**
     * {@link #freeSlot} for a caller that is stoppable, already inside the store gate (an entry
     * point took it first, before its own locks), or the coordinator in a pause (which must never
     * take the gate it may hold).
     */
    synchronized void releaseSlot(long i) {
        if (closed) {
            return;     // every slot went with the table
        }
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

    /** The most slots this table can ever hold: its reservation, 8 bytes a slot. */
    public long maxSlots() {
        return reserved / 8;
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

    /** True once {@link #close()} ran: the slots are gone. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Throws IllegalStateException naming {@code what} if the table is closed: every handle
     * ({@link Global}, {@link PtrChan}, {@link PtrPool}) calls this before touching a slot, so a
     * handle kept past its runtime or collector fails clearly instead of reading freed memory.
     */
    public void requireOpen(String what) {
        if (closed) {
            throw new IllegalStateException(what + ": the global root table holding its slots is closed (its collector or "
                    + "runtime ended); handles (Global, PtrChan, PtrPool) are usable only while the collector that made "
                    + "them runs");
        }
    }

    /**
     * Closes the table. The committed slots' pages are given back (MADV_DONTNEED) but stay mapped,
     * so an access racing the close on another thread (its {@link #requireOpen} check passed just
     * before) reads a zero page instead of crashing the JVM; only the never-committed rest of the
     * reservation is unmapped. The price is the committed part's address space (64 KiB per step,
     * no memory) for the life of the process.
     */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (committed > 0) {
                os.release(base, committed, dev.gort.sys.Advice.DONTNEED);
            }
            if (reserved > committed) {
                os.unmap(base + committed, reserved - committed);
            }
        }
    }

    static long load(long address) {
        return NativeMemory.getLong(address);
    }
}
