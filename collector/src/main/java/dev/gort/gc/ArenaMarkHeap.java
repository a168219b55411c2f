package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.SizeClasses;

/** {@link MarkHeap} over the arena's {@link GcSupport}: the production heap the marker sees. */
public final class ArenaMarkHeap implements MarkHeap {
    private final Heap heap;
    private final GcSupport gc;
    private final long arenaBase;
    private final long arenaEnd;

    /** @throws IllegalArgumentException if the arena reaches 2^56 (see {@link MarkHeap#checkAddressRange}) */
    public ArenaMarkHeap(Heap heap) {
        MarkHeap.checkAddressRange(heap.arenaBase(), heap.config().arenaReservation());
        this.heap = heap;
        this.gc = heap.gc();
        this.arenaBase = heap.arenaBase();
        this.arenaEnd = heap.arenaBase() + heap.config().arenaReservation();
    }

    @Override
    public long spanOf(long address) {
        return gc.spanOf(address);
    }

    @Override
    public long findObject(long address) {
        return gc.findObject(address);
    }

    @Override
    public long objectSize(long s) {
        return gc.objectSize(s);
    }

    @Override
    public boolean isNoscan(long s) {
        return gc.isNoscan(s);
    }

    @Override
    public boolean tryMark(long base) {
        return gc.tryMark(base);
    }

    @Override
    public boolean isMarked(long base) {
        return gc.isMarked(base);
    }

    @Override
    public boolean isPointerWord(long address) {
        return gc.isPointerWord(address);
    }

    @Override
    public long findObjectIn(long s, long address) {
        return gc.findObjectIn(s, address);
    }

    @Override
    public boolean tryMarkIn(long s, long base) {
        return gc.tryMarkIn(s, base);
    }

    @Override
    public long pointerBits(long address, int words) {
        return gc.pointerBits(address, words);
    }

    static {
        if (GcSupport.MARKED_NOW != MARKED_NOW || GcSupport.MARKED_NOSCAN != MARKED_NOSCAN
                || GcSupport.MARKED_BASE_MASK != MARKED_BASE_MASK
                || GcSupport.MARKED_PAIRED != MARKED_PAIRED || GcSupport.PAIR_SECOND != PAIR_SECOND
                || GcSupport.MARKED_CLASS_SHIFT != SIZE_HINT_SHIFT || SizeClasses.classToSize(SizeClasses.sizeToClass(16)) != 16) {
            throw new ExceptionInInitializerError("GcSupport.markPointer's result encoding differs from MarkHeap's");
        }
    }

    /** GcSupport's one-pass lookup; its encoding is MarkHeap's (checked above). */
    @Override
    public long markPointer(long p) {
        return gc.markPointer(p);
    }

    /** GcSupport's lookup with a one-span cache (see {@link GcSupport#markPointer(long, long[])}). */
    @Override
    public long markPointer(long p, long[] spanCache) {
        return gc.markPointer(p, spanCache);
    }

    /** GcSupport's lookup that may mark the next pointer with the same CAS (see {@link GcSupport#markPointer(long, long, long[])}). */
    @Override
    public long markPointer(long p, long q, long[] spanCache) {
        return gc.markPointer(p, q, spanCache);
    }

    @Override
    public void clearSpanCache(long[] spanCache) {
        GcSupport.clearSpanCache(spanCache);
    }

    @Override
    public long flushMarks(long[] spanCache) {
        return GcSupport.flushMarks(spanCache);
    }

    /** A 16-byte object's hint is its size class (see {@link #markedSize}). */
    @Override
    public long sixteenByteHint() {
        return SizeClasses.sizeToClass(16);
    }

    /** Small objects carry their size class in the result's top byte: no span lookup. */
    @Override
    public long markedSize(long marked) {
        int cls = (int) (marked >>> GcSupport.MARKED_CLASS_SHIFT);
        return cls != 0 ? SizeClasses.classToSize(cls) : gc.objectSize(gc.spanOf(marked & MARKED_BASE_MASK));
    }

    @Override
    public boolean inArena(long address) {
        return address >= arenaBase && address < arenaEnd;
    }

    @Override
    public String describeSpan(long s) {
        if (s == 0) {
            return "no in-use span";
        }
        long start = gc.spanStart(s);
        int cls = gc.sizeClass(s);
        return "span 0x" + Long.toHexString(s) + " [0x" + Long.toHexString(start) + "..) "
                + (cls == 0 ? "large object of " + gc.objectSize(s) + " B" : "sizeclass " + cls + " (" + gc.objectSize(s) + " B"
                + (gc.isNoscan(s) ? ", noscan)" : ", scan)"));
    }

    public Heap heap() {
        return heap;
    }
}
