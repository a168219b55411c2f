package dev.gort.arena;

import dev.gort.sys.Advice;
import dev.gort.sys.NativeException;
import dev.gort.sys.NativeMemory;

import java.util.Arrays;
import dev.gort.sys.OwnerlessLock;
import java.util.function.LongSupplier;

/**
 * mheap: the page heap. It owns the free page runs of the committed arena and hands out spans of
 * whole 8 KiB pages; one lock, held for list surgery only (never across an madvise, nor across
 * the commit of a growth but in a rare fallback: see {@link #ensureFit}).
 *
 * <p><b>Free runs.</b> A free run is a span descriptor in state FREE whose first and last pages
 * point to it in the spans region. Runs of fewer than 128 pages sit on exact-size lists
 * {@code free[n]} (with a 128-bit occupancy mask), longer ones on one {@code freeLarge} list.
 * Freeing a span coalesces it at once with a free neighbour on either side (found through the
 * spans region, O(1)), so two free runs are never adjacent: after everything is freed the heap is
 * back to its committed runs (Go &lt;= 1.13's scheme, before the bitmap page allocator).
 *
 * <p><b>Fit policy: best fit, most-recently-freed first, the top run last.</b> Allocation takes
 * the smallest run that fits (the occupancy mask finds the first non-empty exact list at or above
 * n in O(1); the large list is scanned, it stays short because runs coalesce), and within a size
 * the run freed last. Best fit keeps long runs whole for large objects and fragments least in the
 * classic studies (Johnstone and Wilson; Go 1.12 made the same choice with its treap). Taking the
 * most recently freed run first reuses pages that are still resident and leaves old runs idle,
 * which is exactly what the age-based scavenger wants to release. The <em>top run</em> (the free
 * run that ends where the committed runs end) is taken only when no other run fits: it holds the
 * never-touched pages of the last growth and the pages the retain scavenger released first (it
 * works from the highest address down), so any other fit is resident memory. That is the order Go
 * 1.14+'s address-ordered first fit gives (its scavenger also releases from the top while
 * allocation takes the lowest fit), without Go's radix tree.
 *
 * <p><b>Zeroing.</b> A span handed out is known zero (needzero = 0) if its pages were never used
 * (above {@code neverUsedFrom}: fresh from the kernel) or if every page was released with an
 * advice that zeroes (MADV_DONTNEED on Linux), as {@link ReleaseZeroProbe} checked at creation. Otherwise needzero = 1 and the allocator zeroes
 * what it hands out.
 *
 * <p><b>Retain scavenging</b> ({@link #scavengeDown}): free pages are released from the highest
 * address down, at most the bytes still above the target rounded up to 64 KiB at a time (Go's
 * scavengeQuantum), so a long free run is not released whole to meet a small excess. Only the
 * piece being released is taken off the free lists (state SCAVENGING) while the madvise runs; the
 * rest of its run stays allocatable. A search position ({@code scavSearchEnd}, Go's scavenger
 * search address) remembers that no releasable free unreleased page lies above it; frees raise it.
 * Below it the search reads the scavenger index in {@link AddressSpace} (a free bit per page beside
 * the released bit, and a bit per 4 MiB chunk that may hold free unreleased pages: Go's
 * scavengeIndex in bitmap form), so finding the next pages costs a few words per 4 MiB, not a step
 * per span. Pieces are whole OS pages of one free run: with OS pages larger than 8 KiB (16 KiB,
 * 64 KiB on arm64) the OS page at a run's edge that it shares with an in-use span stays.
 *
 * <p><b>Accounting</b> (all in pages, exact, under the lock): inUse (small and large spans),
 * stack, free (idle, includes released), released (one bit per page in the meta region). Fresh
 * committed memory counts as released until first used, as in Go 1.14+.
 */
final class MHeap {
    static final int EXACT_LISTS = 128;
    static final long PAGE = SizeClasses.PAGE_SIZE;

    // Ownerless: goroutines take it (span allocation, stacks); see OwnerlessLock for the stale-carrier hazard.
    final OwnerlessLock lock = new OwnerlessLock();
    final AddressSpace space;
    private final HeapConfig config;
    private final LongSupplier clock;

    private final long[] freeHeads = new long[EXACT_LISTS];
    private long occupancyLo;
    private long occupancyHi;
    private long freeLarge;
    /** In-use large spans (doubly linked): [0] swept, [1] unswept (moved there at a sweep-cycle start). */
    /**
     * The in-use large spans on two lists, indexed physically; which one holds the swept spans
     * flips with every sweep cycle ({@link #flipLargeLists}), as mcentral's lists follow sweepgen
     * parity, so starting a sweep cycle moves no span. Use {@link #largeHead} with a logical index
     * (0 swept, 1 unswept). Under the lock.
     */
    final long[] largeHeads = new long[2];
    /** Physical index of the swept large list. Under the lock. */
    private int largeSwept;

    long pagesInUse;
    long pagesStack;
    long pagesFree;
    long pagesReleased;
    long pagesCommitted;
    /** Arena growths (commits) over the heap's life; under the address space's monitor. */
    long growths;
    /** Pages at or above this address were never handed out since commit: they read as zero. */
    private long neverUsedFrom;
    /** End of the highest run made from a growth (lock held): the committed runs are [arenaBase, runsEnd). */
    private long runsEnd;
    /**
     * Retain scavenger's search position (Go's searchAddr; lock held): every free unreleased page at
     * or above it is one that cannot be released now (its OS page is not wholly free, with OS pages
     * larger than 8 KiB). A page address; {@link #freeSpanLocked} raises it to the end of what it
     * frees, a failed release to the end of what it put back. The search below it uses the index
     * in {@link AddressSpace} (free bits, per-chunk marks), not the runs.
     */
    private long scavSearchEnd;
    /**
     * Runtime pages per OS page: the OS page size read at run time ({@link dev.gort.sys.OsMemory#pageSize})
     * over 8 KiB, at least 1 (x86 Linux's 4 KiB pages give 1; 16 KiB macOS arm64 pages 2; 64 KiB arm64
     * Linux pages 8). The arena starts on an OS page (the reservation is OS-page aligned and the
     * runtime page divides it), so OS pages are runs of this many pages from page index 0.
     */
    private final long pagesPerOsPage;
    /** Go's scavengeQuantum: the retain scavenger releases at most this much beyond its target. */
    static final long SCAVENGE_QUANTUM = 64 << 10;

    // scavenger accounting
    private volatile Advice advice;
    /** {@link ReleaseZeroProbe}'s answer: pages released with DONTNEED read back zero (F13). */
    final boolean releaseReadsZero;
    /** One scavenge at a time; guards the counters below. Taken before the heap lock. */
    final Object scavengeLock = new Object();
    long releasedBytesTotal;
    long releaseCalls;
    /** Ranges released by the mmap(MAP_FIXED) fallback because madvise failed. */
    long remaps;
    long releaseErrors;
    String lastReleaseError;

    MHeap(AddressSpace space, HeapConfig config, boolean releaseReadsZero) {
        this.releaseReadsZero = releaseReadsZero;
        this.space = space;
        this.config = config;
        this.clock = config.clock();
        this.advice = config.advice();
        this.neverUsedFrom = space.arenaBase;
        this.runsEnd = space.arenaBase;
        this.scavSearchEnd = space.arenaBase;
        this.pagesPerOsPage = Math.max(1, space.osPage() / PAGE);
    }

    Advice advice() {
        return advice;
    }

    long now() {
        return clock.getAsLong();
    }

    // ------------------------------------------------------------------ free lists

    private void insertFree(long s) {
        long n = Span.npages(s);
        long head;
        Mem.putInt(s + Span.STATE, Span.FREE);
        Span.setList(s, Span.LIST_FREE);
        Mem.putLong(s + Span.PREV, 0);
        if (n < EXACT_LISTS) {
            head = freeHeads[(int) n];
            freeHeads[(int) n] = s;
            if (n < 64) {
                occupancyLo |= 1L << n;
            } else {
                occupancyHi |= 1L << (n - 64);
            }
        } else {
            head = freeLarge;
            freeLarge = s;
        }
        Mem.putLong(s + Span.NEXT, head);
        if (head != 0) {
            Mem.putLong(head + Span.PREV, s);
        }
    }

    private void removeFree(long s) {
        long n = Span.npages(s);
        long next = Span.next(s);
        long prev = Span.prev(s);
        if (prev != 0) {
            Mem.putLong(prev + Span.NEXT, next);
        } else if (n < EXACT_LISTS) {
            freeHeads[(int) n] = next;
            if (next == 0) {
                if (n < 64) {
                    occupancyLo &= ~(1L << n);
                } else {
                    occupancyHi &= ~(1L << (n - 64));
                }
            }
        } else {
            freeLarge = next;
        }
        if (next != 0) {
            Mem.putLong(next + Span.PREV, prev);
        }
        Mem.putLong(s + Span.NEXT, 0);
        Mem.putLong(s + Span.PREV, 0);
        Span.setList(s, Span.LIST_NONE);
    }

    /**
     * Best fit: the smallest free run of at least n pages other than the top run, or the top run if
     * nothing else fits, or 0 (see the class comment: the top run's pages are fresh or released).
     */
    private long findFit(long n) {
        long top = topFreeRun();
        if (n < EXACT_LISTS) {
            long lo = n < 64 ? occupancyLo & (-1L << n) : 0;
            long hi = n < 64 ? occupancyHi : occupancyHi & (-1L << (n - 64));
            while (lo != 0 || hi != 0) {
                int k;
                if (lo != 0) {
                    k = Long.numberOfTrailingZeros(lo);
                    lo &= lo - 1;
                } else {
                    k = 64 + Long.numberOfTrailingZeros(hi);
                    hi &= hi - 1;
                }
                long head = freeHeads[k];
                if (head != top) {
                    return head;
                }
                if (Span.next(head) != 0) {
                    return Span.next(head);
                }
            }
        }
        long best = 0;
        long bestPages = Long.MAX_VALUE;
        for (long s = freeLarge; s != 0; s = Span.next(s)) {
            long p = Span.npages(s);
            if (s != top && p >= n && (p < bestPages || (p == bestPages && Span.start(s) < Span.start(best)))) {
                best = s;
                bestPages = p;
            }
        }
        if (best == 0 && top != 0 && Span.npages(top) >= n) {
            return top;
        }
        return best;
    }

    /** Lock held: the FREE run that ends at {@link #runsEnd}, or 0. */
    private long topFreeRun() {
        if (runsEnd == space.arenaBase) {
            return 0;
        }
        long t = space.spanEntry(runsEnd - PAGE);
        return t != 0 && Span.state(t) == Span.FREE && Span.end(t) == runsEnd ? t : 0;
    }

    // ------------------------------------------------------------------ allocation

    /**
     * Allocates a span of {@code npages} pages in {@code state} (IN_USE, LARGE or STACK), growing
     * the heap if needed. The descriptor has start, npages, state, needzero and the spans entries
     * set; the caller fills in the rest. Throws HeapExhaustedException with nothing changed.
     */
    long allocSpan(long npages, int state) {
        ensureFit(npages);
        long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        lock.lock();
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.MHEAP_LOCK, t);
            t = dev.gort.sys.PathProbe.start();
        }
        try {
            return allocSpanLocked(npages, state);
        } finally {
            lock.unlock();
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.MHEAP_LOCKED, t);
            }
        }
    }

    long allocSpanLocked(long npages, int state) {
        checkOpenLocked();
        long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        long r = findFit(npages);
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.MHEAP_FIND, t);
            t = dev.gort.sys.PathProbe.start();
        }
        if (r == 0) {
            // Rare: another thread took the run ensureFit grew (or the caller did not ensure it).
            grow(npages);
            r = findFit(npages);
            if (r == 0) {
                throw new AssertionError("mheap: no fit for " + npages + " pages right after growing");
            }
        }
        long m = Span.npages(r);
        long start = Span.start(r);
        // Take the remainder's descriptor before changing anything: if that fails, nothing did.
        long d = m > npages ? space.allocDescriptor() : 0;
        if (config.hardDecommit() && space.countReleased(space.pageIndex(start), npages) > 0) {
            try {
                unfence(start, npages * PAGE);
            } catch (RuntimeException e) {
                if (d != 0) {
                    space.freeDescriptor(d);
                }
                throw e;
            }
        }
        removeFree(r);
        if (d != 0) {
            freePiece(d, start + npages * PAGE, m - npages, Mem.getLong(r + Span.FREE_SINCE));
        }
        long firstPage = space.pageIndex(start);
        long released = space.countReleased(firstPage, npages);
        boolean zero = start >= neverUsedFrom || (released == npages && releaseReadsZero
                && advice.zeroesPages() && config.advice().zeroesPages());
        if (released > 0) {
            pagesReleased -= unmarkReleased(firstPage, npages);
        }
        long end = start + npages * PAGE;
        if (end > neverUsedFrom) {
            neverUsedFrom = end;
        }
        space.setFree(firstPage, npages, false);
        space.clearFreedBits(r);        // a run's descriptor may have served a span with pending frees
        Span.init(r, start, npages, state);
        Mem.putInt(r + Span.NEEDZERO, zero ? 0 : 1);
        space.setSpanEntries(start, npages, r);
        pagesFree -= npages;
        if (state == Span.STACK) {
            pagesStack += npages;
        } else {
            pagesInUse += npages;
        }
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.MHEAP_SETUP, t);
        }
        return r;
    }

    /**
     * Lock held: like {@link #allocSpanLocked}, but the span starts on a multiple of {@code
     * alignPages} pages counted from the arena's base; with {@link #pagesPerOsPage()} that is an OS
     * page boundary (the arena base is OS-page aligned). Takes a run of {@code npages + alignPages
     * - 1} pages (the caller ensured that fit) and frees the pages before and after the aligned
     * span again: young free runs, coalesced with their neighbours. Both descriptors those pieces
     * may need are taken first, so a failure changes nothing. efence mode uses it on OS pages over
     * 8 KiB: a freed object must cover whole OS pages to be made inaccessible.
     */
    long allocSpanAlignedLocked(long npages, long alignPages, int state) {
        if (alignPages <= 1) {
            return allocSpanLocked(npages, state);
        }
        long total = npages + alignPages - 1;
        long head = space.allocDescriptor();
        long tail;
        long r;
        try {
            tail = space.allocDescriptor();
        } catch (RuntimeException | Error e) {     // an AssertionError too: nothing may leak
            space.freeDescriptor(head);
            throw e;
        }
        try {
            r = allocSpanLocked(total, state);
        } catch (RuntimeException | Error e) {
            space.freeDescriptor(head);
            space.freeDescriptor(tail);
            throw e;
        }
        long first = space.pageIndex(Span.start(r));
        long alignedFirst = AddressSpace.roundUp(first, alignPages);
        long headPages = alignedFirst - first;
        long tailPages = total - headPages - npages;
        int needZero = Mem.getInt(r + Span.NEEDZERO);
        long start = space.pageAddress(alignedFirst);
        Span.init(r, start, npages, state);
        Mem.putInt(r + Span.NEEDZERO, needZero);
        space.setSpanEntries(start, npages, r);
        freeAlignmentPiece(head, space.pageAddress(first), headPages, state);
        freeAlignmentPiece(tail, start + npages * PAGE, tailPages, state);
        return r;
    }

    /** Lock held: hands pages cut off an aligned span back as a free run, or returns the unused descriptor. */
    private void freeAlignmentPiece(long d, long start, long npages, int state) {
        if (npages == 0) {
            space.freeDescriptor(d);
            return;
        }
        Span.init(d, start, npages, state);
        space.setSpanEntries(start, npages, d);
        freeSpanLocked(d);
    }

    /** Runtime pages per OS page, at least 1. */
    long pagesPerOsPage() {
        return pagesPerOsPage;
    }

    /**
     * Lock held: pages {@code [first, first + n)} are being handed out and some of them are marked
     * released. Clears the released marks of every OS page the range touches and returns how many
     * pages it unmarked, for {@link #pagesReleased}. An OS page is resident or not as a whole: the
     * first write to any byte of a 16 or 64 KiB page faults in all of it, so the pages of it that
     * stay free are resident again too (scav28 cleared only the allocated pages' marks: HeapReleased
     * overstated, and a later release of that OS page counted only part of it). Invariant kept: every
     * OS page's pages are all marked released or none is ({@link HeapVerifier} checks it), which is
     * why an allocation that finds no released page (the common case) has nothing to do here.
     *
     * <p>The free pages unmarked beside the range are free and unreleased now: their chunk is marked
     * in the scavenger index. The search position needs no raise: their OS page holds the new span,
     * so they cannot be released before it is freed, and that free raises it. With OS pages of 8 KiB
     * or less (x86 Linux: 4 KiB) an OS page never straddles two runtime pages and only the range's
     * own marks are cleared, as before.
     */
    private long unmarkReleased(long first, long n) {
        if (pagesPerOsPage == 1) {
            return space.setReleased(first, n, false);
        }
        long from = first / pagesPerOsPage * pagesPerOsPage;
        long to = AddressSpace.roundUp(first + n, pagesPerOsPage);
        long unmarked = space.setReleased(from, to - from, false);
        if (from < first || to > first + n) {
            space.markScavChunks(from, to - from);
        }
        return unmarked;
    }

    /**
     * Lock held: refuses to go on once {@link Heap#close} unmapped the address space (it does so
     * holding growLock and this lock, so a check under either sees it): the free lists and
     * descriptors live in the unmapped regions, and a growth would commit into a reservation
     * that is no longer ours.
     */
    void checkOpenLocked() {
        if (space.isClosed()) {
            throw new IllegalStateException("heap is closed");
        }
    }

    /** Whether a free run of at least {@code npages} exists now (no growth needed). */
    boolean hasFit(long npages) {
        lock.lock();
        try {
            checkOpenLocked();
            return findFit(npages) != 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Grows the arena, if no free run of {@code npages} exists, with the mheap lock not held
     * across the commit (mprotect of a 64 MiB chunk): every span allocation and free takes this
     * lock, and the commit held it 0.5-85 ms (wall) at a time in the 1 GiB pause benchmark under
     * load (PathProbe), a wait in the allocator that no stop-the-world can cut short (goroutine
     * stops were seen waiting 11 ms on this lock in MHeap.allocSpan behind a growth). Growers are
     * serialized by {@link #growLock} (taken before the mheap lock, never while holding it); the
     * caller then takes the mheap lock and finds the run, or grows under it if another thread took
     * the run meanwhile ({@link #allocSpanLocked}'s fallback).
     */
    void ensureFit(long npages) {
        if (hasFit(npages)) {
            return;
        }
        synchronized (growLock) {
            if (hasFit(npages)) {
                return;         // another grower made room
            }
            long d;
            lock.lock();
            try {
                d = space.allocDescriptor();
            } finally {
                lock.unlock();
            }
            long[] grown;
            try {
                grown = commitForRun(npages);
            } catch (RuntimeException e) {
                lock.lock();
                try {
                    space.freeDescriptor(d);
                } finally {
                    lock.unlock();
                }
                throw e;
            }
            lock.lock();
            try {
                addGrown(d, grown[0], grown[1]);
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Serializes {@link #ensureFit}'s growers (outside the mheap lock; see there), and keeps
     * {@link HeapVerifier} out of a growth half done (committed, not yet a free run).
     */
    final Object growLock = new Object();

    /** Commits enough arena for a run of {@code npages} (lock held); the new pages join the free runs. */
    private void grow(long npages) {
        long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        long s = space.allocDescriptor();
        long[] grown;
        try {
            grown = commitForRun(npages);
        } catch (RuntimeException e) {
            space.freeDescriptor(s);
            throw e;
        }
        addGrown(s, grown[0], grown[1]);
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.GROW, t);
        }
    }

    /**
     * Commits the next chunk(s) of the arena for a run of {@code npages}: {start, bytes}. The
     * address space's commit state is guarded by its own monitor, innermost of the heap's locks,
     * as both {@link #ensureFit} (no mheap lock) and {@link #grow} (mheap lock held) come here.
     */
    private long[] commitForRun(long npages) {
        long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        long chunk = space.heapArenaBytes;
        long need = npages * PAGE;
        long bytes = AddressSpace.roundUp(need, chunk);
        long start;
        synchronized (space) {
            long left = space.arenaBytes - space.arenaCommitted;
            if (bytes > left && need <= left) {
                bytes = left;
            }
            start = space.growArena(bytes, () -> figures(npages));     // the text only on failure
            growths++;
        }
        if (config.hugePages()) {
            space.hugePages(start, bytes);
        }
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.COMMIT, t);
        }
        return new long[] {start, bytes};
    }

    /** Lock held: the committed range {@code [start, start + bytes)} becomes a free run described by {@code s}. */
    private void addGrown(long s, long start, long bytes) {
        long n = bytes / PAGE;
        Span.init(s, start, n, Span.FREE);
        Mem.putLong(s + Span.FREE_SINCE, now());
        // Fresh pages are not resident: counted as released until used (Go 1.14+).
        space.setReleased(space.pageIndex(start), n, true);
        space.setFree(space.pageIndex(start), n, true);
        pagesReleased += n;
        pagesCommitted += n;
        pagesFree += n;
        runsEnd = Math.max(runsEnd, start + bytes);
        insertCoalesced(s);
    }

    String figures(long npagesWanted) {
        return "wanted " + npagesWanted + " pages (" + npagesWanted * PAGE + " B); reserved " + space.arenaBytes
                + " B, committed " + space.arenaCommitted + " B, in use " + (pagesInUse + pagesStack) * PAGE
                + " B (heap " + pagesInUse * PAGE + " B, stacks " + pagesStack * PAGE + " B), free "
                + pagesFree * PAGE + " B; free memory or raise arenaReservation";
    }

    // ------------------------------------------------------------------ free

    void freeSpan(long s) {
        long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        lock.lock();
        try {
            freeSpanLocked(s);
        } finally {
            lock.unlock();
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.MHEAP_FREE, t);
            }
        }
    }

    void freeSpanLocked(long s) {
        int st = Span.state(s);
        long n = Span.npages(s);
        if (st == Span.STACK) {
            pagesStack -= n;
        } else if (st == Span.IN_USE || st == Span.LARGE) {
            pagesInUse -= n;
        } else {
            throw new IllegalStateException("mheap: freeing " + Span.describe(s) + " which is not in use");
        }
        pagesFree += n;
        Mem.putLong(s + Span.FREE_SINCE, now());
        Mem.putLong(s + Span.CACHED_BY, 0);
        noteFreeUnreleased(Span.start(s), n);
        insertCoalesced(s);
    }

    /**
     * Lock held: pages {@code [start, start + n pages)} became free and are not released (a freed
     * span, or a release that failed): they join the index and the search position covers them.
     */
    private void noteFreeUnreleased(long start, long n) {
        long first = space.pageIndex(start);
        space.setFree(first, n, true);
        space.markScavChunks(first, n);
        long end = start + n * PAGE;
        if (end > scavSearchEnd) {
            scavSearchEnd = end;
        }
    }

    /** Merges a FREE run with free neighbours and puts it on its list. */
    private void insertCoalesced(long s) {
        Mem.putInt(s + Span.STATE, Span.FREE);
        long start = Span.start(s);
        long n = Span.npages(s);
        long since = Mem.getLong(s + Span.FREE_SINCE);
        // Spans-entry invariant: an entry is 0 or names a live descriptor whose run covers the
        // page; free runs map only their first and last page. So clear the run (an in-use span
        // mapped every page), and clear the boundaries that become interior when merging.
        space.clearSpanEntries(start, n);
        if (start > space.arenaBase) {
            long p = space.spanEntry(start - PAGE);
            if (p != 0 && Span.state(p) == Span.FREE && Span.end(p) == start) {
                removeFree(p);
                space.setSpanEntry(start - PAGE, 0);
                start = Span.start(p);
                n += Span.npages(p);
                since = Math.max(since, Mem.getLong(p + Span.FREE_SINCE));
                space.freeDescriptor(p);
            }
        }
        long end = start + n * PAGE;
        if (end < space.arenaEnd()) {
            long q = space.spanEntry(end);
            if (q != 0 && Span.state(q) == Span.FREE && Span.start(q) == end) {
                removeFree(q);
                space.setSpanEntry(end, 0);
                n += Span.npages(q);
                since = Math.max(since, Mem.getLong(q + Span.FREE_SINCE));
                space.freeDescriptor(q);
            }
        }
        Span.init(s, start, n, Span.FREE);
        Mem.putLong(s + Span.FREE_SINCE, since);
        space.setSpanEntry(start, s);
        space.setSpanEntry(start + (n - 1) * PAGE, s);
        insertFree(s);
    }

    // ------------------------------------------------------------------ large spans list

    /** Pushes large span s on the swept ({@code which} 0) or unswept (1) list. */
    void pushLarge(long s, int which) {
        int phys = which ^ largeSwept;
        long head = largeHeads[phys];
        Mem.putLong(s + Span.PREV, 0);
        Mem.putLong(s + Span.NEXT, head);
        if (head != 0) {
            Mem.putLong(head + Span.PREV, s);
        }
        largeHeads[phys] = s;
        Span.setList(s, phys == 0 ? Span.LIST_LARGE : Span.LIST_LARGE_1);    // the physical list: removeLarge needs its head
    }

    /** The first span of the swept ({@code which} 0) or unswept (1) large list, 0 if empty. */
    long largeHead(int which) {
        return largeHeads[which ^ largeSwept];
    }

    /**
     * A sweep cycle starts (sweepgen += 2, lock held): every swept large span becomes unswept by
     * swapping the lists' roles, O(1); the unswept list must be empty (the previous sweep ended).
     * It was a move of every large span from one list to the other inside the mark termination
     * pause: O(large objects) with the world stopped.
     */
    void flipLargeLists() {
        if (largeHead(1) != 0) {
            throw new IllegalStateException("a sweep cycle starts with large spans still unswept: " + Span.describe(largeHead(1)));
        }
        largeSwept ^= 1;
    }

    /** Lock held: whether large span {@code s} is on the unswept large list (its list tag names the physical list). */
    boolean onUnsweptLargeList(long s) {
        int list = Span.list(s);
        int phys = list == Span.LIST_LARGE ? 0 : list == Span.LIST_LARGE_1 ? 1 : -1;
        return phys == (1 ^ largeSwept);
    }

    void removeLarge(long s) {
        long next = Span.next(s);
        long prev = Span.prev(s);
        if (prev != 0) {
            Mem.putLong(prev + Span.NEXT, next);
        } else {
            largeHeads[Span.list(s) == Span.LIST_LARGE ? 0 : 1] = next;       // the physical list it is on
        }
        if (next != 0) {
            Mem.putLong(next + Span.PREV, prev);
        }
        Span.setList(s, Span.LIST_NONE);
    }

    // ------------------------------------------------------------------ scavenging

    /**
     * Releases free pages to the OS until retained memory (committed minus released) is at most
     * {@code retainTarget}. With {@code minIdleNanos > 0} (the age policy) only runs idle at least
     * that long, whole, oldest first; otherwise from the highest address down ({@link
     * #scavengeDown}). Returns the bytes released. The lock is dropped around each madvise: what is
     * being released is taken off the lists (state SCAVENGING) so nobody allocates or merges it meanwhile.
     */
    long scavenge(long minIdleNanos, long retainTarget) {
        if (minIdleNanos <= 0) {
            return scavengeDown(retainTarget, Long.MAX_VALUE);
        }
        synchronized (scavengeLock) {
            return scavengeLocked(minIdleNanos, retainTarget);
        }
    }

    /**
     * The retain scavenger (Go's pageAlloc.scavenge): releases free unreleased pages from the
     * highest address down until retained memory (committed minus released) is at most {@code
     * retainTarget}, or {@code maxBytes} were released, or nothing free is left unreleased. Each
     * madvise covers at most what is still needed rounded up to {@link #SCAVENGE_QUANTUM} (and to
     * whole OS pages, inward), so it stops within 64 KiB of the target. Returns the bytes released.
     */
    long scavengeDown(long retainTarget, long maxBytes) {
        long quantum = Math.max(SCAVENGE_QUANTUM, space.osPage());
        // The call's budget in whole quanta; each piece is whole OS pages, so what is left of it is too.
        long budget = maxBytes > Long.MAX_VALUE - quantum ? Long.MAX_VALUE : AddressSpace.roundUp(maxBytes, quantum);
        synchronized (scavengeLock) {
            long releasedBytes = 0;
            while (releasedBytes < budget) {
                long piece;
                lock.lock();
                try {
                    checkOpenLocked();
                    long excess = (pagesCommitted - pagesReleased) * PAGE - retainTarget;
                    if (excess <= 0) {
                        break;
                    }
                    long want = Math.min(AddressSpace.roundUp(excess, quantum), budget - releasedBytes);
                    piece = carveHighestUnreleased(want);
                } finally {
                    lock.unlock();
                }
                if (piece == 0) {
                    break;          // nothing free is left unreleased
                }
                long r = releasePiece(piece);
                if (r == 0) {
                    break;          // madvise and its fallback failed (counted in releaseErrors): do not spin on it
                }
                releasedBytes += r;
            }
            releasedBytesTotal += releasedBytes;
            return releasedBytes;
        }
    }

    /** Search steps per lock hold before the search lets others in (each step is a few bitmap words). */
    private static final int SEARCH_STEPS_PER_HOLD = 1024;

    /**
     * Lock held: finds the highest free unreleased pages below {@link #scavSearchEnd} that fill whole
     * OS pages of one free run, at most {@code wantBytes} of them (whole OS pages from the top of
     * that stretch down), and takes them off the free lists as a SCAVENGING run of their own (the
     * rest of their run stays free, split around it). Returns that run, or 0 if there is none.
     *
     * <p>The search works in OS pages ({@code granule}: the larger of the OS page and gort's 8 KiB):
     * the highest candidate page comes from the index; if its OS page reaches outside its run it
     * cannot go, and the search continues below that OS page (or below the run, when it reaches
     * below the run's start); otherwise the piece extends down by whole OS pages that hold an
     * unreleased page. So every step moves the position down past only pages that cannot be
     * released (review27: stepping 8 pages at a time, a run whose top was not on a 64 KiB page was
     * passed over whole). Drops and retakes the lock every {@link #SEARCH_STEPS_PER_HOLD} steps.
     */
    private long carveHighestUnreleased(long wantBytes) {
        long granule = Math.max(space.osPage(), PAGE);
        int steps = 0;
        while (scavSearchEnd > space.arenaBase) {
            if (++steps % SEARCH_STEPS_PER_HOLD == 0) {
                lock.unlock();
                lock.lock();
                checkOpenLocked();
                continue;
            }
            long q = space.highestFreeUnreleased(space.pageIndex(scavSearchEnd));
            if (q < 0) {
                scavSearchEnd = space.arenaBase;
                break;
            }
            long s = freeRunOf(q);
            long runStart = Span.start(s);
            long osPageEnd = AddressSpace.roundUp(space.pageAddress(q) + PAGE, granule);
            long osPageStart = osPageEnd - granule;
            if (osPageStart < runStart) {
                scavSearchEnd = runStart;       // the OS page shares memory below the run: nothing of the run at or below q can go
                continue;
            }
            if (osPageEnd > Span.end(s)) {
                scavSearchEnd = osPageStart;    // shares memory above the run: q stays, look below its OS page
                continue;
            }
            long lo = osPageStart;
            while (osPageEnd - lo < wantBytes && lo - granule >= runStart
                    && space.countReleased(space.pageIndex(lo - granule), granule / PAGE) < granule / PAGE) {
                lo -= granule;
            }
            scavSearchEnd = lo;                 // nothing above the piece is free and releasable now
            return carve(s, (lo - runStart) / PAGE, (osPageEnd - runStart) / PAGE);
        }
        return 0;
    }

    /** Lock held, no piece in flight: the FREE run holding free page {@code q} (free runs are coalesced: a free-bit stretch is one run). */
    private long freeRunOf(long q) {
        long start = space.pageAddress(space.freeStretchStart(q));
        long s = space.spanEntry(start);
        if (s == 0 || Span.state(s) != Span.FREE || Span.start(s) != start || Span.end(s) <= space.pageAddress(q)) {
            throw new IllegalStateException("mheap: the scavenger index says page 0x" + Long.toHexString(space.pageAddress(q))
                    + " is free, in a free stretch from 0x" + Long.toHexString(start) + ", but that page maps to " + Span.describe(s));
        }
        return s;
    }

    /**
     * Lock held: splits FREE run {@code s} into [0, pa), [pa, pb), [pb, n) (pages of the run) and
     * returns the middle one in state SCAVENGING, off the free lists; the others stay free. The
     * descriptors are taken first, so a failure changes nothing.
     */
    private long carve(long s, long pa, long pb) {
        long n = Span.npages(s);
        long start = Span.start(s);
        long since = Mem.getLong(s + Span.FREE_SINCE);
        long below = pa > 0 ? space.allocDescriptor() : 0;
        long above;
        try {
            above = pb < n ? space.allocDescriptor() : 0;
        } catch (RuntimeException e) {
            if (below != 0) {
                space.freeDescriptor(below);
            }
            throw e;
        }
        removeFree(s);
        if (below != 0) {
            freePiece(below, start, pa, since);
        }
        if (above != 0) {
            freePiece(above, start + pb * PAGE, n - pb, since);
        }
        Span.init(s, start + pa * PAGE, pb - pa, Span.SCAVENGING);
        Mem.putLong(s + Span.FREE_SINCE, since);
        space.setSpanEntry(Span.start(s), s);
        space.setSpanEntry(Span.start(s) + (pb - pa - 1) * PAGE, s);
        return s;
    }

    /**
     * Lock held: descriptor {@code d} becomes the free run [start, start + n pages), listed, not
     * merged: for a piece split off a free run, whose neighbours are the rest of that run (taken or
     * being scavenged) and whatever bounded the run (never free: runs are coalesced).
     */
    private void freePiece(long d, long start, long n, long since) {
        Span.init(d, start, n, Span.FREE);
        Mem.putLong(d + Span.FREE_SINCE, since);
        space.setSpanEntry(start, d);
        space.setSpanEntry(start + (n - 1) * PAGE, d);
        insertFree(d);
    }

    /** Releases a carved SCAVENGING run (lock not held), counts it, and merges it back into the free runs. */
    private long releasePiece(long s) {
        long start = Span.start(s);
        long n = Span.npages(s);
        boolean ok = releaseRange(start, n * PAGE);
        lock.lock();
        try {
            if (ok) {
                pagesReleased += space.setReleased(space.pageIndex(start), n, true);
            } else {
                noteFreeUnreleased(start, n);   // still free, still resident: findable again
            }
            insertCoalesced(s);
        } finally {
            lock.unlock();
        }
        return ok ? n * PAGE : 0;
    }

    /**
     * The age pass: collects the free runs idle at least {@code minIdleNanos} with unreleased pages
     * ({@link #collectAgeCandidates}, in bounded lock holds), then releases them oldest first, one
     * run per hold, until retained memory is at most {@code retainTarget}. A candidate is released
     * only if, under the lock at its turn, the same descriptor is still a FREE run with the same
     * start, length and free time: a run allocated, split, merged or freed again since it was seen
     * is left for the next pass (a merge or a new free makes it young anyway).
     */
    private long scavengeLocked(long minIdleNanos, long retainTarget) {
        long now = now();
        ageCandidateCount = 0;
        collectAgeCandidates(now, minIdleNanos);
        sortAgeCandidatesOldestFirst();
        long releasedBytes = 0;
        long[] c = ageCandidates;
        for (int i = 0; i < ageCandidateCount; i++) {
            int at = i * AGE_CANDIDATE_LONGS;
            long s = c[at];
            lock.lock();
            try {
                checkOpenLocked();
                if ((pagesCommitted - pagesReleased) * PAGE <= retainTarget) {
                    break;
                }
                if (Span.state(s) != Span.FREE || Span.start(s) != c[at + 1] || Span.npages(s) != c[at + 2]
                        || Mem.getLong(s + Span.FREE_SINCE) != c[at + 3]) {
                    continue; // allocated, merged, split or freed again since we looked
                }
                removeFree(s);
                Mem.putInt(s + Span.STATE, Span.SCAVENGING);
            } finally {
                lock.unlock();
            }
            releasedBytes += releaseRun(s);
        }
        shrinkAgeBuffers();
        releasedBytesTotal += releasedBytes;
        return releasedBytes;
    }

    /** Longs per age-pass candidate in {@link #ageCandidates}: descriptor, start, pages, free time. */
    static final int AGE_CANDIDATE_LONGS = 4;
    /** Candidates the age buffer keeps room for between passes; a larger one is dropped after its pass. */
    static final int AGE_CANDIDATES_KEPT = 4096;
    /**
     * The age pass's candidates, {@link #AGE_CANDIDATE_LONGS} longs each (scavenge lock held). One
     * reused primitive buffer, grown only while the heap lock is out (before each hold, by room for
     * a whole hold's runs): the pass allocates no Java object under the heap lock. Before session
     * 31 it allocated a {@code long[4]} per candidate there, and a host-JVM GC set off by them
     * landed in a hold (a 33 ms hold in scav30's probe).
     */
    private long[] ageCandidates = new long[AGE_CANDIDATE_LONGS * (AGE_STEPS_PER_HOLD + 1)];
    private int ageCandidateCount;
    /** {@link #releaseRun}'s released stretches, (first page, pages) pairs (scavenge lock held); grown with no lock held. */
    private long[] releasedStretches = new long[64];

    /** Scavenge lock held, heap lock not: room for {@code more} candidates beyond those collected. */
    private void ensureAgeCandidateRoom(int more) {
        long needed = (long) (ageCandidateCount + more) * AGE_CANDIDATE_LONGS;
        if (needed > ageCandidates.length) {
            ageCandidates = Arrays.copyOf(ageCandidates, (int) Math.max(needed, 2L * ageCandidates.length));
        }
    }

    /** After a pass (no lock but the scavenge lock): a buffer grown for a rare huge pass is not kept. */
    private void shrinkAgeBuffers() {
        ageCandidateCount = 0;
        if (ageCandidates.length > AGE_CANDIDATE_LONGS * AGE_CANDIDATES_KEPT) {
            ageCandidates = new long[AGE_CANDIDATE_LONGS * (AGE_STEPS_PER_HOLD + 1)];
        }
        if (releasedStretches.length > 2 * AGE_CANDIDATES_KEPT) {
            releasedStretches = new long[64];
        }
    }

    /**
     * Scavenge lock held, heap lock not: sorts the candidates oldest first, ties by address (the
     * walk records them by address, so this is the order a stable sort by age gives). A heapsort
     * in place over the 4-long records: no allocation, n log n compares.
     */
    private void sortAgeCandidatesOldestFirst() {
        int n = ageCandidateCount;
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDownCandidate(i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            swapCandidates(0, end);
            siftDownCandidate(0, end);
        }
    }

    private void siftDownCandidate(int i, int n) {
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                return;
            }
            if (child + 1 < n && candidateBefore(child, child + 1)) {
                child++;
            }
            if (!candidateBefore(i, child)) {
                return;
            }
            swapCandidates(i, child);
            i = child;
        }
    }

    /** Whether candidate {@code a} sorts before {@code b}: older, or as old and lower. */
    private boolean candidateBefore(int a, int b) {
        long[] c = ageCandidates;
        int x = a * AGE_CANDIDATE_LONGS;
        int y = b * AGE_CANDIDATE_LONGS;
        return c[x + 3] < c[y + 3] || (c[x + 3] == c[y + 3] && c[x + 1] < c[y + 1]);
    }

    private void swapCandidates(int a, int b) {
        long[] c = ageCandidates;
        int x = a * AGE_CANDIDATE_LONGS;
        int y = b * AGE_CANDIDATE_LONGS;
        for (int k = 0; k < AGE_CANDIDATE_LONGS; k++) {
            long t = c[x + k];
            c[x + k] = c[y + k];
            c[y + k] = t;
        }
    }

    /**
     * Steps of the age pass's walk per heap-lock hold; a step is one free run looked at, or
     * {@link #AGE_SCAN_PAGES_PER_STEP} pages of the free bitmap passed without finding one. The walk
     * held the lock for all of it before session 30: 1-7 ms at 50,000 free runs under load 25,
     * with every span allocation and free waiting. Go's scavenger holds its heap lock for one
     * 4 MiB chunk's search at a time (mgcscavenge.go, scavengeOne).
     */
    static final int AGE_STEPS_PER_HOLD = 256;
    /** Pages of the free bitmap one step of the age walk may scan: 64 words. */
    static final long AGE_SCAN_PAGES_PER_STEP = 64 * 64;
    /**
     * Test hook, null in production: called by the age walk with the heap lock not held (the
     * scavenge lock held), after each hold but the last. Tests allocate and free here.
     */
    volatile AgeWalkHook betweenAgeHolds;

    /** Free runs the last age walk looked at (their descriptors read); scavenge lock held to write. Tests read it. */
    long lastAgeWalkRunsLookedAt;

    /** What the age walk tells {@link #betweenAgeHolds}. */
    interface AgeWalkHook {
        /**
         * @param runsLookedAt the free runs the hold just ended looked at
         * @param resumeAt the address the next hold resumes from (the end of the last run looked at,
         *                 or the end of the free bitmap stretch the hold scanned last)
         */
        void betweenHolds(long runsLookedAt, long resumeAt);
    }

    /**
     * Scavenge lock held, heap lock not: adds to {@link #ageCandidates} every free run idle at least
     * {@code minIdle} at {@code now} that has an unreleased page, as {descriptor, start, pages,
     * freeSince}; the buffer gets room for a whole hold's runs before each hold.
     *
     * <p>The walk goes up the arena by address, through the free and released bits of the
     * scavenger index (a free stretch is exactly one FREE run: runs are coalesced, and no carved
     * piece exists while the scavenge lock is held). It stops only at runs with a free page not
     * released ({@link AddressSpace#nextFreeUnreleased}): a run released whole is no candidate, and
     * is passed 64 pages a word pair without reading its descriptor (session 32; Go's scavenger
     * index likewise skips chunks with nothing to release). It drops the heap lock every {@link #AGE_STEPS_PER_HOLD} steps. Its
     * position is a page index, so it resumes right whatever the lists did meanwhile: each run
     * wholly above the position is looked at once; a run that now reaches below it (it merged with
     * a run freed meanwhile) is looked at from its start; a run below it that changed is not looked
     * at again, and needs not be: a merge or a free gives it the current time (young), an
     * allocation's split-off rest is a new (start, length) that the release step's check skips,
     * and the next pass sees it. Walking by address, not the free lists, is what makes the resume
     * exact: a list position can be taken off its list while the lock is out.
     */
    private void collectAgeCandidates(long now, long minIdle) {
        long cursor = 0;
        lastAgeWalkRunsLookedAt = 0;
        while (true) {
            long visited = 0;
            boolean done = false;
            ensureAgeCandidateRoom(AGE_STEPS_PER_HOLD + 1);   // a hold looks at no more runs than that
            lock.lock();
            try {
                checkOpenLocked();
                long end = space.pageIndex(runsEnd);
                int steps = 0;
                if (cursor > 0 && cursor < end && space.free(cursor) && space.free(cursor - 1)) {
                    // The run at the position grew below it while the lock was out: look at it whole.
                    long s = freeRunAt(space.freeStretchStart(cursor));
                    maybeCandidate(s, now, minIdle);
                    visited++;
                    steps++;
                    cursor = space.pageIndex(Span.end(s));
                }
                while (true) {
                    if (cursor >= end) {
                        done = true;
                        break;
                    }
                    if (steps++ == AGE_STEPS_PER_HOLD) {
                        break;
                    }
                    long limit = Math.min(end, cursor + AGE_SCAN_PAGES_PER_STEP);
                    long q = space.nextFreeUnreleased(cursor, limit);
                    if (q < 0) {
                        cursor = limit;
                        continue;
                    }
                    // q may lie inside its run (the run's lower pages released); the run may then
                    // start below the cursor, never one looked at already: a run looked at ends at
                    // or below the cursor, and one that grew across it was looked at on resuming.
                    long s = freeRunAt(space.freeStretchStart(q));
                    maybeCandidate(s, now, minIdle);
                    visited++;
                    cursor = space.pageIndex(Span.end(s));
                }
            } finally {
                lock.unlock();
            }
            lastAgeWalkRunsLookedAt += visited;
            if (done) {
                return;
            }
            AgeWalkHook hook = betweenAgeHolds;
            if (hook != null) {
                hook.betweenHolds(visited, space.pageAddress(cursor));
            }
        }
    }

    /** Lock held, scavenge lock held: the FREE run that starts at page {@code q}, the first page of a free stretch. */
    private long freeRunAt(long q) {
        long start = space.pageAddress(q);
        long s = space.spanEntry(start);
        if (s == 0 || Span.state(s) != Span.FREE || Span.start(s) != start) {
            throw new IllegalStateException("mheap: the scavenger index says a free stretch starts at page 0x"
                    + Long.toHexString(start) + ", but that page maps to " + Span.describe(s));
        }
        return s;
    }

    /** Lock held: records run {@code s} if it is a candidate, in room {@link #ensureAgeCandidateRoom} made. */
    private void maybeCandidate(long s, long now, long minIdle) {
        long since = Mem.getLong(s + Span.FREE_SINCE);
        long n = Span.npages(s);
        if (now - since >= minIdle && space.countReleased(space.pageIndex(Span.start(s)), n) < n) {
            int at = ageCandidateCount++ * AGE_CANDIDATE_LONGS;
            long[] c = ageCandidates;
            c[at] = s;
            c[at + 1] = Span.start(s);
            c[at + 2] = n;
            c[at + 3] = since;
        }
    }

    /** Releases the unreleased pages of a SCAVENGING run (lock not held), then puts it back. */
    private long releaseRun(long s) {
        long start = Span.start(s);
        long n = Span.npages(s);
        long first = space.pageIndex(start);
        long osPage = space.osPage();
        long released = 0;
        int stretches = 0;
        long i = 0;
        while (i < n) {
            while (i < n && space.released(first + i)) {
                i++;
            }
            long j = i;
            while (j < n && !space.released(first + j)) {
                j++;
            }
            if (j > i) {
                // Round inward to OS pages: never release a byte outside the free run.
                long a = AddressSpace.roundUp(start + i * PAGE, osPage);
                long b = (start + j * PAGE) / osPage * osPage;
                long pa = (a - space.arenaBase + PAGE - 1) / PAGE;
                long pb = (b - space.arenaBase) / PAGE;
                if (pb > pa && releaseRange(space.pageAddress(pa), (pb - pa) * PAGE)) {
                    if (2 * stretches + 2 > releasedStretches.length) {
                        releasedStretches = Arrays.copyOf(releasedStretches, 2 * releasedStretches.length);
                    }
                    releasedStretches[2 * stretches] = pa;
                    releasedStretches[2 * stretches + 1] = pb - pa;
                    stretches++;
                    released += (pb - pa) * PAGE;
                }
            }
            i = j;
        }
        lock.lock();
        try {
            for (int k = 0; k < stretches; k++) {
                pagesReleased += space.setReleased(releasedStretches[2 * k], releasedStretches[2 * k + 1], true);
            }
            insertCoalesced(s);
        } finally {
            lock.unlock();
        }
        return released;
    }

    /**
     * One madvise with Go's fallbacks (TESTING F10/F11): EAGAIN is retried (bounded), EINVAL for
     * MADV_FREE switches to MADV_DONTNEED for good, and when madvise still fails the range is
     * replaced with fresh zero pages by mmap(MAP_FIXED) ({@link dev.gort.sys.OsMemory#remap}).
     * Pages count as released only after one of those calls succeeded.
     */
    private boolean releaseRange(long address, long bytes) {
        for (int attempt = 0; attempt < 4; attempt++) {
            Advice a = advice;
            try {
                releaseCalls++;
                // DONTNEED: the pages leave RSS now and read back zero. FREE: they leave RSS when
                // the kernel wants them (LazyFree until then); contents undefined.
                space.os().release(address, bytes, a);
                if (config.hardDecommit()) {
                    space.os().decommit(address, bytes); // PROT_NONE until a span covers it again
                }
                return true;
            } catch (NativeException e) {
                releaseErrors++;
                lastReleaseError = e.getMessage();
                if ("EAGAIN".equals(e.errnoName())) {
                    Thread.onSpinWait();
                    continue;
                }
                if ("EINVAL".equals(e.errnoName()) && a != Advice.DONTNEED) {
                    advice = Advice.DONTNEED;
                    continue;
                }
                return remapRange(address, bytes);
            } catch (UnsupportedOperationException e) {
                releaseErrors++;
                lastReleaseError = e.getMessage();
                advice = Advice.DONTNEED;
            }
        }
        return remapRange(address, bytes);
    }

    /**
     * harddecommit: makes a run read-write again before it is handed out. Released pages inside it
     * are PROT_NONE; the range is widened to whole OS pages (with OS pages larger than gort's 8 KiB
     * the free pages sharing an OS page with the span become accessible with it; {@link
     * #unmarkReleased} counts them resident, as they are once the span is written).
     */
    private void unfence(long start, long bytes) {
        long osPage = space.osPage();
        long a = start / osPage * osPage;
        long b = AddressSpace.roundUp(start + bytes, osPage);
        space.os().commit(a, b - a);
    }

    /** The last resort: fresh zero pages over the range (they read zero, like DONTNEED's). */
    private boolean remapRange(long address, long bytes) {
        try {
            releaseCalls++;
            space.os().remap(address, bytes);
            remaps++;
            if (config.hardDecommit()) {
                space.os().decommit(address, bytes);
            }
            return true;
        } catch (NativeException | UnsupportedOperationException e) {
            releaseErrors++;
            lastReleaseError = e.getMessage();
            return false;
        }
    }

    // ------------------------------------------------------------------ walking

    /**
     * Calls {@code visitor} for every run of the committed arena in address order (lock held, and
     * {@link #growLock} before it: a growth in {@link #ensureFit} moves the committed end before
     * its pages become a run).
     */
    void forEachRun(RunVisitor visitor) {
        long p = space.arenaBase;
        long end = space.arenaEnd();
        while (p < end) {
            long s = space.spanEntry(p);
            if (s == 0 || Span.start(s) != p || Span.npages(s) <= 0) {
                throw new IllegalStateException("verifyHeap: page 0x" + Long.toHexString(p)
                        + " does not start a run: spans entry is " + Span.describe(s));
            }
            visitor.visit(s);
            p = Span.end(s);
        }
    }

    interface RunVisitor {
        void visit(long span);
    }

    long freeListRuns() {
        long count = 0;
        for (int n = 1; n < EXACT_LISTS; n++) {
            for (long s = freeHeads[n]; s != 0; s = Span.next(s)) {
                if (Span.npages(s) != n || Span.state(s) != Span.FREE) {
                    throw new IllegalStateException("verifyHeap: free list " + n + " holds " + Span.describe(s));
                }
                count++;
            }
            boolean occupied = n < 64 ? (occupancyLo & (1L << n)) != 0 : (occupancyHi & (1L << (n - 64))) != 0;
            if (occupied != (freeHeads[n] != 0)) {
                throw new IllegalStateException("verifyHeap: occupancy bit of free list " + n + " is " + occupied);
            }
        }
        for (long s = freeLarge; s != 0; s = Span.next(s)) {
            if (Span.npages(s) < EXACT_LISTS || Span.state(s) != Span.FREE) {
                throw new IllegalStateException("verifyHeap: large free list holds " + Span.describe(s));
            }
            count++;
        }
        return count;
    }
}
