package dev.gort.arena;

import dev.gort.sys.NativeMemory;

/**
 * mcentral: the spans of one span class that no mcache holds, on four native doubly linked lists
 * as in Go 1.15+: {@code partial[2]} (some slot free, or frees pending) and {@code full[2]}, each
 * indexed by sweepgen parity. With {@code sg} the heap's sweepgen, {@code (sg/2) % 2} indexes the
 * swept lists and the other index the unswept ones, so when the collector adds 2 to sweepgen every
 * span becomes "unswept" without being touched.
 *
 * <p>One lock per mcentral (Go's pre-1.15 design; Go 1.15+ uses lock-free span sets, which pay
 * off with many Ps; here the lock is taken once per span refill, i.e. once per up to 1024
 * allocations). Lock order: mcentral, then mheap.
 *
 * <p>cacheSpan (refill) order, as Go's: partial swept (folding pending manual frees), partial
 * unswept (sweep, use), full unswept (sweep; use if anything was freed, else full swept), and
 * finally a fresh span from the mheap.
 */
final class MCentral {
    private static final int SPAN_BUDGET = 100;

    final int spanClass;
    final int sizeClass;
    final int elemSize;
    final int nelems;
    final int npages;
    private final int divMul;
    private final Heap heap;

    private final long[] partial = new long[2];
    private final long[] full = new long[2];
    /** {partial, full}: iterated by the refill and sweep loops without allocating. */
    private final long[][] lists = {partial, full};
    /** Objects freed by GC sweeps of this class (under the lock). */
    long gcFrees;

    MCentral(Heap heap, int spanClass) {
        this.heap = heap;
        this.spanClass = spanClass;
        this.sizeClass = SizeClasses.sizeClassOf(spanClass);
        this.elemSize = SizeClasses.classToSize(sizeClass);
        this.nelems = SizeClasses.classToObjects(sizeClass);
        this.npages = SizeClasses.classToPages(sizeClass);
        this.divMul = (int) SizeClasses.classToDivMul(sizeClass);
    }

    // ------------------------------------------------------------------ lists

    private int index(long s, long sg) {
        long spanSg = Mem.getLong(s + Span.SWEEPGEN);
        int swept = (int) ((sg >>> 1) & 1);
        return spanSg == sg ? swept : 1 - swept;
    }

    private void push(long[] heads, int idx, long s, int list) {
        long head = heads[idx];
        Mem.putLong(s + Span.PREV, 0);
        Mem.putLong(s + Span.NEXT, head);
        if (head != 0) {
            Mem.putLong(head + Span.PREV, s);
        }
        heads[idx] = s;
        Span.setList(s, list);
    }

    private void unlink(long[] heads, int idx, long s) {
        long next = Span.next(s);
        long prev = Span.prev(s);
        if (prev != 0) {
            Mem.putLong(prev + Span.NEXT, next);
        } else {
            heads[idx] = next;
        }
        if (next != 0) {
            Mem.putLong(next + Span.PREV, prev);
        }
        Mem.putLong(s + Span.NEXT, 0);
        Mem.putLong(s + Span.PREV, 0);
        Span.setList(s, Span.LIST_NONE);
    }

    /** Puts an uncached, swept span where it belongs: back to the heap, partial or full. */
    private void place(long s, long sg) {
        int live = Mem.getInt(s + Span.ALLOC_COUNT);
        int swept = (int) ((sg >>> 1) & 1);
        if (live == 0 && !SpanSweep.hasPending(s)) {
            heap.mheap.freeSpan(s);
        } else if (live < nelems || NativeMemory.getLongVolatile(s + Span.REMOTE_PENDING) != 0) {
            push(partial, swept, s, Span.LIST_PARTIAL);
        } else {
            push(full, swept, s, Span.LIST_FULL);
        }
    }

    private void account(long r) {
        // Manual frees lower heapLive; objects the GC sweep frees do not: the collector reset
        // heapLive to the bytes it marked, so that garbage was never counted (Go's sweep leaves
        // heapLive alone too). Subtracting it again made heapLive fall below the live heap and
        // the trigger fire late.
        int freed = SpanSweep.freedTotal(r) - SpanSweep.gcFreed(r);
        if (freed != 0) {
            heap.addHeapLive(-(long) freed * elemSize);
        }
        gcFrees += SpanSweep.gcFreed(r);
        if (SpanSweep.lateBad(r) != 0) {
            heap.lateInvalidFrees.addAndGet(SpanSweep.lateBad(r));
        }
    }

    // ------------------------------------------------------------------ refill

    /** Hands a span with at least one free slot to the mcache {@code cacheId}. */
    synchronized long cacheSpan(long cacheId) {
        long sg = heap.sweepgen;
        int sw = (int) ((sg >>> 1) & 1);
        int un = 1 - sw;
        int budget = SPAN_BUDGET;
        // 1. partial, swept: fold pending manual frees.
        long s = partial[sw];
        while (s != 0 && budget-- > 0) {
            long next = Span.next(s);
            if (SpanSweep.hasPending(s)) {
                account(SpanSweep.sweep(s, false, heap.clobberFree));
            }
            if (Mem.getInt(s + Span.ALLOC_COUNT) < nelems) {
                unlink(partial, sw, s);
                return take(s, cacheId);
            }
            if (!SpanSweep.hasPending(s)) {
                unlink(partial, sw, s);
                push(full, sw, s, Span.LIST_FULL);
            }
            s = next;
        }
        // 2. partial, unswept; 3. full, unswept: GC sweep, then use if anything is free.
        for (long[] heads : lists) {
            while ((s = heads[un]) != 0 && budget-- > 0) {
                unlink(heads, un, s);
                account(SpanSweep.sweep(s, true, heap.clobberFree));
                Mem.putLong(s + Span.SWEEPGEN, sg);
                if (Mem.getInt(s + Span.ALLOC_COUNT) < nelems) {
                    return take(s, cacheId);
                }
                push(full, sw, s, Span.LIST_FULL);
            }
        }
        // 4. grow: a fresh span from the heap.
        s = heap.mheap.allocSpan(npages, Span.IN_USE);
        initSpan(s, sg);
        if (heap.clobberFree && Mem.getInt(s + Span.NEEDZERO) != 0) {
            // Dirty pages from an earlier use: poison them so every reused slot checks out.
            Zeroing.poison(Span.start(s), Span.bytes(s));
        }
        return take(s, cacheId);
    }

    void initSpan(long s, long sg) {
        Mem.putInt(s + Span.SPAN_CLASS, spanClass);
        Mem.putInt(s + Span.NELEMS, nelems);
        Mem.putInt(s + Span.ELEM_SIZE, elemSize);
        Mem.putInt(s + Span.DIV_MUL, divMul);
        Mem.putLong(s + Span.SWEEPGEN, sg);
        Mem.putLong(s + Span.ALLOC_CACHE, -1L);
    }

    private long take(long s, long cacheId) {
        Span.setList(s, Span.LIST_CACHED);
        NativeMemory.putLongVolatile(s + Span.CACHED_BY, cacheId);
        // Go's heapLive: count the whole free part of the span as allocated now (it will be).
        heap.addHeapLive((long) (nelems - Mem.getInt(s + Span.ALLOC_COUNT)) * elemSize);
        return s;
    }

    /**
     * Takes back a span from its mcache: fold pending frees, then heap, partial or full. A span
     * cached before the current sweep cycle began (set aside by {@link MCache#detachForSweep}:
     * its sweepgen is the previous cycle's) is GC-swept here, and heapLive is left alone: the
     * collector reset it to the marked bytes since the span was cached, so its free slots are no
     * longer counted (Go's mcache.releaseAll skips the same adjustment for stale spans).
     */
    synchronized void uncacheSpan(long s) {
        long sg = heap.sweepgen;
        NativeMemory.putLongVolatile(s + Span.CACHED_BY, 0);
        if (Mem.getLong(s + Span.SWEEPGEN) != sg) {
            account(SpanSweep.sweep(s, true, heap.clobberFree));
            Mem.putLong(s + Span.SWEEPGEN, sg);
        } else {
            heap.addHeapLive(-(long) (nelems - Mem.getInt(s + Span.ALLOC_COUNT)) * elemSize);
            if (SpanSweep.hasPending(s)) {
                account(SpanSweep.sweep(s, false, heap.clobberFree));
            }
        }
        place(s, sg);
    }

    /**
     * A non-owner announced the first pending free on {@code s} (remotePending went 0 -> 1): a
     * full span moves to partial so a refill finds it. A cached span's owner folds it itself.
     */
    synchronized void remoteFreeAnnounced(long s) {
        if (Span.list(s) == Span.LIST_FULL) {
            long sg = heap.sweepgen;
            int idx = index(s, sg);
            unlink(full, idx, s);
            push(partial, idx, s, Span.LIST_PARTIAL);
        }
    }

    // ------------------------------------------------------------------ sweeping drivers

    /** GC mode: sweeps one unswept span of this class; returns its pages, or 0 if none was left. */
    synchronized long sweepOne() {
        long sg = heap.sweepgen;
        int sw = (int) ((sg >>> 1) & 1);
        int un = 1 - sw;
        for (long[] heads : lists) {
            long s = heads[un];
            if (s != 0) {
                unlink(heads, un, s);
                account(SpanSweep.sweep(s, true, heap.clobberFree));
                Mem.putLong(s + Span.SWEEPGEN, sg);
                place(s, sg);
                return npages;
            }
        }
        return 0;
    }

    /**
     * Folds every pending manual free of uncached spans and returns empty spans to the heap
     * (what freeOSMemory needs before it releases pages). Unswept spans are GC-swept.
     */
    synchronized void sweepAll() {
        long sg = heap.sweepgen;
        int sw = (int) ((sg >>> 1) & 1);
        int un = 1 - sw;
        while (sweepOneLocked(un, sg)) {
            // drain unswept
        }
        for (long[] heads : lists) {
            long s = heads[sw];
            while (s != 0) {
                long next = Span.next(s);
                if (SpanSweep.hasPending(s)) {
                    unlink(heads, sw, s);
                    account(SpanSweep.sweep(s, false, heap.clobberFree));
                    place(s, sg);
                }
                s = next;
            }
        }
    }

    /**
     * Folds the pending manual frees of the swept partial spans and returns the ones that became
     * empty to the heap (their pages start their idle age now). Full spans never hold pending
     * frees: the first announcement moves a span to partial. O(partial spans of this class).
     */
    synchronized void foldPending() {
        long sg = heap.sweepgen;
        int sw = (int) ((sg >>> 1) & 1);
        long s = partial[sw];
        while (s != 0) {
            long next = Span.next(s);
            if (SpanSweep.hasPending(s)) {
                unlink(partial, sw, s);
                account(SpanSweep.sweep(s, false, heap.clobberFree));
                place(s, sg);
            }
            s = next;
        }
    }

    private boolean sweepOneLocked(int un, long sg) {
        for (long[] heads : lists) {
            long s = heads[un];
            if (s != 0) {
                unlink(heads, un, s);
                account(SpanSweep.sweep(s, true, heap.clobberFree));
                Mem.putLong(s + Span.SWEEPGEN, sg);
                place(s, sg);
                return true;
            }
        }
        return false;
    }

    synchronized boolean hasUnswept() {
        int un = 1 - (int) ((heap.sweepgen >>> 1) & 1);
        return partial[un] != 0 || full[un] != 0;
    }

    /** Visits every span on this mcentral's lists (lock held by the caller via synchronized). */
    synchronized long countListed(java.util.function.LongConsumer visitor) {
        long n = 0;
        for (long[] heads : lists) {
            for (int i = 0; i < 2; i++) {
                int expect = heads == partial ? Span.LIST_PARTIAL : Span.LIST_FULL;
                for (long s = heads[i]; s != 0; s = Span.next(s)) {
                    if (Span.list(s) != expect || Span.spanClass(s) != spanClass) {
                        throw new IllegalStateException("verifyHeap: mcentral " + spanClass + " list holds "
                                + Span.describe(s) + " with list tag " + Span.list(s));
                    }
                    visitor.accept(s);
                    n++;
                }
            }
        }
        return n;
    }
}
