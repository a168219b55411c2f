package dev.gort.gc;

import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;

/**
 * The global workbuf lists (Go's {@code work.full} and {@code work.empty}) and the memory workbufs
 * come from.
 *
 * <p>Memory: one reservation of its own (PROT_NONE, no memory cost), committed
 * {@value WorkbufLayout#ALLOC_BYTES} bytes at a time under a lock when the empty list runs dry
 * (rare: buffers are recycled through the empty list forever after). The first 4 KiB hold the two
 * list heads, each on its own cache line. Go allocates workbufs from manual heap spans and frees
 * some during sweep; a separate reservation keeps the collector's metadata out of the heap it
 * measures, and buffers that are never unmapped make the lfstack's reads of stale nodes safe.
 *
 * <pre>
 *   base+0      full-list head   (packed node)
 *   base+64     empty-list head  (packed node)
 *   base+4096   workbuf 0, workbuf 1, ...   (2048 bytes each, committed in 32 KiB batches)
 * </pre>
 */
public final class WorkbufPool implements AutoCloseable {
    /** Default reservation: 1 GiB = 524,288 workbufs = 132 million grey pointers. */
    public static final long DEFAULT_RESERVE = 1L << 30;
    private static final long HEADS = 4096;

    private final OsMemory os;
    private final long base;
    private final long reserved;
    private final LfStack full;
    private final LfStack empty;
    private final Object growLock = new Object();
    private long committedEnd;   // guarded by growLock
    private volatile long allocated; // workbufs carved so far
    private boolean closed;
    private final java.util.concurrent.atomic.AtomicLong fullTakes = new java.util.concurrent.atomic.AtomicLong();

    public WorkbufPool() {
        this(PosixOsMemory.get(), DEFAULT_RESERVE);
    }

    public WorkbufPool(OsMemory os, long reserveBytes) {
        long page = os.pageSize();
        if (reserveBytes < HEADS + WorkbufLayout.ALLOC_BYTES || reserveBytes % page != 0) {
            throw new IllegalArgumentException("workbuf reservation must be a multiple of the page size (" + page
                    + ") and at least " + (HEADS + WorkbufLayout.ALLOC_BYTES) + " bytes, got " + reserveBytes);
        }
        this.os = os;
        this.reserved = reserveBytes;
        this.base = os.reserve(reserveBytes);
        os.commit(base, Math.max(HEADS, page));
        this.committedEnd = base + Math.max(HEADS, page);
        this.full = new LfStack(base);
        this.empty = new LfStack(base + 64);
    }

    /** An empty workbuf (nobj == 0), from the empty list or fresh memory. */
    public long getEmpty() {
        long b = empty.pop();
        if (b == 0) {
            b = allocateBatch();
        }
        checkEmpty(b, "getEmpty");
        return b;
    }

    /** Returns an empty workbuf to the empty list. */
    public void putEmpty(long b) {
        checkEmpty(b, "putEmpty");
        empty.push(b);
    }

    /** Publishes a workbuf holding grey pointers on the full list. */
    public void putFull(long b) {
        WorkbufLayout.check(b, "putFull");
        if (WorkbufLayout.nobj(b) == 0) {
            throw new IllegalStateException("putFull: workbuf 0x" + Long.toHexString(b) + " is empty");
        }
        full.push(b);
    }

    /** Takes a workbuf with grey pointers, or 0 if the full list is empty. */
    public long tryGetFull() {
        long b = full.pop();
        if (b != 0) {
            WorkbufLayout.check(b, "tryGetFull");
            fullTakes.getAndIncrement();
        }
        return b;
    }

    /** Successful {@link #tryGetFull} calls so far: lets mark completion tell "the list stayed
     *  empty" from "someone took the last buffer meanwhile". */
    public long fullTakes() {
        return fullTakes.get();
    }

    /** True when no grey work is published globally (per-P buffers may still hold some). */
    public boolean fullIsEmpty() {
        return full.isEmpty();
    }

    /**
     * The native word holding the full list's head (0 = empty): for a marker's per-object look at
     * whether anything is published ({@link GcWork#balanceIfGlobalEmpty}), one load instead of the
     * chain through this pool and its LfStack. Fixed for the pool's life.
     */
    long fullHeadAddress() {
        return base;
    }

    /** Workbufs carved from the reservation so far. */
    public long allocated() {
        return allocated;
    }

    /** Slow check, world stopped / no concurrent users: counts the lists and validates nodes. */
    public long[] countsQuiescent() {
        long limit = allocated + 1;
        return new long[] {full.sizeQuiescent(limit), empty.sizeQuiescent(limit)};
    }

    private long allocateBatch() {
        synchronized (growLock) {
            if (closed) {
                throw new IllegalStateException("workbuf pool is closed");
            }
            long b = empty.pop();    // someone else may have grown it meanwhile
            if (b != 0) {
                return b;
            }
            long start = committedEnd;
            if (start + WorkbufLayout.ALLOC_BYTES > base + reserved) {
                throw new IllegalStateException("out of workbuf memory: " + allocated + " workbufs ("
                        + (allocated * WorkbufLayout.SIZE >> 20) + " MiB) in use of a " + (reserved >> 20)
                        + " MiB reservation; the grey set is larger than the reservation (raise it)");
            }
            os.commit(start, WorkbufLayout.ALLOC_BYTES);
            committedEnd = start + WorkbufLayout.ALLOC_BYTES;
            int n = WorkbufLayout.ALLOC_BYTES / WorkbufLayout.SIZE;
            for (int i = 1; i < n; i++) {
                empty.push(start + (long) i * WorkbufLayout.SIZE);  // fresh pages read as zero: nobj == 0
            }
            allocated += n;
            return start;
        }
    }

    private static void checkEmpty(long b, String where) {
        WorkbufLayout.check(b, where);
        if (WorkbufLayout.nobj(b) != 0) {
            throw new IllegalStateException(where + ": workbuf 0x" + Long.toHexString(b) + " is not empty (nobj=" + WorkbufLayout.nobj(b) + ")");
        }
    }

    /** Unmaps everything. Only when no gcWork holds a buffer any more. */
    @Override
    public void close() {
        synchronized (growLock) {
            if (!closed) {
                closed = true;
                os.unmap(base, reserved);
            }
        }
    }

    /** For tests: does {@code b} lie in this pool's workbuf area? */
    boolean owns(long b) {
        return b >= base + HEADS && b < committedEnd;
    }
}
