package dev.gort.gc;

/**
 * A P's grey-object queue (Go's gcWork, mgcwork.go): two workbufs, {@code wbuf1} (current) and
 * {@code wbuf2} (spare), in front of the global full/empty lists of a {@link WorkbufPool}.
 *
 * <p>Owned by one P (one thread) at a time: no synchronisation on the fast path. The two-buffer
 * hysteresis means a P oscillating around a buffer boundary does not hit the global lists on every
 * push/pop: {@code put} on a full wbuf1 first swaps with wbuf2, and only if that is full too does it
 * publish wbuf1 on the full list and take an empty one; {@code tryGet} mirrors it.
 *
 * <p>Also accumulates this P's marking statistics (bytes marked, scan work) until {@link #dispose}
 * or a flush hands them to the cycle's totals, like Go's gcw.bytesMarked / heapScanWork.
 */
public final class GcWork {
    private final WorkbufPool pool;
    private long wbuf1;
    private long wbuf2;
    /**
     * wbuf1's entry count, kept here instead of in its native {@code nobj} while this gcWork holds
     * it: a push or pop is then one native store or load of the entry, not also a load and a store
     * of {@code nobj} (a chain through memory from one push to the next pop), and each inlined copy
     * of {@link #put} is three FFM accesses (~650 C2 parse nodes each) smaller, which the scan loop
     * needs to stay under C2's inlining budget. Invariant: wbuf1's native nobj is stale; wbuf2's is
     * exact. Every place wbuf1 stops being wbuf1 (swapped with wbuf2, published, handed off,
     * released) writes the count back first ({@link #syncWbuf1}), and every buffer that becomes
     * wbuf1 has its count read.
     */
    private long n1;
    /** True once this gcWork published work to the global list since the flag was last reset
     *  (Go's flushedWork, used by mark completion's ragged barrier). */
    public boolean flushedWork;
    /** Bytes of objects greyed through this gcWork (not yet flushed). */
    public long bytesMarked;
    /** Bytes of heap scanned through this gcWork (not yet flushed). */
    public long heapScanWork;

    /**
     * The marker's one-span cache for {@link MarkHeap#markPointer(long, long[])} while this
     * gcWork's owner scans: cleared at the start of every drain and scan call (valid within one
     * mark phase only), never read by anything else.
     */
    final long[] spanCache = new long[dev.gort.arena.GcSupport.SPAN_CACHE_LONGS];

    /** {@link WorkbufPool#fullHeadAddress}: read by {@link #balanceIfGlobalEmpty} before every object a drain scans. */
    private final long fullHead;

    public GcWork(WorkbufPool pool) {
        this.pool = pool;
        this.fullHead = pool.fullHeadAddress();
    }

    private void init() {
        wbuf1 = pool.getEmpty();
        wbuf2 = pool.getEmpty();
        n1 = WorkbufLayout.nobj(wbuf1);
    }

    /** Writes wbuf1's count back to its native nobj (before wbuf1 leaves that role). */
    private void syncWbuf1() {
        WorkbufLayout.setNobj(wbuf1, n1);
    }

    /** Swaps wbuf1 and wbuf2, keeping the count invariant. */
    private void swap() {
        syncWbuf1();
        long b = wbuf1;
        wbuf1 = wbuf2;
        wbuf2 = b;
        n1 = WorkbufLayout.nobj(wbuf1);
    }

    /**
     * The entry put last, held in this field in front of wbuf1 (0 = none): the top of the LIFO.
     * Scanning an object greys its children and the drain takes the one greyed last next, so that
     * entry never makes the round trip through the native buffer (a store and a load of the
     * entry and of nobj each way). It is local work like wbuf1's: {@link #empty},
     * {@link #localCount}, {@link #balance} and {@link #dispose} account for it. Measured on a
     * 64 MiB binary tree with the world stopped, with vs without, both at once (load 7): 540-599
     * vs 487-570 MB/s median, 5 rounds of 5.
     */
    private long held;

    /** Enqueues a grey object pointer. */
    public void put(long obj) {
        long h = held;
        held = obj;
        if (h != 0) {
            putBuffered(h);
        }
    }

    private void putBuffered(long obj) {
        if (wbuf1 == 0) {
            init();
        } else if (n1 == WorkbufLayout.CAPACITY) {
            makeRoomInWbuf1();
        }
        long n = n1;
        WorkbufLayout.setObj(wbuf1, n, obj);
        n1 = n + 1;
    }

    /** wbuf1 is full: swap with wbuf2 and, if that is full too, publish it and take an empty one. */
    private void makeRoomInWbuf1() {
        swap();
        if (n1 == WorkbufLayout.CAPACITY) {
            pool.putFull(wbuf1);            // its nobj is exact: it was wbuf2
            flushedWork = true;
            wbuf1 = pool.getEmpty();
            n1 = WorkbufLayout.nobj(wbuf1);
        }
    }

    /** Dequeues a grey object pointer, taking published work if local work ran out; 0 if none. */
    public long tryGet() {
        long h = held;
        if (h != 0) {
            held = 0;
            return h;
        }
        if (wbuf1 == 0) {
            init();
        }
        if (n1 == 0 && !refillWbuf1()) {
            return 0;
        }
        long n = n1 - 1;
        n1 = n;
        return WorkbufLayout.obj(wbuf1, n);
    }

    /** wbuf1 is empty: swap with wbuf2 and, if that is empty too, take a full buffer; false if none. */
    private boolean refillWbuf1() {
        swap();
        if (n1 != 0) {
            return true;
        }
        long f = pool.tryGetFull();
        if (f == 0) {
            return false;
        }
        pool.putEmpty(wbuf1);               // synced by swap: both of this gcWork's buffers were empty
        wbuf1 = f;
        n1 = WorkbufLayout.nobj(f);
        return true;
    }

    /** Dequeues from local buffers only (Go's tryGetFast + wbuf2); 0 if both are empty. */
    public long tryGetLocal() {
        long h = held;
        if (h != 0) {
            held = 0;
            return h;
        }
        if (wbuf1 == 0) {
            return 0;
        }
        if (n1 == 0) {
            swap();
            if (n1 == 0) {
                return 0;
            }
        }
        long n = n1 - 1;
        n1 = n;
        return WorkbufLayout.obj(wbuf1, n);
    }

    /** True if this gcWork holds no grey pointers locally. */
    public boolean empty() {
        return held == 0 && (wbuf1 == 0 || (n1 == 0 && WorkbufLayout.nobj(wbuf2) == 0));
    }

    /** Number of grey pointers held locally. */
    public long localCount() {
        return (held != 0 ? 1 : 0) + (wbuf1 == 0 ? 0 : n1 + WorkbufLayout.nobj(wbuf2));
    }

    /**
     * Go's gcDrain keeps work available on the global list: when nothing is published, publish
     * some of this gcWork's ({@link #balance}). Called before every object a drain takes, so an
     * assisting mutator or a second worker finds work instead of waiting for credit: a
     * depth-first structure (a tree) never fills a buffer, so without this its whole grey set
     * stays in the one worker that took the root.
     *
     * <p>A plain read of the full list's head word, not the LfStack's volatile one: the answer is
     * only a hint (a stale "published" delays a publish by one object; a stale "empty" publishes
     * once more, which is what balance does anyway when asked), and a volatile read here, before
     * every object, was an acquire in the scan loop that made C2 reload every field the loop uses
     * after it. The loop's own native stores and calls keep the read from being hoisted out of it.
     */
    public void balanceIfGlobalEmpty() {
        if (wbuf1 != 0 && dev.gort.sys.NativeMemory.getLong(fullHead) == 0) {
            balance();
        }
    }

    /**
     * Moves some local work to the global list so idle workers can help (Go's balance): all of
     * wbuf2 if it holds any, else half of wbuf1 (with the held entry) if it holds more than 4.
     */
    public void balance() {
        if (wbuf1 == 0) {
            return;
        }
        if (WorkbufLayout.nobj(wbuf2) != 0) {
            pool.putFull(wbuf2);
            flushedWork = true;
            wbuf2 = pool.getEmpty();
        } else if (n1 + (held != 0 ? 1 : 0) > 4) {
            unhold();
            syncWbuf1();
            wbuf1 = handoff(wbuf1);
            n1 = WorkbufLayout.nobj(wbuf1);
            flushedWork = true;
        }
    }

    /**
     * Go's handoff: publishes {@code b} with its older (bottom) half and returns a new buffer with
     * the newer (top) half. The thief gets the entries pushed first, which in a depth-first
     * traversal are the largest pending subtrees, so one handoff feeds it for long; the owner
     * keeps what it pushed last and goes on where it was.
     */
    private long handoff(long b) {
        long b1 = pool.getEmpty();
        long n = WorkbufLayout.nobj(b) / 2;
        long keep = WorkbufLayout.nobj(b) - n;
        dev.gort.sys.NativeMemory.copy(b + WorkbufLayout.OBJ + (keep << 3), b1 + WorkbufLayout.OBJ, n << 3);
        WorkbufLayout.setNobj(b, keep);
        WorkbufLayout.setNobj(b1, n);
        pool.putFull(b);
        return b1;
    }

    /**
     * Returns both buffers to the global lists (non-empty ones to the full list), leaving this
     * gcWork empty and buffer-less. Statistics stay for the caller to collect.
     */
    public void dispose() {
        unhold();
        if (wbuf1 != 0) {
            syncWbuf1();
            release(wbuf1);
            release(wbuf2);
            wbuf1 = 0;
            wbuf2 = 0;
            n1 = 0;
        }
    }

    /** Moves the held entry into the work buffer (before anything that publishes or counts buffers). */
    private void unhold() {
        long h = held;
        if (h != 0) {
            held = 0;
            putBuffered(h);
        }
    }

    private void release(long b) {
        if (WorkbufLayout.nobj(b) == 0) {
            pool.putEmpty(b);
        } else {
            pool.putFull(b);
            flushedWork = true;
        }
    }
}
