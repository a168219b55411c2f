package dev.gort.arena;

import dev.gort.sys.MemoryMaps;
import dev.gort.sys.NativeException;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A heap: the address space, the mheap, one mcentral per span class, the stack allocator and the
 * scavenger policies. See the package documentation for the design; in short:
 *
 * <pre>
 *   try (Heap heap = Heap.create(HeapConfig.defaults(), PosixOsMemory.get())) {
 *       MCache cache = heap.newCache();          // one per thread (or per P)
 *       long p = cache.alloc(32, true);          // 32 zeroed bytes, no pointers inside
 *       ...
 *       cache.free(p);                           // any thread's cache may free it
 *       heap.releaseCache(cache);
 *       heap.freeOSMemory();                     // give free pages back to the OS now
 *   }
 * </pre>
 *
 * Thread safety: every method may be called from any thread, except that an {@link MCache} has
 * one owner at a time and {@link #verifyHeap()} wants no concurrent allocation or free.
 */
public final class Heap implements AutoCloseable {
    final HeapConfig config;
    final AddressSpace space;
    final MHeap mheap;
    private final MCentral[] centrals = new MCentral[SizeClasses.NUM_SPAN_CLASSES];
    private final StackAllocator stacks;
    final GcSupport gc;
    /** The sentinel every mcache slot points to when it holds no span: allocCache 0, nelems 0. */
    final long emptySpan;
    final long maxObjectSize;
    /** Debug mode: poison freed small objects, check the poison when a slot is reused. */
    final boolean clobberFree;

    /** Go's mheap_.sweepgen: even, +2 per GC cycle. */
    volatile long sweepgen;
    private final AtomicLong heapLive = new AtomicLong();
    /**
     * Go's heapScan: the scannable part of heapLive, counted as heapLive is (a scan span's free
     * slots when an mcache takes it, back when it returns them; a scan large object whole; manual
     * frees of scan objects), in the unit of the collector's scan work (whole objects: the marker
     * counts an object's bytes). The collector resets it to the cycle's heap scan work at mark
     * termination and reads it at the next cycle's start: the worst-case scan work of that cycle.
     */
    private final AtomicLong heapScan = new AtomicLong();
    final AtomicLong lateInvalidFrees = new AtomicLong();
    /** Caches whose spans {@link MCache#detachForSweep} set aside and {@link MCache#drainStale} has not returned yet. */
    final java.util.concurrent.atomic.AtomicInteger staleCaches = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * Spans claimed off an mcentral's unswept lists and being swept with no lock held (Go's
     * sweep.active): the sweep of a cycle is finished only when nothing is left to claim and this
     * is 0 ({@link GcSupport#awaitSweepsInFlight}).
     */
    final java.util.concurrent.atomic.AtomicInteger sweepsInFlight = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * Test hook (null in production): called by a sweeping thread at the {@code STALL_*} points,
     * on whatever thread sweeps; a test blocks the background sweeper there to model a thread
     * that gets no CPU (SCHED_IDLE on busy CPUs, or any thread on a loaded machine). Set through
     * {@link GcSupport#setStallHookForTest}.
     */
    volatile GcSupport.StallHook stallHook;
    /** {@link MCentral#sweepOne}, before the lock hold that claims a batch. */
    static final int STALL_BEFORE_CLAIM = 1;
    /** {@link MCentral#sweepOne}, after that hold claimed a batch (counted in flight, not yet swept). */
    static final int STALL_AFTER_CLAIM = 2;
    /** {@link MCache#drainStale}, after it read the set-aside table and before its first claim. */
    static final int STALL_DRAIN_HELD = 3;
    /** {@link MCache#drainStale}, on its way out. */
    static final int STALL_DRAIN_DONE = 4;
    /** {@link MCache#drainStale}, a slot claimed and its span not yet returned (counted in staleLeft). */
    static final int STALL_DRAIN_CLAIMED = 5;

    void stallPoint(int point, int spanClass) {
        GcSupport.StallHook h = stallHook;
        if (h != null) {
            h.at(point, spanClass);
        }
    }

    volatile long trigger = Long.MAX_VALUE;
    volatile HeapTrigger triggerHook;
    /**
     * Stack spans taken from or returned to the page heap so far ({@link StackAllocator}, whose
     * lock serialises the writes): what moves StackInuse, and with it the memory limit's goal.
     */
    volatile long stackSpanChanges;
    /**
     * {@link #stackSpanChanges} as it was when the armed trigger's figures were read, or
     * {@link GcSupport#STACKS_NOT_FOLLOWED}: a refill below the trigger calls the hook's
     * {@link HeapTrigger#stacksChanged} once the count has moved past it. Written after
     * {@link #trigger} (GcSupport.setTrigger).
     */
    volatile long stacksSeenByTrigger = GcSupport.STACKS_NOT_FOLLOWED;

    private final List<MCache> caches = new ArrayList<>();
    /**
     * The caches list as an array, replaced (never written into) under the caches lock at each add
     * and remove: drainOneStaleCache walks a consistent set of caches without the lock and without
     * copying the list per call (the sweepers call it per span while a cache has stale spans: a
     * list copy each was ~1.5 MiB of Java garbage in a depth-21 run's first seconds).
     */
    private volatile MCache[] cacheArray = new MCache[0];
    private final ThreadLocal<MCache> threadCaches = new ThreadLocal<>();
    private final long[] retiredStats = new long[MCache.STATS];
    /**
     * A sequence count over {@link #retiredStats} and the set of caches: odd while a retire folds a
     * cache's counters into retiredStats and drops it from {@link #cacheArray} (under the caches
     * lock). {@link #readMemStats} sums them with no lock and sums again if it changed: a stats
     * reader runs on any thread (sysmon's scavenger, a sampler, a user's), none of which a
     * stop-the-world stops, and the caches lock is one that the stopped world's steps take
     * (setAllocBlack in both pauses, the caches' detach at mark termination).
     */
    private volatile int cacheSetSeq;
    /** Tests: run by {@link #readMemStats} after each cache it summed (a reader held in its sum). */
    private static volatile Runnable statsReadHookForTest;

    /** Test hook: {@code hook} runs in every {@link #readMemStats} after each cache summed (null removes it). */
    public static void setStatsReadHookForTest(Runnable hook) {
        statsReadHookForTest = hook;
    }
    private final AtomicLong nextCacheId = new AtomicLong(1);
    /** Large objects freed by GC sweeps: count and bytes (under the heap lock). */
    long largeGcFrees;
    long largeGcFreedBytes;
    private volatile boolean closed;

    private Heap(HeapConfig config, OsMemory os) {
        this.config = config;
        this.space = new AddressSpace(os, config);
        this.mheap = new MHeap(space, config, ReleaseZeroProbe.dontneedReadsZero(os));
        this.maxObjectSize = config.arenaReservation();
        this.clobberFree = dev.gort.sys.ForcedGcModes.get().poison(config.clobberFree());   // -Dgort.gc.force=gcpoison=1
        this.emptySpan = Arena.global().allocate(Span.SIZE, 64).address();
        Mem.putLong(emptySpan + Span.ALLOC_BITS, emptySpan + Span.BITS_A);
        Mem.putLong(emptySpan + Span.GCMARK_BITS, emptySpan + Span.BITS_B);
        for (int spc = 2; spc < centrals.length; spc++) {
            centrals[spc] = new MCentral(this, spc);
        }
        this.stacks = new StackAllocator(this);
        this.gc = new GcSupport(this);
    }

    /**
     * Reserves the heap's regions (no memory is committed until the first allocation). Throws
     * HeapExhaustedException when the address space cannot be reserved.
     */
    public static Heap create(HeapConfig config, OsMemory os) {
        Heap h = new Heap(config, os);
        synchronized (Heap.class) {
            Heap[] open = java.util.Arrays.copyOf(OPEN, OPEN.length + 1);
            open[open.length - 1] = h;
            OPEN = open;
        }
        return h;
    }

    /** Heaps not closed yet, for {@link #inOpenArena} (copy on write). */
    private static volatile Heap[] OPEN = new Heap[0];

    /**
     * True if {@code [address, address + bytes)} lies in the committed arena of a heap that is
     * not closed: the check behind {@code GORT_DEBUG=checkptr=1} (collector's Mem accessors), so
     * an address kept past its heap's close fails with a message instead of a SIGSEGV. Not a
     * hot-path method: a scan of the open heaps.
     */
    public static boolean inOpenArena(long address, long bytes) {
        for (Heap h : OPEN) {
            long off = address - h.space.arenaBase;
            if (off >= 0 && bytes >= 0 && off + bytes <= h.space.arenaCommitted) {
                return true;
            }
        }
        return false;
    }

    public HeapConfig config() {
        return config;
    }

    /** A new mcache for one owner (a thread, or a P). */
    public MCache newCache() {
        MCache c = new MCache(this, nextCacheId.getAndIncrement());
        synchronized (caches) {
            checkOpen();                    // under the lock close() decides under: no cache is made after it

            // A cache made while the collector marks (a thread registering as a mutator mid-cycle)
            // allocates black like the others: its owner's roots were not scanned this cycle, so a
            // white object it keeps only in a root slot would be freed while reachable.
            c.allocBlack = allocBlack;
            caches.add(c);
            cacheArray = caches.toArray(new MCache[0]);
        }
        return c;
    }

    /** The collector's allocate-black state, which every cache made from now on takes (guarded by caches). */
    private boolean allocBlack;

    /**
     * GcSupport.setAllocBlack: every live cache and every cache made later allocates black (or
     * not), a window at a time: each cache's current windows are premarked, or their free slots'
     * marks cleared, as the flag changes (see {@link MCache#allocBlack}). With the world stopped.
     */
    void setAllocBlack(boolean on) {
        synchronized (caches) {
            allocBlack = on;
            for (int i = 0, n = caches.size(); i < n; i++) {    // no iterator: it runs in every pause and rehearsal
                MCache c = caches.get(i);
                if (c.allocBlack != on) {
                    c.premarkWindows(on);
                }
                c.allocBlack = on;
            }
        }
    }

    /**
     * GcSupport.startSweepCycleDetached, world stopped: sets every cache's spans aside for the
     * sweeper ({@link MCache#detachForSweep}), or flushes a cache whose previous set-aside spans
     * are still there. No snapshot list: nothing is allocated with the world stopped.
     */
    void detachCachesForSweep() {
        synchronized (caches) {
            for (int i = 0, n = caches.size(); i < n; i++) {
                MCache c = caches.get(i);
                if (!c.detachForSweep()) {
                    c.releaseAll();
                }
            }
        }
    }

    void beginSweep() {
        sweepsInFlight.incrementAndGet();
    }

    void endSweep() {
        sweepsInFlight.decrementAndGet();
    }

    void endSweeps(int n) {
        sweepsInFlight.addAndGet(-n);
    }

    /**
     * Returns one set-aside span of some cache to its mcentral, swept (see {@link MCache#drainStale});
     * its pages, or 0 if none was left to claim (others may still be sweeping theirs).
     */
    long drainOneStaleCache() {
        if (staleCaches.get() == 0) {
            return 0;
        }
        for (MCache c : cacheArray) {
            if (c.hasStale()) {
                long n = c.drainStale(1);
                if (n != 0) {
                    return n;
                }
            }
        }
        return 0;
    }

    /** Flushes the cache's spans back to their mcentrals and retires it (its counters are kept). */
    public void releaseCache(MCache c) {
        if (c.heap() != this) {
            throw new IllegalArgumentException(c + " belongs to another heap");
        }
        synchronized (caches) {
            if (c.released) {
                throw new IllegalStateException(c + " was already released");
            }
            retire(c);
        }
    }

    /**
     * efence mode (lock held): the freed object's pages stay out of circulation, counted in use,
     * their spans entries kept (a second free names them), and become inaccessible: madvise
     * DONTNEED + mprotect PROT_NONE. The span is whole OS pages from an OS page boundary ({@link
     * #allocLarge}), so the kernel accepts the call on any page size gort runs on. If the call still
     * fails (mprotect's ENOMEM at vm.max_map_count: each fenced object is a mapping of its own) the
     * pages stay readable and never reused; the failure is counted ({@link #fenceFailures}) and the
     * first one is printed, as a use after free of those objects will not fault. Before session 31
     * the decommit of an 8 KiB span on 16 or 64 KiB OS pages was refused and swallowed.
     */
    private void fence(long s, long bytes) {
        Mem.putInt(s + Span.STATE, Span.FENCED);
        Mem.putInt(s + Span.ALLOC_COUNT, 0);
        fencedObjects++;
        try {
            space.os().decommit(Span.start(s), bytes);
        } catch (RuntimeException e) {
            if (fenceFailures++ == 0) {
                System.err.println(fenceFailureWarning(Span.start(s), bytes, fencedObjects, e, MemoryMaps.maxMapCount()));
            }
            lastFenceError = e.getMessage();
        }
    }

    /**
     * The first failed fence's warning: what failed and what it means, and for ENOMEM (the kernel's
     * cap on mappings: each fenced object splits the arena's mapping) what to do about it, with the
     * cap ({@code maxMapCount}, -1 if unknown) and how many objects were fenced.
     */
    static String fenceFailureWarning(long address, long bytes, long fenced, RuntimeException e, long maxMapCount) {
        StringBuilder b = new StringBuilder("gort: warning: efence: the freed object at 0x").append(Long.toHexString(address))
                .append(" (").append(bytes).append(" B) could not be made inaccessible, so a use after free of it will not fault")
                .append(" (it is still never reused): ").append(e.getMessage());
        if (e instanceof NativeException n && "ENOMEM".equals(n.errnoName())) {
            b.append(". efence makes every freed object a mapping of its own; this was fenced object ").append(fenced)
                    .append(", and the kernel limits a process to vm.max_map_count = ")
                    .append(maxMapCount < 0 ? "(unknown)" : Long.toString(maxMapCount))
                    .append(" mappings. Raise the limit (e.g. sysctl -w vm.max_map_count=")
                    .append(maxMapCount > 0 ? Math.max(262_144, 4 * maxMapCount) : 262_144)
                    .append(", as root) or free fewer objects under efence.");
        }
        b.append(" Later failures are counted, not printed.");
        return b.toString();
    }

    /** Objects efence has fenced (mheap lock held to write). */
    long fencedObjects;
    /** efence frees whose pages could not be made inaccessible (mheap lock held to write). */
    long fenceFailures;
    /** The last such failure's message, or null. */
    String lastFenceError;

    /** Under the caches lock: flush, keep the counters, forget the cache. */
    private void retire(MCache c) {
        c.releaseAll();
        cacheSetSeq = cacheSetSeq + 1;       // odd: a reader that overlaps the fold sums again
        java.lang.invoke.VarHandle.storeStoreFence();
        for (int i = 0; i < retiredStats.length; i++) {
            retiredStats[i] += c.stats[i];
        }
        c.released = true;
        caches.remove(c);
        cacheArray = caches.toArray(new MCache[0]);
        cacheSetSeq = cacheSetSeq + 1;       // even (a volatile write: the fold is visible before it)
    }

    /**
     * The calling thread's own cache, made on first use and kept in a thread-local (manual mode's
     * usual way to give each thread its mcache). When the thread ends, the heap releases the cache
     * itself (TESTING A2, thread churn): {@link #releaseDeadThreadCaches()} runs whenever a thread
     * takes its first cache and at {@link #freeOSMemory()}, so threads that allocate and die leave
     * neither cached spans nor cache objects behind. Objects they allocated stay valid; any cache
     * may free them.
     *
     * @throws IllegalStateException the heap is managed by a collector ({@link GcSupport#claimForCollector}):
     *     its mcaches are the collector's mutators', and a thread cache released when its thread is
     *     found dead (at any time, from any thread) would uncache spans behind the collector's back,
     *     lowering heapLive after mark termination reset it to the marked bytes
     */
    public MCache threadCache() {
        MCache c = threadCaches.get();
        if (c != null && !c.released) {
            return c;       // never on a managed heap: the claim refuses a heap with thread caches
        }
        releaseDeadThreadCaches();
        c = new MCache(this, nextCacheId.getAndIncrement());
        synchronized (caches) {             // the check and the add under the lock the claim takes
            checkOpen();
            String by = managedBy;
            if (by != null) {
                throw new IllegalStateException("Heap.threadCache() on a heap managed by " + by + ": its mcaches belong "
                        + "to the collector's mutators; allocate through the collector (from a goroutine, or a thread "
                        + "registered with its ThreadWorld), or use threadCache()/newCache() on a heap without a collector");
            }
            c.allocBlack = allocBlack;
            c.owner = Thread.currentThread();
            caches.add(c);
            cacheArray = caches.toArray(new MCache[0]);
        }
        threadCaches.set(c);
        return c;
    }

    /** Who manages this heap ({@link GcSupport#claimForCollector}), null in manual mode (guarded by caches for writes). */
    private volatile String managedBy;

    /** The managing collector's say on {@link #close()} (null: none; written with managedBy). */
    private volatile GcSupport.CloseGuard closeGuard;

    /**
     * GcSupport.claimForCollector: refuses a heap that has live thread caches, or whose current
     * manager's guard still names something of it that runs (a claim without a guard says nothing:
     * it never holds a later claim off, as it never holds a close off), then marks it managed.
     */
    void claimForCollector(String collector, GcSupport.CloseGuard guard) {
        if (collector == null || collector.isEmpty()) {
            throw new IllegalArgumentException("claimForCollector: name the collector (got " + collector + ")");
        }
        checkOpen();
        releaseDeadThreadCaches();          // a dead thread's cache is no obstacle: flushed here, before any cycle
        synchronized (caches) {
            int owned = 0;
            for (MCache c : caches) {
                if (c.owner != null && !c.released) {
                    owned++;
                }
            }
            if (owned > 0) {
                throw new IllegalStateException("a collector cannot manage this heap: " + owned + " thread cache(s) from "
                        + "Heap.threadCache() are live, and the collector does not own them (releasing one late, when "
                        + "its thread is found dead, would lower heapLive behind the pacer); create the collector on a "
                        + "heap used only through it");
            }
            GcSupport.CloseGuard previous = closeGuard;
            String live = previous == null ? null : previous.whyHeapStaysOpen();    // takes no lock (CloseGuard)
            if (live != null) {
                throw new IllegalStateException("a second manager for " + this + " refused: " + managedBy
                        + " manages it and is still live (its answer to Heap.close(): " + live + "); one collector "
                        + "per heap (a second would take over the first's close guard, heap trigger and sweep credit "
                        + "while the first still runs): close the first and let its threads end, then create the next");
            }
            closeGuard = guard;
            managedBy = collector;
        }
    }

    /** The heap as messages name it: where its arena starts and how much it may grow. */
    @Override
    public String toString() {
        return "the heap at 0x" + Long.toHexString(space.arenaBase) + " (" + (config.arenaReservation() >> 20)
                + " MiB arena)";
    }

    /** The collector managing this heap, or null (manual mode). */
    public String managedBy() {
        return managedBy;
    }

    /**
     * Releases the caches of {@link #threadCache()} owners that have terminated (their spans go back
     * to the mcentrals, their counters into the heap's). Returns how many were released. A
     * terminated thread's last actions happen-before {@code isAlive()} returning false, so its
     * cache is quiescent here.
     */
    public int releaseDeadThreadCaches() {
        int n = 0;
        synchronized (caches) {
            for (MCache c : new ArrayList<>(caches)) {
                Thread t = c.owner;
                if (t != null && !c.released && !t.isAlive()) {
                    retire(c);
                    n++;
                }
            }
        }
        return n;
    }

    /** Live caches (made by newCache or threadCache and not released yet). */
    public int cacheCount() {
        synchronized (caches) {
            return caches.size();
        }
    }

    List<MCache> cachesSnapshot() {
        synchronized (caches) {
            return new ArrayList<>(caches);
        }
    }

    public StackAllocator stacks() {
        return stacks;
    }

    /** The collector's view of the heap (find objects, mark bits, pointer bitmap, sweeping, trigger). */
    public GcSupport gc() {
        return gc;
    }

    MCentral central(int spanClass) {
        return centrals[spanClass];
    }

    long heapLive() {
        return heapLive.get();
    }

    void setHeapLive(long v) {
        heapLive.set(v);
    }

    /** heapLive and, for a scan span class or large object ({@code scan}), heapScan by {@code delta}. */
    void addHeapLive(long delta, boolean scan) {
        heapLive.addAndGet(delta);
        if (scan) {
            heapScan.addAndGet(delta);
        }
    }

    long heapScan() {
        return heapScan.get();
    }

    void setHeapScan(long v) {
        heapScan.set(v);
    }

    void checkTrigger() {
        HeapTrigger hook = triggerHook;
        if (hook != null) {
            long live = heapLive.get();
            if (live >= trigger) {
                hook.heapReachedTrigger(this, live);
            } else {
                // Go's trigger test reads the stacks at every test; here the trigger is re-armed
                // when they changed (a compare of two counters; without a limit, one read).
                long seen = stacksSeenByTrigger;
                if (seen != GcSupport.STACKS_NOT_FOLLOWED && seen != stackSpanChanges) {
                    hook.stacksChanged(this, live);
                }
            }
        }
    }

    /** A stack span was taken from or returned to the page heap (StackAllocator, under its lock). */
    void noteStackSpansChanged() {
        stackSpanChanges = stackSpanChanges + 1;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("heap is closed");
        }
    }

    // ------------------------------------------------------------------ large objects

    long allocLarge(MCache cache, long size, boolean noscan) {
        if (dev.gort.sys.PathProbe.ON) {
            long t = dev.gort.sys.PathProbe.start();
            try {
                return allocLargeUnprobed(cache, size, noscan);
            } finally {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.LARGE, t);
            }
        }
        return allocLargeUnprobed(cache, size, noscan);
    }

    private long allocLargeUnprobed(MCache cache, long size, boolean noscan) {
        long npages = (size + SizeClasses.PAGE_SIZE - 1) >>> SizeClasses.PAGE_SHIFT;
        // efence: the object covers whole OS pages from an OS page boundary, so its free can make
        // exactly its pages inaccessible (OS pages of 16 or 64 KiB are 2 or 8 runtime pages).
        long align = config.efence() ? mheap.pagesPerOsPage() : 1;
        npages = AddressSpace.roundUp(npages, align);
        long s;
        gc.reclaim(npages);         // dead spans back to the mheap before it grows (Go's mheap.alloc)
        mheap.ensureFit(npages + align - 1);    // a growth commits outside the mheap lock
        mheap.lock.lock();
        try {
            s = mheap.allocSpanAlignedLocked(npages, align, Span.LARGE);
            Mem.putInt(s + Span.SPAN_CLASS, noscan ? 1 : 0);
            Mem.putInt(s + Span.NELEMS, 1);
            Mem.putInt(s + Span.FREE_INDEX, 1);
            Mem.putInt(s + Span.ALLOC_COUNT, 1);
            Mem.putLong(s + Span.SWEEPGEN, sweepgen);
            mheap.pushLarge(s, 0);
        } finally {
            mheap.lock.unlock();
        }
        long bytes = npages << SizeClasses.PAGE_SHIFT;
        long p = Span.start(s);
        if (Mem.getInt(s + Span.NEEDZERO) != 0) {
            Zeroing.zero(p, bytes);
        }
        cache.stats[MCache.LARGE_MALLOCS]++;
        cache.stats[MCache.LARGE_BYTES_ALLOC] += bytes;
        cache.spanBytesTaken += bytes;
        addHeapLive(bytes, !noscan);
        if (cache.allocBlack) {
            gc.markSlot(s, 0);
        }
        checkTrigger();
        return p;
    }

    /** A free whose page is not a small in-use span: a large object, or an error. */
    void freeNotSmall(MCache cache, long s, long address) {
        String reason;
        mheap.lock.lock();
        try {
            int st = s == 0 ? Span.DEAD : Span.state(s);
            boolean inside = s != 0 && address >= Span.start(s) && address < Span.end(s);
            if (st == Span.LARGE && address == Span.start(s)) {
                long bytes = Span.bytes(s);
                boolean scan = Mem.getInt(s + Span.SPAN_CLASS) == 0;      // allocLarge's noscan flag
                mheap.removeLarge(s);
                if (config.efence()) {
                    fence(s, bytes);
                } else {
                    mheap.freeSpanLocked(s);
                }
                addHeapLive(-bytes, scan);
                cache.stats[MCache.LARGE_FREES]++;
                cache.stats[MCache.LARGE_BYTES_FREED] += bytes;
                return;
            }
            if (st == Span.FENCED && inside) {
                reason = "double free or free of freed memory: the object was freed (efence mode)";
            } else if (st == Span.LARGE && inside) {
                reason = "not the start of an object (offset " + (address - Span.start(s)) + " into a large object)";
            } else if (st == Span.STACK && inside) {
                reason = "address is in a stack segment: free it with StackAllocator.free";
            } else if ((st == Span.FREE || st == Span.SCAVENGING) && inside) {
                reason = "double free or free of unallocated memory: the page is free";
            } else {
                reason = "double free or free of unallocated memory: no live span holds the address";
                s = inside ? s : 0;
            }
        } finally {
            mheap.lock.unlock();
        }
        throw invalidFree(address, s, -1, reason);
    }

    InvalidFreeException invalidFree(long address, long s, int idx, String reason) {
        StringBuilder b = new StringBuilder("invalid free of 0x").append(Long.toHexString(address)).append(": ")
                .append(reason);
        if (s != 0) {
            b.append("; ").append(Span.describe(s));
            if (idx >= 0) {
                b.append(", object ").append(idx).append(" of ").append(Span.nelems(s)).append(" at 0x")
                        .append(Long.toHexString(Span.start(s) + (long) idx * Span.elemSize(s)));
            }
        }
        return new InvalidFreeException(b.toString());
    }

    // ------------------------------------------------------------------ scavenger policies

    /** Releases free page runs idle at least {@code config.scavengeIdleNanos()}; returns bytes released. */
    public long scavengeIdle() {
        checkOpen();
        foldPendingFrees();
        return mheap.scavenge(config.scavengeIdleNanos(), 0);
    }

    /**
     * Folds pending manual frees of spans no mcache holds, so spans whose objects were all freed
     * go back to the page heap (and start their idle age) without waiting for an allocation of
     * their class. The scavenger policies call it first.
     */
    public void foldPendingFrees() {
        for (int spc = 2; spc < centrals.length; spc++) {
            centrals[spc].foldPending();
        }
    }

    /** Releases free page runs idle at least {@code minIdleNanos} by the heap's clock; returns bytes released. */
    public long scavengeIdle(long minIdleNanos) {
        checkOpen();
        if (minIdleNanos < 0) {
            throw new IllegalArgumentException("minIdleNanos " + minIdleNanos + " must be >= 0");
        }
        foldPendingFrees();
        return mheap.scavenge(minIdleNanos, 0);
    }

    /**
     * Heap bytes held from the OS and not released (HeapSys - HeapReleased + StackInuse), read
     * under the heap lock without summing cache counters: cheap enough for sysmon's every round.
     */
    public long heapRetainedBytes() {
        mheap.lock.lock();
        try {
            return (mheap.pagesCommitted - mheap.pagesReleased) * SizeClasses.PAGE_SIZE;
        } finally {
            mheap.lock.unlock();
        }
    }

    /** Receives {@link #readLiveMemoryFigures}'s two figures (the collector's pacer). */
    @FunctionalInterface
    public interface LiveMemoryFigures {
        void accept(long retainedBytes, long stackInuseBytes);
    }

    /**
     * {@link #heapRetainedBytes()} and the stack bytes (MemStats.StackInuse) read under one
     * acquisition of the heap lock (one consistent pair), then handed to {@code sink} with the lock
     * released: the memory limit's live figures, which the collector reads at span refills while
     * marking under a limit. One lock instead of two on that path (review35a F5, limitfix35); no
     * allocation. {@code sink} must not be null (refused before the lock is taken).
     */
    public void readLiveMemoryFigures(LiveMemoryFigures sink) {
        if (sink == null) {
            throw new IllegalArgumentException("readLiveMemoryFigures: sink is null (accepted: a LiveMemoryFigures that takes the retained and stack bytes)");
        }
        long retained;
        long stacks;
        mheap.lock.lock();
        try {
            retained = (mheap.pagesCommitted - mheap.pagesReleased) * SizeClasses.PAGE_SIZE;
            stacks = mheap.pagesStack * SizeClasses.PAGE_SIZE;
        } finally {
            mheap.lock.unlock();
        }
        sink.accept(retained, stacks);
    }

    /**
     * Pages in use by heap spans (MemStats.HeapInuse / page size), read under the heap lock without
     * summing cache counters: what the collector's mark termination needs to pace the sweeper,
     * without {@link #readMemStats()}'s walk of every cache and mcentral inside the pause.
     */
    public long heapInusePages() {
        mheap.lock.lock();
        try {
            return mheap.pagesInUse;
        } finally {
            mheap.lock.unlock();
        }
    }

    /**
     * Releases free pages, from the highest address down, until the heap retains at most {@code
     * retainBytes} (committed minus released: heap in use + stacks + unreleased free pages), e.g.
     * heap goal + 10% as Go's background scavenger. Releases in pieces of at most what is still
     * above the target rounded up to 64 KiB, so it stops within 64 KiB of the target (not a whole
     * long free run past it). Returns bytes released.
     */
    public long scavengeToRetain(long retainBytes) {
        checkRetainArguments(retainBytes, Long.MAX_VALUE);
        foldPendingFrees();
        return mheap.scavengeDown(retainBytes, Long.MAX_VALUE);
    }

    /**
     * {@link #scavengeToRetain(long)}, releasing at most {@code maxBytes} (rounded up to 64 KiB)
     * in this call: a paced scavenger's unit of work (Go's background scavenger asks for 64 KiB at a
     * time). It does not fold pending manual frees first (that walks every mcentral's partial
     * spans under their locks, too much for each 64 KiB): {@link #foldPendingFrees()} does, and
     * the one-argument form and the age pass call it. Returns bytes released.
     */
    public long scavengeToRetain(long retainBytes, long maxBytes) {
        checkRetainArguments(retainBytes, maxBytes);
        return mheap.scavengeDown(retainBytes, maxBytes);
    }

    private void checkRetainArguments(long retainBytes, long maxBytes) {
        checkOpen();
        if (retainBytes < 0) {
            throw new IllegalArgumentException("retainBytes " + retainBytes + " must be >= 0");
        }
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + " must be > 0");
        }
    }

    /**
     * Releases everything free now (Go's debug.FreeOSMemory without the GC): folds pending frees of
     * uncached spans, returns empty spans and pooled stacks to the page heap, then releases every
     * free page. Spans still cached by an mcache are not touched (caches of terminated {@link
     * #threadCache()} owners are released first). Returns bytes released.
     */
    public long freeOSMemory() {
        checkOpen();
        releaseDeadThreadCaches();
        returnFreeSpans();
        return mheap.scavenge(0, 0);
    }

    /**
     * Folds pending frees of every uncached span, finishes any sweep cycle and returns empty spans
     * and pooled stacks to the page heap, without releasing anything to the OS.
     */
    public void returnFreeSpans() {
        checkOpen();
        for (int spc = 2; spc < centrals.length; spc++) {
            centrals[spc].sweepAll();
        }
        gc.awaitSweepsInFlight();   // spans other threads claimed (swept with no lock held)
        gc.sweepLargeUnswept();
        stacks.flushPools();
    }

    /** The free page runs in address order as {start, npages} pairs (for tests and diagnostics). */
    public List<long[]> freeRuns() {
        List<long[]> runs = new ArrayList<>();
        // The walk goes to the committed end, which a growth outside the mheap lock moves before
        // its pages become a run (MHeap.ensureFit): growLock first, as verifyHeap.
        synchronized (mheap.growLock) {
            mheap.lock.lock();
            try {
                mheap.forEachRun(s -> {
                    if (Span.state(s) == Span.FREE || Span.state(s) == Span.SCAVENGING) {
                        runs.add(new long[] {Span.start(s), Span.npages(s)});
                    }
                });
            } finally {
                mheap.lock.unlock();
            }
        }
        return runs;
    }

    // ------------------------------------------------------------------ statistics

    /**
     * The retired caches' counters plus every live cache's, with no lock held (see {@link
     * #cacheSetSeq}): summed again if a retire overlapped the sum, so a cache is counted once.
     * A cache made meanwhile may be missed (it had counted nothing before it was made).
     */
    private long[] sumCacheStats() {
        long[] sum = new long[MCache.STATS];
        // A reader counts itself before it looks at closed, and close() sets closed before it counts
        // the readers (both volatile, so one of them sees the other): a reader that saw the heap
        // open is done with the cached spans' descriptors before close() unmaps them; one that saw
        // it closed sums under the caches lock, after close() emptied every table.
        statsReaders.incrementAndGet();
        try {
            if (closed) {
                synchronized (caches) {
                    System.arraycopy(retiredStats, 0, sum, 0, sum.length);
                    for (MCache c : caches) {
                        c.addStatsTo(sum);
                    }
                }
                return sum;
            }
            return sumCacheStatsOpen(sum);
        } finally {
            statsReaders.decrementAndGet();
        }
    }

    /** Readers inside {@link #sumCacheStats}: close() waits for none before it unmaps. */
    private final java.util.concurrent.atomic.AtomicInteger statsReaders = new java.util.concurrent.atomic.AtomicInteger();

    private long[] sumCacheStatsOpen(long[] sum) {
        for (int spins = 1; ; spins++) {
            int v = cacheSetSeq;
            if ((v & 1) == 0) {
                MCache[] set = cacheArray;
                System.arraycopy(retiredStats, 0, sum, 0, sum.length);
                Runnable hook = statsReadHookForTest;
                for (MCache c : set) {
                    c.addStatsTo(sum);
                    if (hook != null) {
                        hook.run();
                    }
                }
                java.lang.invoke.VarHandle.loadLoadFence();
                if (cacheSetSeq == v) {
                    return sum;
                }
            }
            spinOrYield(spins);         // a retirer descheduled inside its fold
        }
    }

    /**
     * A wait's turn {@code spins} (from 1) for a short critical section on another thread: spins,
     * and every 256th turn gives the CPU up, so a waiter does not spin through a whole time slice
     * while the thread it waits for is descheduled.
     */
    static void spinOrYield(int spins) {
        if ((spins & 255) == 0) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    public MemStats readMemStats() {
        long[] sum = sumCacheStats();
        long[] gcFrees = new long[SizeClasses.NUM_SIZE_CLASSES];
        for (int spc = 2; spc < centrals.length; spc++) {
            gcFrees[spc >>> 1] += centrals[spc].gcFrees;
        }
        long pagesInUse, pagesFree, pagesReleased, pagesStack, descriptors, descriptorsSys, bitmap, other, lgFrees,
                lgFreedBytes;
        mheap.lock.lock();
        try {
            pagesInUse = mheap.pagesInUse;
            pagesFree = mheap.pagesFree;
            pagesReleased = mheap.pagesReleased;
            pagesStack = mheap.pagesStack;
            descriptors = space.liveDescriptors();
            descriptorsSys = space.descriptorsCommitted() + space.freedCommitted() + space.wideCommitted();
            bitmap = space.bitmapCommitted();
            other = space.metadataCommitted();
            lgFrees = largeGcFrees;
            lgFreedBytes = largeGcFreedBytes;
        } finally {
            mheap.lock.unlock();
        }
        List<MemStats.SizeClassStats> bySize = new ArrayList<>();
        long mallocs = sum[MCache.LARGE_MALLOCS];
        long frees = sum[MCache.LARGE_FREES] + lgFrees;
        long totalAlloc = sum[MCache.LARGE_BYTES_ALLOC];
        long heapAlloc = sum[MCache.LARGE_BYTES_ALLOC] - sum[MCache.LARGE_BYTES_FREED] - lgFreedBytes;
        long objects = sum[MCache.LARGE_MALLOCS] - sum[MCache.LARGE_FREES] - lgFrees;
        for (int c = 1; c < SizeClasses.NUM_SIZE_CLASSES; c++) {
            long size = SizeClasses.classToSize(c);
            long m = sum[c];
            long f = sum[MCache.NFREE + c] + gcFrees[c];
            bySize.add(new MemStats.SizeClassStats((int) size, m, f));
            mallocs += m;
            frees += f;
            totalAlloc += m * size;
            heapAlloc += (m - f) * size;
            objects += m - f;
        }
        long page = SizeClasses.PAGE_SIZE;
        long heapSys = (pagesInUse + pagesFree) * page;
        long stackInuse = pagesStack * page;
        long mSpanInuse = descriptors * Span.SIZE;
        long sys = heapSys + stackInuse + descriptorsSys + bitmap + other;
        return new MemStats(heapAlloc, totalAlloc, sys, mallocs, frees, heapAlloc, heapSys, pagesFree * page,
                pagesInUse * page, pagesReleased * page, objects, stackInuse, stackInuse, mSpanInuse, descriptorsSys,
                bitmap, other, heapLive.get(), List.copyOf(bySize));
    }

    /**
     * Whether pages released with MADV_DONTNEED are trusted to read back zero (so spans made of
     * them are not zeroed again): the answer of a probe at creation (see ReleaseZeroProbe).
     */
    public boolean releasedPagesReadZero() {
        return mheap.releaseReadsZero;
    }

    /** Ranges released by the mmap(MAP_FIXED) fallback because madvise failed (TESTING F11). */
    public long releaseRemaps() {
        mheap.lock.lock();
        try {
            return mheap.remaps;
        } finally {
            mheap.lock.unlock();
        }
    }

    /** The heap's current release advice (MADV_FREE falls back to MADV_DONTNEED for good on EINVAL). */
    public dev.gort.sys.Advice releaseAdvice() {
        return mheap.advice();
    }

    /** Resident OS pages of the committed arena (mincore), and the OS page size, for release checks. */
    public long arenaResidentBytes() {
        long committed = space.arenaCommitted;
        if (committed == 0) {
            return 0;
        }
        return space.os().residentPages(space.arenaBase, committed) * space.osPage();
    }

    /** Arena growths (each a commit of one or more chunks) over the heap's life. */
    public long arenaGrowths() {
        synchronized (space) {
            return mheap.growths;
        }
    }

    /** Bytes of arena committed (= HeapSys + StackInuse). */
    public long arenaCommittedBytes() {
        return space.arenaCommitted;
    }

    /** First address of the arena region. */
    public long arenaBase() {
        return space.arenaBase;
    }

    // ------------------------------------------------------------------ verification

    /**
     * Slow cross-check of every structure against every other (Go's checks under STW, mimalloc's
     * validators): walks every run of the committed arena and every list, recounts objects from the
     * bitmaps and compares them with MemStats. Call it while no thread allocates or frees. Throws
     * IllegalStateException naming the first inconsistency.
     */
    public void verifyHeap() {
        checkOpen();
        // No release in flight meanwhile: a scavenger (sysmon's, on its own thread) takes runs off
        // the free lists and books them released in steps that a verification must not split.
        synchronized (mheap.scavengeLock) {
            HeapVerifier.verify(this, centrals);
        }
    }

    /**
     * Unmaps the heap, once nothing can allocate from it any more; otherwise refuses with an
     * IllegalStateException that names what is still open, and the heap stays open and fully
     * usable. Unmapping under a thread that allocates would kill the JVM (SIGSEGV), and the
     * allocation fast path takes no lock and checks no flag, so the close must be sure first:
     * <ul>
     *   <li>A heap a collector manages: the collector's {@link GcSupport.CloseGuard} must have
     *       nothing to name (the collector closed, its threads ended), and no mcache may be live
     *       (its mutators: threads still registered with its ThreadWorld, a scheduler whose run
     *       has not ended and whose Ps hold theirs).</li>
     *   <li>Manual mode: no {@link #threadCache()} of another live thread (its owner may still
     *       allocate); the caller's own and those of ended threads are released here. Caches from
     *       {@link #newCache()} have no owner the heap could ask about: they are the caller's, and
     *       no thread may use one during or after the close (used after it, an allocation is
     *       refused with "heap is closed").</li>
     * </ul>
     * The usual order: stop allocating (unregister the threads, let the scheduler's run end),
     * close the collector, then its work buffers and globals, then the heap.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        GcSupport.CloseGuard guard = closeGuard;
        if (guard != null) {
            String why = guard.whyHeapStaysOpen();      // outside the caches lock: the collector answers under its own locks
            if (why != null) {
                throw closeRefused(why);
            }
        }
        releaseDeadThreadCaches();
        synchronized (caches) {
            if (closed) {
                return;
            }
            String why = cachesStillInUse();
            if (why != null) {
                throw closeRefused(why);
            }
            closed = true;              // newCache and threadCache check it under this lock: none is made from here on
            synchronized (Heap.class) {     // before unmapping: checkptr refuses this arena from now on
                List<Heap> open = new ArrayList<>(List.of(OPEN));
                open.remove(this);
                OPEN = open.toArray(new Heap[0]);
            }
            for (MCache c : caches) {
                c.flushAllAllocs();         // readMemStats after the close still counts the cached spans' mallocs
                java.util.Arrays.fill(c.alloc, emptySpan);
                java.util.Arrays.fill(c.stamps, GcSupport.NO_STAMP);
                c.forgetStale();
                c.lastAddr = 0;
            }
        }
        // A stats reader that saw the heap open may still read a cached span's descriptor (no lock
        // held, sumCacheStats): it is a few loads per cache away from done.
        for (int spins = 1; statsReaders.get() != 0; spins++) {
            spinOrYield(spins);
        }
        // A growth commits outside the mheap lock, under growLock (MHeap.ensureFit): unmapping
        // under the mheap lock alone could land between its commit and its run, which then
        // wrote into unmapped metadata, or had its mprotect hit whatever was mapped there next.
        // Both locks, in their order: no growth is half done here, and any later one finds the
        // address space closed (MHeap.checkOpenLocked) before it touches anything. scavengeLock
        // first (its order: scavengeLock, growLock, lock): a release drops the mheap lock around
        // its madvise and books it after, so unmapped between the two its madvise (or MAP_FIXED
        // fallback) hit whatever was mapped there next and the booking wrote into unmapped metadata.
        synchronized (mheap.scavengeLock) {
            synchronized (mheap.growLock) {
                mheap.lock.lock();
                try {
                    space.arenaCommitted = 0;
                    space.close();
                } finally {
                    mheap.lock.unlock();
                }
            }
        }
    }

    public boolean isClosed() {
        return closed;
    }

    private IllegalStateException closeRefused(String why) {
        return new IllegalStateException("Heap.close() refused, the heap stays open and usable: " + why);
    }

    /** Under the caches lock: what live cache may still allocate (see {@link #close()}), or null. */
    private String cachesStillInUse() {
        if (managedBy != null) {
            int live = 0;
            for (MCache c : caches) {
                live += c.released ? 0 : 1;
            }
            return live == 0 ? null : live + " mcache(s) of " + managedBy + "'s mutators are live (a thread still "
                    + "registered with its ThreadWorld, or a scheduler whose run has not ended, or an M of it still "
                    + "running): unregister the threads or let the scheduler's run end, close the collector, then the heap";
        }
        Thread self = Thread.currentThread();
        List<String> owners = new ArrayList<>();
        for (MCache c : caches) {
            Thread t = c.owner;
            if (t != null && t != self && !c.released && t.isAlive()) {
                owners.add(t.getName());
            }
        }
        return owners.isEmpty() ? null : owners.size() + " thread cache(s) from Heap.threadCache() belong to live "
                + "threads that may still allocate " + owners + ": release each on its thread "
                + "(heap.releaseCache(heap.threadCache())) or let the threads end, then close the heap";
    }
}
