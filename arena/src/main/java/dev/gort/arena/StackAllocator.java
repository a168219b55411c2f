package dev.gort.arena;

import dev.gort.sys.NativeMemory;

/**
 * Native segments for goroutine shadow stacks: power-of-two sizes from {@link #MIN_STACK}
 * (2 KiB, Go's stackMin) up to the configured maximum, taken from the heap's pages and pooled per
 * size (Go's stackpool / stackLarge).
 *
 * <ul>
 * <li>2, 4, 8 and 16 KiB segments are carved out of 32 KiB stack spans (Go's _StackCacheSize and
 *     its four stack orders); a per-order list holds the spans with a free segment. A span whose
 *     segments are all free goes back to the heap unless it is the only one left for its order.</li>
 * <li>32 KiB and larger segments are spans of their own; freed ones wait in a per-size pool until
 *     {@link Heap#freeOSMemory()} (or {@link #flushPools()}) returns them to the heap.</li>
 * </ul>
 *
 * Every segment handed out is zeroed (fresh pages are known zero and not touched). A request is
 * rounded up to a power of two; {@link #free} takes the same {@code bytes} as {@link #alloc}.
 * Freeing twice, or an address that is not a segment of that size, raises
 * IllegalArgumentException and changes nothing. Each span taken from or returned to the page heap
 * (what moves MemStats.StackInuse) is counted ({@link GcSupport#stackSpanChanges}): a trigger armed
 * under a memory limit follows the stacks through that count. One lock (stack allocation is per goroutine, not
 * per object; a per-P stack cache as in Go is future work).
 */
public final class StackAllocator {
    public static final long MIN_STACK = 2048;
    static final int ORDERS = 4;
    static final long POOL_SPAN_BYTES = 32 << 10;
    static final long POOL_SPAN_PAGES = POOL_SPAN_BYTES / SizeClasses.PAGE_SIZE;

    private final Heap heap;
    private final long maxStack;
    private final long[] poolHeads = new long[ORDERS];
    private final long[] largePools = new long[64];

    StackAllocator(Heap heap) {
        this.heap = heap;
        this.maxStack = heap.config.maxStackBytes();
    }

    /** The segment size {@code bytes} is rounded to. */
    public long segmentSize(long bytes) {
        if (bytes <= 0 || bytes > maxStack) {
            throw new IllegalArgumentException("stack size " + bytes + " is out of range: accepted 1 to " + maxStack
                    + " bytes (rounded up to a power of two, at least " + MIN_STACK + ")");
        }
        return Math.max(MIN_STACK, roundPow2(bytes));
    }

    private static long roundPow2(long v) {
        return v <= 1 ? 1 : Long.highestOneBit(v - 1) << 1;
    }

    /** A zeroed segment of at least {@code bytes} (a power of two from 2 KiB). */
    public synchronized long alloc(long bytes) {
        heap.checkOpen();
        long size = segmentSize(bytes);
        if (size < POOL_SPAN_BYTES) {
            return allocSmall(size);
        }
        int lg = Long.numberOfTrailingZeros(size);
        long s = largePools[lg];
        if (s != 0) {
            largePools[lg] = Span.next(s);
            Mem.putLong(s + Span.NEXT, 0);
            Span.setList(s, Span.LIST_NONE);
            Mem.putInt(s + Span.ALLOC_COUNT, 1);
            Zeroing.zero(Span.start(s), size);
            return Span.start(s);
        }
        s = heap.mheap.allocSpan(size / SizeClasses.PAGE_SIZE, Span.STACK);
        heap.noteStackSpansChanged();
        Mem.putInt(s + Span.NELEMS, 1);
        Mem.putInt(s + Span.ALLOC_COUNT, 1);
        if (Mem.getInt(s + Span.NEEDZERO) != 0) {
            Zeroing.zero(Span.start(s), size);
        }
        return Span.start(s);
    }

    private long allocSmall(long size) {
        int order = Long.numberOfTrailingZeros(size) - Long.numberOfTrailingZeros(MIN_STACK);
        long s = poolHeads[order];
        if (s == 0) {
            s = heap.mheap.allocSpan(POOL_SPAN_PAGES, Span.STACK);
            heap.noteStackSpansChanged();
            Mem.putInt(s + Span.ELEM_SIZE, (int) size);
            Mem.putInt(s + Span.NELEMS, (int) (POOL_SPAN_BYTES / size));
            push(order, s);
        }
        int nelems = Span.nelems(s);
        long inUse = Mem.getLong(s + Span.BITS_A);
        long used = Mem.getLong(s + Span.BITS_B);
        int idx = Long.numberOfTrailingZeros(~inUse);
        Mem.putLong(s + Span.BITS_A, inUse | (1L << idx));
        Mem.putLong(s + Span.BITS_B, used | (1L << idx));
        int count = Mem.getInt(s + Span.ALLOC_COUNT) + 1;
        Mem.putInt(s + Span.ALLOC_COUNT, count);
        if (count == nelems) {
            unlink(order, s);
        }
        long p = Span.start(s) + idx * size;
        if ((used & (1L << idx)) != 0 || Mem.getInt(s + Span.NEEDZERO) != 0) {
            Zeroing.zero(p, size);
        }
        return p;
    }

    /** Returns a segment; {@code bytes} must be what was passed to {@link #alloc}. */
    public synchronized void free(long address, long bytes) {
        heap.checkOpen();
        long size = segmentSize(bytes);
        long s = stackSpanOf(address);
        if (s == 0) {
            throw new IllegalArgumentException("stack free of 0x" + Long.toHexString(address)
                    + ": not in a stack segment (" + describeAt(address) + ")");
        }
        if (size < POOL_SPAN_BYTES) {
            if (Span.elemSize(s) != size) {
                throw new IllegalArgumentException("stack free of 0x" + Long.toHexString(address) + " with size "
                        + bytes + " (segment " + size + " B): the segment there is " + Span.elemSize(s) + " B");
            }
            long off = address - Span.start(s);
            if (off % size != 0) {
                throw new IllegalArgumentException("stack free of 0x" + Long.toHexString(address)
                        + ": not the start of a " + size + " B segment");
            }
            int idx = (int) (off / size);
            long inUse = Mem.getLong(s + Span.BITS_A);
            if ((inUse & (1L << idx)) == 0) {
                throw new IllegalArgumentException("stack double free of 0x" + Long.toHexString(address) + " ("
                        + size + " B segment " + idx + " of " + Span.describe(s) + ")");
            }
            Mem.putLong(s + Span.BITS_A, inUse & ~(1L << idx));
            int order = Long.numberOfTrailingZeros(size) - Long.numberOfTrailingZeros(MIN_STACK);
            int count = Mem.getInt(s + Span.ALLOC_COUNT) - 1;
            Mem.putInt(s + Span.ALLOC_COUNT, count);
            if (count == Span.nelems(s) - 1) {
                push(order, s); // was full, now has a free segment
            }
            if (count == 0 && !(poolHeads[order] == s && Span.next(s) == 0)) {
                unlink(order, s);
                heap.mheap.freeSpan(s);
                heap.noteStackSpansChanged();
            }
            return;
        }
        if (Span.start(s) != address || Span.bytes(s) != size) {
            throw new IllegalArgumentException("stack free of 0x" + Long.toHexString(address) + " with size " + bytes
                    + ": the segment there is " + Span.describe(s));
        }
        if (Mem.getInt(s + Span.ALLOC_COUNT) != 1) {
            throw new IllegalArgumentException("stack double free of 0x" + Long.toHexString(address) + " ("
                    + Span.describe(s) + ")");
        }
        Mem.putInt(s + Span.ALLOC_COUNT, 0);
        int lg = Long.numberOfTrailingZeros(size);
        Mem.putLong(s + Span.NEXT, largePools[lg]);
        Span.setList(s, Span.LIST_STACK);
        largePools[lg] = s;
    }

    /** Returns every pooled (free) large segment and every empty small-stack span to the heap. */
    public synchronized long flushPools() {
        long bytes = 0;
        for (int lg = 0; lg < largePools.length; lg++) {
            long s = largePools[lg];
            while (s != 0) {
                long next = Span.next(s);
                bytes += Span.bytes(s);
                Span.setList(s, Span.LIST_NONE);
                heap.mheap.freeSpan(s);
                heap.noteStackSpansChanged();
                s = next;
            }
            largePools[lg] = 0;
        }
        for (int order = 0; order < ORDERS; order++) {
            long s = poolHeads[order];
            while (s != 0) {
                long next = Span.next(s);
                if (Mem.getInt(s + Span.ALLOC_COUNT) == 0) {
                    unlink(order, s);
                    bytes += Span.bytes(s);
                    heap.mheap.freeSpan(s);
                    heap.noteStackSpansChanged();
                }
                s = next;
            }
        }
        return bytes;
    }

    private long stackSpanOf(long address) {
        AddressSpace sp = heap.space;
        if (address < sp.arenaBase || address >= sp.arenaBase + sp.arenaCommitted) {
            return 0;
        }
        long s = sp.spanEntry(address);
        if (s == 0 || Span.state(s) != Span.STACK || address < Span.start(s) || address >= Span.end(s)) {
            return 0;
        }
        return s;
    }

    private String describeAt(long address) {
        AddressSpace sp = heap.space;
        if (address < sp.arenaBase || address >= sp.arenaBase + sp.arenaCommitted) {
            return "outside the committed arena";
        }
        long s = sp.spanEntry(address);
        return s == 0 ? "inside a free run" : Span.describe(s);
    }

    private void push(int order, long s) {
        long head = poolHeads[order];
        Mem.putLong(s + Span.PREV, 0);
        Mem.putLong(s + Span.NEXT, head);
        if (head != 0) {
            Mem.putLong(head + Span.PREV, s);
        }
        poolHeads[order] = s;
        Span.setList(s, Span.LIST_STACK);
    }

    private void unlink(int order, long s) {
        long next = Span.next(s);
        long prev = Span.prev(s);
        if (prev != 0) {
            Mem.putLong(prev + Span.NEXT, next);
        } else {
            poolHeads[order] = next;
        }
        if (next != 0) {
            Mem.putLong(next + Span.PREV, prev);
        }
        Mem.putLong(s + Span.NEXT, 0);
        Mem.putLong(s + Span.PREV, 0);
        Span.setList(s, Span.LIST_NONE);
    }
}
