package dev.gort.gc;

/**
 * What marking needs from the heap, one method per question (the arena's GcSupport answers them;
 * an adapter over it is installed at bootstrap). Kept as an interface so the marker's logic reads as Go's
 * mgcmark.go does, free of the allocator's details.
 */
public interface MarkHeap {
    /** The in-use span containing {@code address}, or 0 (Go's spanOf). */
    long spanOf(long address);

    /** Base of the allocated object containing {@code address}, or 0 (Go's findObject). */
    long findObject(long address);

    /** Bytes per object of span {@code s} (the whole span for a large object). */
    long objectSize(long s);

    /** True if span {@code s} holds noscan objects (no pointer bits). */
    boolean isNoscan(long s);

    /** Sets the mark bit of the object at {@code base}; true if this call set it (greyed it). */
    boolean tryMark(long base);

    boolean isMarked(long base);

    /** The pointer bit of the heap word at {@code address}. */
    boolean isPointerWord(long address);

    /**
     * {@link #findObject} for an address known to lie in span {@code s} (as {@link #spanOf}
     * returned it): one span lookup per pointer. The default asks {@link #findObject}.
     */
    default long findObjectIn(long s, long address) {
        return findObject(address);
    }

    /** {@link #tryMark} for an object base known to lie in span {@code s}. */
    default boolean tryMarkIn(long s, long base) {
        return tryMark(base);
    }

    /**
     * The pointer bits of {@code words} (1..64) words from {@code address}, bit i for word i, zero
     * above {@code words}: scanobject reads 64 pointer bits at once. The default asks
     * {@link #isPointerWord} per word.
     */
    default long pointerBits(long address, int words) {
        long bits = 0;
        for (int i = 0; i < words; i++) {
            if (isPointerWord(address + ((long) i << 3))) {
                bits |= 1L << i;
            }
        }
        return bits;
    }

    /** {@link #markPointer} result flag: this call set the mark bit, so the caller greys the object. */
    long MARKED_NOW = 1;
    /** {@link #markPointer} result flag: the object is noscan (black at once, nothing to scan). */
    long MARKED_NOSCAN = 2;
    /**
     * {@link #markPointer} result: the object's base. Bits 56..63 are the heap's own size hint:
     * non-zero only for a small object whose size {@link #markedSize} reads from them alone. The
     * marker queues base | hint as the work-buffer entry, so scanning a small object needs no
     * span lookup (the low bit stays free for the marker's continuations).
     */
    long MARKED_BASE_MASK = ((1L << 56) - 1) & ~7L;

    /** Where an entry's size hint starts (bits 56..63, above {@link #MARKED_BASE_MASK}). */
    int SIZE_HINT_SHIFT = 56;

    /**
     * The size hint (an entry's bits 56..63) this heap gives every 16-byte object, or -1 if its
     * hints do not tell 16-byte objects apart. The marker's drain compares an entry's top byte with
     * it to pick the written-out scan of a two-word node, instead of a {@link #markedSize} lookup
     * per object.
     */
    default long sixteenByteHint() {
        return -1;
    }

    /** Exclusive upper bound of heap addresses {@link #MARKED_BASE_MASK} keeps whole: 2^56. */
    long ADDRESS_LIMIT = 1L << 56;

    /**
     * Checks that a heap reserved at {@code [base, base + length)} lies below {@link #ADDRESS_LIMIT},
     * which the work-buffer encoding assumes (the top byte of an entry holds the size-class hint). A
     * collector is built over a heap only after this check. Linux user space on x86-64 (4- or 5-level
     * paging) and arm64 ends at or below 2^56 today, so a real arena passes; the check makes the
     * assumption fail loudly at start-up instead of as mis-scanned objects on some future system.
     */
    static void checkAddressRange(long base, long length) {
        if (base < 0 || length < 0 || length > ADDRESS_LIMIT || base > ADDRESS_LIMIT - length) {
            throw new IllegalArgumentException("heap arena [0x" + Long.toHexString(base) + ", 0x"
                    + Long.toHexString(base + length) + ") (base + reservation of " + length
                    + " bytes) is not below 2^56 (0x" + Long.toHexString(ADDRESS_LIMIT) + "): the collector keeps a"
                    + " size-class hint in bits 56..63 of every mark work-buffer entry (MarkHeap.MARKED_BASE_MASK),"
                    + " so it accepts only heaps whose whole reservation lies below 2^56");
        }
    }

    /**
     * Go's greyobject lookup as one question: the object containing {@code p} with its mark bit set
     * by this call if it was clear. Returns 0 if {@code p} is not inside an allocated object (the
     * marker then asks {@link #spanOf} and {@link #findObjectIn} to report it), else the base (see
     * {@link #MARKED_BASE_MASK}) | {@link #MARKED_NOW} | {@link #MARKED_NOSCAN}. The default asks
     * the one-question methods; the arena answers in one pass over the span descriptor.
     */
    default long markPointer(long p) {
        long s = spanOf(p);
        long base = s == 0 ? 0 : findObjectIn(s, p);
        if (base == 0) {
            return 0;
        }
        return base | (tryMarkIn(s, base) ? MARKED_NOW : 0) | (isNoscan(s) ? MARKED_NOSCAN : 0);
    }

    /**
     * {@link #markPointer(long)} with a span cache the caller owns (a {@code long[]} of
     * {@code GcSupport.SPAN_CACHE_LONGS}, cleared with {@link #clearSpanCache} at the start of
     * every drain or scan: valid within one mark phase only). The default ignores the cache.
     */
    default long markPointer(long p, long[] spanCache) {
        return markPointer(p);
    }

    /** Where {@link #markPointer(long, long, long[])} leaves its answer for the paired pointer. */
    int PAIR_SECOND = 8;

    /**
     * {@link #markPointer} result flag of {@link #markPointer(long, long, long[])}: the second
     * pointer was marked by the same call and its answer is in {@code spanCache[PAIR_SECOND]}.
     */
    long MARKED_PAIRED = 4;

    /**
     * {@link #markPointer(long, long[])} of {@code p} that may also mark {@code q} (the next
     * pointer of the same object, 0 = none) in the same step, with one atomic when their objects'
     * mark bits share a word and {@code q} is its object's base: then the answer carries
     * {@link #MARKED_PAIRED} and {@code q}'s answer is in {@code spanCache[PAIR_SECOND]}, always
     * {@code q} with the first answer's flags ({@link #pairedAnswer}); otherwise {@code q} is
     * untouched (the caller marks it on its own). The default never pairs.
     */
    default long markPointer(long p, long q, long[] spanCache) {
        return markPointer(p, spanCache);
    }

    /**
     * The answer for {@code q} of a {@link #markPointer(long, long, long[])} answer {@code r}
     * that carries {@link #MARKED_PAIRED}: {@code q} (a base: only bases pair) with {@code r}'s
     * flags (same span: same class hint and noscan; the same call set both bits). Equal to
     * {@code spanCache[PAIR_SECOND]}, built from registers: the marker scans this object next,
     * and a store and reload of the cache slot would sit in its dependency chain.
     */
    static long pairedAnswer(long r, long q) {
        return q | (r & ~MARKED_BASE_MASK & ~MARKED_PAIRED);
    }

    /** Empties a span cache for {@link #markPointer(long, long[])}. */
    default void clearSpanCache(long[] spanCache) {
    }

    /**
     * Writes the mark bits that lookups through {@code spanCache} left pending (the arena sets
     * them up to two mark words at a time, see {@code GcSupport.markPointer(long, long, long[])}) and
     * returns the bytes of objects those lookups answered {@link #MARKED_NOW} for that another
     * marker had marked first (greyed twice; the caller subtracts them from its marked bytes).
     * Every drain and scan calls it before it returns. The default has nothing pending.
     */
    default long flushMarks(long[] spanCache) {
        return 0;
    }

    /** The object size of a non-zero {@link #markPointer} result. */
    default long markedSize(long marked) {
        return objectSize(spanOf(marked & MARKED_BASE_MASK));
    }

    /** True if {@code address} lies in the heap's reserved arena (so a pointer there must be valid). */
    boolean inArena(long address);

    /** A one-line description of span {@code s} for error messages. */
    String describeSpan(long s);
}
