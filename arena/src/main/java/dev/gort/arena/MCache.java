package dev.gort.arena;

import dev.gort.sys.NativeMemory;

/**
 * mcache: a per-owner cache of one span per span class; allocation and free on it take no lock
 * and allocate no Java object. An mcache has one owner at a time: a P under the scheduler, or a
 * thread in manual mode ({@link Heap#newCache()} per thread, {@link Heap#releaseCache} when done).
 * Using one mcache from two threads at once is a caller bug this class does not detect.
 *
 * <h2>alloc (Go's mallocgc small path)</h2>
 * <ol>
 * <li>size -&gt; size class (two byte tables), spanClass = class &lt;&lt; 1 | noscan.</li>
 * <li>Fast path (Go's nextFreeFast): ctz(allocCache) of the cached span gives the next free slot;
 *     if it is inside the span and not crossing a 64-slot boundary, shift the cache, bump
 *     freeIndex and allocCount, zero the slot if the span's needzero says so.</li>
 * <li>Slow path (nextFreeIndex): reload allocCache from allocBits 64 slots at a time. If the span
 *     is exhausted and has pending frees (manual mode), fold them in place and continue; else
 *     refill: the span goes back to its mcentral, a new one comes from mcentral.cacheSpan.</li>
 * <li>Large (&gt; 32 KiB): a span of its own from the mheap.</li>
 * </ol>
 *
 * <h2>free (manual mode)</h2>
 * The span is found from the address through the spans region, the slot by Go's divMul multiply,
 * and the address must be the slot's start. If this mcache owns the span the slot's bit is set in
 * the span's localFreed bitmap with plain stores; otherwise it is OR-ed into remoteFreed
 * atomically, after announcing it in remotePending (the first announcement moves a full span to
 * its mcentral's partial list). Freed slots become allocatable when the span is next folded
 * ({@link SpanSweep}), which keeps freeIndex monotone between sweeps as in Go.
 */
public final class MCache {
    static final int NFREE = SizeClasses.NUM_SIZE_CLASSES;
    static final int LARGE_MALLOCS = 2 * SizeClasses.NUM_SIZE_CLASSES;
    static final int LARGE_FREES = LARGE_MALLOCS + 1;
    static final int LARGE_BYTES_ALLOC = LARGE_MALLOCS + 2;
    static final int LARGE_BYTES_FREED = LARGE_MALLOCS + 3;
    static final int STATS = LARGE_MALLOCS + 4;

    private final Heap heap;
    final long id;
    private final long empty;
    private final long arenaBase;
    private final long spansBase;
    /** A descriptor's pending-free pair is at descriptor + freedDelta ({@link AddressSpace#freedBits}). */
    private final long freedDelta;
    private final AddressSpace space;
    /**
     * The cached span of each span class, or the empty sentinel (whose allocCache is 0). The same
     * array for the cache's whole life, so that an owner may hold it ({@link #spanTable}) and reach
     * a span in one load fewer: mark termination moves the cached spans into {@link #spare} (one
     * pass over the table, world stopped) instead of swapping the tables ({@link #detachForSweep}).
     */
    final long[] alloc = new long[SizeClasses.NUM_SPAN_CLASSES];
    /**
     * The pointer-bit stamp of each cached span ({@link GcSupport#stampFreeSlots}), owner-only:
     * 0 while the span in {@link #alloc} has not been stamped since it was cached, a stamp key when
     * every slot the owner may still hand out from it holds that key's pointer bits, or
     * {@link GcSupport#NO_STAMP} when it will not be stamped in this caching. Reset to 0 wherever
     * {@link #alloc}'s entry changes or freed slots come back to the span (refill, its fold,
     * {@link #detachForSweep}, {@link #releaseAll}, Heap.close), and dropped for good at this
     * cache's first manual free ({@link #manualFrees}), which may put a slot with another type's
     * bits back under the cursor.
     */
    final long[] stamps = new long[SizeClasses.NUM_SPAN_CLASSES];
    /** Set at this cache's first {@link #free}: no span of it is stamped from then on. */
    boolean manualFrees;
    /**
     * The spans this cache held when the last sweep cycle began (Go's mspan.sweepgen == sg+1:
     * "cached before sweep began, still cached, needs sweeping"), set aside by
     * {@link #detachForSweep} and returned (swept) to their mcentrals by {@link #drainStale} on the
     * sweeper's or the coordinator's thread; null when none. The owner never reads it: it
     * allocates only from {@link #alloc}. Guarded by this cache's monitor (written), volatile for
     * the sweeper's quick look.
     */
    private volatile long[] stale;
    /** An all-empty table for the next {@link #detachForSweep}; null while {@link #stale} uses it. Guarded by this. */
    private long[] spare = new long[SizeClasses.NUM_SPAN_CLASSES];
    /**
     * Owner-only counters: mallocs per class, frees per class (counted by whoever frees), large
     * counts and bytes. Summed by readMemStats. Small mallocs are counted per span, as Go's
     * mcache does (smallAllocCount += allocCount - allocCountBeforeCache at uncache): no
     * allocation path counts its object; the cached span's allocCount does, and
     * {@link #flushAllocs} moves its growth since {@link #allocBase} into here wherever the span
     * leaves the cache or its allocCount changes for another reason (a fold). A LIFO free, which
     * takes one off allocCount, counts that malloc here at once. So at every point: mallocs of
     * class c = stats[c] + the sum, over the cached spans of c, of allocCount - allocBase, which
     * {@link #addStatsTo} reads consistently ({@link #statsSeq}).
     */
    final long[] stats = new long[STATS];
    /**
     * Per span class: the part of the cached span's allocCount already counted in {@link #stats}
     * (Go's mspan.allocCountBeforeCache). Owner-written, under {@link #statsSeq}.
     */
    private final int[] allocBase = new int[SizeClasses.NUM_SPAN_CLASSES];
    /**
     * A sequence count around the owner's rare changes of which span is cached and what its base
     * is (refill, fold, set-aside, release, close): odd while one is under way, so
     * {@link #addStatsTo} on another thread retries instead of pairing a span with another's base
     * or counting a flushed span twice. Not touched by the allocation or free fast paths.
     */
    @SuppressWarnings("unused")     // through STATS_SEQ
    private int statsSeq;
    private final boolean clobber;
    /** Debug padding check (HeapConfig.overflowCheck): every small object is padded and checked. */
    private final boolean overflowCheck;
    /** efence mode (HeapConfig.efence): every object is a page-granular span of its own. */
    private final boolean efence;
    /**
     * Largest size the inline fast path serves: 32 KiB, or 0 in overflowCheck mode so that every
     * allocation takes allocSlow, which pads (a field instead of a second flag test on the fast path).
     */
    private final long fastLimit;
    /** {@link #allocFast} may serve: no debug mode that checks, pads or isolates every object. */
    private final boolean typedFast;
    /**
     * Set by the collector while marking: new objects are born marked (Go's allocate-black), a
     * window at a time. While it is set, every free slot of each cached span's current window
     * (the slots its allocCache names) has its mark bit set ({@link GcSupport#premarkWindow}), so
     * an allocation from the window writes no mark bit and pays no atomic: the window is marked
     * with one atomic OR when it is taken (here: {@link #nextWindow}, {@link #allocAt},
     * {@link #nextFreeIndex}, {@link #refill}; the caches' current windows at mark start,
     * {@link Heap#setAllocBlack}), and the marks of the slots it did not hand out are cleared when
     * its span leaves the cache while marking ({@link #refill}'s return and fold,
     * {@link #releaseAll}) and, for every cache, when marking ends (Heap.setAllocBlack(false), the
     * world stopped), so the cycle's marks name exactly its marked and allocated-black objects
     * (the sweep alone would not need it: it keeps allocated-and-marked slots only).
     * A manual free that puts a slot back under the cursor marks it. Slots handed out before mark
     * start are not in the window (the cursor passed them) and stay white until a marker finds
     * them. Between those points a free slot of a current window reads as marked: a dangling
     * pointer into one is taken for an already marked object rather than reported as bad.
     * Changes only with the world stopped, when no owner is inside an allocation.
     */
    volatile boolean allocBlack;
    /**
     * Which step of the slow path this cache's owner is in (a STEP_ constant), for a stop-the-world
     * to name where a mutator "in the allocator" was when asked (a diagnostic: plain stores on the
     * slow path only, read racily by the stopper; a stale read misnames one pause).
     */
    private int slowStep;
    private static final java.lang.invoke.VarHandle SLOW_STEP;

    private static final java.lang.invoke.VarHandle STATS_SEQ;

    static {
        try {
            STATS_SEQ = java.lang.invoke.MethodHandles.lookup().findVarHandle(MCache.class, "statsSeq", int.class);
            SLOW_STEP = java.lang.invoke.MethodHandles.lookup().findVarHandle(MCache.class, "slowStep", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Records the slow-path step: an opaque store (a plain mov on x86), so that C2 cannot fold
     * consecutive steps into the last one as it may plain stores no other code of this thread reads.
     */
    void step(int step) {
        SLOW_STEP.setOpaque(this, step);
    }
    public static final int STEP_NONE = 0;
    public static final int STEP_DRAIN = 1;
    public static final int STEP_LOCK_WAIT = 2;
    public static final int STEP_LOCKED = 3;
    public static final int STEP_SWEEP = 4;
    public static final int STEP_MHEAP = 5;
    public static final int STEP_ZERO = 6;
    public static final int STEP_LARGE = 7;
    public static final int STEP_TRIGGER = 8;
    private static final String[] STEP_NAMES = {"", "returning set-aside spans", "waiting for an mcentral lock",
        "holding an mcentral lock", "sweeping a claimed span", "at the mheap", "zeroing a span",
        "allocating a large object", "at the GC trigger"};

    /**
     * Set by the owner around an allocation that can stop and retry (the collector's): a refill's
     * long steps then poll {@link GcSupport#setStopHook the stop hook} between bounded chunks and
     * throw {@link AllocationYield} when a stop is waiting. Owner-only, plain: written and read by
     * the thread inside the allocation, and cleared before the owner reaches a safepoint.
     */
    private boolean stopYield;

    /** See {@link #stopYield}: the caller catches {@link AllocationYield} from {@link #alloc} while this is on. */
    public void setStopYield(boolean on) {
        stopYield = on;
    }

    /** Whether the owner is inside an allocation that may give up for a stop ({@link #setStopYield}). */
    boolean stopYield() {
        return stopYield;
    }

    /** The slow-path step the owner is in now (STEP_NONE outside the slow path). */
    public int slowStep() {
        return (int) SLOW_STEP.getOpaque(this);
    }

    /** A STEP_ constant's name ("" for STEP_NONE, "?" if unknown). */
    public static String stepName(int step) {
        return step >= 0 && step < STEP_NAMES.length ? STEP_NAMES[step] : "?";
    }
    boolean released;
    /** The thread that owns this cache if it came from {@link Heap#threadCache()}, else null. */
    volatile Thread owner;
    /**
     * The object the last fast-path allocation returned, 0 when none (Go has no counterpart: this
     * is manual mode's alloc/free pair). While it is non-zero, nothing has moved its span's
     * cursor since: freeIndex is lastIdx + 1 and bit 0 of allocCache's pre-alloc value was this
     * slot, so the owner's free of this address can put the slot straight back under the cursor
     * without the spans lookup, the divMul slot arithmetic, allocBits or localFreed (a local free
     * of it clears this first). Only remoteFreed must still be checked: another thread may have
     * freed the object. Cleared by every path that moves a cursor or uncaches a span (slow
     * alloc, refill, releaseAll, Heap.close) and never set in clobberFree mode.
     */
    long lastAddr;
    /** The span, slot and size class of {@link #lastAddr}. */
    private long lastSpan;
    private int lastIdx;
    private int lastCls;

    MCache(Heap heap, long id) {
        this.heap = heap;
        this.id = id;
        this.empty = heap.emptySpan;
        this.space = heap.space;
        this.arenaBase = heap.space.arenaBase;
        this.spansBase = heap.space.spansBase;
        this.freedDelta = heap.space.freedDelta;
        this.clobber = heap.clobberFree;
        this.overflowCheck = heap.config.overflowCheck();
        this.efence = heap.config.efence();
        this.fastLimit = overflowCheck || efence ? 0 : SizeClasses.MAX_SMALL_SIZE;
        this.typedFast = !overflowCheck && !efence && !clobber;
        java.util.Arrays.fill(alloc, empty);
        java.util.Arrays.fill(spare, empty);
    }

    /**
     * Allocates {@code size} bytes of zeroed memory and returns its address (8-byte aligned; 16
     * and more for sizes that are multiples of 16). {@code noscan}: the object holds no pointers
     * the collector must trace. Throws IllegalArgumentException for size &lt;= 0 or above the
     * maximum, HeapExhaustedException when the reservation is used up.
     */
    public long alloc(long size, boolean noscan) {
        if (size > 0 && size <= fastLimit) {
            int cls = SizeClasses.SIZE_TO_CLASS[((int) size + 7) >>> 3];
            // at(): the span's address with its range known to C2, so no access below pays the
            // all-memory segment's bounds check (see Mem.ADDRESS_MASK).
            long s = Mem.at(alloc[cls << 1 | (noscan ? 1 : 0)]);
            long cache = Mem.getLong(s + Span.ALLOC_CACHE);
            long fc = Mem.getLong(s + Span.FREE_INDEX); // freeIndex | allocCount << 32
            long ne = Mem.getLong(s + Span.NELEMS); // nelems | elemSize << 32
            int tz = Long.numberOfTrailingZeros(cache);
            int idx = (int) fc + tz;
            int nelems = (int) ne;
            int next = idx + 1;
            if (tz < 64 && idx < nelems && ((next & 63) != 0 || next == nelems)) {
                Mem.putLong(s + Span.ALLOC_CACHE, (cache >>> tz) >>> 1);
                Mem.putLong(s + Span.FREE_INDEX, (fc & 0xFFFF_FFFF_0000_0000L) + (1L << 32) | next);
                int es = (int) (ne >>> 32);
                long p = Mem.at(Mem.getLong(s + Span.START) + (long) idx * es);
                if (Mem.getInt(s + Span.NEEDZERO) != 0) {
                    if (clobber) {
                        checkPoison(s, idx, p, es);
                    }
                    Zeroing.zero(p, es);
                }
                // Counted by the span's allocCount (see stats).
                if (!clobber) {
                    lastAddr = p;
                    lastSpan = s;
                    lastIdx = idx;
                    lastCls = cls;
                }
                return p;
            }
        }
        return allocSlow(size, noscan);
    }

    /** Owner: opens a change of {@link #alloc}'s entries or {@link #allocBase} (see {@link #statsSeq}). */
    private void beginStatsChange() {
        STATS_SEQ.setOpaque(this, (int) STATS_SEQ.getOpaque(this) + 1);
        java.lang.invoke.VarHandle.storeStoreFence();     // the odd count is visible before any change
    }

    /** Owner: closes it; the changes are visible before the even count. */
    private void endStatsChange() {
        STATS_SEQ.setRelease(this, (int) STATS_SEQ.getOpaque(this) + 1);
    }

    /**
     * Owner, between begin/endStatsChange: counts cached span {@code s}'s (of {@code spc})
     * mallocs since its base into {@link #stats}; its base becomes its allocCount.
     */
    private void flushAllocs(int spc, long s) {
        if (s != empty) {
            int ac = Mem.getInt(s + Span.ALLOC_COUNT);
            stats[spc >>> 1] += ac - allocBase[spc];
            allocBase[spc] = ac;
        }
    }

    /** Owner, between begin/endStatsChange: {@code s} is cached for {@code spc} from now on, its mallocs so far not this cache's. */
    private void cache(int spc, long s) {
        alloc[spc] = s;
        allocBase[spc] = s == empty ? 0 : Mem.getInt(s + Span.ALLOC_COUNT);
    }

    /** Heap.close: every cached span's mallocs counted into {@link #stats}, before the table is emptied. */
    void flushAllAllocs() {
        beginStatsChange();
        for (int spc = 0; spc < alloc.length; spc++) {
            flushAllocs(spc, alloc[spc]);
        }
        endStatsChange();
    }

    /**
     * readMemStats, from any thread: adds this cache's counters to {@code sum}, with the cached
     * spans' mallocs not yet flushed ({@link #stats}), between the owner's changes of its table
     * (retried while one is under way; those are once per span, never on a fast path). The
     * owner's fast paths change allocCount and stats while this reads, so the read is a racy
     * snapshot, as the counters were before: the spans' allocCounts are read first, then stats,
     * and a LIFO free counts its malloc in stats before it lowers allocCount, so mallocs read at
     * least every malloc done before this call and at most those done before it returns, plus
     * one per object allocated before it and freed LIFO during it (a concurrent reader may see
     * mallocs one higher than a read that follows it).
     */
    void addStatsTo(long[] sum) {
        long[] mine = new long[STATS];
        for (int spins = 1; ; spins++) {
            int v = (int) STATS_SEQ.getAcquire(this);
            if ((v & 1) == 0) {
                for (int spc = 0; spc < alloc.length; spc++) {
                    long s = alloc[spc];
                    if (s != empty) {
                        mine[spc >>> 1] += Mem.getInt(s + Span.ALLOC_COUNT) - allocBase[spc];
                    }
                }
                java.lang.invoke.VarHandle.loadLoadFence();     // allocCounts before stats (see above)
                for (int i = 0; i < STATS; i++) {
                    mine[i] += stats[i];
                }
                java.lang.invoke.VarHandle.loadLoadFence();
                if ((int) STATS_SEQ.getOpaque(this) == v) {
                    break;
                }
            }
            // An odd count held across a fold's sweep by a descheduled owner: give the CPU up now
            // and then rather than spin through a whole time slice (no lock is held here since session 32: Heap.sumCacheStats).
            Heap.spinOrYield(spins);
            java.util.Arrays.fill(mine, 0);
        }
        for (int i = 0; i < STATS; i++) {
            sum[i] += mine[i];
        }
    }

    /**
     * This cache's span table, for an owner to hold and pass to {@link #allocFast}: the same array
     * for the cache's life (see {@link #alloc}). Only the owner may use it, as the cache itself.
     */
    public long[] spanTable() {
        return alloc;
    }

    /**
     * Bytes of the spans this cache took from the heap (small spans at refill, large objects'
     * spans) since the last call, and resets the count: the owner's proportional-sweep debt, paid
     * per span as Go's cacheSpan and largeAlloc deduct sweep credit, not per object. Owner-only.
     */
    public long takeSpanBytes() {
        long b = spanBytesTaken;
        spanBytesTaken = 0;
        return b;
    }

    /** See {@link #takeSpanBytes}; added to by {@link #refill} and Heap.allocLarge. */
    long spanBytesTaken;

    /**
     * The collector's typed fast path (Go's nextFreeFast plus mallocgc's small-object tail): a slot
     * of span class {@code spanClass} from the cached span's allocCache window, zeroed, counted and
     * allocated black when the collector marks, or 0 when this path cannot serve it (no free slot
     * left in the current 64-slot window, or a debug mode: clobberFree's poison check, overflow
     * padding, efence) — then call {@link #alloc}, which handles every case. The slot that ends a
     * window loads the next window's allocCache itself ({@link #nextWindow}).
     *
     * <p>{@code table} is this cache's {@link #spanTable}, which the caller holds: the span is
     * then two dependent loads from the caller's own object (holder -> table -> span) instead of
     * three (holder -> cache -> table -> span), the fast path's longest chain. Another array is
     * refused (0), not used.
     *
     * <p>Kept small on purpose (slots up to 16 bytes zeroed inline, larger ones and the mark bit
     * out of line): C2 inlines a callee only while its own compiled code is under
     * InlineSmallCode (2500 bytes on x86), and this method is compiled into the collector's
     * allocation fast path, which must stay inlinable into the program's call sites.
     */
    public long allocFast(long[] table, int spanClass) {
        long s = Mem.at(table[spanClass]);
        long cache = Mem.getLong(s + Span.ALLOC_CACHE);
        long fc = Mem.getLong(s + Span.FREE_INDEX); // freeIndex | allocCount << 32
        long ne = Mem.getLong(s + Span.NELEMS); // nelems | elemSize << 32
        int tz = Long.numberOfTrailingZeros(cache);
        int idx = (int) fc + tz;
        int nelems = (int) ne;
        int next = idx + 1;
        if (tz == 64 || idx >= nelems || !typedFast || table != alloc) {
            return 0;       // table != alloc: another cache's table (its spans are not ours to take)
        }
        // The slot that ends a 64-slot window loads the next window's allocCache here (out of
        // line, once per 64 slots) instead of sending the caller down the general path, as
        // allocAt does for it: Go's nextFreeFast gives up there and mallocgc's nextFree pays a
        // few loads, but our general path is the collector's whole allocate + alloc + allocSlow.
        long nextCache = (next & 63) == 0 && next != nelems ? nextWindow(s, next) : (cache >>> tz) >>> 1;
        Mem.putLong(s + Span.ALLOC_CACHE, nextCache);
        Mem.putLong(s + Span.FREE_INDEX, (fc & 0xFFFF_FFFF_0000_0000L) + (1L << 32) | next);
        lastAddr = 0;       // a cursor moved: manual free's shortcut no longer holds
        int es = (int) (ne >>> 32);
        long p = Mem.at(Mem.getLong(s + Span.START) + (long) idx * es);
        if (Mem.getInt(s + Span.NEEDZERO) != 0) {
            zeroSlot(p, es);
        }
        return p;       // counted by the span's allocCount (see stats); allocated black by its window's premark while marking (see allocBlack)
    }

    /**
     * The allocCache of the window that starts at slot {@code next} (a multiple of 64 below
     * nelems): the complement of its allocBits word, bit 0 = slot {@code next}; while marking,
     * the window's free slots are marked first ({@link #allocBlack}). Kept out of line: taken
     * once per 64 allocations, and allocFast must stay small.
     */
    private long nextWindow(long s, int next) {
        long cache = ~Mem.getLong(Mem.getLong(s + Span.ALLOC_BITS) + ((long) (next >>> 6) << 3));
        if (allocBlack) {
            GcSupport.premarkWindow(s, next, cache);
        }
        return cache;
    }

    /** Zeroes a slot of {@code es} bytes: 8 or 16 with straight stores, larger ones out of line. */
    private static void zeroSlot(long p, int es) {
        if (es <= 16) {
            Mem.putLong(p, 0L);
            if (es == 16) {
                Mem.putLong(p + 8, 0L);
            }
        } else {
            Zeroing.zero(p, es);
        }
    }

    /** Keeps {@link #allocBlack}'s invariant for a slot a manual free puts back under the cursor while marking. */
    private void markReturnedSlot(long s, int idx) {
        if (allocBlack) {
            heap.gc.markSlot(s, idx);
        }
    }

    private long allocSlow(long size, boolean noscan) {
        lastAddr = 0;
        heap.checkOpen();
        if (released) {
            throw new IllegalStateException(this + " was released with Heap.releaseCache; get a new one with newCache()");
        }
        if (size <= 0 || size > heap.maxObjectSize) {
            throw new IllegalArgumentException("allocation size " + size + " is out of range: accepted 1 to "
                    + heap.maxObjectSize + " bytes (the arena reservation)");
        }
        if (efence) {
            return heap.allocLarge(this, size, noscan);
        }
        if (overflowCheck) {
            // Every object of a small span is padded; the few sizes that cannot take the 8 more
            // bytes (32761 to 32768) become large objects, which are not checked.
            if (size <= SizeClasses.MAX_SMALL_SIZE - OverflowPadding.TRAILER) {
                int padded = (int) size + OverflowPadding.TRAILER;
                return OverflowPadding.pad(allocSmall(padded, noscan), size,
                        SizeClasses.classToSize(SizeClasses.sizeToClass(padded)));
            }
            return heap.allocLarge(this, size, noscan);
        }
        if (size > SizeClasses.MAX_SMALL_SIZE) {
            step(STEP_LARGE);
            long p = heap.allocLarge(this, size, noscan);
            step(STEP_NONE);
            return p;
        }
        return allocSmall(size, noscan);
    }

    private long allocSmall(long size, boolean noscan) {
        int cls = SizeClasses.sizeToClass((int) size);
        int spc = SizeClasses.spanClass(cls, noscan);
        while (true) {
            long s = alloc[spc];
            int idx = nextFreeIndex(s, allocBlack);
            if (idx < Span.nelems(s)) {
                return allocAt(s, idx, cls);
            }
            refill(spc);
        }
    }

    /**
     * Go's nextFreeIndex: moves freeIndex/allocCache to the next free slot; nelems if none. A
     * window it moves to is premarked when {@code black} ({@link #allocBlack}).
     */
    private static int nextFreeIndex(long s, boolean black) {
        int nelems = Span.nelems(s);
        int fi = Mem.getInt(s + Span.FREE_INDEX);
        if (fi >= nelems) {
            return nelems;
        }
        long cache = Mem.getLong(s + Span.ALLOC_CACHE);
        int tz = Long.numberOfTrailingZeros(cache);
        long bits = Mem.getLong(s + Span.ALLOC_BITS);
        boolean moved = false;
        while (tz == 64) {
            moved = true;
            fi = (fi + 64) & ~63;
            if (fi >= nelems) {
                Mem.putInt(s + Span.FREE_INDEX, nelems);
                return nelems;
            }
            cache = ~Mem.getLong(bits + ((long) (fi >>> 6) << 3));
            tz = Long.numberOfTrailingZeros(cache);
        }
        int result = fi + tz;
        if (result >= nelems) {
            Mem.putInt(s + Span.FREE_INDEX, nelems);
            Mem.putLong(s + Span.ALLOC_CACHE, 0);
            return nelems;
        }
        Mem.putLong(s + Span.ALLOC_CACHE, cache >>> tz);
        Mem.putInt(s + Span.FREE_INDEX, result);
        if (black && moved) {
            GcSupport.premarkWindow(s);
        }
        return result;
    }

    /** Allocates slot {@code idx}, which nextFreeIndex just found (bit 0 of allocCache). */
    private long allocAt(long s, int idx, int cls) {
        int nelems = Span.nelems(s);
        int next = idx + 1;
        long cache = Mem.getLong(s + Span.ALLOC_CACHE) >>> 1;
        if ((next & 63) == 0 && next < nelems) {
            cache = nextWindow(s, next);
        }
        Mem.putLong(s + Span.ALLOC_CACHE, cache);
        Mem.putInt(s + Span.FREE_INDEX, next);
        Mem.putInt(s + Span.ALLOC_COUNT, Mem.getInt(s + Span.ALLOC_COUNT) + 1);
        int es = Span.elemSize(s);
        long p = Span.start(s) + (long) idx * es;
        if (Mem.getInt(s + Span.NEEDZERO) != 0) {
            if (clobber) {
                checkPoison(s, idx, p, es);
            }
            Zeroing.zero(p, es);
        }
        return p;       // counted by the span's allocCount (see stats); allocated black by its window's premark while marking (see allocBlack)
    }

    /** The cached span of {@code spc} is exhausted: fold its pending frees, or swap it for another. */
    private void refill(int spc) {
        if (dev.gort.sys.PathProbe.ON) {
            long t = dev.gort.sys.PathProbe.start();
            try {
                refillUnprobed(spc);
            } finally {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.REFILL, t);
            }
        } else {
            refillUnprobed(spc);
        }
    }

    private void refillUnprobed(int spc) {
        lastAddr = 0;
        if (stale != null) {
            // The first refill since mark termination set this cache's spans aside: return them
            // (swept) to their mcentrals now, on the owner's time, as Go's P runs
            // mcache.prepareForSweep before it allocates, so this refill and the ones after find
            // their free slots instead of growing the heap while they wait for the sweeper.
            step(STEP_DRAIN);
            long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
            drainStale(Integer.MAX_VALUE);
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.DRAIN_STALE, t);
            }
        }
        long s = alloc[spc];
        MCentral central = heap.central(spc);
        if (s != empty) {
            if (allocBlack) {
                GcSupport.unpremarkWindow(s);       // the window's free slots leave the cache (or are refolded)
            }
            if (SpanSweep.hasPending(s)) {
                // heapLive is unchanged: the freed slots are free slots of a cached span, which
                // Go's accounting already counts as allocated until the span is uncached.
                stamps[spc] = manualFrees ? GcSupport.NO_STAMP : 0;     // folded slots keep their last object's bits
                long r;
                beginStatsChange();
                try {
                    flushAllocs(spc, s);        // the fold lowers allocCount: count the mallocs first
                    r = SpanSweep.sweep(s, space.freedBits(s), false, clobber);
                } finally {
                    cache(spc, s);              // its base: what the fold left (or, if it threw, what it had)
                    endStatsChange();           // never left odd: readers would wait for good
                }
                if (SpanSweep.lateBad(r) != 0) {
                    heap.lateInvalidFrees.addAndGet(SpanSweep.lateBad(r));
                }
                if (Mem.getInt(s + Span.ALLOC_COUNT) < central.nelems) {
                    if (allocBlack) {
                        GcSupport.premarkWindow(s);
                    }
                    return;
                }
            }
            beginStatsChange();
            flushAllocs(spc, s);
            cache(spc, empty);
            endStatsChange();
        } else {
            s = 0;
        }
        long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        try {
            s = central.cacheSpan(s, this);     // gives the exhausted span back and takes another
        } finally {
            // Also when it gives up for a stop (AllocationYield): the probe's starts stay balanced.
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.CACHE_SPAN, t);
            }
        }
        beginStatsChange();
        cache(spc, s);
        endStatsChange();
        spanBytesTaken += (long) Span.npages(s) << SizeClasses.PAGE_SHIFT;
        stamps[spc] = manualFrees ? GcSupport.NO_STAMP : 0;
        if (allocBlack) {
            GcSupport.premarkWindow(s);
        }
        step(STEP_ZERO);
        zeroIfAllFree(s);
        step(STEP_TRIGGER);
        heap.checkTrigger();
        step(STEP_NONE);
    }

    /**
     * A span that comes to this cache with every slot free but dirty (needzero: memory of earlier
     * objects) is zeroed whole, in one bulk fill, and marked clean, so the allocations that follow
     * skip their per-object zeroing. In a collected heap that is most refills (a span freed whole
     * by the sweep and handed out again by the mheap): one memset of the span's objects instead of
     * a store per word spread over its allocations, each the first touch of its cache line. Kept
     * exact for needzero's invariant (a clean span's free slots are all zero): every slot is free,
     * and later frees set needzero again. Not in clobberFree mode, whose poison must stay to be
     * checked at allocation.
     */
    private void zeroIfAllFree(long s) {
        if (!clobber && Mem.getInt(s + Span.NEEDZERO) != 0 && Mem.getInt(s + Span.ALLOC_COUNT) == 0) {
            Zeroing.zeroSpan(Span.start(s), (long) Span.nelems(s) * Span.elemSize(s));
            Mem.putInt(s + Span.NEEDZERO, 0);
        }
    }

    /**
     * Frees the object that starts at {@code address} (manual mode). Safe from any thread that
     * owns some mcache of the same heap: the object need not have come from this one. Throws
     * {@link InvalidFreeException} (naming address, span, size class) for a double free or an
     * address that is not the start of a live object; nothing changes then.
     *
     * <p>Deliberately one method of more than C2's FreqInlineSize (325 bytecodes), the
     * last-allocation path and the general free together: callers call it instead of inlining it,
     * so it is compiled once on its own budget. Each native access expands to ~600 bytecodes and
     * ~650 C2 parse nodes of force-inlined FFM code. Inlined, the general free used up the
     * caller's DesiredMethodLimit (8000 bytecodes); even the last-allocation path alone, inlined
     * beside alloc, made an alloc+free pair ~12,000 nodes, two thirds of C2's
     * NodeCountInliningCutoff (18,000): a caller whose compilation parses the pair twice (C2
     * parses a do-while loop's first iteration as a copy of its own, as in JMH's measurement
     * stub) ran out of nodes in the second, steady-state copy and left alloc's zeroing stores and
     * this free as out-of-line calls: 22-27 ns per pair instead of 9-10. Called, the pair costs
     * one call (~1 ns) more than fully inlined, in every caller shape.
     */
    public void free(long address) {
        if (!manualFrees) {
            dropStamps();
        }
        if (address == lastAddr && address != 0) {
            long s = Mem.at(lastSpan);
            int idx = lastIdx;
            // No remote free announced (a set remoteFreed bit always has its count) or none for this slot.
            if (Mem.getLong(s + Span.REMOTE_PENDING) == 0
                    || (Mem.getLong(freedBits(s) + Span.REMOTE_FREED + ((idx >>> 6) << 3)) & (1L << idx)) == 0) {
                // The LIFO case below, its checks already known to hold (see lastAddr).
                lastAddr = 0;
                // The malloc allocCount is about to forget, counted first (lastSpan is cached; see
                // stats and addStatsTo, which reads allocCount before stats).
                stats[lastCls]++;
                java.lang.invoke.VarHandle.storeStoreFence();
                Mem.putLong(s + Span.ALLOC_CACHE, (Mem.getLong(s + Span.ALLOC_CACHE) << 1) | 1);
                Mem.putLong(s + Span.FREE_INDEX, Mem.getLong(s + Span.FREE_INDEX) - (1L << 32) - 1);
                Mem.putInt(s + Span.NEEDZERO, 1);
                markReturnedSlot(s, idx);
                stats[NFREE + lastCls]++;
                return;
            }
            // remoteFreed set: a double free, which the checks below report.
        }
        // Another address cannot be lastAddr's slot (the start check below), so only a free of
        // lastAddr itself (remoteFreed set: a double free) must forget it.
        if (address == lastAddr) {
            lastAddr = 0;
        }
        long off0 = address - arenaBase;
        if (off0 < 0 || off0 >= space.arenaCommitted) {
            throw outsideArena(address);
        }
        // The span: one shift and one load (spans region, 8 B per page). Masked bases (Mem.at)
        // let C2 drop the all-memory segment's bounds checks on every access below.
        long s = Mem.at(Mem.getLong(Mem.at(spansBase) + ((off0 >>> SizeClasses.PAGE_SHIFT) << 3)));
        // A non-zero spans entry always names a live descriptor whose pages include this one
        // (MHeap keeps that invariant), so an in-use span needs no range check here.
        long cs = s == 0 ? 0 : Mem.getLong(s + Span.SPAN_CLASS); // spanClass | state << 32
        if ((int) (cs >>> 32) != Span.IN_USE) {
            heap.freeNotSmall(this, s, address);
            return;
        }
        long off = address - Mem.getLong(s + Span.START);
        long ne = Mem.getLong(s + Span.NELEMS); // nelems | elemSize << 32
        int nelems = (int) ne;
        int idx = (int) ((off * (Mem.getLong(s + Span.DIV_MUL) & 0xFFFF_FFFFL)) >>> 32);
        if ((long) idx * (int) (ne >>> 32) != off || idx >= nelems) {
            throw notObjectStart(address, s, idx, off - (long) idx * (int) (ne >>> 32));
        }
        long wordOff = (long) (idx >>> 6) << 3;
        long bit = 1L << idx;
        long f = freedBits(s);
        if (Mem.getLong(s + Span.CACHED_BY) != id) {
            remoteFree(s, f, address, idx, wordOff, bit);
            stats[NFREE + ((int) cs >>> 1)]++;
            return;
        }
        // The owner's free: nobody else writes allocBits, freeIndex or localFreed of this span.
        long fc = Mem.getLong(s + Span.FREE_INDEX); // freeIndex | allocCount << 32
        int fi = (int) fc;
        long lw = Mem.getLong(f + Span.LOCAL_FREED + wordOff);
        // Below freeIndex every slot is allocated; allocBits only matters above it.
        long allocBits = Mem.at(Mem.getLong(s + Span.ALLOC_BITS)) + wordOff;
        boolean allocated = idx < fi || (Mem.getLong(allocBits) & bit) != 0;
        if (!allocated || ((lw | Mem.getLong(f + Span.REMOTE_FREED + wordOff)) & bit) != 0) {
            throw doubleFree(address, s, idx, allocated);
        }
        if (overflowCheck) {
            checkPadding(s, address, idx, (int) (ne >>> 32));
        }
        if (clobber) {
            Zeroing.poison(address, (int) (ne >>> 32));
        }
        if (idx == fi - 1 && ((fi & 63) != 0 || fi == nelems)) {
            // LIFO: the object just below the cursor goes straight back to it (alloc/free pairs
            // reuse one hot slot, no fold needed). allocCache's top bit is 0 here (it has been
            // shifted since it was loaded), so the left shift loses nothing.
            // The slot may predate the last sweep (allocBits set, skipped by the cursor and
            // uncovered by an earlier LIFO free): clear its bit so it reads as free.
            long aw = Mem.getLong(allocBits);
            if ((aw & bit) != 0) {
                Mem.putLong(allocBits, aw & ~bit);
            }
            if (alloc[(int) cs] == s) {
                // The malloc allocCount is about to forget, counted first (see stats and addStatsTo).
                stats[(int) cs >>> 1]++;
                java.lang.invoke.VarHandle.storeStoreFence();
            }
            Mem.putLong(s + Span.ALLOC_CACHE, (Mem.getLong(s + Span.ALLOC_CACHE) << 1) | 1);
            Mem.putLong(s + Span.FREE_INDEX, (fc & 0xFFFF_FFFF_0000_0000L) - (1L << 32) | idx);
            Mem.putInt(s + Span.NEEDZERO, 1);
            markReturnedSlot(s, idx);
        } else {
            // The common case: one bit in the owner's localFreed and the pending count; the slot
            // comes back when the span is next folded.
            if (!space.freedBitsWritten) {
                space.freedBitsWritten = true;      // once per heap: descriptors' pairs are cleared on reuse from now on
            }
            Mem.putLong(f + Span.LOCAL_FREED + wordOff, lw | bit);
            Mem.putInt(s + Span.LOCAL_PENDING, Mem.getInt(s + Span.LOCAL_PENDING) + 1);
        }
        stats[NFREE + ((int) cs >>> 1)]++;
    }

    /** The first manual free: stamps no longer hold (a slot may come back with another type's bits). */
    private void dropStamps() {
        manualFrees = true;
        java.util.Arrays.fill(stamps, GcSupport.NO_STAMP);
    }

    /**
     * The pointer-bit stamp of the span cached for {@code spanClass} (see {@link #stamps}): the
     * collector's typed fast path skips its bitmap write when this equals its type's stamp key.
     */
    public long pointerStamp(int spanClass) {
        return stamps[spanClass];
    }

    private void checkPoison(long s, int idx, long p, int es) {
        long off = Zeroing.checkPoison(p, es);
        if (off >= 0) {
            // The slot stays allocated: counted by the span's allocCount, already raised.
            throw new UseAfterFreeException("write after free: object 0x" + Long.toHexString(p) + " (slot " + idx
                    + " of " + Span.describe(s) + ") was modified at +" + off + " after it was freed: found 0x"
                    + Long.toHexString(Mem.getLong(p + off)) + ", expected the poison 0x"
                    + Long.toHexString(Zeroing.POISON) + " (or zero if never used)");
        }
    }

    /** overflowCheck mode: refuse the free (nothing changed yet) if the object's padding is damaged. */
    private void checkPadding(long s, long address, int idx, int slot) {
        String bad = OverflowPadding.check(address, slot);
        if (bad != null) {
            throw new ObjectOverflowException(bad + ": object 0x" + Long.toHexString(address) + " (slot " + idx
                    + " of " + Span.describe(s) + "); the free was refused, the object stays allocated");
        }
    }

    // Cold error paths, kept out of free() so its compiled code stays small.
    private InvalidFreeException outsideArena(long address) {
        return heap.invalidFree(address, 0, -1, "not a heap pointer: outside the committed arena [0x"
                + Long.toHexString(arenaBase) + ", 0x" + Long.toHexString(arenaBase + space.arenaCommitted) + ")");
    }

    private InvalidFreeException notObjectStart(long address, long s, int idx, long into) {
        return heap.invalidFree(address, s, idx, "not the start of an object (offset " + into + " into slot " + idx + ")");
    }

    private InvalidFreeException doubleFree(long address, long s, int idx, boolean allocated) {
        return heap.invalidFree(address, s, idx, allocated ? "double free" : "double free (slot is free)");
    }

    /** {@link AddressSpace#freedBits} with this cache's copies of the bases (no load through the heap). */
    private long freedBits(long s) {
        return Mem.at(s + freedDelta);
    }

    private void remoteFree(long s, long f, long address, int idx, long wordOff, long bit) {
        // Acquire freeIndex first: a concurrent fold writes allocBits before it resets freeIndex.
        int fi = NativeMemory.getIntAcquire(s + Span.FREE_INDEX);
        boolean allocated = idx < fi
                || (Mem.getLong(Mem.getLong(s + Span.ALLOC_BITS) + wordOff) & bit) != 0;
        if (!allocated || (NativeMemory.getLongVolatile(f + Span.REMOTE_FREED + wordOff) & bit) != 0
                || (Mem.getLong(f + Span.LOCAL_FREED + wordOff) & bit) != 0) {
            throw heap.invalidFree(address, s, idx, allocated ? "double free" : "double free (slot is free)");
        }
        if (overflowCheck) {
            checkPadding(s, address, idx, Span.elemSize(s));
        }
        if (clobber) {
            Zeroing.poison(address, Span.elemSize(s));
        }
        // Announce before publishing the bit: while the bit is unset the object is live, so the
        // span cannot be swept empty and returned to the heap under our feet.
        if (!space.freedBitsWritten) {
            space.freedBitsWritten = true;
        }
        if (NativeMemory.getAndAddLong(s + Span.REMOTE_PENDING, 1) == 0) {
            heap.central(Mem.getInt(s + Span.SPAN_CLASS)).remoteFreeAnnounced(s);
        }
        long old = (long) NativeMemory.LONG_HANDLE.getAndBitwiseOr(NativeMemory.ALL, f + Span.REMOTE_FREED + wordOff, bit);
        if ((old & bit) != 0) {
            NativeMemory.getAndAddLong(s + Span.REMOTE_PENDING, -1);
            throw heap.invalidFree(address, s, idx, "double free (raced with another free of the same object)");
        }
    }

    /**
     * Mark termination, world stopped, right after the sweep cycle began (sweepgen += 2): the
     * cached spans are set aside as a whole ({@link #stale}) and an empty table takes their place,
     * so the owner's next allocation of each class refills from its mcentral exactly as after a
     * flush, but the pause does one reference swap instead of an uncache (an mcentral lock, a
     * heapLive atomic, a list push) per cached span and a walk of every span class. Go defers the
     * same work out of the pause (mcache.prepareForSweep, run by each P before it allocates, and
     * by forEachP for idle ones); here no owner pays it: {@link #drainStale} runs on the sweeper.
     * Returns false, changing nothing, if the previous set aside was not drained yet (the caller
     * then flushes with {@link #releaseAll}); GC mode only (no manual frees race the drain).
     */
    synchronized boolean detachForSweep() {
        // drainers > 0: a drain may still hold the table that was retired into spare (read before
        // the retire, its thread descheduled since), and would race this pass's writes into it
        // (until session 20 the spare became the live alloc table, whose slots it would take
        // from under the owner). The caller flushes instead. Sequentially consistent: the
        // drain counts itself before it reads stale, the retire (under this monitor) follows that
        // read, and this read follows the retire.
        if (stale != null || spare == null || (int) DRAINERS.getVolatile(this) != 0) {
            return false;
        }
        lastAddr = 0;
        // The spans move into the empty spare table, which becomes the set-aside one: alloc keeps
        // its identity (an owner may hold it, see spanTable), every entry of it now empty.
        long[] held = spare;
        int n = 0;
        beginStatsChange();
        for (int spc = 0; spc < alloc.length; spc++) {
            long s = alloc[spc];
            if (s != empty) {
                flushAllocs(spc, s);
                held[spc] = s;
                cache(spc, empty);
                n++;
            }
        }
        endStatsChange();
        if (n == 0) {
            return true;        // nothing cached: nothing to set aside
        }
        spare = null;
        java.util.Arrays.fill(stamps, manualFrees ? GcSupport.NO_STAMP : 0);
        staleLeft = n;
        stale = held;
        heap.staleCaches.incrementAndGet();
        return true;
    }

    /** Heap.close: the set-aside spans are gone with the arena. */
    synchronized void forgetStale() {
        if (stale != null) {
            java.util.Arrays.fill(stale, empty);
            spare = stale;
            stale = null;
            heap.staleCaches.decrementAndGet();
        }
    }

    /** The spans set aside by {@link #detachForSweep} and not yet drained (verifyHeap), or null. */
    long[] staleSpans() {
        return stale;
    }

    /** Whether {@link #detachForSweep} left spans that {@link #drainStale} has not returned yet. */
    boolean hasStale() {
        return stale != null;
    }

    /**
     * Returns up to {@code max} of the spans {@link #detachForSweep} set aside to their mcentrals,
     * sweeping each (its sweepgen is the previous cycle's: {@link MCentral#uncacheSpan} sweeps a
     * stale span), from any thread. Returns the pages returned, 0 if this call returned none.
     *
     * <p>Each span is claimed on its own (an atomic exchange of its slot), with no lock held over
     * the drain: the owner's first refill drains the whole table while the background sweeper or
     * proportional sweep, draining one span per {@link GcSupport#sweepOne}, may take others of the
     * same table. Until session 8 the drain held this cache's monitor for the whole table, so an
     * owner's refill could wait for a descheduled sweeper to finish up to 136 span sweeps. The
     * thread that returns the table's last span retires it ({@code staleCaches} falls), so the
     * cycle's sweep is not finished while a claimed span is still being swept.
     */
    long drainStale(int max) {
        if (stale == null) {
            return 0;
        }
        DRAINERS.getAndAdd(this, 1);
        try {
            return drainStaleCounted(max);
        } finally {
            DRAINERS.getAndAdd(this, -1);
            heap.stallPoint(Heap.STALL_DRAIN_DONE, -1);
        }
    }

    /**
     * {@link #drainStale}'s body, counted in {@link #drainers}. The table read here may be retired
     * (its last span returned by another thread) while this thread is descheduled; until it
     * leaves, {@link #detachForSweep} does not reuse it as the live alloc table, whose slots this
     * loop would otherwise take from under the owner (a cached span uncached, its free slots
     * taken off heapLive while the owner still allocates from it, and the table then set aside
     * and live at once).
     */
    private long drainStaleCounted(int max) {
        long[] held = stale;
        if (held == null) {
            return 0;
        }
        heap.stallPoint(Heap.STALL_DRAIN_HELD, -1);
        long pages = 0;
        int done = 0;
        for (int spc = 0; spc < held.length && done < max; spc++) {
            if (held[spc] == empty) {
                continue;
            }
            long s = (long) SLOT.getAndSet(held, spc, empty);
            if (s == empty) {
                continue;       // another thread claimed it
            }
            heap.stallPoint(Heap.STALL_DRAIN_CLAIMED, spc);
            pages += Span.npages(s);
            done++;
            heap.central(spc).uncacheSpan(s);
            if ((int) STALE_LEFT.getAndAdd(this, -1) == 1) {
                retireStale(held);
            }
        }
        return pages;
    }

    private synchronized void retireStale(long[] held) {
        spare = held;
        stale = null;
        heap.staleCaches.decrementAndGet();
    }

    private static final java.lang.invoke.VarHandle SLOT = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    private static final java.lang.invoke.VarHandle STALE_LEFT;
    private static final java.lang.invoke.VarHandle DRAINERS;

    static {
        try {
            STALE_LEFT = java.lang.invoke.MethodHandles.lookup().findVarHandle(MCache.class, "staleLeft", int.class);
            DRAINERS = java.lang.invoke.MethodHandles.lookup().findVarHandle(MCache.class, "drainers", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Set-aside spans not yet returned to their mcentrals (claimed or not); see {@link #drainStale}. */
    private volatile int staleLeft;
    /** Threads inside {@link #drainStale} (Go's sweep.active for this cache's set-aside table); see {@link #detachForSweep}. */
    @SuppressWarnings("unused")     // through DRAINERS
    private volatile int drainers;

    /** Returns every cached span to its mcentral (Go's releaseAll); the cache stays usable. */
    public void releaseAll() {
        drainStale(Integer.MAX_VALUE);
        lastAddr = 0;
        for (int spc = 0; spc < alloc.length; spc++) {
            long s = alloc[spc];
            if (s != empty) {
                if (allocBlack) {
                    GcSupport.unpremarkWindow(s);
                }
                beginStatsChange();
                flushAllocs(spc, s);
                cache(spc, empty);
                endStatsChange();
                stamps[spc] = manualFrees ? GcSupport.NO_STAMP : 0;
                heap.central(spc).uncacheSpan(s);
            }
        }
    }

    /**
     * Heap.setAllocBlack, with the world stopped (no owner inside an allocation): the current
     * window of every cached span premarked ({@code on}) or its still-free slots unmarked, as
     * {@link #allocBlack} changes. Spans set aside by {@link #detachForSweep} are not cached: at
     * mark termination they are set aside after this runs.
     */
    void premarkWindows(boolean on) {
        for (long s : alloc) {
            if (s != empty) {
                if (on) {
                    GcSupport.premarkWindow(s);
                } else {
                    GcSupport.unpremarkWindow(s);
                }
            }
        }
    }

    /** Whether this mcache currently holds no span. */
    boolean isEmpty() {
        for (long s : alloc) {
            if (s != empty) {
                return false;
            }
        }
        return true;
    }

    public Heap heap() {
        return heap;
    }

    @Override
    public String toString() {
        return "MCache#" + id;
    }
}
