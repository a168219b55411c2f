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
 * off with many Ps; here the lock is taken about once per span refill, i.e. once per up to 1024
 * allocations, and once per 8 spans the sweepers sweep). It guards the four lists and nothing
 * else: it is held for list operations only, never across a GC sweep, the mheap's growth or a
 * free to the mheap (asserted; see {@link #cacheSpan}). Lock order: mcentral, then mheap (the
 * mheap is no longer called with the mcentral lock held, but the order stays the rule).
 *
 * <p>cacheSpan (refill) order, as Go's: partial swept (folding pending manual frees), partial
 * unswept (sweep, use), full unswept (sweep; use if anything was freed, else full swept), and
 * finally a fresh span from the mheap.
 */
final class MCentral {
    private static final int SPAN_BUDGET = 100;

    final int spanClass;
    /** Objects of this class may hold pointers (the span class's noscan bit clear): they count in heapScan. */
    private final boolean scan;
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
    /** Objects freed by GC sweeps of this class (added atomically: sweeps account with no lock held). */
    volatile long gcFrees;
    private static final java.lang.invoke.VarHandle GC_FREES;

    static {
        try {
            GC_FREES = java.lang.invoke.MethodHandles.lookup().findVarHandle(MCentral.class, "gcFrees", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    MCentral(Heap heap, int spanClass) {
        this.heap = heap;
        this.spanClass = spanClass;
        this.scan = (spanClass & 1) == 0;
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

    /**
     * {@link #place} without the mheap: lists a swept span as partial or full and returns false,
     * or returns true for an empty span, which the caller frees to the mheap after releasing this
     * lock (caller holds the lock).
     */
    private boolean placeListed(long s, long sg) {
        int live = Mem.getInt(s + Span.ALLOC_COUNT);
        if (live == 0 && !SpanSweep.hasPending(s)) {
            return true;
        }
        int swept = (int) ((sg >>> 1) & 1);
        if (live < nelems || NativeMemory.getLongVolatile(s + Span.REMOTE_PENDING) != 0) {
            push(partial, swept, s, Span.LIST_PARTIAL);
        } else {
            push(full, swept, s, Span.LIST_FULL);
        }
        return false;
    }

    /** Counts a sweep's result (heapLive, gcFrees, late invalid frees): atomics only, no lock needed. */
    private void account(long r) {
        // Manual frees lower heapLive; objects the GC sweep frees do not: the collector reset
        // heapLive to the bytes it marked, so that garbage was never counted (Go's sweep leaves
        // heapLive alone too). Subtracting it again made heapLive fall below the live heap and
        // the trigger fire late.
        int freed = SpanSweep.freedTotal(r) - SpanSweep.gcFreed(r);
        if (freed != 0) {
            heap.addHeapLive(-(long) freed * elemSize, scan);
        }
        if (SpanSweep.gcFreed(r) != 0) {
            GC_FREES.getAndAdd(this, (long) SpanSweep.gcFreed(r));
        }
        if (SpanSweep.lateBad(r) != 0) {
            heap.lateInvalidFrees.addAndGet(SpanSweep.lateBad(r));
        }
    }

    // ------------------------------------------------------------------ refill

    /**
     * Hands a span with at least one free slot to the mcache {@code cacheId}, first taking back
     * {@code old} (the caller's exhausted span of this class, or 0): MCache's refill, with one
     * lock hold for both in the common case. The lock is held only for list operations: an
     * unswept span is claimed off its list under the lock and swept with no lock held
     * ({@link #claimUnsweptLocked}, Go's sweepLocked), a span with free slots is taken with no
     * lock, a full one is listed in the same hold that claims the next, and a fresh span comes
     * from the mheap with no mcentral lock held. Until session 8 the sweep of up to 100 spans and
     * the mheap's growth ran under the lock, one hold per refill plus one per uncache: a holder
     * descheduled in it kept the other mutator, the background sweeper and proportional sweep
     * waiting, and on 2 loaded cores a thread that blocked on the monitor then waited for a CPU
     * after it was woken (JFR, 1 GiB pause benchmark: 1.2 s of monitor waits over 100 us a minute,
     * up to 94 ms each; most slow "in the allocator" stops).
     */
    long cacheSpan(long old, MCache cache) {
        long cacheId = cache.id;
        long sg = heap.sweepgen;
        int sw = (int) ((sg >>> 1) & 1);
        int budget = SPAN_BUDGET;
        if (old != 0) {
            sweepForUncache(old, sg);
        }
        boolean freeOld = false;
        boolean swept = false;
        long s = 0;
        cache.step(MCache.STEP_LOCK_WAIT);
        long probe = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        long lockProbe = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        synchronized (this) {
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CENTRAL_LOCK_WAIT, lockProbe);
            }
            cache.step(MCache.STEP_LOCKED);
            if (old != 0) {
                freeOld = placeListed(old, sg);
            }
            // 1. partial, swept (folding pending manual frees: manual mode; under the lock, as
            //    remote frees' announcements move spans between these lists).
            long p = partial[sw];
            while (p != 0 && budget-- > 0) {
                long next = Span.next(p);
                if (SpanSweep.hasPending(p)) {
                    account(SpanSweep.sweep(p, heap.space.freedBits(p), false, heap.clobberFree));
                }
                if (Mem.getInt(p + Span.ALLOC_COUNT) < nelems) {
                    unlink(partial, sw, p);
                    s = p;
                    swept = true;
                    break;
                }
                if (!SpanSweep.hasPending(p)) {
                    unlink(partial, sw, p);
                    push(full, sw, p, Span.LIST_FULL);
                }
                p = next;
            }
            // 2. partial, unswept; 3. full, unswept: claim one to sweep with no lock held.
            if (!swept && budget-- > 0) {
                s = claimUnsweptLocked(sg);
            }
        }
        if (freeOld) {
            cache.step(MCache.STEP_MHEAP);
            heap.mheap.freeSpan(old);       // outside the mcentral lock
        }
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CENTRAL_LISTS, probe);
        }
        if (swept) {
            return take(s, cacheId);
        }
        // GC sweep the claimed span with no lock held; use it if anything is free, else list it as
        // full in the hold that claims the next. At most SPAN_BUDGET spans, as Go's cacheSpan.
        if (dev.gort.sys.PathProbe.ON) {
            probe = dev.gort.sys.PathProbe.start();
        }
        while (s != 0) {
            assert !Thread.holdsLock(this) : "a GC sweep under the mcentral lock";
            cache.step(MCache.STEP_SWEEP);
            account(SpanSweep.sweep(s, heap.space.freedBits(s), true, heap.clobberFree));
            Mem.putLong(s + Span.SWEEPGEN, sg);
            if (Mem.getInt(s + Span.ALLOC_COUNT) < nelems) {
                heap.endSweep();
                if (dev.gort.sys.PathProbe.ON) {
                    dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CENTRAL_SWEEPS, probe);
                }
                return take(s, cacheId);
            }
            boolean yield = heap.gc.stopWaits(cache);     // a stop waits: list this one, claim no more
            cache.step(MCache.STEP_LOCK_WAIT);
            synchronized (this) {
                cache.step(MCache.STEP_LOCKED);
                push(full, sw, s, Span.LIST_FULL);
                heap.endSweep();
                s = budget-- > 0 && !yield ? claimUnsweptLocked(sg) : 0;
            }
            if (yield) {
                cache.step(MCache.STEP_NONE);
                if (dev.gort.sys.PathProbe.ON) {
                    dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CENTRAL_SWEEPS, probe);
                }
                throw heap.gc.yieldForStop();       // nothing claimed or held; the cache's slot is empty
            }
        }
        // 4. grow: a fresh span from the heap (the mheap's lock only), after reclaiming dead
        //    spans of other classes if no free run fits (Go's mheap.alloc -> reclaim).
        assert !Thread.holdsLock(this) : "the mheap's growth under the mcentral lock";
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CENTRAL_SWEEPS, probe);
            probe = dev.gort.sys.PathProbe.start();
        }
        cache.step(MCache.STEP_SWEEP);
        try {
            heap.gc.reclaim(npages, cache);
            // A growth's commit is an mprotect that waited 47-89 ms for the address space's lock in
            // the 1 GiB benchmark (PathProbe, session 20): a stop that is already waiting goes first.
            if (cache.stopYield() && !heap.mheap.hasFit(npages) && heap.gc.stopWaits(cache)) {
                throw heap.gc.yieldForStop();
            }
        } catch (AllocationYield y) {
            cache.step(MCache.STEP_NONE);
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CENTRAL_GROW, probe);
            }
            throw y;
        }
        cache.step(MCache.STEP_MHEAP);
        s = heap.mheap.allocSpan(npages, Span.IN_USE);
        initSpan(s, sg);
        if (heap.clobberFree && Mem.getInt(s + Span.NEEDZERO) != 0) {
            // Dirty pages from an earlier use: poison them so every reused slot checks out.
            Zeroing.poison(Span.start(s), Span.bytes(s));
        }
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CENTRAL_GROW, probe);
        }
        return take(s, cacheId);
    }

    /**
     * Takes one unswept span off this mcentral's lists for the caller to sweep with no lock held
     * (partial first, then full), or returns 0 if none is left (caller holds the lock). The claimed span is on no list
     * and not cached; its sweepgen becomes {@code sg - 1} ("being swept", Go's convention) and
     * {@link Heap#sweepsInFlight} counts it until {@link Heap#endSweep}, so "the sweep of
     * cycle sg is finished" waits for it ({@link GcSupport#awaitSweepsInFlight}).
     */
    private long claimUnsweptLocked(long sg) {
        int un = 1 - (int) ((sg >>> 1) & 1);
        for (long[] heads : lists) {
            long s = heads[un];
            if (s != 0) {
                unlink(heads, un, s);
                Mem.putLong(s + Span.SWEEPGEN, sg - 1);
                heap.beginSweep();
                return s;
            }
        }
        return 0;
    }

    void initSpan(long s, long sg) {
        if (nelems > Span.INLINE_ELEMS) {
            // More slots than the descriptor's inline bitmaps hold (class 1): the wide pair, which
            // a previous span of this descriptor may have left dirty (Span.init zeroed the inline ones).
            long wide = heap.space.wideBits(s);
            NativeMemory.fill(wide, Span.WIDE_BYTES, (byte) 0);
            Mem.putLong(s + Span.ALLOC_BITS, wide + Span.WIDE_ALLOC);
            Mem.putLong(s + Span.GCMARK_BITS, wide + Span.WIDE_MARK);
        }
        Mem.putInt(s + Span.SPAN_CLASS, spanClass);
        Mem.putInt(s + Span.NELEMS, nelems);
        Mem.putInt(s + Span.ELEM_SIZE, elemSize);
        Mem.putInt(s + Span.DIV_MUL, divMul);
        Mem.putLong(s + Span.SWEEPGEN, sg);
        Mem.putLong(s + Span.ALLOC_CACHE, -1L);
    }

    /** The span goes to mcache {@code cacheId}. No lock needed: {@code s} is on no list and owned by the caller. */
    private long take(long s, long cacheId) {
        Span.setList(s, Span.LIST_CACHED);
        NativeMemory.putLongVolatile(s + Span.CACHED_BY, cacheId);
        // Go's heapLive: count the whole free part of the span as allocated now (it will be); of a
        // scan class, heapScan too (Go counts scannable bytes per object and adds them at the
        // refill; here the slots' whole bytes, the unit of the marker's scan work).
        heap.addHeapLive((long) (nelems - Mem.getInt(s + Span.ALLOC_COUNT)) * elemSize, scan);
        return s;
    }

    /**
     * Takes back a span from its mcache: fold pending frees, then heap, partial or full. A span
     * cached before the current sweep cycle began (set aside by {@link MCache#detachForSweep}:
     * its sweepgen is the previous cycle's) is GC-swept here, and heapLive is left alone: the
     * collector reset it to the marked bytes since the span was cached, so its free slots are no
     * longer counted (Go's mcache.releaseAll skips the same adjustment for stale spans).
     */
    void uncacheSpan(long s) {
        long sg = heap.sweepgen;
        sweepForUncache(s, sg);
        boolean free;
        synchronized (this) {
            free = placeListed(s, sg);
        }
        if (free) {
            heap.mheap.freeSpan(s);     // outside the mcentral lock
        }
    }

    /**
     * uncacheSpan's work before the span is listed, done by its owner with no lock held: a stale
     * span (cached before this sweep cycle began) is GC-swept and heapLive left alone; a current
     * one gives its free slots back to heapLive and folds pending manual frees.
     */
    private void sweepForUncache(long s, long sg) {
        assert !Thread.holdsLock(this) : "an uncache's sweep under the mcentral lock";
        NativeMemory.putLongVolatile(s + Span.CACHED_BY, 0);
        if (Mem.getLong(s + Span.SWEEPGEN) != sg) {
            account(SpanSweep.sweep(s, heap.space.freedBits(s), true, heap.clobberFree));
            Mem.putLong(s + Span.SWEEPGEN, sg);
        } else {
            heap.addHeapLive(-(long) (nelems - Mem.getInt(s + Span.ALLOC_COUNT)) * elemSize, scan);
            if (SpanSweep.hasPending(s)) {
                account(SpanSweep.sweep(s, heap.space.freedBits(s), false, heap.clobberFree));
            }
        }
        Span.setList(s, Span.LIST_NONE);
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

    /**
     * GC mode: sweeps one unswept span of this class; returns its pages, or 0 if none was left.
     * The span is claimed under the lock and swept without it ({@link #claimUnswept}).
     */
    long sweepOne() {
        // Claim a batch in one hold, chained through the spans' own NEXT links (they are on no
        // list while claimed), sweep them with no lock held, list them all in a second hold.
        long chain = 0;
        int n = 0;
        long sg;
        heap.stallPoint(Heap.STALL_BEFORE_CLAIM, spanClass);
        synchronized (this) {
            // sweepgen is read under the lock, not before it (Go's sweepLocker takes the span by a
            // CAS against the sweepgen it began with, so a stale one claims nothing). The caller
            // may be the background sweeper, a platform thread no stop-the-world waits for: read
            // before the lock, a sweepgen could be a whole cycle old by the time the lock was
            // held (the thread descheduled or blocked on the monitor across mark termination's
            // sweepgen += 2), and the claim then took spans off the lists that had become the
            // *swept* ones, swept them again with their mark bits already cleared and freed their
            // live objects ("found bad pointer in heap"; StarvedSweeperTest). Read here it is
            // current for the claim: a bump can only happen between two holds once the previous
            // sweep is finished, when the lists it could race with are empty, and a claimed span
            // is counted in sweepsInFlight, which the bump waits for.
            sg = heap.sweepgen;
            long s;
            while (n < SWEEP_BATCH && (s = claimUnsweptLocked(sg)) != 0) {
                Mem.putLong(s + Span.NEXT, chain);
                chain = s;
                n++;
            }
        }
        if (n == 0) {
            return 0;
        }
        heap.stallPoint(Heap.STALL_AFTER_CLAIM, spanClass);
        assert !Thread.holdsLock(this) : "a GC sweep under the mcentral lock";
        for (long s = chain; s != 0; s = Span.next(s)) {
            account(SpanSweep.sweep(s, heap.space.freedBits(s), true, heap.clobberFree));
            Mem.putLong(s + Span.SWEEPGEN, sg);
        }
        long empty = 0;
        synchronized (this) {
            long s = chain;
            while (s != 0) {
                long next = Span.next(s);
                if (placeListed(s, sg)) {
                    Mem.putLong(s + Span.NEXT, empty);     // chained again, for the mheap below
                    empty = s;
                }
                s = next;
            }
        }
        while (empty != 0) {
            long next = Span.next(empty);
            Mem.putLong(empty + Span.NEXT, 0);
            heap.mheap.freeSpan(empty);     // outside the mcentral lock
            empty = next;
        }
        heap.endSweeps(n);
        return (long) n * npages;
    }

    /**
     * Go's reclaim for one span ({@link Reclaimer}): if {@code s} is on this mcentral's unswept
     * lists in cycle {@code sg} with no object marked and no manual free pending, claims it,
     * sweeps it (every object dies) and frees it to the mheap. Returns the pages freed, else 0.
     * Every condition is checked under the lock, since the caller found {@code s} with none held.
     */
    long reclaimIfDead(long s, long sg) {
        synchronized (this) {
            int list = Span.list(s);
            if (heap.sweepgen != sg || (list != Span.LIST_PARTIAL && list != Span.LIST_FULL) || Span.spanClass(s) != spanClass
                    || Span.state(s) != Span.IN_USE || Mem.getLong(s + Span.SWEEPGEN) != sg - 2
                    || SpanSweep.hasPending(s) || !Reclaimer.noMarks(heap.space, s)) {
                return 0;
            }
            unlink(list == Span.LIST_PARTIAL ? partial : full, 1 - (int) ((sg >>> 1) & 1), s);
            Mem.putLong(s + Span.SWEEPGEN, sg - 1);
            heap.beginSweep();
        }
        account(SpanSweep.sweep(s, heap.space.freedBits(s), true, heap.clobberFree));
        Mem.putLong(s + Span.SWEEPGEN, sg);
        boolean empty;
        synchronized (this) {
            empty = placeListed(s, sg);
        }
        if (empty) {
            heap.mheap.freeSpan(s);     // outside the mcentral lock
        }
        heap.endSweep();
        return empty ? npages : 0;
    }

    /**
     * Spans {@link #sweepOne} claims per lock hold. The background sweeper and proportional sweep
     * used to take the lock once per span, the commonest hold by far (every span of the heap once
     * per cycle, ~50,000 a second at 1 GiB); a batch of 8 spans is a few microseconds of sweeping
     * between the callers' looks at a pending stop.
     */
    static final int SWEEP_BATCH = 8;

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
                    account(SpanSweep.sweep(s, heap.space.freedBits(s), false, heap.clobberFree));
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
                account(SpanSweep.sweep(s, heap.space.freedBits(s), false, heap.clobberFree));
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
                account(SpanSweep.sweep(s, heap.space.freedBits(s), true, heap.clobberFree));
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
