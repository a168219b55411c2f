package dev.gort.arena;

import dev.gort.sys.NativeMemory;

/**
 * What the collector (module collector, built on top) needs from the allocator, in one place:
 *
 * <ul>
 * <li><b>Finding objects</b> (Go's spanOf / findObject): {@link #spanOf} maps any address to its
 *     in-use span in O(1) through the spans region; {@link #findObject} gives the object base for
 *     an interior pointer, or 0 if the address is not inside an allocated object.</li>
 * <li><b>Mark bits</b>: one per object slot in the span's gcmarkBits; {@link #tryMark} sets it with
 *     an atomic OR and says whether this call greyed the object (several markers may race).</li>
 * <li><b>Pointer bitmap</b>: one bit per 8-byte arena word in the bitmap region, "this word holds a
 *     managed pointer". A typed allocation writes its type's mask with {@link #writePointerMask}
 *     right after {@link MCache#alloc}; noscan objects write nothing. Bits of one span are written
 *     only by the span's allocating owner (a span's bitmap words never straddle another span), so
 *     plain stores suffice. The collector's fast path stamps a freshly cached span once with its
 *     first type's bits over every free slot ({@link #stampFreeSlots}) and then writes no bits for
 *     allocations of that type from it ({@link MCache#pointerStamp}).</li>
 * <li><b>Sweeping</b> (sweepgen): at mark termination, with the world stopped and every mcache
 *     flushed ({@link #flushAllCaches}), {@link #startSweepCycle} adds 2 to sweepgen, which makes
 *     every span unswept. Spans are then swept lazily when an mcentral refills (gcmarkBits become
 *     allocBits, unmarked objects are freed, empty spans go back to the mheap) and by a background
 *     sweeper calling {@link #sweepOne} until it returns 0. {@link #startSweepCycleDetached} is
 *     the same without the flush: each mcache's spans are set aside whole and swept by
 *     sweepOne (what the collector's mark termination uses, so the pause is O(caches)).</li>
 * <li><b>Allocate black</b>: {@link #setAllocBlack} makes new objects born marked while marking.</li>
 * <li><b>Pacing</b>: {@link #heapLive} (Go's heapLive: bytes in cached spans count as allocated,
 *     lowered by folded manual frees; GC sweeps leave it alone since it was reset to the marked bytes), {@link #resetHeapLive} at mark termination, and
 *     {@link #setTrigger} with a {@link HeapTrigger} the allocator calls when heapLive reaches it.</li>
 * </ul>
 */
public final class GcSupport {
    private final Heap heap;
    private final AddressSpace space;
    private final Reclaimer reclaimer;

    /** Plain-mode access to {@link AddressSpace#arenaCommitted} for {@link #markPointer}. */
    private static final java.lang.invoke.VarHandle ARENA_COMMITTED;

    static {
        try {
            ARENA_COMMITTED = java.lang.invoke.MethodHandles.lookup().findVarHandle(AddressSpace.class, "arenaCommitted", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Copies of {@link AddressSpace#arenaBase} and {@link AddressSpace#bitmapBase} (fixed at
     * reservation): {@link #pointerBits}, once per scanned object, and
     * {@link #writeNewObjectPointerBits}, once per allocation, read them one load away
     * instead of through {@link #space}. C2 does not trust final instance fields, so after every
     * mark-bit CAS the scan loop reloads whatever chain it uses.
     */
    private final long arenaBase;
    private final long bitmapBase;

    GcSupport(Heap heap) {
        this.heap = heap;
        this.space = heap.space;
        this.reclaimer = new Reclaimer(heap);
        this.arenaBase = space.arenaBase;
        this.bitmapBase = space.bitmapBase;
    }

    // ------------------------------------------------------------------ finding objects

    /** The descriptor of the in-use span (small or large) containing {@code address}, or 0. */
    public long spanOf(long address) {
        long off = address - space.arenaBase;
        if (off < 0 || off >= space.arenaCommitted) {
            return 0;
        }
        long s = space.spanEntry(address);
        if (s == 0) {
            return 0;
        }
        int st = Span.state(s);
        if ((st != Span.IN_USE && st != Span.LARGE) || address < Span.start(s) || address >= Span.end(s)) {
            return 0;
        }
        return s;
    }

    /** Slot index of {@code address} inside span {@code s} (interior addresses map to their slot). */
    public int objectIndex(long s, long address) {
        if (Span.state(s) == Span.LARGE) {
            return 0;
        }
        long off = address - Span.start(s);
        return (int) ((off * (Mem.getInt(s + Span.DIV_MUL) & 0xFFFF_FFFFL)) >>> 32);
    }

    /** Base address of the allocated object containing {@code address}, or 0 (Go's findObject). */
    public long findObject(long address) {
        long s = spanOf(address);
        if (s == 0) {
            return 0;
        }
        if (Span.state(s) == Span.LARGE) {
            return Span.start(s);
        }
        int idx = objectIndex(s, address);
        if (idx >= Span.nelems(s) || !Span.allocated(s, idx)) {
            return 0;
        }
        return Span.start(s) + (long) idx * Span.elemSize(s);
    }

    /**
     * {@link #findObject} for an address already known to lie in in-use span {@code s} (from
     * {@link #spanOf}): the collector's greyobject looks the span up once per pointer, not once per
     * question.
     */
    public long findObjectIn(long s, long address) {
        if (Span.state(s) == Span.LARGE) {
            return Span.start(s);
        }
        int idx = objectIndex(s, address);
        if (idx >= Span.nelems(s) || !Span.allocated(s, idx)) {
            return 0;
        }
        return Span.start(s) + (long) idx * Span.elemSize(s);
    }

    /** Size class of the span (0 for a large span). */
    public int sizeClass(long s) {
        return Span.state(s) == Span.LARGE ? 0 : Span.spanClass(s) >>> 1;
    }

    public boolean isNoscan(long s) {
        return (Span.spanClass(s) & 1) != 0;
    }

    /** Bytes per object slot of the span (the whole span for a large one). */
    public long objectSize(long s) {
        return Span.state(s) == Span.LARGE ? Span.bytes(s) : Span.elemSize(s);
    }

    public long spanStart(long s) {
        return Span.start(s);
    }

    // ------------------------------------------------------------------ mark bits

    /** Sets the mark bit of the object at {@code objectBase}; true if it was not marked before. */
    public boolean tryMark(long objectBase) {
        long s = spanOf(objectBase);
        if (s == 0) {
            throw new IllegalArgumentException("found bad pointer in heap: 0x" + Long.toHexString(objectBase)
                    + " is not inside an in-use span");
        }
        int idx = objectIndex(s, objectBase);
        return markSlot(s, idx);
    }

    /** {@link #tryMark} for an object base already known to lie in in-use span {@code s}. */
    public boolean tryMarkIn(long s, long objectBase) {
        return markSlot(s, objectIndex(s, objectBase));
    }

    public boolean isMarked(long objectBase) {
        long s = spanOf(objectBase);
        if (s == 0) {
            return false;
        }
        return Span.bit(Mem.getLong(s + Span.GCMARK_BITS), objectIndex(s, objectBase));
    }

    /**
     * Allocate-black per window (see {@link MCache#allocBlack}): sets the mark bits of the free
     * slots of cached span {@code s}'s current allocCache window, so the owner's allocations from
     * that window need no mark bit of their own. Called when a window is taken while marking and,
     * at mark start, for every cached span's current window. One atomic OR per window: markers
     * may set other bits of the same word concurrently.
     */
    static void premarkWindow(long s) {
        premarkWindow(s, Mem.getInt(s + Span.FREE_INDEX), Mem.getLong(s + Span.ALLOC_CACHE));
    }

    /** {@link #premarkWindow(long)} for the window that will start at slot {@code fi} with allocCache {@code cache}. */
    static void premarkWindow(long s, int fi, long cache) {
        long mask = windowFreeMask(s, fi, cache);
        if (mask != 0) {
            long word = Mem.getLong(s + Span.GCMARK_BITS) + ((long) (fi >>> 6) << 3);
            long w = Mem.getLong(word);
            while ((w & mask) != mask && !NativeMemory.casLong(word, w, w | mask)) {
                w = NativeMemory.getLongVolatile(word);
            }
        }
    }

    /**
     * Undoes {@link #premarkWindow} for the slots of {@code s}'s current window that are still
     * free: the span leaves its cache while marking, or marking ends (the world stopped). Atomic:
     * markers may set other bits of the word while marking; none sets a free slot's bit (nothing
     * points there).
     */
    static void unpremarkWindow(long s) {
        int fi = Mem.getInt(s + Span.FREE_INDEX);
        long mask = windowFreeMask(s, fi, Mem.getLong(s + Span.ALLOC_CACHE));
        if (mask != 0) {
            long word = Mem.getLong(s + Span.GCMARK_BITS) + ((long) (fi >>> 6) << 3);
            long w = Mem.getLong(word);
            while ((w & mask) != 0 && !NativeMemory.casLong(word, w, w & ~mask)) {
                w = NativeMemory.getLongVolatile(word);
            }
        }
    }

    /**
     * The free slots of the window at slot {@code fi} with allocCache {@code cache} as bits of
     * mark word fi / 64: allocCache names them from bit 0 = slot fi up to the word's end (the bits
     * above are 0), limited to slots below nelems (a fresh span's allocCache is all ones). 0 for
     * the empty sentinel and an exhausted span.
     */
    private static long windowFreeMask(long s, int fi, long cache) {
        int nelems = Span.nelems(s);
        if (cache == 0 || fi >= nelems) {
            return 0;
        }
        long mask = cache << (fi & 63);
        int inWord = nelems - (fi & ~63);
        return inWord >= 64 ? mask : mask & ((1L << inWord) - 1);
    }

    boolean markSlot(long s, int idx) {
        long word = Mem.getLong(s + Span.GCMARK_BITS) + ((long) (idx >>> 6) << 3);
        return setMarkBit(word, 1L << idx);
    }

    /**
     * Sets {@code bit} in mark word {@code word}; true if this call set it. A plain read first (Go's
     * isMarked before its atomic OR): a stale 0 only costs the CAS, and a 1 is never stale (mark
     * bits are only set during a cycle). Then a CAS loop rather than VarHandle getAndBitwiseOr, which
     * on JDK 25 is itself a getLongVolatile + weakCompareAndSet loop through several layers, seen
     * not inlined into the marker (one call per newly marked object).
     */
    private static boolean setMarkBit(long word, long bit) {
        long w = Mem.getLong(word);
        while ((w & bit) == 0) {
            if (NativeMemory.casLong(word, w, w | bit)) {
                return true;
            }
            w = NativeMemory.getLongVolatile(word);
        }
        return false;
    }

    /** {@link #markPointer} result flag: this call set the mark bit (the caller greys the object). */
    public static final long MARKED_NOW = 1;
    /** {@link #markPointer} result flag: the object lives in a noscan span (nothing to scan). */
    public static final long MARKED_NOSCAN = 2;
    /**
     * {@link #markPointer(long, long, long[])} result flag: the second pointer was marked by the
     * same call, its answer is in the span cache's {@link #PAIR_SECOND} slot.
     */
    public static final long MARKED_PAIRED = 4;
    /** {@link #markPointer} result: the size class sits in bits 56..63 (0 = a large object). */
    public static final int MARKED_CLASS_SHIFT = 56;
    /** {@link #markPointer} result: the object's base (bits 3..55). */
    public static final long MARKED_BASE_MASK = ((1L << MARKED_CLASS_SHIFT) - 1) & ~7L;

    /**
     * Go's greyobject lookup in one pass over the span descriptor: finds the object containing
     * {@code p} (interior pointers map to their object) and sets its mark bit unless it is set.
     * Returns 0 if {@code p} is not inside an allocated object (the caller then asks
     * {@link #spanOf} / {@link #findObjectIn} to say why), else the object's base |
     * {@link #MARKED_NOW} if this call marked it | {@link #MARKED_NOSCAN} for a noscan span |
     * size class &lt;&lt; {@link #MARKED_CLASS_SHIFT}.
     *
     * <p>Same answers as spanOf + findObjectIn + tryMarkIn, with each descriptor word read once
     * (spanClass|state, start, nelems|elemSize, divMul, gcmarkBits) instead of once per question,
     * and the mark bit read before the allocated check: a marked slot is allocated (marks are set
     * only on slots found allocated or allocated black, and nothing is freed until the sweep), so
     * the common "already marked" answer costs no allocBits load and no atomic.
     */
    public long markPointer(long p) {
        long off = p - space.arenaBase;
        // A plain read of arenaCommitted (it only grows): a stale value can only reject a pointer
        // into memory committed since, and the caller's slow path (spanOf) reads it again
        // (volatile). A volatile read here would also pin every later load of the loop inlining
        // this (the marker's scan) below it.
        if (off < 0 || off >= (long) ARENA_COMMITTED.get(space)) {
            return 0;
        }
        long s = Mem.at(space.spanEntry(p));
        if (s == 0) {
            return 0;
        }
        long cs = Mem.getLong(s + Span.SPAN_CLASS);         // spanClass | state << 32
        int state = (int) (cs >>> 32);
        long start = Mem.getLong(s + Span.START);
        long base;
        int idx;
        if (state == Span.IN_USE) {
            long ne = Mem.getLong(s + Span.NELEMS);           // nelems | elemSize << 32
            long o = p - start;
            idx = (int) ((o * (Mem.getInt(s + Span.DIV_MUL) & 0xFFFF_FFFFL)) >>> 32);
            if (o < 0 || idx >= (int) ne) {
                return 0;
            }
            base = start + (long) idx * (int) (ne >>> 32);
        } else if (state == Span.LARGE) {
            if (p < start || p >= start + (Mem.getLong(s + Span.NPAGES) << SizeClasses.PAGE_SHIFT)) {
                return 0;
            }
            idx = 0;
            base = start;
        } else {
            return 0;
        }
        int spc = (int) cs;
        long result = base | ((spc & 1) != 0 ? MARKED_NOSCAN : 0)
                | (state == Span.LARGE ? 0 : (long) (spc >>> 1) << MARKED_CLASS_SHIFT);
        long word = Mem.getLong(s + Span.GCMARK_BITS) + ((long) (idx >>> 6) << 3);
        long bit = 1L << idx;
        // A plain read first (see setMarkBit): the common "already marked" answer costs no
        // allocBits load, no alignment check and no atomic.
        if ((Mem.getLong(word) & bit) != 0) {
            return result;
        }
        if (state == Span.IN_USE && !Span.allocated(s, idx)) {
            return 0;
        }
        return setMarkBit(word, bit) ? result | MARKED_NOW : result;
    }

    /** Length of the {@code long[]} a caller of {@link #markPointer(long, long[])} keeps as its span cache. */
    public static final int SPAN_CACHE_LONGS = 16;
    private static final int C_START = 0, C_LEN = 1, C_SPAN = 2, C_DIV = 3, C_ELEM = 4, C_BITS = 5, C_FLAGS = 6, C_ALLOC_BITS = 7;
    /** Where {@link #markPointer(long, long, long[])} leaves its answer for the paired pointer. */
    public static final int PAIR_SECOND = 8;
    /**
     * The marker's two pending mark words (see {@link #markPointer(long, long, long[])}), each its
     * address, the bits this marker set in it but not yet in memory, and their objects' size:
     * slot A ({@code C_PEND_*}) the one used last, slot B ({@code C_PEND_*_B}) the other. They
     * never hold the same word. C_LOST: the bytes of objects this marker was told
     * {@link #MARKED_NOW} for but another marker marked first (found when pending bits were
     * written), which {@link #flushMarks} hands back.
     */
    private static final int C_PEND_WORD = 9, C_PEND_BITS = 10, C_PEND_ELEM = 11, C_LOST = 12;
    private static final int C_PEND_WORD_B = 13, C_PEND_BITS_B = 14, C_PEND_ELEM_B = 15;

    /** Empties a span cache (its next lookup misses); pending mark bits are written first. */
    public static void clearSpanCache(long[] cache) {
        writePendingMarks(cache);
        // No pending word either (0 is no mark word): a slot kept its word's object size, and a
        // later cycle's span of another size class at that word would count lost bytes with it.
        cache[C_PEND_WORD] = 0;
        cache[C_PEND_WORD_B] = 0;
        cache[C_LEN] = 0;
    }

    /**
     * Writes the cache's pending mark bits to their mark word and returns the bytes of objects
     * the cache's owner was told {@link #MARKED_NOW} for that another marker had marked first
     * (each such object was then greyed twice: the caller subtracts these bytes from its count of
     * marked bytes, so each object's bytes are still counted once). After this call every object
     * this cache's lookups answered for has its mark bit set in memory. The marker calls it at the
     * end of every drain or scan; a cache with nothing pending costs one load.
     */
    public static long flushMarks(long[] cache) {
        writePendingMarks(cache);
        long lost = cache[C_LOST];
        cache[C_LOST] = 0;
        return lost;
    }

    /** Writes both pending mark words (see {@link #writePendingSlot}). */
    private static void writePendingMarks(long[] cache) {
        writePendingSlot(cache, C_PEND_WORD, C_PEND_BITS, C_PEND_ELEM);
        writePendingSlot(cache, C_PEND_WORD_B, C_PEND_BITS_B, C_PEND_ELEM_B);
    }

    /** Writes one pending slot's bits to its mark word (one CAS), counting those another marker set first. */
    private static void writePendingSlot(long[] cache, int wordSlot, int bitsSlot, int elemSlot) {
        long bits = cache[bitsSlot];
        if (bits != 0) {
            long word = cache[wordSlot];
            long newly = setMarkBits(word, Mem.getLong(word), bits);
            cache[C_LOST] += Long.bitCount(bits & ~newly) * cache[elemSlot];
            cache[bitsSlot] = 0;
        }
    }

    /**
     * Makes {@code word} pending slot A with {@code bits} (its pending bits so far and the new
     * ones), the caller's word being neither A's: A moves to B, and B's bits, unless B held
     * {@code word} (they are in {@code bits}), are written to memory first. So the two words
     * used last stay pending: a tree node's left child lies in the mark word of the scan's
     * position and its right child, for a node with more than a few nodes below it, in a word
     * further on; with one pending word every such node cost two CASes (one at each switch).
     */
    private static void pendNewWord(long[] cache, long word, long bits) {
        if (word != cache[C_PEND_WORD_B]) {
            writePendingSlot(cache, C_PEND_WORD_B, C_PEND_BITS_B, C_PEND_ELEM_B);
        }
        cache[C_PEND_WORD_B] = cache[C_PEND_WORD];
        cache[C_PEND_BITS_B] = cache[C_PEND_BITS];
        cache[C_PEND_ELEM_B] = cache[C_PEND_ELEM];
        cache[C_PEND_WORD] = word;
        cache[C_PEND_BITS] = bits;
        cache[C_PEND_ELEM] = cache[C_ELEM];
    }

    /**
     * {@link #markPointer(long)} with a one-span cache owned by the calling marker: consecutive
     * pointers into the span of the previous lookup (a tree's children, allocated together, share
     * a span of 512 16-byte slots) skip the arena bounds check, the spans-region entry and the
     * descriptor's class, state, start, size, divMul and gcmarkBits words. Small in-use spans only.
     * The mark bit is set as {@link #markPointer(long, long, long[])} sets it (pending in the
     * cache until {@link #flushMarks}).
     *
     * <p>Valid only while the cached span's geometry and gcmarkBits cannot change: within one mark
     * phase (spans are freed and mark bits swapped only by the sweep, after mark termination). The
     * caller clears the cache ({@link #clearSpanCache}) at the start of every drain or scan call,
     * which never outlives the mark phase it began in. Measured on a 64 MiB tree with the world
     * stopped, both variants running at once (load 16-18): 565-678 vs 469-530 MB/s; mixed heap
     * 854-928 vs 730-743 MB/s.
     */
    public long markPointer(long p, long[] cache) {
        return markPointer(p, 0, cache);
    }

    /**
     * {@link #markPointer(long, long[])} of {@code p} that also marks {@code q} (the next pointer
     * found in the same object; 0 = none) in the same step when both objects lie in the cached
     * span, their mark bits share a word, both are clear and allocated, and {@code q} is its
     * object's base: a tree node's children, allocated one after the other. Then the answer for
     * {@code p} carries {@link #MARKED_PAIRED} and {@code cache[PAIR_SECOND]} holds {@code q}'s
     * answer, which is always {@code q | (answer & ~MARKED_BASE_MASK & ~MARKED_PAIRED)}; otherwise
     * {@code q} is untouched and the caller marks it on its own, which also reports it if it is a
     * bad pointer.
     *
     * <p><b>Pending mark words.</b> The bits set through the cached span are not written with a
     * CAS per object: they collect in the cache's two pending words (slot A, the word used last,
     * {@code cache[C_PEND_BITS]} for the mark word at {@code cache[C_PEND_WORD]}, and slot B, see
     * {@link #pendNewWord}) and a word's bits are written with one CAS when a lookup needs a third
     * word and this one was used less recently, and at {@link #flushMarks} (the end of every drain
     * or scan). The
     * CAS was greyobject's one locked instruction: it drains the store buffer and holds later
     * loads back, and perf put 20-28 % of the scan loop's samples on it; a tree built depth-first
     * marks its nodes in allocation order, so consecutive marks mostly share a word. The plain
     * "already marked" test reads the memory word and its pending bits, so this marker never
     * greys an object twice (a span-cache miss keeps them pending, they are keyed by address, and
     * the uncached lookup of a large object writes them first).
     * Between the lookup and the write another marker sees the object's
     * bit clear and greys it too: the object is then scanned twice (marking is idempotent; a scan
     * only greys), and the write finds the bit set and counts its bytes into what
     * {@link #flushMarks} returns, so marked bytes stay counted once. The mark bit in memory is
     * what everything outside this marker reads (mark termination, the sweep, checkmark); every
     * drain and scan writes its pending bits before it returns, so none outlives the drain.
     */
    public long markPointer(long p, long q, long[] cache) {
        long start = cache[C_START];
        long o = p - start;
        if (Long.compareUnsigned(o, cache[C_LEN]) >= 0) {
            if (!cacheSpanOf(p, cache)) {
                return markPointerUncached(p, cache);
            }
            start = cache[C_START];
            o = p - start;
        }
        int idx = (int) ((o * cache[C_DIV]) >>> 32);
        long word = cache[C_BITS] + ((long) (idx >>> 6) << 3);
        long bit = 1L << idx;
        // p itself when it is its object's base (a field's usual value): the answer, which the
        // marker queues and scans next, then hangs on p alone, not on the multiply.
        long base = start + (long) idx * cache[C_ELEM];
        long result = p | cache[C_FLAGS];
        if (base != p) {
            result = base | cache[C_FLAGS];
        }
        boolean pendingWord = word == cache[C_PEND_WORD];
        long pend = pendingWord ? cache[C_PEND_BITS] : word == cache[C_PEND_WORD_B] ? cache[C_PEND_BITS_B] : 0;
        long w = Mem.getLong(word) | pend;
        if ((w & bit) != 0) {
            return result;
        }
        long allocated = allocatedInWord(cache, idx >>> 6);
        if ((allocated & bit) == 0) {
            return 0;
        }
        long bitQ = pairBit(q, cache, idx, w, allocated);
        if (pendingWord) {
            cache[C_PEND_BITS] = pend | bit | bitQ;
        } else {
            pendNewWord(cache, word, pend | bit | bitQ);
        }
        if (bitQ != 0) {
            cache[PAIR_SECOND] |= MARKED_NOW;
            result |= MARKED_PAIRED;
        }
        return result | MARKED_NOW;
    }

    /**
     * The mark bit of {@code q} (0 = none) if it can be set with slot {@code idx}'s in the cached span (mark word last read as {@code w}, the word's allocated slots
     * {@code allocated}, from {@link #allocatedInWord}): another allocated slot of the span, clear
     * in the same word, and {@code q} its object's base. Its answer (without MARKED_NOW) is then in
     * {@code cache[PAIR_SECOND]}: {@code q} | the span's flags, so a paired answer is always the
     * first answer's flags on {@code q} itself and the marker can build it from registers (the
     * object it scans next need not wait for this store and its reload, nor for the multiplies to
     * the slot and back). 0 otherwise, including every q outside the cached span and every
     * interior q (which then takes its own lookup).
     */
    private static long pairBit(long q, long[] cache, int idx, long w, long allocated) {
        long start = cache[C_START];
        long oq = q - start;
        if (Long.compareUnsigned(oq, cache[C_LEN]) >= 0) {
            return 0;
        }
        int iq = (int) ((oq * cache[C_DIV]) >>> 32);
        long bq = 1L << iq;
        if ((iq >>> 6) != (idx >>> 6) || iq == idx || ((w | ~allocated) & bq) != 0 || start + (long) iq * cache[C_ELEM] != q) {
            return 0;
        }
        cache[PAIR_SECOND] = q | cache[C_FLAGS];
        return bq;
    }

    /**
     * The allocated slots among the 64 of word {@code k} of the cached span: {@link Span#allocated}
     * for a whole mark word at once (slot i allocated iff i &lt; freeIndex or allocBits[i]), in two
     * native loads (freeIndex, then the allocBits word, in Span.allocated's order) instead of three
     * per slot: the allocBits address is cached, and its word index is the mark word's, so the
     * pair's second slot costs no load at all. Each FFM access parses to ~650 C2 nodes, which
     * the scan loop inlining this needs under NodeCountInliningCutoff.
     *
     * <p>The answer is Span.allocated's on the same two reads, for both slots: the allocBits
     * address is fixed for a span's whole life (Span.init, then MCentral.initSpan, which points an
     * 8-byte class span at the wide region's pair; sweeps and frees rewrite the bits in place, and
     * each drain clears the cache), so caching it changes nothing, and the reads are made in Span.allocated's order
     * (the sweep writes the bits before it resets freeIndex with release).
     */
    private static long allocatedInWord(long[] cache, int k) {
        long below = Mem.getInt(Mem.at(cache[C_SPAN]) + Span.FREE_INDEX) - ((long) k << 6);   // slots of word k below freeIndex
        long belowMask = below <= 0 ? 0 : below >= 64 ? -1L : (1L << below) - 1;
        return belowMask | Mem.getLong(Mem.at(cache[C_ALLOC_BITS]) + ((long) k << 3));
    }

    /**
     * Caches the span of {@code p} if it is a small in-use span and {@code p} lies inside its
     * objects (the answer is then the cached lookup's); false otherwise. The pending mark words stay
     * pending: they are keyed by their mark words' addresses, not by the cached span, so a tree node
     * whose right child lies in another span (its left one in this one) costs two span lookups but
     * no CAS, where writing the pending words at each miss cost up to two at each.
     */
    private boolean cacheSpanOf(long p, long[] cache) {
        long off = p - space.arenaBase;
        // A plain read of arenaCommitted, as in markPointer(long).
        if (off < 0 || off >= (long) ARENA_COMMITTED.get(space)) {
            return false;
        }
        long s = Mem.at(space.spanEntry(p));
        if (s == 0) {
            return false;
        }
        long cs = Mem.getLong(s + Span.SPAN_CLASS);         // spanClass | state << 32
        long start = Mem.getLong(s + Span.START);
        long ne = Mem.getLong(s + Span.NELEMS);             // nelems | elemSize << 32
        long elem = ne >>> 32;
        long len = (long) (int) ne * elem;
        if ((int) (cs >>> 32) != Span.IN_USE || Long.compareUnsigned(p - start, len) >= 0) {
            return false;
        }
        int spc = (int) cs;
        cache[C_START] = start;
        cache[C_LEN] = len;
        cache[C_SPAN] = s;
        cache[C_DIV] = Mem.getInt(s + Span.DIV_MUL) & 0xFFFF_FFFFL;
        cache[C_ELEM] = elem;
        cache[C_BITS] = Mem.getLong(s + Span.GCMARK_BITS);
        cache[C_ALLOC_BITS] = Mem.at(Mem.getLong(s + Span.ALLOC_BITS));
        cache[C_FLAGS] = ((spc & 1) != 0 ? MARKED_NOSCAN : 0) | (long) (spc >>> 1) << MARKED_CLASS_SHIFT;   // class << 56 | noscan
        return true;
    }

    /**
     * The uncached {@link #markPointer(long)} for a {@code p} outside every small in-use span (a
     * large object, or not a heap object). Both pending mark words are written first, so that no
     * bit of this marker is pending while it reads bits in memory (none of them is p's: pending
     * words belong to small spans, which are not freed or reused within a mark phase).
     */
    private long markPointerUncached(long p, long[] cache) {
        writePendingMarks(cache);
        return markPointer(p);
    }

    /**
     * Sets {@code bits} in mark word {@code word}, last read as {@code w}; returns the bits this call
     * set (clear in the word its CAS replaced). A CAS loop, as {@link #setMarkBit}.
     */
    private static long setMarkBits(long word, long w, long bits) {
        while (true) {
            long newly = bits & ~w;
            if (newly == 0 || NativeMemory.casLong(word, w, w | bits)) {
                return newly;
            }
            w = NativeMemory.getLongVolatile(word);
        }
    }

    public void setAllocBlack(boolean on) {
        heap.setAllocBlack(on);     // also for caches made later in the cycle (a mutator registering while marking)
    }

    // ------------------------------------------------------------------ pointer bitmap

    /**
     * Writes the pointer bits of {@code words} 8-byte words from {@code address}: bit i of
     * {@code mask[i / 64]} says whether word i holds a managed pointer.
     */
    public void writePointerMask(long address, long words, long[] mask) {
        checkRange(address, words);
        for (long i = 0; i < words; i++) {
            setPointerBit(address + (i << 3), (mask[(int) (i >>> 6)] & (1L << i)) != 0);
        }
    }

    /**
     * {@link #writePointerMask} for an object of at most 64 words: bit i of {@code bits} for word
     * i, written with one or two read-modify-writes of the bitmap instead of one per word (the
     * typed allocation path). Bits of other words are left as they are.
     */
    public void writePointerBits(long address, int words, long bits) {
        if (words < 1 || words > 64) {
            throw new IllegalArgumentException("writePointerBits covers 1..64 words, got " + words + "; use writePointerMask");
        }
        checkRange(address, words);
        writeNewObjectPointerBits(address, words, bits);
    }

    /**
     * {@link #writePointerBits} for an object {@link MCache#alloc} of this heap just returned
     * (so 8-aligned and inside the committed arena) of 1..64 words: the typed allocation path,
     * without the range checks (four compares and a volatile read per allocation).
     */
    public void writeNewObjectPointerBits(long address, int words, long bits) {
        long bitIndex = (address - arenaBase) >>> 3;       // the copies: one load each, not two
        int k = (int) (bitIndex & 63);
        long word = bitmapBase + ((bitIndex >>> 6) << 3);
        long mask = words == 64 ? -1L : (1L << words) - 1;
        bits &= mask;
        // Store only what changes. The bitmap is not cleared when objects die, so a slot reused by
        // an object of the same type (the common case: one type per size class in binary-trees)
        // already holds its bits. An unconditional store made every allocation's bitmap load wait
        // for the previous allocation's store to the same word (32 16-byte objects share one),
        // a chain through memory measured at ~4-5 ns per object (noscan vs pointer type, AllocCpuRun).
        long old = Mem.getLong(word);
        long updated = (old & ~(mask << k)) | (bits << k);
        if (updated != old) {
            Mem.putLong(word, updated);
        }
        if (k != 0 && k + words > 64) {
            long w1 = word + 8;
            long old1 = Mem.getLong(w1);
            long updated1 = (old1 & ~(mask >>> (64 - k))) | (bits >>> (64 - k));
            if (updated1 != old1) {
                Mem.putLong(w1, updated1);
            }
        }
    }

    // ------------------------------------------------------------------ pointer-bit stamps

    /** {@link MCache#pointerStamp} of a span that is not stamped in this caching (no key equals it). */
    public static final long NO_STAMP = Long.MIN_VALUE;

    /**
     * The stamp key of the pointer bits {@link #writeNewObjectPointerBits} writes for an object of
     * {@code words} (1..63) words with first mask word {@code mask}: the mask's low {@code words}
     * bits and a sentinel bit at {@code words}, so two types with the same bits share a key and
     * no key is 0, negative or {@link #NO_STAMP}. -1 for 64 words (never stamped).
     */
    public static long stampKey(int words, long mask) {
        if (words < 1 || words > 64) {
            throw new IllegalArgumentException("stampKey covers 1..64 words, got " + words);
        }
        return words == 64 ? -1L : (mask & ((1L << words) - 1)) | (1L << words);
    }

    /**
     * Stamps the span {@code c} caches for {@code spanClass} with {@code key}'s pointer bits: every
     * slot it may still hand out (at or past its cursor, free in allocBits) gets the key's bits over
     * all its words, a few bitmap read-modify-writes per 64 words instead of one per allocation;
     * then {@link MCache#pointerStamp} is {@code key} and the collector's fast path skips the bitmap
     * for allocations of that key from this span until it is uncached. Does nothing unless the span
     * is unstamped in this caching (stamp 0); marks it {@link #NO_STAMP} instead when it cannot be
     * stamped (a slot of words not dividing 64, or {@code key} -1). Owner only, as every bitmap
     * write of a cached span: allocated slots' bits are kept (markers may be reading them), and a
     * free slot's bits are not read by anyone until it is handed out (its object is reached only
     * through a pointer published after the allocation).
     */
    public void stampFreeSlots(MCache c, int spanClass, long key) {
        if (c.stamps[spanClass] != 0) {
            return;
        }
        long s = c.alloc[spanClass];
        if (s == heap.emptySpan) {
            return;
        }
        s = Mem.at(s);
        int slotWords = Span.elemSize(s) >>> 3;
        int nelems = Span.nelems(s);
        long startBit = (Span.start(s) - arenaBase) >>> 3;
        if (key <= 0 || slotWords == 0 || 64 % slotWords != 0 || 63 - Long.numberOfLeadingZeros(key) > slotWords
                || ((long) nelems * slotWords & 63) != 0 || (startBit & 63) != 0) {
            c.stamps[spanClass] = NO_STAMP;
            return;
        }
        long slotStarts = slotStarts(slotWords);
        long pattern = slotStarts * (key & ~Long.highestOneBit(key));       // the mask in every slot: no carries (mask < 2^slotWords)
        long slotFill = slotWords == 64 ? -1L : (1L << slotWords) - 1;
        long bitmap = bitmapBase + (startBit >>> 3);
        int perWord = 64 / slotWords;
        int fi = Mem.getInt(s + Span.FREE_INDEX);
        long allocBits = Mem.getLong(s + Span.ALLOC_BITS);
        for (int slot0 = fi - fi % perWord; slot0 < nelems; slot0 += perWord) {
            long free = freeSlots(allocBits, slot0, perWord, fi);
            if (free == 0) {
                continue;
            }
            long sel = Long.expand(free, slotStarts) * slotFill;
            long word = bitmap + ((long) (slot0 / perWord) << 3);
            long old = Mem.getLong(word);
            long updated = (old & ~sel) | (pattern & sel);
            if (updated != old) {
                Mem.putLong(word, updated);
            }
        }
        c.stamps[spanClass] = key;
    }

    /**
     * The first stamped slot of {@code c}'s span for {@code spanClass} whose pointer bits differ
     * from its stamp, described, or null when the stamp holds (or there is none): verifyHeap's
     * cross-check of {@link #stampFreeSlots}' invariant, with no allocation running.
     */
    String stampViolation(MCache c, int spanClass) {
        long key = c.stamps[spanClass];
        long s = c.alloc[spanClass];
        if (key <= 0 || s == heap.emptySpan) {
            return null;
        }
        int slotWords = Span.elemSize(s) >>> 3;
        int words = 63 - Long.numberOfLeadingZeros(key);
        long mask = key & ~(1L << words);
        int fi = Mem.getInt(s + Span.FREE_INDEX);
        long allocBits = Mem.getLong(s + Span.ALLOC_BITS);
        for (int idx = fi; idx < Span.nelems(s); idx++) {
            if (Span.bit(allocBits, idx)) {
                continue;
            }
            long p = Span.start(s) + (long) idx * Span.elemSize(s);
            long bits = pointerBits(p, slotWords);
            if (bits != mask) {
                return "free slot " + idx + " (0x" + Long.toHexString(p) + ") of " + Span.describe(s) + ", stamped 0x"
                        + Long.toHexString(key) + " by " + c + ", has pointer bits 0x" + Long.toHexString(bits)
                        + ", expected 0x" + Long.toHexString(mask);
            }
        }
        return null;
    }

    /** Bits 0, w, 2w, ... of a word: the first bitmap bit of each slot of {@code w} words (w divides 64). */
    private static long slotStarts(int w) {
        long m = 0;
        for (int i = 0; i < 64; i += w) {
            m |= 1L << i;
        }
        return m;
    }

    /** Bit k: slot {@code slot0 + k} (k < n, n divides 64, slot0 a multiple of n) is free and at or past cursor {@code fi}. */
    private static long freeSlots(long allocBits, int slot0, int n, int fi) {
        long free = ~Mem.getLong(allocBits + ((long) (slot0 >>> 6) << 3)) >>> (slot0 & 63);
        if (n < 64) {
            free &= (1L << n) - 1;
        }
        if (fi > slot0) {
            free &= -1L << (fi - slot0);
        }
        return free;
    }

    /** Clears the pointer bits of {@code words} words from {@code address}. */
    public void clearPointerBits(long address, long words) {
        checkRange(address, words);
        for (long i = 0; i < words; i++) {
            setPointerBit(address + (i << 3), false);
        }
    }

    public boolean isPointerWord(long address) {
        checkRange(address, 1);
        long bitIndex = (address - space.arenaBase) >>> 3;
        return (Mem.getLong(space.bitmapBase + ((bitIndex >>> 6) << 3)) & (1L << bitIndex)) != 0;
    }

    /**
     * The pointer bits of {@code words} (1..64) heap words from {@code address}: bit i says whether
     * word {@code address + 8 i} holds a managed pointer; bits at and above {@code words} are zero.
     * One or two bitmap loads instead of a call per word (the collector's scanobject). Unchecked,
     * like the allocator's fast path: {@code address} must be 8-aligned and the words inside the
     * committed arena (an object the collector found through {@link #spanOf}).
     */
    public long pointerBits(long address, int words) {
        long bitIndex = (address - arenaBase) >>> 3;
        int k = (int) (bitIndex & 63);
        long word = bitmapBase + ((bitIndex >>> 6) << 3);
        long bits = Mem.getLong(word) >>> k;
        if (k != 0 && k + words > 64) {
            bits |= Mem.getLong(word + 8) << (64 - k);
        }
        return words >= 64 ? bits : bits & ((1L << words) - 1);
    }

    private void setPointerBit(long address, boolean on) {
        long bitIndex = (address - space.arenaBase) >>> 3;
        long word = space.bitmapBase + ((bitIndex >>> 6) << 3);
        long w = Mem.getLong(word);
        Mem.putLong(word, on ? w | (1L << bitIndex) : w & ~(1L << bitIndex));
    }

    private void checkRange(long address, long words) {
        if ((address & 7) != 0 || address < space.arenaBase || address + (words << 3) > space.arenaBase + space.arenaCommitted
                || words < 0) {
            throw new IllegalArgumentException("pointer bitmap range 0x" + Long.toHexString(address) + " + " + words
                    + " words must be 8-aligned and inside the committed arena");
        }
    }

    // ------------------------------------------------------------------ sweeping

    /** Flushes every registered mcache (world stopped: no owner may be allocating). */
    public void flushAllCaches() {
        for (MCache c : heap.cachesSnapshot()) {
            c.releaseAll();
        }
    }

    /**
     * Starts a sweep cycle (mark termination): sweepgen += 2, so every span is unswept and its
     * gcmarkBits decide what survives. Requires every mcache to be empty.
     */
    public void startSweepCycle() {
        for (MCache c : heap.cachesSnapshot()) {
            if (!c.isEmpty()) {
                throw new IllegalStateException(c + " still caches spans: flush all mcaches (flushAllCaches) "
                        + "with the world stopped before starting a sweep cycle");
            }
        }
        awaitSweepsInFlight();
        sweepLargeUnswept();
        flipLargeListsAndBumpSweepgen();
    }

    /** Every large span becomes unswept (the mheap's two large lists swap roles, none moved), then sweepgen += 2. */
    private void flipLargeListsAndBumpSweepgen() {
        heap.mheap.lock.lock();
        try {
            heap.mheap.flipLargeLists();
            heap.sweepgen += 2;
            reclaimer.cycleStarted();
        } finally {
            heap.mheap.lock.unlock();
        }
    }

    /**
     * {@link #startSweepCycle} without the flush (mark termination, world stopped; mutators need
     * not have flushed their caches): sweepgen += 2, then every mcache's spans are set aside as a
     * whole for the sweeper ({@code MCache.detachForSweep}: one pass over each cache's table, not an
     * uncache per cached span), so the pause does O(caches) work, none per span or size class.
     * The set-aside spans are swept and returned to their mcentrals by {@link #sweepOne} (the
     * background sweeper, proportional sweep, or the next cycle's finishsweep before it stops the
     * world); {@link #sweepDone} is false until they are. Large spans become unswept by
     * swapping the roles of the mheap's two large lists (O(1)).
     */
    public void startSweepCycleDetached() {
        finishPreviousSweepForBump();
        bumpSweepgen();
        detachCachesForSweep();
    }

    /**
     * {@link #startSweepCycleDetached}'s first part: the previous cycle's set-aside spans and
     * unswept large spans belong to its sweep, which must end before the next one starts. The
     * collector's finishsweep sweeps them before sweep termination, so at mark termination this
     * finds none (the collector's pause trace names the part apart, {@code sweepwait(left)} when it
     * found one). Returns whether anything was left: a span swept here or another thread's waited for.
     */
    public boolean finishPreviousSweepForBump() {
        boolean left = false;
        while (heap.drainOneStaleCache() != 0) {
            left = true;
        }
        left |= awaitSweepsInFlight() != 0;
        left |= sweepOneLarge() != 0;
        sweepLargeUnswept();
        return left;
    }

    /**
     * {@link #startSweepCycleDetached}'s second part, after {@link #finishPreviousSweepForBump}:
     * every large span becomes unswept and sweepgen += 2, in one hold of the mheap lock.
     */
    public void bumpSweepgen() {
        flipLargeListsAndBumpSweepgen();
    }

    /**
     * {@link #startSweepCycleDetached}'s last part, after {@link #bumpSweepgen} (so a drain that
     * follows sees these spans as stale): every mcache's spans are set aside for the sweeper.
     */
    public void detachCachesForSweep() {
        heap.detachCachesForSweep();
    }

    /** {@link #setStallHookForTest}'s point in MCentral.sweepOne, before the hold that claims spans. */
    public static final int STALL_BEFORE_CLAIM = Heap.STALL_BEFORE_CLAIM;
    /** {@link #setStallHookForTest}'s point in MCentral.sweepOne right after that hold (claimed spans in flight). */
    public static final int STALL_AFTER_CLAIM = Heap.STALL_AFTER_CLAIM;
    /** {@link #setStallHookForTest}'s point in a set-aside table's drain, after the table was read. */
    public static final int STALL_DRAIN_HELD = Heap.STALL_DRAIN_HELD;
    /** {@link #setStallHookForTest}'s point at the end of a set-aside table's drain. */
    public static final int STALL_DRAIN_DONE = Heap.STALL_DRAIN_DONE;
    /** {@link #setStallHookForTest}'s point in a set-aside table's drain between a span's claim and its return. */
    public static final int STALL_DRAIN_CLAIMED = Heap.STALL_DRAIN_CLAIMED;

    /** A test's hook at a sweeping thread's stall points. */
    @FunctionalInterface
    public interface StallHook {
        /** {@code point}: a {@code STALL_*} constant; {@code spanClass}: the mcentral's, or -1. */
        void at(int point, int spanClass);
    }

    /**
     * Test hook: {@code hook.at(point, spanClass)} runs on every sweeping thread at the points
     * above (null removes it). A test blocks one thread there (the background sweeper) to model a
     * sweeper that gets no CPU across whole GC cycles.
     */
    public void setStallHookForTest(StallHook hook) {
        heap.stallHook = hook;
    }

    public long sweepgen() {
        return heap.sweepgen;
    }

    /**
     * Sweeps a batch of up to 8 unswept spans of one mcentral (claimed in one lock hold, swept
     * with no lock held), or returns one set-aside span of some mcache (swept) to its mcentral;
     * returns the pages, or 0 when nothing is left to claim (spans other threads claimed may still
     * be in flight: {@link #awaitSweepsInFlight}). Once a call found nothing, the calls
     * that follow in the same sweep cycle answer 0 at once (Go's sweep.drained): the next cycle's
     * finishsweep, with the world stopped, no longer walks every mcentral to learn that the
     * coordinator already swept everything before it stopped the world.
     */
    public long sweepOne() {
        long sg = heap.sweepgen;
        if (sweptGen == sg && heap.staleCaches.get() == 0) {
            return 0;
        }
        long n = heap.drainOneStaleCache();
        if (n != 0) {
            return n;
        }
        for (int spc = 2; spc < SizeClasses.NUM_SPAN_CLASSES; spc++) {
            n = heap.central(spc).sweepOne();
            if (n != 0) {
                return n;
            }
        }
        n = sweepOneLarge();
        if (n == 0 && heap.staleCaches.get() == 0) {
            // Unswept spans appear only when sweepgen moves on (set-aside ones then too, counted
            // in staleCaches), so "nothing left" holds for the rest of cycle sg.
            sweptGen = sg;
        }
        return n;
    }

    /**
     * Go's mheap.reclaim: called before the mheap hands out a fresh run of {@code npages} (a
     * span for a refill that found nothing in its own class, or a large object) while the
     * cycle's sweep is unfinished. While no free run fits, it sweeps the mcaches' set-aside spans
     * and then frees the spans no object of which was marked, of any class, found by a walk of the
     * arena ({@link Reclaimer}); it stops when a run fits or the walk has covered the arena once
     * in this cycle, and never sweeps a span with a marked object (that yields no page). Each
     * freed span is credited to the collector's proportional sweep ({@link #setSweepCredit}), as
     * Go's mspan.sweep adds every swept span to pagesSwept whoever sweeps it. Returns the chunks
     * walked (0 at once when the cycle's sweep is known finished, e.g. always in manual mode
     * after the first call).
     */
    int reclaim(long npages) {
        return reclaim(npages, null);
    }

    /**
     * {@link #reclaim(long)} for an allocation from {@code cache} (null: none that can retry): if
     * its owner allows it ({@link MCache#setStopYield}), the walk looks at the stop hook before
     * each set-aside span and each chunk, and throws {@link AllocationYield} when a stop is
     * waiting. A chunk is at most {@link Reclaimer#CHUNK_PAGES} spans entries and their
     * descriptors (tens of microseconds); the whole walk of a 3 GiB heap ran up to 17 ms with no
     * preemption check (session 19's probe), holding up every stop that came meanwhile.
     */
    int reclaim(long npages, MCache cache) {
        if (dev.gort.sys.PathProbe.ON) {
            long t = dev.gort.sys.PathProbe.start();
            try {
                return reclaimUnprobed(npages, cache);
            } finally {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.RECLAIM, t);
            }
        }
        return reclaimUnprobed(npages, cache);
    }

    /**
     * Whether the allocation of {@code cache}'s owner should give up now for a stop: it allows it
     * and the hook says a stop (or a ragged round) waits for the mutators' safepoints.
     */
    boolean stopWaits(MCache cache) {
        java.util.function.BooleanSupplier hook = stopHook;
        return cache != null && cache.stopYield() && hook != null && hook.getAsBoolean();
    }

    /** The collector's "a stop waits for the mutators" test (null: none, manual mode). */
    private volatile java.util.function.BooleanSupplier stopHook;

    /**
     * Installs the test the allocator's long steps poll between chunks ({@link #reclaim(long, MCache)},
     * the refill's sweep of claimed spans) when the allocating mutator can stop and retry.
     */
    public void setStopHook(java.util.function.BooleanSupplier hook) {
        stopHook = hook;
    }

    /** The installed stop hook (null if none). */
    public java.util.function.BooleanSupplier stopHook() {
        return stopHook;
    }

    /** Whether the mheap has a free run of {@code npages} now (no growth needed). */
    public boolean hasFreeRun(long npages) {
        return heap.mheap.hasFit(npages);
    }

    /** Reclaim walks and refill sweeps given up for a stop ({@link AllocationYield}) over the heap's life. */
    public long stopYields() {
        return stopYields.get();
    }

    final java.util.concurrent.atomic.AtomicLong stopYields = new java.util.concurrent.atomic.AtomicLong();

    /** Counts the yield and returns the exception to throw. */
    AllocationYield yieldForStop() {
        stopYields.incrementAndGet();
        return AllocationYield.INSTANCE;
    }

    private int reclaimUnprobed(long npages, MCache cache) {
        long sg = heap.sweepgen;
        if (sweptGen == sg && heap.staleCaches.get() == 0) {
            return 0;
        }
        SweepCredit credit = sweepCredit;
        MHeap h = heap.mheap;
        int outcome = RECLAIM_FIT;
        while (heap.staleCaches.get() != 0 && !h.hasFit(npages)) {
            if (stopWaits(cache)) {
                throw yieldForStop();
            }
            long tag = credit == null ? 0 : credit.tag();       // before the sweep, as every sweeper reads it
            long n = heap.drainOneStaleCache();
            if (n == 0) {
                break;
            }
            credit(credit, tag, n);
        }
        int chunks = 0;
        while (!h.hasFit(npages)) {
            if (heap.sweepgen != sg) {
                break;              // a new cycle began (its own reclaim walk starts over)
            }
            if (stopWaits(cache)) {
                throw yieldForStop();       // before claiming a chunk: the cursor skips nothing
            }
            long tag = credit == null ? 0 : credit.tag();
            long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
            long n = reclaimer.reclaimChunk(sg);
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.RECLAIM_CHUNK, t);
            }
            if (n < 0) {
                outcome = RECLAIM_WALKED_OUT;
                break;
            }
            if (n > 0) {
                credit(credit, tag, n);
            }
            chunks++;
        }
        reclaimOutcomes.incrementAndGet(outcome);
        return chunks;
    }

    private void credit(SweepCredit credit, long tag, long pages) {
        if (credit != null) {
            credit.credit(tag, pages);
        }
        reclaimSweptPages.addAndGet(pages);
    }

    /**
     * Where sweeps the heap does by itself ({@link #reclaim}) are credited: the collector's count
     * of pages swept toward the current pacing (Go's mheap_.pagesSwept). {@code tag} is read
     * before a sweep and handed back with its pages, so a pacing that began in between can
     * refuse them.
     */
    public interface SweepCredit {
        long tag();

        boolean credit(long tag, long pages);
    }

    /** The collector's sweep credit (null: none, manual mode). */
    public void setSweepCredit(SweepCredit credit) {
        sweepCredit = credit;
    }

    /** Pages {@link #reclaim} swept over the heap's life. */
    public long reclaimSweptPages() {
        return reclaimSweptPages.get();
    }

    /** {@link #reclaimOutcomes} index: a free run fit (before or after freeing dead spans). */
    static final int RECLAIM_FIT = 0;
    /** {@link #reclaimOutcomes} index: the walk covered the arena and no run fit (the growth that follows is Go's). */
    static final int RECLAIM_WALKED_OUT = 1;

    /**
     * How the {@link #reclaim} calls that ran (sweep unfinished) ended: {a run fit, the arena
     * walked with no fit}. A diagnostic for benchmarks: the second kind is followed by a growth.
     */
    public long[] reclaimOutcomes() {
        return new long[] {reclaimOutcomes.get(RECLAIM_FIT), reclaimOutcomes.get(RECLAIM_WALKED_OUT)};
    }

    private final java.util.concurrent.atomic.AtomicLongArray reclaimOutcomes = new java.util.concurrent.atomic.AtomicLongArray(2);

    private volatile SweepCredit sweepCredit;
    private final java.util.concurrent.atomic.AtomicLong reclaimSweptPages = new java.util.concurrent.atomic.AtomicLong();

    /** The sweepgen whose sweep a {@link #sweepOne} found finished (-1: none yet). */
    private volatile long sweptGen = -1;

    private long sweepOneLarge() {
        MHeap h = heap.mheap;
        h.lock.lock();
        try {
            long s = h.largeHead(1);
            if (s == 0) {
                return 0;
            }
            long n = Span.npages(s);
            h.removeLarge(s);
            long marks = Mem.getLong(s + Span.GCMARK_BITS);
            boolean marked = (Mem.getLong(marks) & 1) != 0;
            if (marked) {
                Mem.putLong(marks, 0);
                Mem.putLong(s + Span.SWEEPGEN, heap.sweepgen);
                h.pushLarge(s, 0);
            } else {
                freeUnmarkedLargeLocked(s);
            }
            return n;
        } finally {
            h.lock.unlock();
        }
    }

    /** mheap lock held: sweeps large span {@code s}, taken off its list, whose object is unmarked: its pages go back to the mheap. */
    void freeUnmarkedLargeLocked(long s) {
        Mem.putLong(Mem.getLong(s + Span.GCMARK_BITS), 0);
        Mem.putLong(s + Span.SWEEPGEN, heap.sweepgen);
        long bytes = Span.bytes(s);
        heap.mheap.freeSpanLocked(s);
        heap.largeGcFrees++;
        heap.largeGcFreedBytes += bytes;     // not counted in heapLive since its reset to the marked bytes
    }

    void sweepLargeUnswept() {
        while (sweepOneLarge() != 0) {
            // drain
        }
    }

    /**
     * After {@link #sweepOne} returned 0: waits until the spans other threads claimed are swept
     * and placed (Go's finishsweep_m waiting for sweep.active), helping with set-aside spans nobody
     * has claimed yet. Spans are swept with no lock held, so "nothing left to claim" is not yet
     * "swept"; each claimed span is one span's sweep away from done (a mutator sweeps only inside
     * an allocation, the background sweeper stands aside between spans), so the wait is bounded
     * by one sweep and its thread's wait for a CPU. Spins briefly, then sleeps 20 us at a time.
     * Returns the turns it took: 0 when nothing was in flight or set aside (the usual finishsweep,
     * which the coordinator's sweep before the stop leaves nothing to), more when it helped or
     * waited (a pause's trace names that step apart: session 22).
     */
    public int awaitSweepsInFlight() {
        int spins = 0, turns = 0;
        while (heap.sweepsInFlight.get() != 0 || heap.staleCaches.get() != 0) {
            turns++;
            if (heap.drainOneStaleCache() != 0) {
                continue;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }
        return turns;
    }

    /** Whether every span has been swept in the current cycle (none left to claim, none in flight). */
    public boolean sweepDone() {
        if (heap.staleCaches.get() != 0 || heap.sweepsInFlight.get() != 0) {
            return false;
        }
        for (int spc = 2; spc < SizeClasses.NUM_SPAN_CLASSES; spc++) {
            if (heap.central(spc).hasUnswept()) {
                return false;
            }
        }
        heap.mheap.lock.lock();
        try {
            return heap.mheap.largeHead(1) == 0;
        } finally {
            heap.mheap.lock.unlock();
        }
    }

    // ------------------------------------------------------------------ pacing

    public long heapLive() {
        return heap.heapLive();
    }

    /** Sets heapLive, e.g. to the marked bytes at mark termination (Go's resetLive). */
    public void resetHeapLive(long bytes) {
        heap.setHeapLive(bytes);
    }

    /**
     * Go's heapScan: the scannable bytes of heapLive (scan span classes and scan large objects,
     * whole objects, counted where heapLive is), since the last {@link #resetHeapScan}. What the
     * collector reads at a cycle's start as the cycle's worst-case heap scan work.
     */
    public long heapScan() {
        return heap.heapScan();
    }

    /** Sets heapScan, at mark termination to the cycle's heap scan work (Go's resetLive). */
    public void resetHeapScan(long bytes) {
        heap.setHeapScan(bytes);
    }

    /**
     * Marks the heap as managed by a collector (named for messages) from now on: its mcaches are
     * the collector's (made by {@link Heap#newCache} for its Ps or registered threads), and
     * {@link Heap#threadCache()} is refused, because a thread cache is released whenever its
     * thread is found dead ({@link Heap#releaseDeadThreadCaches}, from any thread, at any time),
     * and that uncaching would lower heapLive behind the pacer after mark termination reset it to
     * the marked bytes. Refused (IllegalStateException) if live thread caches exist already, or
     * while the heap's current manager's {@link CloseGuard} still names something of it that runs
     * (one collector per heap; a manager claimed without a guard never holds a later claim off).
     */
    public void claimForCollector(String collector) {
        heap.claimForCollector(collector, null);
    }

    /**
     * {@link #claimForCollector(String)} with the collector's say on {@link Heap#close()}: the
     * close asks {@code guard} first and is refused with its answer while it names something of
     * the collector that may still touch the heap (the collector not closed, a thread of it still
     * running). Without a guard only the live mcaches hold a close off.
     */
    public void claimForCollector(String collector, CloseGuard guard) {
        heap.claimForCollector(collector, guard);
    }

    /** A heap manager's answer to {@link Heap#close()}: why the heap must stay mapped, or null when nothing of the manager can touch it any more. */
    @FunctionalInterface
    public interface CloseGuard {
        String whyHeapStaysOpen();
    }

    /**
     * The heapLive at which the allocator calls the trigger hook now ({@link #setTrigger}; Long.MAX_VALUE
     * when none is armed). The collector re-tests a requested cycle against it before the cycle starts
     * (Go's gcTrigger.test for a heap trigger: heapLive >= trigger).
     */
    public long trigger() {
        return heap.trigger;
    }

    /**
     * Installs the hook called when heapLive reaches {@code triggerBytes} (null hook: none). The
     * trigger does not follow stacks: see the three-argument form.
     */
    public void setTrigger(long triggerBytes, HeapTrigger hook) {
        setTrigger(triggerBytes, hook, STACKS_NOT_FOLLOWED);
    }

    /** {@link #setTrigger}'s "the trigger does not follow the stacks". */
    public static final long STACKS_NOT_FOLLOWED = -1;

    /**
     * {@link #setTrigger(long, HeapTrigger)} for a trigger computed from figures read when
     * {@link #stackSpanChanges()} was {@code stacksSeen}: a span refill below the trigger calls
     * {@link HeapTrigger#stacksChanged} while the count differs from it (the memory limit's goal,
     * and so the trigger, counts the stacks). {@link #STACKS_NOT_FOLLOWED}: no such call.
     */
    public void setTrigger(long triggerBytes, HeapTrigger hook, long stacksSeen) {
        if (stacksSeen < STACKS_NOT_FOLLOWED) {
            throw new IllegalArgumentException("setTrigger: stacksSeen " + stacksSeen
                    + " is not a count; accepted: a value stackSpanChanges() returned, or STACKS_NOT_FOLLOWED (-1)");
        }
        heap.trigger = triggerBytes;
        heap.triggerHook = hook;
        heap.stacksSeenByTrigger = stacksSeen;
    }

    /**
     * Stack spans taken from or returned to the page heap so far (each moves StackInuse): read it
     * before the figures a trigger is computed from, and arm the trigger with it.
     */
    public long stackSpanChanges() {
        return heap.stackSpanChanges;
    }

    /**
     * The armed trigger follows the stacks and stack spans moved since its figures were read: what
     * makes a refill below it call {@link HeapTrigger#stacksChanged}. A hook called at or past the
     * trigger asks it to re-arm before it tests, as Go's trigger test reads the stacks live.
     */
    public boolean triggerStacksStale() {
        long seen = heap.stacksSeenByTrigger;
        return seen != STACKS_NOT_FOLLOWED && seen != heap.stackSpanChanges;
    }
}
