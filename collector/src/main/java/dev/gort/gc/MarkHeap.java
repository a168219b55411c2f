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

    /** True if {@code address} lies in the heap's reserved arena (so a pointer there must be valid). */
    boolean inArena(long address);

    /** A one-line description of span {@code s} for error messages. */
    String describeSpan(long s);
}
