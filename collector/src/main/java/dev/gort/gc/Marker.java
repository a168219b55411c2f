package dev.gort.gc;

import dev.gort.sys.NativeMemory;

import java.util.BitSet;

/**
 * Greying and scanning (Go's mgcmark.go: greyobject, scanobject, gcDrain, markroot), independent
 * of how the cycle is driven.
 *
 * <p>Grey an object: find its base (interior pointers are legal and mark the base object), set its
 * mark bit; only the caller that set the bit enqueues it. The scan loop's bits are set a mark
 * word at a time (pending in the gcWork's span cache, which holds the two words used last, until
 * a third word pushes one out or the drain ends, see GcSupport.markPointer(p, q, cache)), so a second marker that reads a pending object's bit
 * clear greys it too: an object is scanned once per marker at most, its bytes counted once
 * (the drain's flushMarks). Noscan objects are black at once (nothing to scan).
 *
 * <p>Scan an object: for every word whose bit is set in the arena's pointer bitmap, load it and grey
 * what it points to. Scan work is counted in bytes of the object, as Go's heapScanWork.
 *
 * <p>Checkmark mode (gccheckmark=1): after the concurrent mark, with the world stopped, the heap is
 * traversed again from the roots using separate checkmark bits; every object reached must already
 * carry its mark bit. One that does not is a reachable object the concurrent mark missed (a barrier
 * bug): that is reported with the object, its span and its referrer.
 */
public final class Marker {
    /** Large objects are scanned in pieces of at most this many bytes (Go's maxObletBytes). */
    public static final long MAX_OBLET_BYTES = 128 << 10;

    private final MarkHeap heap;
    /** {@link MarkHeap#sixteenByteHint} of the heap (-1: none), which the drain's loop compares entries' top byte with. */
    private final long hint16;
    private volatile boolean invalidPtrFatal = true;

    /** Non-null while a checkmark traversal runs (world stopped, single thread). */
    private BitSet checkmarks;
    private long checkmarkBase;

    public Marker(MarkHeap heap) {
        this.heap = heap;
        this.hint16 = heap.sixteenByteHint();
    }

    public MarkHeap heap() {
        return heap;
    }

    /** invalidptr=0 ignores bad pointers instead of throwing. */
    public void setInvalidPtrFatal(boolean fatal) {
        invalidPtrFatal = fatal;
    }

    /** Greys whatever {@code p} points into (a write-barrier shade). */
    public void shade(long p, GcWork w) {
        greyObject(p, 0, -1, w);
    }

    /**
     * Greys the object containing {@code p}, found in {@code referrer} at {@code offset}
     * (referrer 0 = a root or a barrier; offset -1 = unknown).
     */
    public void greyObject(long p, long referrer, long offset, GcWork w) {
        if (checkmarks == null && greyFast(p, w)) {
            return;
        }
        long s = heap.spanOf(p);
        long base = s == 0 ? 0 : heap.findObjectIn(s, p);
        if (base == 0) {
            badPointer(p, s, referrer, offset, null);
            return;
        }
        greyFound(base, s, referrer, offset, null, -1, -1, w);
    }

    /**
     * The greyobject fast path: one {@link MarkHeap#markPointer} lookup; the caller that set the
     * mark bit counts the bytes and queues a scan object. False when {@code p} is not inside an
     * allocated object: the caller's slow path looks again and reports the bad pointer with its
     * referrer (or, had a racing allocation since made it valid, greys it).
     */
    private boolean greyFast(long p, GcWork w) {
        long r = heap.markPointer(p);
        if (r == 0) {
            return false;
        }
        if ((r & MarkHeap.MARKED_NOW) != 0) {
            w.bytesMarked += heap.markedSize(r);
            if ((r & MarkHeap.MARKED_NOSCAN) == 0) {
                w.put(r & ~(MarkHeap.MARKED_NOW | MarkHeap.MARKED_NOSCAN));     // base + the heap's size hint
            }
        }
        return true;
    }

    /** Greys a root value held by {@code root} (a description used only in error messages). */
    public void greyRoot(long p, String root, GcWork w) {
        if (p == 0) {
            return;
        }
        if (checkmarks == null && greyFast(p, w)) {
            return;
        }
        long s = heap.spanOf(p);
        long base = s == 0 ? 0 : heap.findObjectIn(s, p);
        if (base == 0) {
            badPointer(p, s, 0, -1, root);
            return;
        }
        greyFound(base, s, 0, -1, root, -1, -1, w);
    }

    /** Scans {@code n} consecutive root pointer slots at {@code address}; returns bytes scanned. */
    public long scanRootSlots(long address, long n, String what, GcWork w) {
        return scanRootSlots(address, n, what, -1, w);
    }

    /**
     * Scans {@code n} root slots held by {@code owner} {@code id} ("goroutine", 17; id -1 = none);
     * the description is built only if something is wrong. Returns bytes scanned.
     */
    public long scanRootSlots(long address, long n, String owner, long id, GcWork w) {
        for (long i = 0; i < n; i++) {
            long v = NativeMemory.getLong(address + (i << 3));
            if (v != 0) {
                if (checkmarks == null && greyFast(v, w)) {
                    continue;
                }
                long s = heap.spanOf(v);
                long base = s == 0 ? 0 : heap.findObjectIn(s, v);
                if (base == 0) {
                    badPointer(v, s, 0, -1, rootName(owner, id, i));
                    continue;
                }
                greyFound(base, s, 0, -1, owner, id, i, w);
            }
        }
        return n << 3;
    }

    private static String rootName(String owner, long id, long slot) {
        return owner + (id >= 0 ? " " + id : "") + " slot " + slot;
    }

    private void greyFound(long base, long s, long referrer, long offset, String root, long rootId, long rootSlot, GcWork w) {
        if (checkmarks != null) {
            checkmarkGrey(base, s, referrer, offset, root == null ? null : rootSlot >= 0 ? rootName(root, rootId, rootSlot) : root, w);
            return;
        }
        if (!heap.tryMarkIn(s, base)) {
            return;
        }
        w.bytesMarked += heap.objectSize(s);
        if (!heap.isNoscan(s)) {
            w.put(base);
        }
    }

    /**
     * Scans one grey object; returns the bytes scanned (its size). The pointer bitmap is read 64
     * words at a time and only the words whose bit is set are loaded (Go's scanobject walks the
     * heap bitmap the same way), so a 16-byte node costs one bitmap load, not one call per word.
     */
    public long scanObject(long obj, GcWork w) {
        return scanObject(obj, w, null);
    }

    /**
     * {@link #scanObject(long, GcWork)} that a stop-the-world or a flush request can interrupt: every
     * {@link #PREEMPT_CHECK_BYTES} it asks {@code preempt} (null: never) and, if told to stop,
     * queues the unscanned rest as a continuation and returns the bytes scanned so far. One oblet
     * of a pointer table (128 KiB, 16384 pointers, each a cache miss into a random span) was
     * measured holding a stop-the-world up for 10-20 ms inside a mutator's assist.
     */
    public long scanObject(long obj, GcWork w, java.util.function.BooleanSupplier preempt) {
        heap.clearSpanCache(w.spanCache);
        long work0 = w.heapScanWork;
        try {
            long next = scanNext(obj, w, preempt);
            if (next != 0) {
                w.put(next);
            }
            return w.heapScanWork - work0;
        } finally {
            flushMarks(w);
        }
    }

    /**
     * Writes the mark bits the span cache holds pending (every drain and scan ends with this, so
     * no bit stays pending outside one: mark termination, the sweep and checkmark read the bits
     * in memory) and takes back the bytes of objects greyed here that another marker had marked
     * first, so each object's bytes are counted once.
     */
    private void flushMarks(GcWork w) {
        w.bytesMarked -= heap.flushMarks(w.spanCache);
    }

    /**
     * {@link #scanObject} inside a drain, which cleared the span cache on entry: scans {@code obj},
     * counting its bytes in {@code w.heapScanWork}, and returns the entry it greyed last, which is
     * not queued (0 = none: everything it greyed is in {@code w}). The caller scans that entry next
     * or queues it: it is the top of the LIFO, held in a register instead of making a store and a
     * reload through {@code w} in the marker's chain from one node to the next.
     */
    private long scanNext(long obj, GcWork w, java.util.function.BooleanSupplier preempt) {
        if ((obj & CONTINUATION) != 0) {
            scanContinuation(obj & ~CONTINUATION, w, preempt);
            return 0;
        }
        if ((obj & ~MarkHeap.MARKED_BASE_MASK) != 0) {
            // A small object queued by greyFast with its size hint in the top byte (see
            // MarkHeap.markedSize): no span lookup, and never an oblet (small objects are <= 32 KiB).
            long size = heap.markedSize(obj);
            if (size <= SMALL_SCAN_BYTES) {
                return scanSmall(obj & MarkHeap.MARKED_BASE_MASK, size, w);
            }
            scanWords(obj & MarkHeap.MARKED_BASE_MASK, size, w, preempt);
            return 0;
        }
        long s = heap.spanOf(obj);
        if (s == 0) {
            throw new IllegalStateException("scanobject: 0x" + Long.toHexString(obj) + " is not in an in-use span");
        }
        long size = heap.objectSize(s);
        if (size > MAX_OBLET_BYTES) {
            // A large object is scanned in oblets of at most 128 KiB (Go's maxObletBytes): scanning
            // the first one queues the others, so no single scan (an assist's, which a stop-the-world
            // waits for, or a worker's) walks megabytes of pointers; they also spread over workers.
            long base = heap.findObjectIn(s, obj);
            if (obj == base) {
                for (long o = base + MAX_OBLET_BYTES; o < base + size; o += MAX_OBLET_BYTES) {
                    w.put(o);
                }
            }
            size = Math.min(MAX_OBLET_BYTES, base + size - obj);
        }
        scanWords(obj, size, w, preempt);
        return 0;
    }

    /**
     * The low bit of a work-buffer entry marks a continuation: the rest of an object (or oblet)
     * whose scan was interrupted at that address. Objects are 8-byte aligned, so the bit is free.
     */
    static final long CONTINUATION = 1;

    /** How much of an object is scanned between two looks at the preemption request. */
    static final long PREEMPT_CHECK_BYTES = 4 << 10;

    /** Scans from {@code from} (inside an object) to the end of its object or of its oblet. */
    private long scanContinuation(long from, GcWork w, java.util.function.BooleanSupplier preempt) {
        long s = heap.spanOf(from);
        long base = s == 0 ? 0 : heap.findObjectIn(s, from);
        if (base == 0) {
            throw new IllegalStateException("scanobject: continuation 0x" + Long.toHexString(from) + " is not inside an object");
        }
        long size = heap.objectSize(s);
        long end = base + size;
        if (size > MAX_OBLET_BYTES) {
            end = Math.min(end, base + ((from - base) / MAX_OBLET_BYTES + 1) * MAX_OBLET_BYTES);
        }
        return scanWords(from, end - from, w, preempt);
    }

    /** Objects up to this size have all their pointer bits in one {@link MarkHeap#pointerBits} answer. */
    static final long SMALL_SCAN_BYTES = 64 << 3;

    /**
     * {@link #scanWords} for an object of at most 64 words ({@link #SMALL_SCAN_BYTES}): one
     * pointer-bits answer covers it, and it is below {@link #PREEMPT_CHECK_BYTES}, so there is no
     * outer loop and no preemption check. Returns the entry greyed last, not queued (see
     * {@link #scanNext}).
     */
    private long scanSmall(long obj, long size, GcWork w) {
        w.heapScanWork += size;
        return greyByBits(obj, 0, heap.pointerBits(obj, (int) (size >>> 3)), w);
    }

    /** Greys what the {@code size} bytes at {@code obj} point to, by the pointer bitmap. */
    private long scanWords(long obj, long size, GcWork w, java.util.function.BooleanSupplier preempt) {
        long words = size >>> 3;
        for (long first = 0; first < words; first += 64) {
            if (preempt != null && first != 0 && ((first << 3) & (PREEMPT_CHECK_BYTES - 1)) == 0 && preempt.getAsBoolean()) {
                long scanned = first << 3;
                w.put((obj + scanned) | CONTINUATION);
                w.heapScanWork += scanned;
                return scanned;
            }
            long top = greyByBits(obj, first, heap.pointerBits(obj + (first << 3), (int) Math.min(64, words - first)), w);
            if (top != 0) {
                w.put(top);
            }
        }
        w.heapScanWork += size;
        return size;
    }

    /**
     * Greys the non-nil pointers of the 64 words of {@code obj} from word {@code first} whose bits
     * are set in {@code bits}. Highest pointer word first: the work buffer is LIFO, so the object's
     * first pointer field is the next one scanned. A structure built depth-first in field order (a
     * tree's left subtree before its right one) then marks in allocation order, ascending through
     * memory, instead of jumping back and forth. Returns the entry greyed last, not queued (see
     * {@link #scanNext}); 0 if none.
     */
    private long greyByBits(long obj, long first, long bits, GcWork w) {
        long top = 0;
        while (bits != 0) {
            int hi = 63 - Long.numberOfLeadingZeros(bits);
            long off = (first + hi) << 3;
            bits &= ~(1L << hi);
            long v = NativeMemory.getLong(obj + off);
            if (v == 0) {
                continue;
            }
            if (checkmarks != null) {
                top = queueHeld(top, w);
                greyObject(v, obj, off, w);
                continue;
            }
            // greyobject for a pointer found by scanning, through the gcWork's span cache (cleared
            // by the drain or scan call running this, so never older than the current mark phase;
            // roots and barrier shades use the uncached lookup), offered the next pointer too: when
            // both objects' mark bits share a word, one CAS marks both (MarkHeap.MARKED_PAIRED).
            long next = bits == 0 ? 0 : NativeMemory.getLong(obj + ((first + 63 - Long.numberOfLeadingZeros(bits)) << 3));
            long r = heap.markPointer(v, next, w.spanCache);
            if (r == 0) {
                top = queueHeld(top, w);
                greyObject(v, obj, off, w);
                continue;
            }
            top = queueMarked(top, r & ~MarkHeap.MARKED_PAIRED, w);
            if ((r & MarkHeap.MARKED_PAIRED) != 0) {
                bits &= ~Long.highestOneBit(bits);
                top = queueMarked(top, MarkHeap.pairedAnswer(r, next), w);      // the lower field on top: scanned next
            }
        }
        return top;
    }

    /**
     * Counts a non-zero {@link MarkHeap#markPointer} answer {@code r} if it set the mark bit and
     * returns the entry to hold back: {@code r}'s object if it is to be scanned (the entry held
     * back until now, {@code top}, is queued first: same LIFO order as queueing both), else
     * {@code top}.
     */
    private long queueMarked(long top, long r, GcWork w) {
        if ((r & MarkHeap.MARKED_NOW) == 0) {
            return top;
        }
        w.bytesMarked += heap.markedSize(r);
        if ((r & MarkHeap.MARKED_NOSCAN) != 0) {
            return top;
        }
        if (top != 0) {
            w.put(top);
        }
        return r & ~(MarkHeap.MARKED_NOW | MarkHeap.MARKED_NOSCAN);
    }

    /** Queues the entry held back (before a path that queues on its own, to keep the LIFO order); returns 0. */
    private static long queueHeld(long top, GcWork w) {
        if (top != 0) {
            w.put(top);
        }
        return 0;
    }

    /**
     * Scans grey objects until this gcWork and the global full list are empty or {@code budget}
     * bytes of scan work were done (Go's gcDrain / gcDrainN). Returns the scan work done.
     */
    public long drain(GcWork w, long budget) {
        return drain(w, budget, null);
    }

    /**
     * How much scan work a drain does between two looks at its {@code preempt} request. The look
     * is a volatile read behind a call site that sees several suppliers (a worker's stop request, an
     * assist's preemption request, the goroutine world's): asked before every object it was an
     * acquire in the marker's loop, after which C2 reloads the loop's fields, and a type-checked
     * (or virtual) call per 16-byte node. Asked every 1 KiB (64 tree nodes, ~1 us at the marker's
     * ~12 ns a node; ~13 us if every node were a ~200 ns cache miss), a stop waits for at most this
     * much plus one object's scan (objects up to 4 KiB are scanned whole, larger ones ask every
     * {@link #PREEMPT_CHECK_BYTES}).
     */
    static final long PREEMPT_DRAIN_CHECK_BYTES = 1 << 10;

    /**
     * {@link #drain} that also stops as soon as {@code preempt} says so (null: never), asked when
     * the drain starts, then every {@link #PREEMPT_DRAIN_CHECK_BYTES} of scan work (at the end of
     * the object that crossed the mark) and every {@link #PREEMPT_CHECK_BYTES} inside one (Go's
     * gcDrainN checks gp.preempt): an assisting mutator or a worker answers a stop-the-world within
     * about 1 KiB of scanning plus one object instead of after its whole budget or a whole oblet.
     *
     * <p>No touch-ahead: a FIFO of 4, 8 or 16 objects between the work buffer and the scan, each
     * object's first word loaded on entry (Java has no prefetch instruction; a kept load starts the
     * same miss), measured 15-35 % slower on a 64 MiB binary tree (MarkThroughputRun 64 7 tree:
     * 524 MB/s without, 442 / 423 / 340 MB/s with 8 / 4 / 16; the same ordering over two rounds):
     * the LIFO order marks a depth-first-built tree in allocation order, ascending through memory,
     * which the hardware prefetcher already follows, and a FIFO in front breaks that order.
     */
    public long drain(GcWork w, long budget, java.util.function.BooleanSupplier preempt) {
        heap.clearSpanCache(w.spanCache);      // a drain never outlives the mark phase it began in
        long work0 = w.heapScanWork;
        // heapScanWork only grows inside a drain (>= 0): the end saturates instead of wrapping.
        long end = budget > Long.MAX_VALUE - work0 ? Long.MAX_VALUE : work0 + budget;
        // One compare per object: checkAt is the budget's end, or before it the next look at
        // preempt (only when there is one: checkAt < end implies preempt != null). The first look
        // is at the start (checkAt = work0), in the same check as the later ones: a look of its
        // own before the loop was a branch that no drain had taken when C2 compiled it (a stop
        // pending at a drain's start is rare), compiled as an uncommon trap that a stop then hit.
        long checkAt = preempt == null ? end : work0;
        // The entry the last scan greyed last (the LIFO's top), scanned next without a store to w
        // and its reload: 0 = take one from w. Queued back before the drain returns, so w holds
        // all of this marker's grey objects whenever it is outside a drain.
        long next = 0;
        try {
            while (true) {
                long done = w.heapScanWork;
                if (done >= checkAt) {
                    if (preempt == null) {
                        break;                  // checkAt == end: the budget is used
                    }
                    // The budget's end and a stop share this one exit (`|` makes both reads; no
                    // `&&` or `||` on the answer, which would be a branch of its own): every drain
                    // that used its budget took it, so C2 keeps it however rarely a stop has come.
                    if (done >= end | preempt.getAsBoolean()) {
                        break;
                    }
                    checkAt = Math.min(end, done + PREEMPT_DRAIN_CHECK_BYTES);
                }
                w.balanceIfGlobalEmpty();
                long obj = next;
                next = 0;
                if (obj == 0) {
                    obj = w.tryGet();
                    if (obj == 0) {
                        break;
                    }
                }
                // The 16-byte test reads the entry's size-class hint itself (no size table load);
                // an entry without a hint (0) or a continuation (low bit) takes scanNext.
                if (checkmarks != null || (obj >>> MarkHeap.SIZE_HINT_SHIFT) != hint16 || (obj & CONTINUATION) != 0) {
                    next = scanNext(obj, w, preempt);
                    continue;
                }
                // A 16-byte object queued with its size hint (a tree node), outside checkmark:
                // scanSmall and greyByBits for two words, written out in the loop so that the
                // loop is one compiled unit. C2 does not inline a callee already compiled into
                // more than InlineSmallCode (2,500 bytes), and which of the scan methods it
                // compiled first varied from run to run: the same code marked a tree at ~800 or
                // ~1,500 MB/s. The callees here compile small (the cached markPointer ~1.2 KB,
                // from one call site), so they inline whichever was compiled first.
                // Both words are loaded beside the pointer bits, not after them (the bitmap load
                // and the bit search were the longest part of the chain from one node to the
                // next). The higher word is greyed first, offered the lower one to pair; the
                // lower one is held back as the next object to scan.
                obj &= MarkHeap.MARKED_BASE_MASK;
                long w0 = NativeMemory.getLong(obj);
                long w1 = NativeMemory.getLong(obj + 8);
                w.heapScanWork += 16;
                if ((w0 | w1) == 0) {
                    // Nothing to grey whatever the pointer bits say (a tree's leaf: half its
                    // nodes): no bitmap load, the longest step of the chain to the next node.
                    continue;
                }
                long bits = heap.pointerBits(obj, 2);
                long p = (bits & 2) != 0 ? w1 : 0;
                long q = (bits & 1) != 0 ? w0 : 0;
                long off = 8;
                if (p == 0) {
                    p = q;
                    q = 0;
                    off = 0;
                }
                while (p != 0) {
                    long r = heap.markPointer(p, q, w.spanCache);
                    if (r == 0) {
                        next = queueHeld(next, w);
                        greyObject(p, obj, off, w);     // the slow path: reports a bad pointer with its referrer
                    } else {
                        next = queueMarked(next, r & ~MarkHeap.MARKED_PAIRED, w);
                        if ((r & MarkHeap.MARKED_PAIRED) != 0) {
                            next = queueMarked(next, MarkHeap.pairedAnswer(r, q), w);
                            break;
                        }
                    }
                    p = q;
                    q = 0;
                    off = 0;
                }
            }
        } finally {
            if (next != 0) {
                w.put(next);
            }
            flushMarks(w);
        }
        return w.heapScanWork - work0;
    }

    // ------------------------------------------------------------------ checkmark

    /** Starts a checkmark traversal (world stopped): roots and drain then verify instead of mark. */
    public void startCheckmarks(long arenaBase, long arenaBytes) {
        checkmarkBase = arenaBase;
        checkmarks = new BitSet((int) Math.min(Integer.MAX_VALUE, arenaBytes >>> 3));
    }

    public void endCheckmarks() {
        checkmarks = null;
    }

    public boolean checkmarking() {
        return checkmarks != null;
    }

    private void checkmarkGrey(long base, long s, long referrer, long offset, String root, GcWork w) {
        if (!heap.isMarked(base)) {
            throw new CheckmarkException("checkmark found unmarked object 0x" + Long.toHexString(base) + " ("
                    + heap.describeSpan(s) + ") " + holder(referrer, offset, root)
                    + ": concurrent marking missed a reachable object (a write-barrier or root-scanning bug)", base);
        }
        int bit = (int) ((base - checkmarkBase) >>> 3);
        if (checkmarks.get(bit)) {
            return;
        }
        checkmarks.set(bit);
        if (!heap.isNoscan(s)) {
            w.put(base);
        }
    }

    // ------------------------------------------------------------------ errors

    private void badPointer(long p, long s, long referrer, long offset, String root) {
        if (!invalidPtrFatal) {
            return;      // invalidptr=0: ignore, as Go does
        }
        String where;
        if (!heap.inArena(p)) {
            where = "outside the heap arena";
        } else if (s == 0) {
            where = "to a span that is not in use";
        } else {
            where = "to a free slot of " + heap.describeSpan(s);
        }
        throw new BadPointerException("found bad pointer in heap: 0x" + Long.toHexString(p) + " " + where + ", "
                + holder(referrer, offset, root)
                + " (a pointer kept where the collector cannot see it, e.g. a Java local across a safepoint, then stored back after its object was freed?)", p);
    }

    private String holder(long referrer, long offset, String root) {
        if (root != null) {
            return "held by " + root;
        }
        if (referrer != 0) {
            long s = heap.spanOf(referrer);
            return "found in object 0x" + Long.toHexString(referrer) + "+0x" + Long.toHexString(offset)
                    + (s == 0 ? "" : " (" + heap.describeSpan(s) + ")");
        }
        return "shaded by the write barrier";
    }
}
