package dev.gort.arena;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Go's mheap.reclaim: before the mheap hands out a fresh run while a sweep cycle is unfinished,
 * free the spans in which no object was marked, wherever they sit in the arena, until a run
 * fits or the arena has been walked once in this cycle. A span with a marked object frees no
 * page when swept, so it is left to the sweepers.
 *
 * <p>Go finds dead spans through per-arena bitmaps (pageInUse and ~pageMarks) that marking keeps
 * up to date; gort walks the spans region instead, which the marker never writes: a page that
 * starts an in-use (or large) span still unswept ({@code sweepgen == sg - 2}) whose mark bits are
 * all zero is a candidate, claimed under its owner's lock (the mcentral's, or the mheap's for a
 * large span) with every condition checked again there, then swept, which frees it. The walk's
 * cursor ({@link #index}, Go's reclaimIndex) is shared by every reclaimer and advances in
 * {@link #CHUNK_PAGES}-page chunks, so one sweep cycle walks the arena at most once, whatever
 * the number of calls: reading an 8-byte spans entry per page (the interior pages of a span are
 * skipped), about 3 MB for a 3 GiB heap, plus the descriptor of each span start.
 *
 * <p>The session 10 version swept spans of any class in list order, live ones included, and gave
 * up after 1024 spans: behind 1024 partly live spans it grew the heap while dead ones waited
 * (ReclaimTest).
 */
final class Reclaimer {
    /** Pages per claim of the cursor (Go's pagesPerReclaimerChunk). */
    static final long CHUNK_PAGES = 512;

    private final Heap heap;
    private final AddressSpace space;
    /** Next arena page to look at in the current sweep cycle; reset when a sweep cycle starts. */
    private final AtomicLong index = new AtomicLong();

    Reclaimer(Heap heap) {
        this.heap = heap;
        this.space = heap.space;
    }

    /**
     * A sweep cycle starts (sweepgen was just bumped, with no allocator running: mark termination
     * or a caller that flushed every cache): the walk starts over. A reclaimer of the previous
     * cycle still walking claims nothing, since its claims check sweepgen under the owner's lock.
     */
    void cycleStarted() {
        index.set(0);
    }

    /**
     * Claims the next chunk of the walk and frees the dead unswept spans that start in it.
     * Returns the pages freed, or -1 when the walk has covered the committed arena.
     */
    long reclaimChunk(long sg) {
        long committedPages = space.arenaCommitted / SizeClasses.PAGE_SIZE;
        long first = index.getAndAdd(CHUNK_PAGES);
        if (first >= committedPages) {
            return -1;
        }
        long end = Math.min(first + CHUNK_PAGES, committedPages);
        long freed = 0;
        long page = first;
        while (page < end) {
            long address = space.pageAddress(page);
            long s = space.spanEntry(address);
            long n;
            // Read with no lock: the fields may be changing. Only a consistent start is followed
            // (its pages skipped); the claim checks everything again under the owner's lock.
            if (s == 0 || Span.start(s) != address || (n = Span.npages(s)) <= 0) {
                page++;
                continue;
            }
            int state = Span.state(s);
            if ((state == Span.IN_USE || state == Span.LARGE) && Mem.getLong(s + Span.SWEEPGEN) == sg - 2 && noMarks(space, s)) {
                if (state == Span.LARGE) {
                    freed += reclaimLargeIfDead(s, sg);
                } else {
                    // A span being set up (Span.init zeroed it, MCentral.initSpan not yet run)
                    // reads class 0 and sweepgen 0: no mcentral to ask.
                    int spc = Span.spanClass(s);
                    if (spc >= 2 && spc < SizeClasses.NUM_SPAN_CLASSES) {
                        freed += heap.central(spc).reclaimIfDead(s, sg);
                    }
                }
            }
            page += n;
        }
        return freed;
    }

    /**
     * Whether no slot of span {@code s} is marked (for a large span: its one object). Read with no
     * lock by the walk, so only the descriptor's own mark bitmap (inline bits B, or its wide
     * pair's) is read, and the word count is clamped to that bitmap's size: a descriptor being set up ({@link Span#init} zeroes it, then
     * writes start, npages and state before the bitmap pointers) can read as an unswept in-use or
     * large span whose mark-bits pointer is still 0 (sweepgen 0 is {@code sg - 2} in the first
     * sweep cycle); such a span counts as marked (not a candidate), and reading through that 0
     * killed the JVM (ReclaimHalfInitTest).
     */
    static boolean noMarks(AddressSpace space, long s) {
        long marks = Mem.getLong(s + Span.GCMARK_BITS);
        long wideMarks = space.wideBits(s) + Span.WIDE_MARK;
        if (marks != s + Span.BITS_B && marks != wideMarks) {
            return false;
        }
        if (Span.state(s) == Span.LARGE) {
            return (Mem.getLong(marks) & 1) == 0;
        }
        int capacity = marks == wideMarks ? Span.BITMAP_BYTES : Span.INLINE_BITMAP_BYTES;
        int words = Math.min((Span.nelems(s) + 63) >>> 6, capacity / 8);
        for (int w = 0; w < words; w++) {
            if (Mem.getLong(marks + ((long) w << 3)) != 0) {
                return false;
            }
        }
        return true;
    }

    /** A large span on the unswept list whose object is unmarked: freed to the mheap; returns its pages, else 0. */
    private long reclaimLargeIfDead(long s, long sg) {
        MHeap h = heap.mheap;
        h.lock.lock();
        try {
            if (heap.sweepgen != sg || Span.state(s) != Span.LARGE || !h.onUnsweptLargeList(s)
                    || Mem.getLong(s + Span.SWEEPGEN) != sg - 2 || !noMarks(space, s)) {
                return 0;
            }
            long n = Span.npages(s);
            h.removeLarge(s);
            heap.gc.freeUnmarkedLargeLocked(s);
            return n;
        } finally {
            h.lock.unlock();
        }
    }
}
