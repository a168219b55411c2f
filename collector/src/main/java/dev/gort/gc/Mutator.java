package dev.gort.gc;

import dev.gort.arena.MCache;

/**
 * What the collector keeps per mutator context: per P under the scheduler, per registered thread in
 * a {@link ThreadWorld}. Owned by one thread at a time, so nothing here is synchronised.
 *
 * <ul>
 *   <li>{@code mcache}: the allocator's lock-free cache.</li>
 *   <li>{@code gcw}: where this mutator's write barriers and assists put grey objects (Go's p.gcw);
 *       flushed to the global lists at mark termination with the world stopped.</li>
 *   <li>{@code assistBytes}: allocation credit while marking, in bytes (Go's gcAssistBytes): each
 *       allocation subtracts its size; below zero the mutator assists, and an assist's surplus
 *       work (Go's gcOverAssistWork) becomes credit. Zeroed at mark termination (world stopped).</li>
 *   <li>{@code roots}: root pointer slots scanned at sweep termination (a thread's "stack"; under the
 *       scheduler the G's shadow-stack frames play this part).</li>
 * </ul>
 */
public final class Mutator {
    final MCache mcache;
    /** {@link #mcache}'s span table ({@link MCache#spanTable}), held so the allocation fast path reaches a span in one load fewer. */
    final long[] spanTable;
    final GcWork gcw;
    final RootSlots roots;
    long assistBytes;
    /** The collector's frame visitor for goroutines scanned on this P before they run (SchedWorld; made on first use). */
    StackRoots.FrameScan stackScan;
    /**
     * Objects this mutator allocated in the current mark phase (allocated black), direct-mapped by
     * address ({@link #recentBlackSlot}); 0 = empty. The write barrier skips shading a pointer
     * found here: shading a black object is a no-op, and programs mostly link objects they just
     * made (binary-trees: every child it stores was allocated black in the same mark phase, at
     * most a few hundred allocations earlier for all but the top levels of a tree). Written only
     * while marking, cleared after mark termination before the next mark phase, so it never names
     * an object of an earlier cycle (maybe freed, its slot reused by a white object). An entry
     * overwritten by a later allocation only makes the barrier look that object up again.
     *
     * <p>The filter is the {@link #RECENT_BLACK} entries of {@link #recentBlack} from
     * {@link #recentBlackBase}: a registered thread's lives in its ThreadWorld's
     * {@link BarrierFilter} table (the barrier reads it by thread id, without finding the
     * mutator); a P's under the scheduler is an array of its own.
     */
    final long[] recentBlack;
    final int recentBlackBase;
    static final int RECENT_BLACK = 256;

    /** The filter slot of object address {@code p} (16-byte granules: consecutive small objects do not collide). */
    static int recentBlackSlot(long p) {
        return (int) (p >>> 4) & (RECENT_BLACK - 1);
    }

    /** True if {@code p} is a non-null pointer this mutator allocated black in this mark phase (per the filter). */
    boolean isRecentBlack(long p) {
        return recentBlack[recentBlackBase + recentBlackSlot(p)] == p;
    }

    /** Records {@code p}, just allocated black. */
    void rememberBlack(long p) {
        recentBlack[recentBlackIndex(p)] = p;
    }

    /**
     * The index of {@code p}'s filter entry in {@link #recentBlack}, masked with the array's length
     * less one. The mask changes no index (the constructor checks that the length is a power of two
     * and that the filter's entries lie below it), but an index masked by the length less one is
     * one C2 knows in range: the store on the allocation fast path while marking needs no range
     * check ({@code cmp; jae} to a trap), as {@link BarrierFilter#bothRecentBlack}'s loads.
     */
    int recentBlackIndex(long p) {
        long[] t = recentBlack;
        return (recentBlackBase + recentBlackSlot(p)) & (t.length - 1);
    }

    /** True if this mutator's filter names no object (for tests). */
    boolean recentBlackEmpty() {
        for (int i = 0; i < RECENT_BLACK; i++) {
            if (recentBlack[recentBlackBase + i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Empties this mutator's filter. */
    void clearRecentBlack() {
        java.util.Arrays.fill(recentBlack, recentBlackBase, recentBlackBase + RECENT_BLACK, 0L);
    }
    long assistNanos;
    /**
     * How the last pass of an assist on this mutator ended (Assists.DONE or RETRY), written by the
     * assisting goroutine or thread on the mutator it holds when the pass ends and read by it
     * straight after, with no safepoint between: Assists.alloc's retry decision.
     */
    int assistOutcome;
    /**
     * Bytes this mutator allocated black in the current mark phase (Go counts them in
     * gcw.bytesMarked): kept here, on the object the allocation fast path already holds, instead of
     * in {@link #gcw} (one dependent load fewer per allocation while marking). Harvested with
     * {@code gcw.bytesMarked} wherever that is (mark termination with the world stopped, a
     * destroyed P) and zeroed with it.
     */
    long blackBytes;
    /** {@link MarkMutatorStats}' counters, null unless that diagnostic is on. */
    final long[] markStats = MarkMutatorStats.ON ? new long[MarkMutatorStats.COUNT] : null;
    long allocs;
    /** Bytes of spans this mutator's cache took since it last paid sweep credit (proportional sweep, paid per span). */
    long sweepCreditBytes;
    /** Nanoseconds a fractional goroutine worker marked on this P this cycle (Go's p.gcFractionalMarkTime). */
    long fractionalNanos;
    /** ThreadWorld state: RUNNING, STOPPED (at a safepoint), BLOCKED (waiting, counts as stopped) or LENT (its P handed to a mark worker, counts as stopped). */
    volatile int state;
    final Thread owner;
    /** ThreadWorld: the world this mutator is registered with, for which it serves as an allocation handle; null before register and after unregister. */
    ThreadWorld handleWorld;
    /** ThreadWorld: the world that made this mutator (kept after unregister, to name the error). */
    World world;

    /**
     * What the mutator is doing outside its own code (one of the SITE_ constants): plain stores on
     * entering and leaving the collector's long mutator-side steps, read by a stop-the-world when it
     * asks, so a slow stop can say where the slowest mutator was (a diagnostic: a stale read only
     * misnames one pause).
     */
    int site;
    /** ThreadWorld: {@link #site} when the last stop was requested, -1 if not running then. */
    int siteAtStop = -1;
    /** ThreadWorld: nanoseconds from the last stop request until this mutator stopped (0: was not running). */
    long stopLatency;

    /** ThreadWorld: the last forEachMutatorAtSafepoint round this mutator has run (guarded by the world's lock). */
    long raggedDone;

    /** ThreadWorld with gort.gc.stopstats: the thread's Linux tid and its run-queue wait (schedstat) at the stop request and when it stopped. */
    long tid;
    long runqWaitAtRequest;
    long runqWaitAtStop;
    /**
     * ThreadWorld's real-time stop (MutatorStopBoost): this thread's own sched_attr, kept while
     * boosted, and its raised-registry slot (made at register on Linux, else null), and whether it
     * is boosted now (both guarded by the world's lock).
     */
    dev.gort.sys.TidBoost.Target rtTarget;
    boolean rtBoosted;

    static final int SITE_USER = 0;
    static final int SITE_ASSIST = 1;
    static final int SITE_SWEEP = 2;
    static final int SITE_ALLOC = 3;
    private static final String[] SITE_NAMES = {"its own code", "an assist", "proportional sweep", "the allocator"};

    static String siteName(int site) {
        int base = site & SITE_MASK;
        int step = site >>> SITE_STEP_SHIFT;
        String name = site >= 0 && base < SITE_NAMES.length ? SITE_NAMES[base] : "?";
        return step == 0 ? name : name + " (" + MCache.stepName(step) + ")";
    }

    private static final int SITE_MASK = 15;
    private static final int SITE_STEP_SHIFT = 4;

    /**
     * {@link #site} as a stop-the-world records it when it asks: in the allocator, with the
     * arena's slow-path step ({@link MCache#slowStep}) in the bits above the site, so a slow stop
     * says whether the mutator was waiting for an mcentral lock, sweeping, at the mheap, ...
     */
    int siteNow() {
        int s = site;
        return s == SITE_ALLOC ? s | mcache.slowStep() << SITE_STEP_SHIFT : s;
    }

    static final int RUNNING = 0;
    static final int STOPPED = 1;
    static final int BLOCKED = 2;
    /**
     * ThreadWorld: parked at a safepoint because it handed its P to a collector thread (a mark
     * worker that had to run while every P was a running mutator's); counts as stopped, like
     * BLOCKED, and runs again when the worker gives the P back.
     */
    static final int LENT = 3;

    /**
     * The rule of {@link World#runBlocking}, checked on slow paths only (the barrier's slow path,
     * allocation while marking, a safepoint that parks or runs a ragged round): a mutator counting
     * as stopped must not touch its collector state, so {@code what} is refused with an
     * IllegalStateException naming the rule. Costs one volatile read where it sits; the fast paths
     * (barrier off, allocation outside marking with no stop or round pending) do not check.
     */
    void checkNotBlocked(String what) {
        if (state == BLOCKED) {
            throw blocked(what);
        }
    }

    private IllegalStateException blocked(String what) {
        return new IllegalStateException(what + " by mutator " + (owner == null ? "?" : owner.getName())
                + " inside World.runBlocking's wait: while it counts as stopped the collector may flush or dispose"
                + " its gcWork and mcache, so the wait code must not store heap pointers through the barrier,"
                + " allocate or poll (it may only wait: locks, conditions, parking, plain reads and writes)");
    }

    /** A P's mutator under the scheduler: its filter is an array of its own. */
    Mutator(MCache mcache, GcWork gcw, RootSlots roots, Thread owner) {
        this(mcache, gcw, roots, owner, new long[RECENT_BLACK], 0);
    }

    /** A mutator whose filter is the {@link #RECENT_BLACK} entries of {@code filterTable} from {@code filterBase}. */
    Mutator(MCache mcache, GcWork gcw, RootSlots roots, Thread owner, long[] filterTable, int filterBase) {
        this.mcache = mcache;
        this.spanTable = mcache == null ? null : mcache.spanTable();
        this.gcw = gcw;
        this.roots = roots;
        this.owner = owner;
        if (Integer.bitCount(filterTable.length) != 1 || filterBase < 0 || filterBase + RECENT_BLACK > filterTable.length) {
            throw new IllegalArgumentException("a mutator's allocated-black filter needs a table whose length is a power of two "
                    + "holding entries " + filterBase + ".." + (filterBase + RECENT_BLACK - 1) + "; the table has "
                    + filterTable.length + " (recentBlackIndex masks with the length less one)");
        }
        this.recentBlack = filterTable;
        this.recentBlackBase = filterBase;
    }

    /** This mutator's root slots ("stack" roots). */
    public RootSlots roots() {
        return roots;
    }

    public MCache mcache() {
        return mcache;
    }
}
