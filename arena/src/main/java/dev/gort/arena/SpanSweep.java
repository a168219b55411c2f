package dev.gort.arena;

import dev.gort.sys.NativeMemory;

/**
 * Sweeping a small span: recompute which slots are allocated from what happened since the last
 * sweep, in one pass over the span's bitmaps (at most 16 words).
 *
 * <ul>
 * <li>allocated = allocBits | (slots below freeIndex)</li>
 * <li>freed     = localFreed | remoteFreed (manual mode), both cleared; remote words are taken
 *     with an atomic exchange because other threads OR into them concurrently</li>
 * <li>live      = allocated &amp; ~freed, and in GC mode also &amp; gcmarkBits (unmarked objects die;
 *     the mark bits are then cleared for the next cycle: Go's "gcmarkBits become allocBits")</li>
 * </ul>
 *
 * Then allocBits = live, freeIndex = 0, allocCache = ~allocBits[0], allocCount = popcount(live),
 * needzero = 1 if anything was freed. freeIndex is written last with release semantics: a thread
 * that validates a free reads freeIndex with acquire and then sees the new allocBits (see
 * {@link MCache#free}). A freed bit that names a slot that was not allocated (a double free that
 * raced past the check at free time) is dropped and counted as a late invalid free; it never
 * changes the counts.
 *
 * <p>The pending-free bitmaps live outside the descriptor ({@link AddressSpace#freedBits}); the
 * sweep reads them only when the span's pending counts are not both zero. A set bit always has
 * its count (the owner counts with its store; another thread announces before its OR, and the
 * sweep lowers remotePending only by the bits it took), so no count means no bit, and a heap that
 * never frees explicitly never touches those pages. A remote free that announces after the check
 * is folded by the next sweep, as one that came after the sweep would be.
 *
 * <p>The caller owns the span exclusively for allocation: the mcache that caches it, the thread
 * that claimed it off an mcentral list (a GC sweep runs with no lock held, see MCentral), or the
 * mcentral under its lock (manual mode's pending frees on listed spans).
 */
final class SpanSweep {
    private SpanSweep() {
    }

    static final int FIELD_BITS = 16;
    static final long FIELD_MASK = (1L << FIELD_BITS) - 1;

    /** Result packing: freed total | gcFreed &lt;&lt; 16 | late-bad &lt;&lt; 32 | live &lt;&lt; 48. */
    static int freedTotal(long r) {
        return (int) (r & FIELD_MASK);
    }

    static int gcFreed(long r) {
        return (int) ((r >>> 16) & FIELD_MASK);
    }

    static int lateBad(long r) {
        return (int) ((r >>> 32) & FIELD_MASK);
    }

    static int live(long r) {
        return (int) ((r >>> 48) & FIELD_MASK);
    }

    static boolean hasPending(long s) {
        return Mem.getInt(s + Span.LOCAL_PENDING) != 0 || NativeMemory.getLongVolatile(s + Span.REMOTE_PENDING) != 0;
    }

    /** {@code freedPair}: the span's pending-free pair ({@link AddressSpace#freedBits}). */
    static long sweep(long s, long freedPair, boolean useMarks, boolean clobber) {
        int nelems = Span.nelems(s);
        int fi = Mem.getInt(s + Span.FREE_INDEX);
        long a = Mem.getLong(s + Span.ALLOC_BITS);
        long m = Mem.getLong(s + Span.GCMARK_BITS);
        boolean pending = hasPending(s);
        long l = freedPair + Span.LOCAL_FREED;
        long r = freedPair + Span.REMOTE_FREED;
        int words = (nelems + 63) >>> 6;
        int prevAlloc = 0, live = 0, gcFreed = 0, bad = 0, consumedRemote = 0;
        for (int w = 0; w < words; w++) {
            long off = (long) w << 3;
            int lo = w << 6;
            long allocated = Mem.getLong(a + off);
            if (fi > lo) {
                allocated |= fi - lo >= 64 ? -1L : (1L << (fi - lo)) - 1;
            }
            if (nelems - lo < 64) {
                allocated &= (1L << (nelems - lo)) - 1;
            }
            long local = 0, remote = 0;
            if (pending) {
                local = Mem.getLong(l + off);
                if (local != 0) {
                    Mem.putLong(l + off, 0);
                }
                remote = NativeMemory.getLongVolatile(r + off);
                if (remote != 0) {
                    remote = (long) NativeMemory.LONG_HANDLE.getAndSet(NativeMemory.ALL, r + off, 0L);
                    consumedRemote += Long.bitCount(remote);
                }
            }
            long freed = local | remote;
            bad += Long.bitCount(freed & ~allocated) + Long.bitCount(local & remote);
            long keep = allocated & ~freed;
            if (useMarks) {
                long marks = Mem.getLong(m + off);
                long dead = keep & ~marks;
                gcFreed += Long.bitCount(dead);
                if (clobber && dead != 0) {
                    poisonSlots(s, lo, dead);
                }
                keep &= marks;
                Mem.putLong(m + off, 0);
            }
            Mem.putLong(a + off, keep);
            prevAlloc += Long.bitCount(allocated);
            live += Long.bitCount(keep);
        }
        if (consumedRemote != 0) {
            NativeMemory.getAndAddLong(s + Span.REMOTE_PENDING, -consumedRemote);
        }
        Mem.putInt(s + Span.LOCAL_PENDING, 0);
        Mem.putInt(s + Span.ALLOC_COUNT, live);
        Mem.putLong(s + Span.ALLOC_CACHE, ~Mem.getLong(a));
        if (live < prevAlloc) {
            Mem.putInt(s + Span.NEEDZERO, 1);
        }
        NativeMemory.putIntRelease(s + Span.FREE_INDEX, 0);
        return (prevAlloc - live) | (long) gcFreed << 16 | (long) bad << 32 | (long) live << 48;
    }

    private static void poisonSlots(long s, int lo, long dead) {
        int es = Span.elemSize(s);
        long start = Span.start(s);
        while (dead != 0) {
            int b = Long.numberOfTrailingZeros(dead);
            dead &= dead - 1;
            Zeroing.poison(start + (long) (lo + b) * es, es);
        }
    }

    /** Number of allocated slots by the bitmaps (allocBits | below freeIndex), for verification. */
    static int countAllocated(long s) {
        int nelems = Span.nelems(s);
        int n = 0;
        for (int i = 0; i < nelems; i++) {
            if (Span.allocated(s, i)) {
                n++;
            }
        }
        return n;
    }
}
