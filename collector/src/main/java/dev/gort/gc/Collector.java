package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapTrigger;
import dev.gort.arena.MemStats;
import dev.gort.sched.Go;
import dev.gort.sched.WaitReason;
import dev.gort.sys.CpuClock;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The GC cycle (Go's mgc.go gcStart / gcMarkDone / gcMarkTermination / gcSweep), driven by a
 * coordinator thread, with background mark workers and a background sweeper.
 *
 * <h2>One cycle</h2>
 * <ol>
 *   <li><b>Sweep termination</b> (STW #1): finish sweeping the previous cycle, start the pacer's
 *       cycle, turn the write barrier and allocate-black on, scan every mutator's stack roots (so
 *       every stack is black from here on: with the hybrid barrier no stack is ever rescanned).
 *       Start the world.</li>
 *   <li><b>Concurrent mark</b>: the coordinator scans the global root table; background workers
 *       (dedicated and fractional, sized by the pacer to 25% of GOMAXPROCS) drain the grey queue;
 *       allocating mutators assist in proportion to what they allocate; barriers grey into the
 *       mutator's own gcWork.</li>
 *   <li><b>Mark completion</b>: when no worker has work and the global list is empty, every mutator
 *       publishes its gcWork at its own next safepoint (the ragged barrier, Go's forEachP); if any
 *       had published work, keep marking. When a round finds none, stop the world and flush once
 *       more: work found then (late barrier shades) restarts the world and marking (Go's issue
 *       27993 loop); otherwise go on, world still stopped. Under the scheduler the round is
 *       partial (see SchedWorld): Ps that do not answer are flushed by the stop.</li>
 *   <li><b>Mark termination</b> (STW #2): optional checkmark verification, barrier and
 *       allocate-black off, flush all mcaches, sweepgen += 2 (every span now unswept; its gcmarkBits
 *       decide), heapLive = bytes marked, new goal and trigger, gctrace/JFR/MemStats. Start the
 *       world.</li>
 *   <li><b>Sweep</b>: lazily when an mcentral refills, plus the background sweeper; a forced
 *       {@link #gc()} sweeps everything before it returns, as runtime.GC does.</li>
 * </ol>
 *
 * <h2>Modes</h2>
 * Background (default); {@code gcstoptheworld=1}: the whole mark runs with the world stopped;
 * {@code gcstoptheworld=2}: the sweep too; forced block: {@link #gc()}.
 *
 * <h2>Breakpoints</h2>
 * Tests can stop the coordinator at {@link Breakpoint#AFTER_MARK_START} (world running, barrier on,
 * stacks scanned, nothing else scanned, workers not started) and
 * {@link Breakpoint#BEFORE_MARK_TERMINATION} (marking drained, world running) to stage barrier
 * scenarios deterministically (TESTING.md G3).
 */
public final class Collector implements AutoCloseable {
    public enum Breakpoint { NONE, AFTER_MARK_START, BEFORE_MARK_TERMINATION }

    static final int OFF = 0;
    static final int MARK = 1;
    static final int MARK_TERMINATION = 2;

    private final Heap heap;
    private final GcSupport gcs;
    private final World world;
    private final ArenaMarkHeap markHeap;
    private final Marker marker;
    private final WorkbufPool pool;
    private final GlobalRoots globals;
    private final Pacer pacer = new Pacer();
    private final GcStats stats;
    private volatile GcOptions options;
    /** GORT_DEBUG gcstress (fixed at construction: later option changes keep it): collect every N allocations. */
    private final long stress;
    private volatile PrintStream traceOut = System.err;

    private volatile int phase = OFF;
    private final GcWork coordinatorWork;
    private final GcWork orphanWork;        // shades from threads that are not mutators
    /**
     * Goroutine stacks as concurrent roots (SchedWorld only; null: stacks are scanned in the sweep
     * termination pause, as ThreadWorld's registered threads' roots are).
     */
    private final StackRoots stackRoots;
    private final Object orphanLock = new Object();

    // --- cycle control
    // Not a ReentrantLock: goroutines take it, and its owner check would see a stale carrier (OwnerlessLock).
    private final dev.gort.sys.OwnerlessLock ctl = new dev.gort.sys.OwnerlessLock();
    private final dev.gort.sys.OwnerlessLock ctlChanged = ctl;
    private boolean cycleRequested;      // guarded by ctl
    private boolean forcedRequested;     // guarded by ctl
    private boolean cycleRunning;        // guarded by ctl
    private long cyclesDone;             // guarded by ctl
    private Throwable cycleFailure;      // guarded by ctl: a failed cycle (bad pointer, checkmark)
    /** GOMAXPROCS changes in progress: no cycle starts while > 0 (Go's GOMAXPROCS holds gcsema). Guarded by ctl. */
    private int resizeHolds;
    /** Registered with the scheduler under SchedWorld (null otherwise). */
    private final ProcResize procResize;
    private volatile boolean closed;

    // --- breakpoints (guarded by ctl)
    private Breakpoint breakpoint = Breakpoint.NONE;
    private Breakpoint atBreakpoint = Breakpoint.NONE;

    // --- mark workers
    private final List<Thread> workerThreads = new ArrayList<>();
    private final GoroutineWorkers goroutineWorkers;      // non-null under SchedWorld
    private final List<GcWork> workerWork = new ArrayList<>();
    private final AtomicInteger busyWorkers = new AtomicInteger();
    private volatile long markEpoch;
    private volatile boolean markActive;
    private volatile int activeWorkers;
    private volatile int fractionalWorker = -1;
    /** Worker ids below this are dedicated (they must run; fractional and idle ones are the rest). */
    private volatile int dedicatedWorkerCount;
    /**
     * {@code -Dgort.gc.workers.onp=true}: over ThreadWorld the mark workers and the background
     * sweeper run on a P ({@link ThreadWorld#acquireP}): a worker that must run while every P is a
     * running mutator's takes one at a mutator's next safepoint, and the sweeper sweeps only on an
     * idle P. Off by default (collector threads beside the mutators, as before session 9) because
     * it lost its quiet A/B (29 Nov 06:04-06:08, {@code PauseDistributionRun 1024 120 threads}, same
     * build): 0.78 x the chains replaced (57.6 M against 74.2 M), slow pauses after warm-up 3 of 37
     * against 3 of 45; docs/performance.md "Session 9, lead".
     */
    static final boolean WORKERS_ON_P_DEFAULT = false;
    static volatile boolean workersOnP = dev.gort.sys.TuningProperty.flag("gort.gc.workers.onp", WORKERS_ON_P_DEFAULT);
    /** This collector's choice, read once at construction. */
    private final boolean myWorkersOnP = workersOnP;
    /**
     * {@code -Dgort.gc.sweeper.goroutine=false}: under SchedWorld the background sweeper is the
     * platform thread {@code gort-bgsweep} again (the behaviour before session 10), for A/B runs on
     * one build. On by default: Go's bgsweep is a goroutine, and a goroutine is stopped by a
     * stop-the-world like any other (see {@link SweeperGoroutine}). No effect over ThreadWorld.
     */
    static final boolean SWEEPER_GOROUTINE_DEFAULT = true;
    static volatile boolean sweeperGoroutine = dev.gort.sys.TuningProperty.flag("gort.gc.sweeper.goroutine", SWEEPER_GOROUTINE_DEFAULT);
    /**
     * How long a dedicated worker keeps a P it was handed before it gives it back to a mutator that
     * waits for it, and asks again (Go preempts a long-running goroutine after ~10 ms).
     */
    static final long DEDICATED_SLICE_NANOS = 10_000_000L;
    /** markActive and not closed, made once (acquireP's stillWanted). */
    private final java.util.function.BooleanSupplier markStillActive = () -> markActive && !closed;
    private final java.util.function.BooleanSupplier notClosed = () -> !closed;
    private final long[] workerCpu;

    /**
     * Diagnostics for pausetrace: when each collector platform thread (the mark worker threads by
     * id, then the background sweeper) last began standing aside for a stop (System.nanoTime(),
     * written by that thread). A pause's line names those that stood aside during it and after how
     * long; one not named was parked (idle) or never saw the stop.
     */
    private final java.util.concurrent.atomic.AtomicLongArray asideAt;

    /**
     * The OS priority the collector's background platform threads give themselves when they start
     * ({@code -Dgort.gc.background.priority=normal|idle|1..19}, default normal: unchanged): the
     * background sweeper in both worlds and, over ThreadWorld, the mark worker threads. Under the
     * scheduler the mark workers are goroutines on the Ms that run user code, which are never
     * lowered (an unprivileged thread cannot raise its priority back). Off by default because it
     * lost its A/B (session 8, docs/performance.md): these threads ran under 2 ms in all of 48 slow
     * stops of a binary-trees run (the JIT's compiler threads and other processes held the CPUs),
     * while a lowered idle worker lost its CPU to other processes on the shared machine and its
     * marking moved into the mutator's assists (mutator CPU 1.3 x). See {@link #lowerBackgroundThread}.
     */
    static final dev.gort.sys.ThreadPriority.Background BACKGROUND_PRIORITY_DEFAULT = dev.gort.sys.ThreadPriority.Background.NORMAL;
    static final dev.gort.sys.ThreadPriority.Background BACKGROUND_PRIORITY =
            dev.gort.sys.ThreadPriority.Background.fromProperty("gort.gc.background.priority", BACKGROUND_PRIORITY_DEFAULT);
    /** What collectors created from now on apply (tests set it around a construction; the property otherwise). */
    static volatile dev.gort.sys.ThreadPriority.Background backgroundPriority = BACKGROUND_PRIORITY;
    /** This collector's choice, read once at construction so its threads agree. */
    private final dev.gort.sys.ThreadPriority.Background myBackgroundPriority = backgroundPriority;
    /** Each background platform thread's id (set once it has lowered itself) and the setting read back (index as {@link #asideAt}; tests). */
    private final java.util.concurrent.atomic.AtomicIntegerArray backgroundTids;
    private final java.util.concurrent.atomic.AtomicReferenceArray<dev.gort.sys.ThreadPriority.Setting> backgroundSettings;

    // --- sweeper
    private final Thread coordinator;
    /** The background sweeper over ThreadWorld: a platform thread (null under SchedWorld). */
    private final Thread sweeper;
    /** The background sweeper under SchedWorld: a system goroutine (null over ThreadWorld). */
    private final SweeperGoroutine sweeperG;
    private final Object sweepSignal = new Object();
    private long sweepRequests;            // guarded by sweepSignal

    /**
     * The arena calls it at span refills while heapLive is at or past the trigger: outside a cycle
     * it asks for one; while marking (the cycle started at the trigger, so every refill lands here)
     * it revises the assist ratio. Mark termination stops the world and an allocation is no
     * safepoint, so no revise overlaps the coordinator setting heapLive at termination.
     */
    private final HeapTrigger trigger = (h, live) -> {
        if (phase == MARK) {
            pacer.reviseDuringMark(live);
        } else {
            requestCycle(false);
        }
    };
    /** Greys stack roots onto the coordinator's gcWork (a field: no lambda linkage inside a pause). */
    private final World.RootSink stackSink;
    /** world::preemptRequested, made once (an assist must not allocate a method reference per call). */
    private final java.util.function.BooleanSupplier stopRequested;

    /** Run by every cycle at sweep termination, world stopped (Go's clearpools); see {@link #onSweepTermination}. */
    private final List<Runnable> sweepTerminationHooks = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Collector(Heap heap, World world, WorkbufPool pool, GlobalRoots globals, GcOptions options) {
        options = options.withForcedModes();   // -Dgort.gc.force (TESTING.md G2: the suite under a debug mode)
        this.heap = heap;
        this.gcs = heap.gc();
        // From here on the heap's mcaches are this collector's: Heap.threadCache() is refused
        // (a thread cache released late, when its thread is found dead, would uncache spans and
        // lower heapLive behind the pacer). Refused itself if the heap has live thread caches.
        gcs.claimForCollector("a collector over " + world.getClass().getSimpleName());
        this.world = world;
        this.pool = pool;
        this.globals = globals;
        this.options = options;
        this.stress = options.gcstress();
        this.markHeap = new ArenaMarkHeap(heap);
        this.marker = new Marker(markHeap);
        this.marker.setInvalidPtrFatal(options.invalidptr());
        this.stats = new GcStats(System.nanoTime());
        this.coordinatorWork = new GcWork(pool);
        this.stopRequested = world::preemptRequested;
        this.stackSink = (addr, n, owner, id) -> marker.scanRootSlots(addr, n, owner, id, coordinatorWork);
        this.orphanWork = new GcWork(pool);
        // Published work wakes the queue's head in both worlds (see AssistQueue: over threads the
        // waiter's CPU is nobody's; under the scheduler nothing wakes an idle P for published work).
        this.assists = new AssistQueue(pacer.bgScanCredit, this::assistWaitGoesOn, pool, true);
        pacer.setGcPercent(options.gcPercent());
        pacer.setMemoryLimit(options.memoryLimit());
        // Under the scheduler the mark workers are goroutines chosen by schedule() through the
        // GcHook (GoroutineWorkers); over plain threads they are platform threads.
        int nworkers = world instanceof SchedWorld ? 0 : Math.max(1, world.gomaxprocs());
        this.workerCpu = new long[nworkers];
        if (world instanceof SchedWorld sw) {
            this.goroutineWorkers = new GoroutineWorkers(sw, marker, pool, pacer, assists, busyWorkers, () -> markActive,
                    this::schedulerExiting);
            sw.attachWorkers(goroutineWorkers);
            this.stackRoots = new StackRoots(sw.scheduler(), marker, pacer, orphanWork, orphanLock);
            goroutineWorkers.setStackRoots(stackRoots);
            this.procResize = new ProcResize();
            sw.scheduler().addProcResizeHook(procResize);
            this.sweeperG = sweeperGoroutine ? new SweeperGoroutine(gcs, sweepCredit, sw.scheduler()) : null;
            sw.attachSweeper(sweeperG);
        } else {
            this.goroutineWorkers = null;
            this.procResize = null;
            this.stackRoots = null;
            this.sweeperG = null;
        }
        WriteBarrier.install(world instanceof ThreadWorld tw ? tw.barrierFilter.table : null, new WriteBarrier.Shader() {
            @Override
            public void shade(long pointer) {
                Collector.this.shade(pointer);
            }

            @Override
            public void shadePair(long old, long value) {
                Collector.this.shadePair(old, value);
            }

            @Override
            public java.util.concurrent.Semaphore storeGate() {
                return storeGate;
            }

            @Override
            public boolean callerIsStoppable() {
                // A goroutine with a P, or a registered thread; anyone once no cycle can start any
                // more (closed, or the scheduler exited), so a closed collector's shader refuses nothing.
                // And the coordinator itself: it makes the flips, so none falls inside its own store
                // (a sweep-termination hook closing a handle runs in the pause, holding the store
                // gate: it must not wait for it).
                return world.current() != null || Thread.currentThread() == coordinator || closed || world.exiting();
            }

            @Override
            public void shadeStore(long obj, long slot, long value) {
                Collector.this.shadeStore(obj, slot, value);
            }
        });
        gcs.setTrigger(pacer.trigger(), trigger);
        asideAt = new java.util.concurrent.atomic.AtomicLongArray(nworkers + 1);
        backgroundTids = new java.util.concurrent.atomic.AtomicIntegerArray(nworkers + 1);
        backgroundSettings = new java.util.concurrent.atomic.AtomicReferenceArray<>(nworkers + 1);
        for (int i = 0; i < nworkers; i++) {
            GcWork w = new GcWork(pool);
            workerWork.add(w);
            final int id = i;
            Thread t = Thread.ofPlatform().daemon().name("gort-gc-worker-" + i).unstarted(() -> workerLoop(id, w));
            workerThreads.add(t);
        }
        this.coordinator = Thread.ofPlatform().daemon().name("gort-gc").unstarted(this::coordinatorLoop);
        // Go's bgsweep is a goroutine: under the scheduler it is one (SweeperGoroutine, started by
        // the first goroutine that gets a P's collector state); over plain threads, a thread.
        this.sweeper = sweeperG != null ? null : Thread.ofPlatform().daemon().name(SWEEPER_THREAD).unstarted(this::sweeperLoop);
        workerThreads.forEach(Thread::start);
        coordinator.start();
        if (sweeper != null) {
            sweeper.start();
        }
    }

    /** A collector over plain threads as mutators (see {@link ThreadWorld}). */
    public static Collector forThreads(Heap heap, GcOptions options, int gomaxprocs) {
        WorkbufPool pool = new WorkbufPool();
        ThreadWorld w = new ThreadWorld(heap, pool, gomaxprocs);
        return new Collector(heap, w, pool, new GlobalRoots(), options);
    }

    public World world() {
        return world;
    }

    /**
     * Registers {@code hook} to run at the start of every later cycle, on the collector's thread,
     * with the world stopped and the previous cycle's sweep finished, before marking starts: Go's
     * {@code clearpools} in gcStart (the runtime registers {@code sync.Pool}'s cleanup here). A
     * hook must be short and must not allocate on the gort heap or wait for goroutines (they are
     * stopped). It may let handles go ({@code Global.close}, {@code PtrPool.close},
     * {@code PtrChan.free}): the barrier is still off, and the coordinator is never made to wait
     * for the store gate it holds there. A hook that throws a RuntimeException is reported on the trace output with its exception and the
     * cycle goes on; hooks run in registration order.
     */
    public void onSweepTermination(Runnable hook) {
        if (hook == null) {
            throw new IllegalArgumentException("sweep-termination hook is null; accepted: a Runnable");
        }
        sweepTerminationHooks.add(hook);
    }

    private void runSweepTerminationHooks() {
        if (sweepTerminationHooks.isEmpty()) {
            return;                          // no iterator allocated in the pause
        }
        for (Runnable h : sweepTerminationHooks) {
            try {
                h.run();
            } catch (RuntimeException e) {
                traceOut.println("gort: sweep-termination hook " + h + " failed (cycle continues): " + e);
            }
        }
    }

    public ThreadWorld threadWorld() {
        if (world instanceof ThreadWorld tw) {
            return tw;
        }
        throw new IllegalStateException("this collector runs over " + world.getClass().getSimpleName() + ", not a ThreadWorld");
    }

    public GlobalRoots globals() {
        return globals;
    }

    public Global newGlobal() {
        return Global.of(globals);
    }

    public Pacer pacer() {
        return pacer;
    }

    public Marker marker() {
        return marker;
    }

    public Heap heap() {
        return heap;
    }

    public GcOptions options() {
        return options;
    }

    /** Where gctrace lines go (stderr by default). */
    public void setTraceOutput(PrintStream out) {
        traceOut = out;
    }

    /** Sets GOGC (percent or Pacer.OFF); returns the old value. */
    public int setGcPercent(int percent) {
        ctl.lock();
        try {
            options = options.withGcPercent(percent);
            int old = pacer.setGcPercent(percent);
            gcs.setTrigger(pacer.trigger(), trigger);
            return old;
        } finally {
            ctl.unlock();
        }
    }

    /** Sets GOMEMLIMIT in bytes (Pacer.INFINITE = none); returns the old value. */
    public long setMemoryLimit(long bytes) {
        ctl.lock();
        try {
            options = options.withMemoryLimit(bytes);
            long old = pacer.setMemoryLimit(bytes);
            refreshMemoryFigures();
            pacer.refreshLimit();
            gcs.setTrigger(pacer.trigger(), trigger);
            return old;
        } finally {
            ctl.unlock();
        }
    }

    // =================================================================== allocation

    /**
     * Allocates a zeroed object of type {@code t} for the calling mutator. A safepoint.
     *
     * <p>The inline fast path (Go's mallocgc with nextFreeFast): small enough in bytecode and in
     * compiled code that C2 inlines it into the caller even after compiling it alone (a callee
     * whose own C2 code exceeds InlineSmallCode, 2500 bytes on x86, is "already compiled into a
     * big method" and called). It serves a small type from the cached span's allocCache window
     * while nothing special is due: the mutator lookup, the safepoint's flag reads, gcstress and
     * a cycle start owed (one read each), while marking the assist credit (which must cover the
     * object: the assist runs before the allocation, see {@link #allocate}) and the mutator's
     * state, the sweep credit, then the mcache's slot, the pointer bits (one bitmap
     * read-modify-write) and, while marking, the allocate-black bookkeeping. Everything else
     * (refill, assist, sweep credit due, large or many-word types, gcstress, debug modes) goes to
     * {@link #allocate}, which handles every case.
     */
    public long alloc(Type t) {
        Mutator m = world.current();
        if (m == null) {
            throw notAMutator();
        }
        m = world.safepointThenCurrent(m);      // a safepoint may resume the goroutine on another P
        long size = t.size();
        int spc = t.fastSpanClass;
        if (spc >= 0 && stress == 0 && !startPending && m.sweepCreditBytes + size < SWEEP_CREDIT_BYTES) {
            // No safepoint from here to the return: the phase read here holds for the object (it
            // changes only with the world stopped), as in allocate.
            boolean marking = phase == MARK;
            if (!marking || (m.assistBytes >= size && m.state != Mutator.BLOCKED)) {
                long p = m.mcache.allocFast(spc);
                if (p != 0) {
                    m.sweepCreditBytes += size;
                    if (t.allocWords > 0) {
                        gcs.writeNewObjectPointerBits(p, t.allocWords, t.allocMask);
                    }
                    if (marking) {
                        allocatedBlack(m, p, size);
                    }
                    return p;
                }
            }
        }
        return allocate(m, size, t.allocWords, t);
    }

    /** Allocated black by the arena while marking: pay the assist credit and count the object as marked. */
    private static void allocatedBlack(Mutator m, long p, long size) {
        m.assistBytes -= size;
        m.gcw.bytesMarked += size;
        m.rememberBlack(p);
    }

    /** Allocates a zeroed array of {@code n} elements of {@code elem}. A safepoint. */
    public long allocArray(Type elem, long n) {
        Type t = Type.arrayOf(elem, n);
        Mutator m = world.current();
        if (m == null) {
            throw notAMutator();
        }
        return allocate(m, Math.max(1, t.size()), t.allocWords, t);
    }

    /** Allocates {@code n} zeroed bytes (noscan). A safepoint. */
    public long allocBytes(long n) {
        if (n <= 0) {
            throw new IllegalArgumentException("allocation size " + n + " must be positive");
        }
        Mutator m = world.current();
        if (m == null) {
            throw notAMutator();
        }
        return allocate(m, n, 0, null);
    }

    private static IllegalStateException notAMutator() {
        return new IllegalStateException("allocation on " + Thread.currentThread().getName()
                + ", which is not a mutator (a goroutine or a thread registered with the collector's world)");
    }

    /**
     * The allocation path. {@code words}: the object's pointer-bit words when 1..64 (one bitmap
     * read-modify-write with {@code t}'s first mask word), 0 for noscan, -1 for a larger scan
     * object (the whole mask).
     */
    private long allocate(Mutator m, long size, int words, Type t) {
        m = world.safepointThenCurrent(m);      // a safepoint may resume the goroutine on another P
        if (stress > 0 || startPending) {
            m = allocChecks(m);
        }
        if (phase == MARK) {
            m.checkNotBlocked("an allocation");     // on the marking branch only: free outside a cycle
            // Pay before allocating, as Go's mallocgc does (deductAssistCredit comes first): an
            // assist may wait for credit, letting the cycle end and the next one scan the stacks,
            // and an object allocated before that wait would be held only by a Java local, black
            // for a cycle that is over and white (freed) in the next one.
            if ((m.assistBytes -= size) < 0) {
                m = assistAlloc(m);
            }
        }
        if ((m.sweepCreditBytes += size) >= SWEEP_CREDIT_BYTES) {
            paySweepCredit(m);
        }
        m.site = Mutator.SITE_ALLOC;
        long p = m.mcache.alloc(size, words == 0);
        m.site = Mutator.SITE_USER;
        if (words > 0) {
            gcs.writeNewObjectPointerBits(p, words, t.allocMask);       // one bitmap RMW, not one per word
        } else if (words < 0) {
            gcs.writePointerMask(p, t.sizeWords(), t.fullMask());
        }
        if (phase == MARK) {
            // Allocated black by the arena (no safepoint since the phase read): count it as marked.
            m.gcw.bytesMarked += size;
            m.rememberBlack(p);
        }
        return p;
    }

    /** The rare checks before an allocation: gcstress, and a cycle start owed past the goal. */
    private Mutator allocChecks(Mutator m) {
        if (stress > 0 && ++m.allocs % stress == 0) {
            gcFromMutator(m);
            m = world.current();
        }
        if (startPending && gcs.heapLive() > goalNow()) {
            // A cycle was requested but has not started (the coordinator did not get a CPU yet) and
            // the heap is past its goal: wait for sweep termination, as Go's allocating goroutine
            // runs gcStart itself instead of allocating on.
            world.runBlocking(m, this::awaitCycleStart);
            m = world.current();
            Throwable f = cycleFailure;
            if (f != null) {
                throw new IllegalStateException("allocation past the heap goal (" + (pacer.heapGoal() >> 20)
                        + " MiB) refused: the collector failed and no cycle will run, so the heap would grow "
                        + "without bound (collector error: " + f.getMessage() + ")", f);
            }
        }
        return m;
    }

    /**
     * The heap goal an allocation is held to: between mark termination and the pacer's commit the
     * provisional goal (the new cycle's, computed the same way), not the finished cycle's, which a
     * mark that ended past it would otherwise turn into a wait for yet another cycle on every
     * allocation of the tail (review10).
     */
    private long goalNow() {
        long provisional = provisionalGoal;
        return provisional != Long.MAX_VALUE ? provisional : pacer.heapGoal();
    }

    /** Every {@link #SWEEP_CREDIT_BYTES} a mutator allocates: sweep if sweeping is paced. */
    private void paySweepCredit(Mutator m) {
        m.sweepCreditBytes = 0;
        if (sweepPaced) {
            m.site = Mutator.SITE_SWEEP;
            deductSweepCredit();
            m.site = Mutator.SITE_USER;
        }
    }

    /**
     * Scan work an assist does (or steals from the background credit) beyond its debt, as Go's
     * gcOverAssistWork: the surplus becomes allocation credit, so the mutator's next ~64 KiB of
     * scan work worth of allocations pay nothing and take the fast path, instead of every
     * allocation stealing a few bytes of credit with a CAS on the pacer's shared counter.
     */
    static final long OVER_ASSIST_WORK = 64 << 10;
    /** The most allocation credit one over-assist buys (see {@link #assistAlloc}). */
    static final long OVER_ASSIST_BYTES = 64 << 10;

    /**
     * Go's gcAssistAlloc, for a mutator whose allocation credit ({@link Mutator#assistBytes})
     * went negative: convert the debt to scan work at the pacer's current ratio (at least
     * {@link #OVER_ASSIST_WORK}), steal what the background workers have banked, do the rest by
     * draining grey objects, and if work is still owed with none to do, wait for credit. Returns
     * the calling mutator (re-read when it waited: under the scheduler it may come back on
     * another P).
     */
    private Mutator assistAlloc(Mutator m) {
        double workPerByte = pacer.assistWorkPerByte();
        double bytesPerWork = pacer.assistBytesPerWork();
        long debtBytes = -m.assistBytes;
        long scanWork = (long) (workPerByte * debtBytes);
        if (scanWork < OVER_ASSIST_WORK) {
            // Over-assist, but buy at most OVER_ASSIST_BYTES of credit: credit is spent at the
            // ratio it was bought at, and at a generous ratio (scan work beyond the estimate makes
            // the work left look tiny, bytesPerWork ~ runway / 1000) 64 KiB of work would buy many
            // times the runway left; HeapBoundsTest's memory limit ran 10-25% over that way.
            long bytes = Math.min((long) (bytesPerWork * OVER_ASSIST_WORK), Math.max(debtBytes, OVER_ASSIST_BYTES));
            if (bytes > debtBytes) {
                debtBytes = bytes;
                scanWork = Math.max(1, (long) Math.ceil(workPerByte * bytes));
            }
        }
        // Steal background credit first.
        long credit = pacer.bgScanCredit.get();
        if (credit > 0) {
            long stolen;
            if (credit < scanWork) {
                stolen = credit;
                m.assistBytes += 1 + (long) (bytesPerWork * stolen);
            } else {
                stolen = scanWork;
                m.assistBytes += debtBytes;
            }
            pacer.bgScanCredit.addAndGet(-stolen);     // may dip below 0 for a moment, as Go's does
            scanWork -= stolen;
            if (m.assistBytes >= 0) {
                return m;
            }
        }
        // The assist's CPU, not its wall time: a descheduled thread is not assisting (gctrace's
        // assist figure and GCCPUFraction). The drain does not yield, so the thread stays the same.
        long t0 = CpuClock.threadCpuNanos();
        m.site = Mutator.SITE_ASSIST;
        // Drain in 64 KiB chunks and stop early if the world is being stopped: an assist must not
        // hold up a stop-the-world (Go's assists are preemptible). The rest of the debt stays.
        long done = 0;
        while (done < scanWork && !world.preemptRequested()) {
            long d = marker.drain(m.gcw, Math.min(64 << 10, scanWork - done), stopRequested);
            if (d == 0) {
                break;
            }
            done += d;
        }
        if (done > 0) {
            m.assistBytes += 1 + (long) (bytesPerWork * done);
        }
        if (!m.gcw.empty()) {
            // Publish what the assist left (it took whole buffers): the background workers finish
            // it, instead of it waiting in this mutator's gcWork until mark completion finds it as
            // late work and has to restart marking.
            m.gcw.dispose();
        }
        m.site = Mutator.SITE_USER;
        long dt = CpuClock.threadCpuNanos() - t0;
        m.assistNanos += dt;
        pacer.assistTime.addAndGet(dt);
        if (done > 0) {
            pacer.heapScanWork.addAndGet(done);   // live figure for revise(); recomputed exactly at termination
        }
        if (m.assistBytes < 0 && !world.stopRequested()) {
            return waitForCredit(m, workPerByte);
        }
        return m;
    }

    /**
     * The mutator still owes scan work but there is none to do (the grey set is held by workers):
     * it parks in Go's assist queue ({@link AssistQueue}) until a background worker's credit
     * flush pays its debt, or work is published (see AssistQueue), or the wait ends (mark
     * termination, close, the world's exit). Nobody polls. A goroutine parks itself
     * ({@code Go.park}, Go's gcParkAssist): its P runs other goroutines or an idle mark worker
     * meanwhile. A platform thread parks inside {@link World#runBlocking}, counting as stopped, so
     * a stop-the-world never waits for it. Woken with debt left while still marking (published
     * work, a test breakpoint), it takes the rest back into {@link Mutator#assistBytes} at the
     * ratio it was converted at, so its next allocation assists again (Go's parked assist retries
     * from the top when woken); woken by the end of the mark phase, the rest is dropped (the next
     * cycle starts with no debt). This is what keeps the heap goal when a mutator allocates faster
     * than the workers mark. Returns the calling mutator, re-read after the wait (a goroutine may
     * come back on another P, whose mutator state this one must not touch until it is current).
     */
    private Mutator waitForCredit(Mutator m, double workPerByte) {
        long debt = Math.max(1, (long) Math.ceil(-m.assistBytes * workPerByte));
        m.assistBytes = 0;
        AssistQueue.Waiter w = assists.acquire(debt);
        if (goroutineWorkers != null) {
            Go.park(AssistQueue::parkCommit, w, WaitReason.GC_ASSIST_WAIT);
        } else {
            world.runBlocking(m, w);
        }
        long left = w.debt;
        assists.release(w);
        Mutator now = world.current();
        if (left > 0 && phase == MARK && now != null) {
            now.assistBytes -= Math.max(1, (long) Math.ceil(left / workPerByte));
        }
        return now;
    }

    /** The queue of assists waiting for background credit; its flush is the workers' only way to bank credit. */
    private final AssistQueue assists;

    /** True while a queued assist may stay parked: the mark phase runs and nothing ends it early. */
    private boolean assistWaitGoesOn() {
        return phase == MARK && !closed && (!paused || assistWaitsWhilePaused) && !world.exiting();
    }

    /**
     * Test hook: assists may queue while the coordinator is held at a breakpoint (normally a
     * breakpoint ends every wait, since no cycle progress may come). The test then pays them
     * through {@link AssistQueue#flush} or ends them by resuming.
     */
    void setAssistWaitsWhilePausedForTest(boolean allow) {
        assistWaitsWhilePaused = allow;
    }

    private volatile boolean assistWaitsWhilePaused;

    /** What the assist queue did since this collector started (parks, and what woke them). */
    public AssistWaitStats assistWaitStats() {
        return assists.stats();
    }

    AssistQueue assistQueueForTest() {
        return assists;
    }

    private volatile boolean paused;

    /** Both pointers of one barriered store, with one lookup of the calling mutator. */
    private void shadePair(long old, long value) {
        Mutator m = world.current();
        if (m == null) {
            if (old != 0) {
                shade(old);
            }
            if (value != 0) {
                shade(value);
            }
            return;
        }
        m.checkNotBlocked("a barriered pointer store");
        // Objects this mutator allocated in this mark phase are black: shading them is a no-op,
        // so skip the lookup for the ones its filter remembers (see Mutator.recentBlack).
        if (old != 0 && !m.isRecentBlack(old)) {
            marker.shade(old, m.gcw);
        }
        if (value != 0 && !m.isRecentBlack(value)) {
            marker.shade(value, m.gcw);
        }
    }

    /**
     * The barrier of a field store into {@code obj} ({@link WriteBarrier#storeField}), with one
     * lookup of the calling mutator. An object this mutator allocated black in this mark phase
     * (its filter names it) needs no deletion shade: it was born zeroed and every pointer stored
     * into it since was shaded by the insertion half, so its old value is not read at all.
     */
    private void shadeStore(long obj, long slot, long value) {
        Mutator m = world.current();
        if (m == null) {
            long old = dev.gort.sys.NativeMemory.getLong(slot);
            if (old != 0) {
                shade(old);
            }
            if (value != 0) {
                shade(value);
            }
            return;
        }
        long old = m.isRecentBlack(obj) ? 0 : dev.gort.sys.NativeMemory.getLong(slot);
        if ((old | value) == 0) {
            return;         // nothing to shade (as storeSlow: no shader call for 0 over 0)
        }
        m.checkNotBlocked("a barriered pointer store");
        if (old != 0 && !m.isRecentBlack(old)) {
            marker.shade(old, m.gcw);
        }
        if (value != 0 && !m.isRecentBlack(value)) {
            marker.shade(value, m.gcw);
        }
    }

    private void shade(long p) {
        Mutator m = world.current();
        if (m != null) {
            m.checkNotBlocked("a barriered pointer store");
            marker.shade(p, m.gcw);
        } else {
            Runnable stall = orphanShadeStallHook;
            if (stall != null) {
                stall.run();        // tests: the thread loses its CPU between the flag read and the shade
            }
            synchronized (orphanLock) {
                marker.shade(p, orphanWork);
            }
        }
    }

    // =================================================================== forcing cycles

    /**
     * Runs a full collection and sweep and returns when both are complete (Go's runtime.GC). Works
     * with GOGC=off. From a mutator, the mutator counts as stopped while it waits.
     */
    public void gc() {
        Mutator m = world.current();
        if (m != null) {
            gcFromMutator(m);
        } else {
            gcBlocking();
        }
    }

    private void gcFromMutator(Mutator m) {
        world.runBlocking(m, () -> gcBlocking(true));
    }

    /**
     * Waits for a whole new cycle, then sweeps. {@code goroutine}: the caller is a mutator waiting
     * in runBlocking; at the world's exit it returns (it stops at its next safepoint and never
     * runs on). A plain thread would run on believing a collection happened: it is told.
     */
    private void gcBlocking() {
        gcBlocking(false);
    }

    private void gcBlocking(boolean goroutine) {
        ctl.lock();
        try {
            // A cycle already running may have missed our garbage: wait for a whole new one.
            long target = cyclesDone + (cycleRunning ? 2 : 1);
            while (cyclesDone < target) {
                checkOpen();
                if (world.exiting()) {
                    if (goroutine) {
                        return;     // no cycle will finish; the goroutine stops at its next safepoint
                    }
                    throw exitedError("gc()");
                }
                // Request only while no cycle runs: every wake-up during one (its breakpoints, a
                // spurious one) re-requested, which left a request behind that started another
                // cycle right after ours, at heapLive = the live heap (HeapBoundsTest's memory-limit
                // case: that cycle spanned the whole first churn, marked all of it black, and the
                // next goal rose to it: 47 MiB peak under a 40 MiB limit).
                if (!cycleRunning) {
                    cycleRequested = true;
                    forcedRequested = true;
                }
                ctlChanged.signalAll();
                ctlChanged.awaitUninterruptibly();
                rethrowFailure();
            }
        } finally {
            ctl.unlock();
        }
        sweepAll();
    }

    /** Sweeps every unswept span now (the forced collection's final step). */
    public void sweepAll() {
        long n;
        while ((n = gcs.sweepOne()) != 0) {
            finishSweptPages.addAndGet(n);
        }
        gcs.awaitSweepsInFlight();      // spans other threads claimed are swept with no lock held
    }

    private volatile boolean startPending;
    /** The running cycle has passed mark termination (phase OFF again); cleared when the next one starts. */
    private volatile boolean cycleTail;

    /**
     * Called with the world stopped: the flag is cleared now (no mutator runs to read it), the
     * allocations waiting for it are woken by the next {@link #startWorld}. Waking them here made
     * them runnable inside the pause: on two cores they took the CPU from this thread and then
     * stopped again at their safepoint (sweep termination's "setup" step measured 0.5-1.1 ms wall
     * for 0.03 ms of CPU). A waiter that checked the flag before this write is in await by the
     * time startWorld signals under the lock, so none sleeps past the restart.
     */
    private void clearStartPending() {
        if (startPending) {
            startPending = false;
            wakeStartWaiters = true;
        }
    }

    /** Allocations waiting for the cycle start are to be woken at the next restart (coordinator only). */
    private boolean wakeStartWaiters;

    private void awaitCycleStart() {
        ctl.lock();
        try {
            while (startPending && !closed && cycleFailure == null && !world.exiting()) {
                ctlChanged.awaitUninterruptibly();
            }
        } finally {
            ctl.unlock();
        }
    }

    /**
     * Asks for a cycle (the heap trigger, or sysmon's 2-minute forced GC); returns at once: true if
     * a cycle was requested, false if one is already requested or running.
     */
    public boolean requestCycle(boolean forced) {
        // Fast path without the lock: the heap trigger calls this from allocation until the cycle
        // starts, and a mutator waiting for the collector's lock cannot reach its safepoint (seen
        // holding up a stop-the-world). startPending implies cycleRequested, phase != OFF implies
        // cycleRunning: the locked check would say false too.
        if (startPending || phase != OFF) {
            return false;
        }
        ctl.lock();
        try {
            // During a cycle's tail (mark termination done, the coordinator still reporting and
            // waiting for its workers) the heap can already be past the new trigger: the request
            // counts, and allocations past the goal wait for the next cycle's start, instead of
            // running on unchecked until the tail ends (seen at load 12: 52 MiB under a 40 MiB
            // limit, the peak outside marking).
            if (!cycleRequested && (!cycleRunning || cycleTail) && !closed && !world.exiting()) {
                startPending = true;
                cycleRequested = true;
                forcedRequested |= forced;
                ctlChanged.signalAll();
                return true;
            }
            return false;
        } finally {
            ctl.unlock();
        }
    }

    private volatile long lastCycleEndNanos;

    /** System.nanoTime() at which the last cycle ended, 0 before the first (sysmon's forced-GC clock). */
    public long lastCycleEndNanos() {
        return lastCycleEndNanos;
    }

    /** Background mark workers marking now (tests). */
    int busyWorkers() {
        return busyWorkers.get();
    }

    /** Completed cycles (NumGC). */
    public long cycles() {
        ctl.lock();
        try {
            return cyclesDone;
        } finally {
            ctl.unlock();
        }
    }

    private void rethrowFailure() {
        if (cycleFailure != null) {
            Throwable f = cycleFailure;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("GC cycle failed", f);
        }
    }

    /** The world's scheduler has exited: its coordinator left and no cycle can stop that world again. */
    private IllegalStateException exitedError(String what) {
        return new IllegalStateException(what + " on " + Thread.currentThread().getName()
                + ": the scheduler this collector runs on has exited, so no collection can run; "
                + "collect before the program's main returns");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("collector is closed");
        }
        rethrowFailure();
    }

    // =================================================================== breakpoints

    /** Makes the next cycle stop at {@code bp} (NONE clears it). */
    public void setBreakpoint(Breakpoint bp) {
        ctl.lock();
        try {
            breakpoint = bp;
            ctlChanged.signalAll();
        } finally {
            ctl.unlock();
        }
    }

    /**
     * Starts a cycle if none runs and waits until the coordinator stops at {@code bp} (Go's runtime
     * test hooks, TESTING.md runTo). A mutator calling it counts as stopped while it waits.
     */
    public void runTo(Breakpoint bp, long timeoutMillis) {
        Mutator m = world.current();
        if (m != null) {
            world.runBlocking(m, () -> runToBlocked(bp, timeoutMillis));   // never hold up the STW it waits for
        } else {
            runToBlocked(bp, timeoutMillis);
        }
    }

    private void runToBlocked(Breakpoint bp, long timeoutMillis) {
        ctl.lock();
        try {
            breakpoint = bp;
            if (!cycleRunning && atBreakpoint == Breakpoint.NONE) {
                cycleRequested = true;
            }
            ctlChanged.signalAll();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (atBreakpoint != bp) {
                rethrowFailure();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("collector did not reach " + bp + " within " + timeoutMillis + " ms");
                }
                ctlChanged.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + bp, e);
        } finally {
            ctl.unlock();
        }
    }

    /**
     * Lets a cycle stopped at a breakpoint continue and clears that breakpoint. A breakpoint set
     * for a later point while stopped ({@link #setBreakpoint}) stays set: clearing it too let the
     * coordinator run past it before the test's next {@link #runTo} re-armed it, and that runTo
     * then waited out its timeout for a point the running cycle had already passed.
     */
    public void resume() {
        ctl.lock();
        try {
            if (breakpoint == atBreakpoint || atBreakpoint == Breakpoint.NONE) {
                breakpoint = Breakpoint.NONE;
            }
            atBreakpoint = Breakpoint.NONE;
            ctlChanged.signalAll();
        } finally {
            ctl.unlock();
        }
    }

    /** The breakpoint the coordinator is stopped at, NONE while it runs (tests). */
    Breakpoint stoppedAt() {
        ctl.lock();
        try {
            return atBreakpoint;
        } finally {
            ctl.unlock();
        }
    }

    /** Waits until the running cycle (if any) completed. */
    public void awaitIdle(long timeoutMillis) {
        Mutator m = world.current();
        if (m != null) {
            world.runBlocking(m, () -> awaitIdleBlocked(timeoutMillis));
        } else {
            awaitIdleBlocked(timeoutMillis);
        }
    }

    private void awaitIdleBlocked(long timeoutMillis) {
        ctl.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (cycleRunning || cycleRequested) {
                rethrowFailure();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("collector still busy after " + timeoutMillis + " ms");
                }
                ctlChanged.awaitNanos(left);
            }
            rethrowFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ctl.unlock();
        }
    }

    private void breakpoint(Breakpoint here) {
        ctl.lock();
        try {
            if (breakpoint != here) {
                return;
            }
            atBreakpoint = here;
            paused = true;             // assists must not wait for a coordinator that is paused
            if (!assistWaitsWhilePaused) {
                assists.wakeAll(!world.exiting());
            }
            ctlChanged.signalAll();
            while (atBreakpoint == here && !closed && !world.exiting()) {
                ctlChanged.awaitUninterruptibly();
            }
            atBreakpoint = Breakpoint.NONE;     // left by resume(), close() or the world's exit
            paused = false;
        } finally {
            ctl.unlock();
        }
    }

    /** Test hook at a breakpoint: greys and scans {@code obj} now, making it black. */
    public void blackenForTest(long obj) {
        synchronized (orphanLock) {
            long base = markHeap.findObject(obj);
            if (base == 0) {
                throw new IllegalArgumentException("0x" + Long.toHexString(obj) + " is not an allocated object");
            }
            if (markHeap.tryMark(base)) {
                orphanWork.bytesMarked += markHeap.objectSize(markHeap.spanOf(base));
            }
            marker.scanObject(base, orphanWork);
        }
    }

    /**
     * Test hook at a breakpoint (SchedWorld, concurrent stack scan active): scans {@code g}'s frames
     * now, as a mark worker would, if it is neither running nor scanned yet in this cycle. Returns
     * true if it scanned them (its stack is black from now on).
     */
    public boolean scanStackForTest(dev.gort.sched.G g) {
        synchronized (orphanLock) {
            StackRoots.FrameScan fs = new StackRoots.FrameScan(marker);
            fs.w = orphanWork;
            return dev.gort.sched.StackScans.tryScan(g, fs, null);
        }
    }

    /** True while the collector marks (write barrier on). */
    public boolean marking() {
        return phase == MARK;
    }

    // =================================================================== the cycle

    /**
     * {@code -Dgort.gc.stopperslice.us=N} (0 = off, the default; otherwise 100..100000, Linux's
     * range): the coordinator asks for an N us EEVDF slice ({@link dev.gort.sys.ThreadSlice}), so
     * that when the last mutator to stop wakes it, it can preempt a CPU-bound thread (a JIT compiler
     * thread, in binary-trees' slow stops) instead of waiting for the next tick. An experiment
     * (session 8, docs/performance.md); session 7 measured the same slice on StopLatencyRun's
     * stopper with no gain.
     */
    static final long STOPPER_SLICE_NANOS = stopperSlice();

    /** The property read now (the class reads it once, into {@link #STOPPER_SLICE_NANOS}; tests call it again). */
    static long stopperSlice() {
        long n = dev.gort.sys.TuningProperty.microsAsNanos("gort.gc.stopperslice.us", 0, 0, dev.gort.sys.ThreadSlice.MAX_NANOS / 1000);
        if (n != 0 && n < dev.gort.sys.ThreadSlice.MIN_NANOS) {
            System.err.println("gort: warning: -Dgort.gc.stopperslice.us=" + n / 1000 + " is not valid; accepted: 0 (off) or "
                    + dev.gort.sys.ThreadSlice.MIN_NANOS / 1000 + ".." + dev.gort.sys.ThreadSlice.MAX_NANOS / 1000 + "; using 0");
            return 0;
        }
        return n;
    }

    private void coordinatorLoop() {
        if (STOPPER_SLICE_NANOS != 0) {
            dev.gort.sys.ThreadSlice.request(STOPPER_SLICE_NANOS);     // false where unsupported: the default slice stays
        }
        warmUpPausePath();
        while (!closed) {
            boolean forced;
            ctl.lock();
            try {
                while ((!cycleRequested || resizeHolds > 0) && !closed && !world.exiting()) {
                    ctlChanged.awaitUninterruptibly();
                }
                if (closed || world.exiting()) {
                    return;     // the world is gone: no cycle can run on it
                }
                forced = forcedRequested;
                cycleRequested = false;
                forcedRequested = false;
                cycleRunning = true;
                cycleTail = false;
            } finally {
                ctl.unlock();
            }
            try {
                runCycle(forced);
                ctl.lock();
                try {
                    cyclesDone++;
                    lastCycleEndNanos = System.nanoTime();
                    cycleRunning = false;
                    ctlChanged.signalAll();
                } finally {
                    ctl.unlock();
                }
            } catch (ClosedMidCycle c) {
                abandonCycle();
                return;
            } catch (Throwable t) {
                // A fatal collector error (bad pointer, checkmark): Go would exit the process. Leave
                // the world running so the error can be reported and the embedder decide, but not
                // the heap growing: no cycle will run again, so startPending stays set (every
                // allocation takes the checked path) and one past the goal fails with this error
                // (allocChecks) instead of growing a heap nobody collects until the kernel's OOM
                // killer ends the process.
                abandonCycle();
                ctl.lock();
                try {
                    startPending = true;
                    cycleFailure = t;
                    cycleRunning = false;
                    ctlChanged.signalAll();
                } finally {
                    ctl.unlock();
                }
                System.err.println("gort: fatal error in the collector: " + t.getMessage());
                return;
            }
        }
    }

    /**
     * Runs the pause bookkeeping once before the first cycle (world running, nothing stopped): the
     * first execution of a code path loads and links its classes, which would otherwise land inside
     * the first cycle's pauses (milliseconds, measured).
     */
    private void warmUpPausePath() {
        PauseTimer t = new PauseTimer();
        t.begin();
        t.stopped();
        StwPause p = t.end(0, StwPause.Kind.SWEEP_TERMINATION);
        p.stepNanos("stop");
        if (!pauseTimerWarm) {
            pauseTimerWarm = true;           // once per JVM: compiled code is shared by every collector
            PauseTimer.warmUp(PAUSE_TIMER_WARMUP_ROUNDS);
        }
        new GcPauseEvent().isEnabled();
        // Not world.scanStacks: a World may walk its stacks only with the world stopped.
        cyclePauses.clear();
        cycleSched.clear();
        markDrained();
    }

    /**
     * Leaves a cycle that cannot finish (the collector was closed mid-cycle, or a fatal error such as
     * a bad pointer or a checkmark failure): barrier and allocate-black off, phase OFF, and the world
     * restarted if this thread stopped it, so mutators are never left parked behind a dead cycle.
     */
    private static volatile boolean pauseTimerWarm;
    /** Enough begin/step/end rounds for C2 (its invocation threshold is 5000 by default). */
    static final int PAUSE_TIMER_WARMUP_ROUNDS = 12_000;

    private void abandonCycle() {
        if (stackRoots != null) {
            stackRoots.abandon();
        }
        WriteBarrier.enabled = false;
        releaseStoreGate();
        gcs.setAllocBlack(false);
        phase = OFF;
        markActive = false;
        if (worldStopped) {
            startWorld();
        }
        if (world instanceof ThreadWorld tw) {
            tw.wakePWaiters();              // workers waiting for a P leave the abandoned mark
        }
        assists.wakeAll(!world.exiting());
    }

    private void runCycle(boolean forced) {
        GcOptions opt = options;
        int procs = world.gomaxprocs();
        int stwMode = opt.gcstoptheworld();
        long cycle = stats.snapshot().numGC() + 1;
        // Finish the previous cycle's sweep before stopping the world (Go: gcStart's sweepone loop).
        sweepAll();
        sweepPaced = false;

        // ---- STW #1: sweep termination
        PauseTimer pt = pauseTimer;
        awaitStoreGateFree();
        stopWorld("GC sweep termination", pt);
        pt.stopped();
        // The store gate from the stop until the flag is on: a store of an unstoppable thread reads
        // it and stores wholly before the flip, so before any stack scan, or wholly after, shading
        // (WriteBarrier.enterStoreGate). Taken once the world is stopped, never held across the
        // stop request: a thread waiting for it may hold a lock a mutator blocks on short of its
        // safepoint, and the stop would wait for that mutator forever (StoreGateLockOrderTest).
        // awaitStoreGateFree let the sections in progress leave first, outside the pause.
        acquireStoreGate();
        long tSweepTerm = System.nanoTime();
        sweepAll();                                     // finishsweep_m
        pt.step("finishsweep");
        runSweepTerminationHooks();                     // clearpools
        pt.step("hooks");
        long heap0 = gcs.heapLive();
        pacer.setHeapLive(heap0);
        pacer.setGlobalsScan(globals.scanBytes());
        pacer.startCycle(tSweepTerm, procs, stwMode > 0);
        for (GcWork w : workerWork) {
            w.bytesMarked = 0;
            w.heapScanWork = 0;
        }
        WriteBarrier.enabled = true;
        if (stwMode == 0) {
            releaseStoreGate();         // the gcstoptheworld modes keep it to the end of their one pause
        }
        gcs.setAllocBlack(true);
        phase = MARK;
        clearStartPending();
        pt.step("setup");
        // Under the scheduler (background mode) no stack is read here: a new scan generation starts,
        // and goroutines are scanned during the mark phase (StackRoots). Otherwise every mutator's
        // roots are walked inside this pause.
        boolean concurrentStacks = stackRoots != null && stwMode == 0;
        long stackBytes = 0;
        stacksInSweepTermination = 0;
        if (concurrentStacks) {
            stackRoots.begin();
        } else {
            stackBytes = world.scanStacks(stackSink);
            pacer.stackScanWork.addAndGet(stackBytes);
            stacksInSweepTermination = world instanceof SchedWorld sw ? sw.lastStacksWalked() : -1;
        }
        pt.step("stacks");
        long tMark = System.nanoTime();
        long pauseNs = 0;
        long tMarkTerm;
        long cpuStart = CpuClock.threadCpuNanos();
        if (stwMode > 0) {
            scanGlobals(coordinatorWork);
            marker.drain(coordinatorWork, Long.MAX_VALUE);
            flushMutators();
            drainAll();
            pt.step("mark");
            tMarkTerm = System.nanoTime();
        } else {
            startWorld();
            StwPause p1 = pt.end(cycle, StwPause.Kind.SWEEP_TERMINATION, world.lastRestartNanos());
            pauseNs = p1.totalNanos();
            reportPause(p1);
            breakpoint(Breakpoint.AFTER_MARK_START);
            // ---- concurrent mark
            scanGlobals(coordinatorWork);
            coordinatorWork.dispose();          // publish root work for the workers
            dbg("globals scanned");
            startWorkers(procs);
            dbg("workers started");
            coordinatorStackCpu = 0;
            if (concurrentStacks) {
                // The workers claim stack jobs too; the coordinator takes its share meanwhile (its
                // CPU counts as background mark CPU in the cycle's figures).
                long c0 = CpuClock.threadCpuNanos();
                stackRoots.scanJobs(coordinatorWork, null, () -> closed || world.exiting(), false);
                coordinatorWork.dispose();
                coordinatorStackCpu += CpuClock.threadCpuNanos() - c0;
                dbg("stack jobs claimed");
            }
            restarts = 0;
            raggedRounds = 0;
            for (;;) {
                awaitMarkDrained();
                dbg("drained");
                breakpoint(Breakpoint.BEFORE_MARK_TERMINATION);
                awaitMarkDrained();
                if (raggedFlush()) {
                    continue;       // mutators had published or held work: mark it, then ask again
                }
                if (concurrentStacks) {
                    long c0 = CpuClock.threadCpuNanos();
                    int found = stackRoots.scanLeftovers(coordinatorWork);
                    coordinatorStackCpu += CpuClock.threadCpuNanos() - c0;
                    if (found > 0) {
                        coordinatorWork.dispose();
                        continue;   // goroutines that ran at their job and parked since: mark what they hold
                    }
                }
                // The store gate from the stop to the flag turned off: an unstoppable caller's
                // shades are in the orphan gcWork this flush publishes, or come after the flag is
                // off (no late shade marking an object for the next cycle). Taken once stopped, as
                // at sweep termination (a gate held across the stop can deadlock it).
                awaitStoreGateFree();
                stopWorld("GC mark termination", pt);
                pt.stopped();
                acquireStoreGate();
                dbg("world stopped");
                boolean late = flushMutators();
                pt.step("flush");
                if (!late && markDrained()) {
                    break;
                }
                // Late work (barrier shades still buffered): resume concurrent marking.
                restarts++;
                startWorld();
                releaseStoreGate();
                StwPause pc = pt.end(cycle, StwPause.Kind.MARK_COMPLETION, world.lastRestartNanos());
                pauseNs += pc.totalNanos();
                reportPause(pc);
            }
            // Every worker is idle (busyWorkers == 0 and nothing published): tell them to leave the
            // mark phase, but wait for them only after the world restarted (they hold no work).
            signalWorkersStop();
            if (opt.gccheckmark()) {
                awaitWorkersStopped();      // checkmark's traversal publishes buffers an idle worker must not take
            }
            pt.step("stopworkers");
            dbg("workers stopped");
            tMarkTerm = System.nanoTime();
        }

        // ---- STW #2: mark termination (world stopped)
        if (concurrentStacks) {
            // Goroutines that ran (or sat in a syscall) through the whole mark phase: usually none
            // but the one waiting in gc(). Their greys are marked here, in the pause.
            if (stackRoots.finishStopped(coordinatorWork) > 0 && !(coordinatorWork.empty() && pool.fullIsEmpty())) {
                drainAll(coordinatorWork);      // only if those frames held a white object (10 us for nothing)
            }
            stackBytes = stackRoots.bytes.get();
            pt.step("stacks");
        }
        phase = MARK_TERMINATION;
        long bytesMarked = 0;
        long scanWork = 0;
        for (int i = 0, n = world.mutatorSlots(); i < n; i++) {      // no iterator in the pause
            Mutator m = world.mutatorAt(i);
            if (m == null) {
                continue;
            }
            bytesMarked += m.gcw.bytesMarked;
            scanWork += m.gcw.heapScanWork;
            m.gcw.bytesMarked = 0;
            m.gcw.heapScanWork = 0;
            m.assistBytes = 0;
            // m.recentBlack is cleared after the restart (clearBarrierFilters): only marking reads
            // or writes it, and the next mark phase starts in the next pause.
        }
        for (GcWork w : workerWork) {
            bytesMarked += w.bytesMarked;
            scanWork += w.heapScanWork;
            w.bytesMarked = 0;
            w.heapScanWork = 0;
        }
        bytesMarked += coordinatorWork.bytesMarked + orphanWork.bytesMarked;        // no array: nothing allocated in the pause
        scanWork += coordinatorWork.heapScanWork + orphanWork.heapScanWork;
        coordinatorWork.bytesMarked = 0;
        coordinatorWork.heapScanWork = 0;
        orphanWork.bytesMarked = 0;
        orphanWork.heapScanWork = 0;
        if (opt.gccheckmark()) {
            checkmark();
            pt.step("checkmark");
        }
        WriteBarrier.enabled = false;
        releaseStoreGate();
        gcs.setAllocBlack(false);
        phase = OFF;
        cycleTail = true;
        long heap1 = gcs.heapLive();
        long tMarkTermWork = System.nanoTime();
        pt.step("stats");
        // sweepgen += 2 and every mcache's spans set aside whole for the sweeper (one table swap
        // per mcache): no uncache per cached span and no walk of every size class in the pause.
        // The sweeper (signalled at the restart) sweeps them back into their mcentrals; the next
        // cycle's finishsweep, before it stops the world, makes sure none is left.
        gcs.startSweepCycleDetached();
        pt.step("sweepgen");
        gcs.resetHeapLive(bytesMarked);
        // The pacer's end of cycle (consMark, the next goal and trigger) and the sweep pacing are
        // computed right after the restart (commitPacer), not here: 25-35 us of the pause's CPU,
        // measured, for arithmetic no stopped mutator needs. Until then the trigger is armed at the
        // new goal (a provisional trigger: a few multiplications, no cons/mark), not at the
        // finished cycle's trigger (heapLive was just reset to the marked bytes; a grown live heap
        // would request a cycle at once) and not disarmed: a coordinator starved before
        // commitPacer let mutators allocate unchecked past the goal. An allocation past it
        // requests the next cycle (requestCycle counts in the tail) and waits for its start
        // (allocChecks, against this goal until the commit).
        long provisional = pacer.provisionalGoal(bytesMarked, stackBytes);
        provisionalGoal = provisional;
        gcs.setTrigger(provisional, trigger);
        pt.step("pacer");
        if (stwMode == 2) {
            sweepAll();
            pt.step("sweep");
        }
        long tEnd = System.nanoTime();
        startWorld();
        // Go's gcWakeAllAssists, after the restart rather than inside the pause (Go wakes them
        // stopped; they run when the world starts): a thread woken in the pause would only wait
        // in runBlocking's exit, competing for a CPU with the stop's own work.
        assists.wakeAll(true);
        StwPause p2 = pt.end(cycle, stwMode > 0 ? StwPause.Kind.SWEEP_TERMINATION : StwPause.Kind.MARK_TERMINATION, world.lastRestartNanos());
        if (stwMode > 0) {
            pauseNs = p2.totalNanos();      // one pause from sweep termination to the end of mark termination
        } else {
            pauseNs += p2.totalNanos();
        }
        reportPause(p2);
        Runnable tailStall = tailStallHookForTest;
        if (tailStall != null) {
            tailStall.run();            // tests: the coordinator starved between the restart and commitPacer
        }
        commitPacer(heap1, scanWork, bytesMarked, stackBytes, tMarkTermWork);
        clearBarrierFilters();
        awaitWorkersStopped();              // for their CPU figures, and so the next cycle starts them afresh
        wakeSweeper();

        // ---- accounting
        lastStackScan = concurrentStacks
                ? new StackScanStats(0, stackRoots.byWorkers.get(), stackRoots.byCoordinator.get(), stackRoots.onRunThisCycle(),
                        stackRoots.atTermination, stackBytes)
                : new StackScanStats(stacksInSweepTermination, 0, 0, 0, 0, stackBytes);
        long assistCpu = pacer.assistTime.get();
        long bgCpu = goroutineWorkers != null ? goroutineWorkers.takeCycleNanos() : 0;
        for (int i = 0; i < workerCpu.length; i++) {
            bgCpu += workerCpu[i];
            workerCpu[i] = 0;
        }
        if (stwMode > 0) {
            bgCpu += CpuClock.threadCpuNanos() - cpuStart;
        } else {
            bgCpu += coordinatorStackCpu;
        }
        long sweepTermWall = tMark - tSweepTerm;
        long markWall = stwMode > 0 ? tMarkTerm - tMark : tMarkTerm - tMark;
        long markTermWall = tEnd - tMarkTerm;
        long cycleCpu = sweepTermWall * procs + assistCpu + bgCpu + markTermWall * procs;
        double frac = stats.cpuFractionWith(cycleCpu, tEnd, procs);
        long num = stats.snapshot().numGC() + 1;
        GcCycle c = new GcCycle(num, tSweepTerm - stats.startNanos(), frac, sweepTermWall, markWall, markTermWall,
                sweepTermWall * procs, assistCpu, bgCpu, 0, markTermWall * procs,
                heap0, heap1, bytesMarked, pacer.lastHeapGoal(), stackBytes, globals.scanBytes(), procs, forced);
        stats.record(c, System.currentTimeMillis() * 1_000_000L, pacer.heapGoal());
        lastPauseNs = pauseNs;
        if (opt.gctrace()) {
            GcTrace.print(traceOut, c);
            if (Boolean.getBoolean("gort.gc.debug")) {
                traceOut.println("gc debug: mark termination restarts=" + restarts + " raggedRounds=" + raggedRounds + " drainedWaits=" + drainedWaits);
            }
        }
        if (PAUSE_TRACE) {
            for (int i = 0; i < cyclePauses.size(); i++) {
                // @tn: System.nanoTime() of the stop request, the JVM's -Xlog "tn" decorator
                // (safepoints, GC), so a pause can be matched with what the JVM did meanwhile.
                traceOut.println(cyclePauses.get(i) + " @tn " + cycleStarts.get(i));
                if (cycleSched.get(i) != null) {
                    traceOut.println(cycleSched.get(i));
                }
            }
        }
        cyclePauses.clear();
        cycleSched.clear();
        cycleStarts.clear();
        drainedWaits = 0;
        GcCycleEvent ev = new GcCycleEvent();
        if (ev.shouldCommit()) {
            ev.set(c);
            ev.commit();
        }
    }

    /**
     * Mark termination's pacer work, done with the world running again (it was in the pause until
     * session 7): the finished cycle's figures into the pacer (endCycle: consMark), the live heap
     * it marked, the next goal and trigger (commit), the trigger armed, the sweep paced. Under
     * ctl, like the setters that change GOGC and GOMEMLIMIT. Mutators do not read these figures
     * outside a mark phase except the trigger (disarmed in the pause until here) and the sweep
     * pacing (off until here), so a few microseconds of delay change nothing they see.
     */
    private void commitPacer(long heap1, long scanWork, long bytesMarked, long stackBytes, long markTermNanos) {
        ctl.lock();
        try {
            pacer.heapScanWork.set(scanWork);
            pacer.setHeapLive(heap1);
            pacer.endCycle(markTermNanos);
            pacer.resetLive(bytesMarked);
            pacer.setLastStackScan(stackBytes);
            // The memory figures (a walk of every mcache and mcentral: 0.07-1 ms measured) only
            // feed the memory-limit goal; without a limit the pacer reads just the pages in use.
            if (pacer.memoryLimit() != Pacer.INFINITE) {
                refreshMemoryFigures();
            }
            pacer.commit(false);
            gcs.setTrigger(pacer.trigger(), trigger);
            provisionalGoal = Long.MAX_VALUE;       // the pacer's goal holds again
        } finally {
            ctl.unlock();
        }
        paceSweeper(heap.heapInusePages(), bytesMarked, pacer.trigger());
    }

    /**
     * Empties every mutator's allocated-black filter (Mutator.recentBlack) after mark termination,
     * world running: an address in it may be freed by this cycle's sweep and reused by a white
     * object in the next mark phase. Safe without the world stopped because only marking touches
     * the filter (allocate-black writes it, the barrier reads it, each with no safepoint between
     * its phase read and its use), marking ended in the pause, and the next mark phase starts in
     * the next cycle's pause, after this. It was an Arrays.fill per mutator inside the pause.
     * Over threads the whole {@link BarrierFilter} table (512 KiB) is emptied: the barrier reads it
     * by thread id for any caller, so a thread that left must not leave an entry behind either.
     */
    private void clearBarrierFilters() {
        if (world instanceof ThreadWorld tw) {
            tw.barrierFilter.clear();       // the whole table: a thread that left keeps no entry either
            return;
        }
        for (Mutator m : world.mutators()) {
            if (m != null) {
                m.clearRecentBlack();
            }
        }
    }

    private volatile long lastPauseNs;
    private int restarts;
    private boolean worldStopped;   // coordinator thread only
    private boolean holdsStoreGate;     // coordinator thread only
    /** This collector's store gate (see {@link WriteBarrier#enterStoreGate}): fair, one permit, no owner. */
    private final java.util.concurrent.Semaphore storeGate = new java.util.concurrent.Semaphore(1, true);

    /**
     * Before a stop request (coordinator, world running, holding nothing): waits until the gated
     * sections in progress have left, without keeping the gate, so that a holder that lost its CPU
     * delays the stop request rather than sitting inside the pause ({@link #acquireStoreGate} in
     * the pause then waits only for a section begun in between). Never keep the gate across the
     * stop: a waiter may hold a lock a mutator blocks on short of its safepoint (deadlock).
     */
    private void awaitStoreGateFree() {
        storeGate.acquireUninterruptibly();
        storeGate.release();
    }

    /** Takes the store gate for a flip of the barrier flag (coordinator, world stopped; not reentrant). */
    private void acquireStoreGate() {
        storeGate.acquireUninterruptibly();
        holdsStoreGate = true;
    }

    private void releaseStoreGate() {
        if (holdsStoreGate) {
            holdsStoreGate = false;
            storeGate.release();
        }
    }

    private GcPauseEvent pauseEvent;     // coordinator thread only

    /**
     * Stops the world; the pause (and {@code pt}) starts when the stop is requested, after the JFR
     * event is prepared (the first event object loads JFR's classes, which can take long: the
     * mutators still run meanwhile, so it is not part of the pause).
     */
    private void stopWorld(String reason, PauseTimer pt) {
        GcPauseEvent e = new GcPauseEvent();
        if (e.isEnabled()) {
            e.phase = reason;
            e.gcNumber = stats.snapshot().numGC() + 1;
            e.begin();
            pauseEvent = e;
        }
        if (SchedTrace.ENABLED) {
            schedTrace.begin();
        }
        pt.begin();
        world.stopTheWorld(reason);
        worldStopped = true;
    }

    private void startWorld() {
        worldStopped = false;
        world.startTheWorld();
        pauseTimer.restarted();             // the pause's CPU ends here, not after the wake-ups below
        for (int i = 0; i < workerThreads.size(); i++) {
            java.util.concurrent.locks.LockSupport.unpark(workerThreads.get(i));   // standing aside (no lock: one atomic each)
        }
        if (sweeper != null) {
            java.util.concurrent.locks.LockSupport.unpark(sweeper);
        }
        if (wakeStartWaiters) {
            wakeStartWaiters = false;
            ctl.lock();
            try {
                ctlChanged.signalAll();
            } finally {
                ctl.unlock();
            }
        }
        GcPauseEvent e = pauseEvent;
        if (e != null) {
            pauseEvent = null;
            e.commit();
        }
    }

    private final PauseTimer pauseTimer = new PauseTimer();
    private final SchedTrace schedTrace = SchedTrace.ENABLED ? new SchedTrace() : null;
    private final List<StwPause> cyclePauses = new ArrayList<>();     // coordinator thread only
    private final List<String> cycleSched = new ArrayList<>();        // SchedTrace lines beside cyclePauses (null: none)
    private final List<Long> cycleStarts = new ArrayList<>();         // each pause's stop request, System.nanoTime()
    private static final boolean PAUSE_TRACE = Boolean.getBoolean("gort.gc.pausetrace");
    private volatile java.util.function.LongConsumer pauseListener;
    private volatile java.util.function.Consumer<StwPause> pauseBreakdownListener;

    /** Receives the duration of every stop-the-world pause (benchmarks: pause distributions). */
    public void setPauseListener(java.util.function.LongConsumer l) {
        pauseListener = l;
    }

    /**
     * Receives every stop-the-world pause broken down by step (on the coordinator thread, after
     * the world restarted; keep it short).
     */
    public void setPauseBreakdownListener(java.util.function.Consumer<StwPause> l) {
        pauseBreakdownListener = l;
    }

    private void reportPause(StwPause p) {
        String sched = SchedTrace.ENABLED ? schedTrace.end(p.totalNanos()) : null;
        if (PAUSE_TRACE || pauseBreakdownListener != null) {
            p = p.withStopDetail(world.describeLastStop() + describeAside());      // after the restart: formatting is slow the first time
        }
        java.util.function.LongConsumer l = pauseListener;
        if (l != null) {
            l.accept(p.totalNanos());
        }
        java.util.function.Consumer<StwPause> b = pauseBreakdownListener;
        if (b != null) {
            b.accept(p);
        }
        if (PAUSE_TRACE) {
            cyclePauses.add(p);
            cycleSched.add(sched);
            cycleStarts.add(pauseTimer.startNanos());
        }
    }

    /** The collector threads that stood aside during the last pause, and when ("" if none). */
    private String describeAside() {
        long start = pauseTimer.startNanos();
        StringBuilder sb = null;
        for (int i = 0; i < asideAt.length(); i++) {
            long at = asideAt.get(i);
            if (at != 0 && at - start >= 0) {
                sb = sb == null ? new StringBuilder("; stood aside:") : sb.append(',');
                sb.append(' ').append(i < workerThreads.size() ? workerThreads.get(i).getName() : SWEEPER_THREAD)
                  .append(String.format(java.util.Locale.ROOT, " at %.3f ms", (at - start) / 1e6));
            }
        }
        return sb == null ? "" : sb.toString();
    }

    /**
     * Who scanned the goroutine stacks of the last finished cycle: stacks walked inside the sweep
     * termination pause (the stop-the-world modes and ThreadWorld: -1 when the mutators are not
     * goroutines), by the mark workers, by the coordinator during the mark phase, by the scheduler
     * on g0 before a goroutine ran again, inside the mark termination pause; and the bytes read.
     */
    public record StackScanStats(long inSweepTermination, long byWorkers, long byCoordinator, long beforeRun,
                                 long inMarkTermination, long bytes) {
    }

    private long stacksInSweepTermination;
    /** The coordinator's CPU scanning goroutine stacks in this cycle's mark phase (background mark CPU). */
    private long coordinatorStackCpu;
    private volatile StackScanStats lastStackScan = new StackScanStats(0, 0, 0, 0, 0, 0);

    /** The last finished cycle's stack scan figures (see {@link StackScanStats}). */
    public StackScanStats lastStackScan() {
        return lastStackScan;
    }

    /** Total stop-the-world time of the last cycle, including time to reach the safepoints. */
    public long lastPauseNanos() {
        return lastPauseNs;
    }

    private void scanGlobals(GcWork w) {
        long n = globals.highWater();
        for (long b = 0; b < n; b += GlobalRoots.BLOCK_SLOTS) {
            long len = Math.min(GlobalRoots.BLOCK_SLOTS, n - b);
            pacer.globalsScanWork.addAndGet(marker.scanRootSlots(globals.slotAddress(b), len, "global", w));
        }
    }

    /**
     * Go's ragged mark-completion barrier (gcMarkDone's forEachP): every mutator publishes its grey
     * buffers at its own next safepoint, the world running. Returns true if any mutator (or the
     * orphan buffer) published work since the last round (gcw.flushedWork: assists' leftovers and
     * full buffers count too), so marking must go on; false if this round found none (a partial
     * round, SchedWorld's, says nothing of the Ps that did not answer), or if the world cannot run
     * such rounds: then the stop-the-world that follows is mark termination, and
     * its flush (the issue-27993 check) finds late work only if a barrier shaded a white object
     * between a mutator's flush and the stop.
     */
    private boolean raggedFlush() {
        raggedFoundWork = false;
        if (!world.forEachMutatorAtSafepoint(raggedFlushFn)) {
            return false;
        }
        synchronized (orphanLock) {
            orphanWork.dispose();
            if (orphanWork.flushedWork) {
                orphanWork.flushedWork = false;
                raggedFoundWork = true;
            }
        }
        raggedRounds++;
        return raggedFoundWork;
    }

    private volatile boolean raggedFoundWork;
    private int raggedRounds;
    /** Run for each mutator by its own thread at a safepoint, or for it (a field: no lambda per round). */
    private final java.util.function.Consumer<Mutator> raggedFlushFn = m -> {
        m.gcw.dispose();
        if (m.gcw.flushedWork) {
            m.gcw.flushedWork = false;
            raggedFoundWork = true;
        }
    };

    /** World stopped: publish every mutator's (and the orphan) grey buffers; true if any had work. */
    private boolean flushMutators() {
        boolean any = false;
        for (int i = 0, n = world.mutatorSlots(); i < n; i++) {      // no iterator in the pause
            Mutator m = world.mutatorAt(i);
            if (m == null) {
                continue;
            }
            if (!m.gcw.empty()) {
                any = true;
            }
            m.gcw.dispose();
        }
        synchronized (orphanLock) {
            if (!orphanWork.empty()) {
                any = true;
            }
            orphanWork.dispose();
        }
        return any;
    }

    /** Drains the whole grey set on the coordinator thread (world stopped modes and checkmark). */
    private void drainAll() {
        drainAll(coordinatorWork);
    }

    private void drainAll(GcWork w) {
        for (;;) {
            pacer.heapScanWork.addAndGet(marker.drain(w, Long.MAX_VALUE));
            if (w.empty() && pool.fullIsEmpty()) {
                break;
            }
        }
        w.dispose();
    }

    /**
     * gccheckmark (world stopped, workers stopped): re-mark from all roots with separate bits and
     * fail, naming the object and its referrer, on any reachable object the mark left white.
     */
    private void checkmark() {
        marker.startCheckmarks(heap.arenaBase(), heap.arenaCommittedBytes());
        GcWork cw = new GcWork(pool);
        try {
            world.scanStacks((addr, n, owner, id) -> marker.scanRootSlots(addr, n, owner, id, cw));
            long n = globals.highWater();
            marker.scanRootSlots(globals.slotAddress(0), n, "global", cw);
            while (marker.drain(cw, Long.MAX_VALUE) > 0 || !cw.empty()) {
                // drain the checkmark traversal
            }
        } finally {
            cw.dispose();
            marker.endCheckmarks();
        }
        checkmarkCycles++;
    }

    private volatile long checkmarkCycles;

    /** Cycles verified by gccheckmark so far. */
    public long checkmarkCycles() {
        return checkmarkCycles;
    }

    private MemStats refreshMemoryFigures() {
        MemStats ms = heap.readMemStats();
        long mappedReady = ms.heapSys() - ms.heapReleased();
        long heapFree = Math.max(0, ms.heapIdle() - ms.heapReleased());
        pacer.setMemoryStats(mappedReady, heapFree, ms.heapAlloc());
        return ms;
    }

    // =================================================================== proportional sweep

    /**
     * Go's gcPaceSweeper (mark termination, world stopped, sweepgen just advanced): every span is
     * unswept; spread sweeping them over the allocation between now and the next trigger, so that
     * sweeping ends before the next cycle starts and allocation reuses the freed slots instead of
     * growing the heap while the previous cycle's garbage waits for the background sweeper (on a
     * loaded machine that garbage, not yet swept, doubled the peak heap).
     */
    private void paceSweeper(long pagesInUse, long heapLive, long trigger) {
        long distance = trigger == Long.MAX_VALUE ? Long.MAX_VALUE : trigger - heapLive - (1L << 20);
        distance = Math.max(distance, dev.gort.arena.SizeClasses.PAGE_SIZE);
        sweepCredit.newEpoch();
        pagesToSweep.addAndGet(pagesInUse);
        sweepHeapLiveBasis = heapLive;
        sweepPagesPerByte = (double) pagesInUse / distance;
        sweepPaced = pagesInUse > 0;
    }

    /**
     * Go's deductSweepCredit, called every {@link #SWEEP_CREDIT_BYTES} a mutator allocates while
     * sweeping is paced: sweep spans until the pages swept (by anyone) keep up with the bytes
     * allocated since mark termination times the pages-per-byte ratio.
     */
    private void deductSweepCredit() {
        long target = (long) ((gcs.heapLive() - sweepHeapLiveBasis) * sweepPagesPerByte);
        while (sweepCredit.pages() < target && sweepPaced && !world.stopRequested()) {   // a stop waits for no sweep
            long tag = sweepCredit.tag();
            long n = gcs.sweepOne();
            if (n == 0) {
                sweepPaced = false;
                return;
            }
            sweepCredit.credit(tag, n);
            proportionalSweptPages.addAndGet(n);
        }
    }

    /** Bytes a mutator allocates between two looks at its sweep debt. */
    static final long SWEEP_CREDIT_BYTES = 16 << 10;
    private volatile boolean sweepPaced;
    private volatile double sweepPagesPerByte;
    private volatile long sweepHeapLiveBasis;
    /** Pages swept toward the current pacing, tagged with it (Go's pagesSwept; see {@link SweepCredit}). */
    private final SweepCredit sweepCredit = new SweepCredit();
    /** Pages swept by proportional sweep (mutators' sweep credit), by finishsweep and forced sweeps ({@link #sweepAll}), and by the thread sweeper. */
    private final java.util.concurrent.atomic.AtomicLong proportionalSweptPages = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong finishSweptPages = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong threadSweptPages = new java.util.concurrent.atomic.AtomicLong();
    /** Pages made unswept by the cycles so far (the pages in use at each mark termination's pacing). */
    private final java.util.concurrent.atomic.AtomicLong pagesToSweep = new java.util.concurrent.atomic.AtomicLong();

    // =================================================================== workers

    /** Ps no mutator thread holds (ThreadWorld: GOMAXPROCS minus registered threads); 0 under the scheduler. */
    private int idleProcs() {
        return world instanceof ThreadWorld tw ? tw.idleProcs() : 0;
    }

    private void startWorkers(int procs) {
        if (goroutineWorkers != null) {
            busyWorkers.set(0);                 // each goroutine worker counts itself busy
            markActive = true;
            goroutineWorkers.startMark(System.nanoTime());
            return;
        }
        int dedicated = (int) Math.min(workerThreads.size(), pacer.dedicatedWorkers());
        boolean fractional = pacer.fractionalUtilizationGoal() > 0;
        int n = Math.min(workerThreads.size(), dedicated + (fractional ? 1 : 0));
        if (n == 0) {
            n = 1;
            fractional = true;
        }
        // Idle Ps (GOMAXPROCS minus the registered mutator threads) run idle mark workers, as Go's
        // findRunnableGCWorker gives an idle P to a worker: with one mutator at GOMAXPROCS=2 the
        // second P marks full time instead of a fractional 25%, and the mutator's assists shrink.
        int idle = idleProcs();
        if (idle > n - (fractional ? 1 : 0)) {
            n = Math.min(workerThreads.size(), Math.max(n, idle));
        }
        activeWorkers = n;
        fractionalWorker = fractional ? n - 1 : -1;
        dedicatedWorkerCount = Math.min(dedicated, n);
        busyWorkers.set(n);
        markActive = true;
        synchronized (this) {
            markEpoch++;
            notifyAll();
        }
    }

    /**
     * Tells the workers to leave the mark phase. Only a volatile write: idle workers look at it at
     * least every 100 us, and taking the monitor here, inside a pause, could wait for a worker that
     * was descheduled while holding it.
     */
    private void signalWorkersStop() {
        markActive = false;
    }

    private void awaitWorkersStopped() {
        synchronized (this) {
            notifyAll();
            while (inMark.get() > 0) {
                try {
                    wait(0, 100_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private final AtomicInteger inMark = new AtomicInteger();
    /** Platform mark workers inside a chunk of marking right now (tests sample it beside the mutators' states). */
    private final AtomicInteger workersMarking = new AtomicInteger();

    int workersMarkingForTest() {
        return workersMarking.get();
    }

    /** Waits until no worker holds work and the global list is empty. */
    private long drainedWaits;
    private static final boolean DEBUG = Boolean.getBoolean("gort.gc.debug");
    private long dbgLast;

    private void dbg(String what) {
        if (DEBUG) {
            long now = System.nanoTime();
            System.err.println("gc debug: " + what + " +" + (now - dbgLast) / 1000 + " us");
            dbgLast = now;
        }
    }

    /**
     * No grey work left outside the mutators' gcWorks: no worker busy and nothing published, with
     * no buffer taken between the two reads (a worker counts itself busy before it takes one, and
     * only a take can empty the list, so the list was empty when no worker was busy).
     */
    private boolean markDrained() {
        long takes = pool.fullTakes();
        return busyWorkers.get() == 0 && pool.fullIsEmpty() && pool.fullTakes() == takes
                && (stackRoots == null || stackRoots.jobsClaimed());
    }

    private void awaitMarkDrained() {
        while (!markDrained()) {
            if (closed || world.exiting()) {
                // Closed mid-cycle: under the scheduler the worker goroutines may never run again
                // (the scheduler exited), so the mark would never drain, and the caller is about
                // to free the workbuf pool this loop reads.
                throw new ClosedMidCycle();
            }
            drainedWaits++;
            if (goroutineWorkers != null && busyWorkers.get() == 0 && !pool.fullIsEmpty()) {
                // Work is published but no worker runs: wake an idle P, and every ~1 ms ask the
                // running goroutines to yield so schedule() considers a worker (Go's enlistWorker).
                goroutineWorkers.enlist(drainedWaits % 5 == 0);
            }
            synchronized (this) {
                try {
                    wait(0, 200_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The collector was closed while a cycle waited for marking to drain: the cycle is abandoned. */
    private static final class ClosedMidCycle extends RuntimeException {
        ClosedMidCycle() {
            super("collector closed during the mark phase", null, false, false);
        }
    }

    private void workerLoop(int id, GcWork w) {
        lowerBackgroundThread(id);
        long seen = 0;
        while (!closed) {
            synchronized (this) {
                while ((markEpoch == seen || !markActive || id >= activeWorkers) && !closed) {
                    if (markEpoch != seen && id >= activeWorkers) {
                        seen = markEpoch;
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                seen = markEpoch;
                inMark.incrementAndGet();
            }
            try {
                if (!closed) {
                    markPhase(id, w);
                }
            } finally {
                inMark.decrementAndGet();
                synchronized (this) {
                    notifyAll();
                }
            }
        }
    }

    /**
     * Test hook (null in production): a platform mark worker calls it with its index after a
     * drained chunk that left grey work in its own gcWork, before it flushes the chunk's credit;
     * a test blocks it there to model a worker that gets no CPU while holding work.
     */
    private volatile java.util.function.IntConsumer workerStallHook;

    /**
     * Tests: run by a store from a thread that is not a mutator (an unstoppable caller: a plain
     * thread, a goroutine in Go.syscall, the coordinator) after it read the barrier as on and
     * before it shades into the orphan gcWork; null (the default) costs one volatile read on that
     * path only, never on a mutator's.
     */
    private volatile Runnable orphanShadeStallHook;

    /**
     * The goal armed as a provisional trigger by mark termination until {@link #commitPacer}
     * commits the real one (Long.MAX_VALUE otherwise); while armed, allocations past the goal wait
     * for the next cycle's start against it instead of the pacer's (the finished cycle's) goal.
     */
    private volatile long provisionalGoal = Long.MAX_VALUE;

    /** Tests: run by the coordinator after mark termination's restart, before commitPacer. */
    private volatile Runnable tailStallHookForTest;

    void setTailStallHookForTest(Runnable hook) {
        tailStallHookForTest = hook;
    }

    /** The provisional goal armed until the pacer's commit, Long.MAX_VALUE when none (tests). */
    long provisionalGoal() {
        return provisionalGoal;
    }

    void setOrphanShadeStallHookForTest(Runnable hook) {
        orphanShadeStallHook = hook;
    }

    void setWorkerStallHookForTest(java.util.function.IntConsumer hook) {
        workerStallHook = hook;
    }

    /** Workbufs carved so far: the collector's memory outside the arena (tests). */
    long workbufsAllocated() {
        return pool.allocated();
    }

    /** A cycle was requested and has not reached sweep termination yet (tests). */
    boolean cycleStartPending() {
        return startPending;
    }

    private void markPhase(int id, GcWork w) {
        long cpu0 = CpuClock.threadCpuNanos();
        long start = System.nanoTime();
        boolean fractional = id == fractionalWorker;
        boolean dedicated = !fractional && id < dedicatedWorkerCount;
        boolean idleOnly = !fractional && !dedicated;           // runs only on a P no mutator holds
        ThreadWorld tw = myWorkersOnP && world instanceof ThreadWorld t ? t : null;
        boolean holdsP = false;
        long sliceStart = 0;
        double goal = pacer.fractionalUtilizationGoal() * world.gomaxprocs();
        boolean busy = true;
        long ran = 0;
        try {
            while (markActive && !closed) {
                if (world.stopRequested()) {
                    standAside(id, true);       // keeps its P: a mutator lent to it counts as stopped
                    continue;
                }
                if (!busy && pool.fullIsEmpty()) {
                    // Idle with nothing published: no P needed to wait (Go's worker ends its stint).
                    if (holdsP) {
                        tw.releaseP();
                        holdsP = false;
                    }
                    // With every P a mutator's, work found would need a hand-over and the mutators'
                    // assists take published work meanwhile: look every 1 ms, not every 100 us
                    // (each look is a wake-up, a runnable thread beside the mutators).
                    long idleWait = tw != null && tw.idlePsRelaxed() <= 0 ? 1_000_000 : 100_000;
                    synchronized (this) {
                        notifyAll();
                        try {
                            wait(idleWait / 1_000_000, (int) (idleWait % 1_000_000));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    continue;
                }
                if (busy && w.empty() && pool.fullIsEmpty()) {
                    busy = false;             // nothing to mark: go idle without taking a P for it
                    w.dispose();
                    busyWorkers.decrementAndGet();
                    synchronized (this) {
                        notifyAll();
                    }
                    continue;
                }
                if (tw != null && !holdsP) {
                    if (!tw.acquireP(!idleOnly, markStillActive)) {
                        continue;               // the mark ended or the collector closed while it waited
                    }
                    holdsP = true;
                    sliceStart = System.nanoTime();
                    continue;                   // a stop may have come while it waited
                }
                if (!busy) {
                    // Idle: look for published work. Count as busy before looking (Go's nwait
                    // decrement before gcDrain): otherwise the coordinator could see no busy worker and
                    // an empty full list while this worker holds a buffer it just took.
                    busyWorkers.incrementAndGet();
                    long obj = w.tryGet();
                    if (obj == 0) {
                        busyWorkers.decrementAndGet();
                        continue;
                    }
                    busy = true;
                    long t0 = System.nanoTime();
                    long done = marker.scanObject(obj, w);
                    assists.flush(done);
                    pacer.heapScanWork.addAndGet(done);
                    ran += System.nanoTime() - t0;
                    continue;
                }
                long t0 = System.nanoTime();
                workersMarking.incrementAndGet();
                long done;
                try {
                    done = marker.drain(w, 64 << 10);
                } finally {
                    workersMarking.decrementAndGet();
                }
                long t1 = System.nanoTime();
                ran += t1 - t0;
                java.util.function.IntConsumer stall = workerStallHook;
                if (stall != null && !w.empty()) {
                    stall.accept(id);       // test: this worker stops here holding grey work (StarvedBackgroundThreadsTest)
                }
                long wakeups = assists.wakeups();
                assists.flush(done);
                pacer.heapScanWork.addAndGet(done);
                if (tw != null && assists.wakeups() != wakeups && tw.idlePsRelaxed() <= 0) {
                    // The flush paid (woke) a parked assist: its thread wants a P back now and
                    // none is idle. Leave this one at once rather than after the next chunk (Go
                    // readies the assist into a run queue, where it waits for a P; a thread runs
                    // as soon as it is woken, beside this one, until it finds no P).
                    w.dispose();
                    busy = false;
                    busyWorkers.decrementAndGet();
                    tw.releaseP();
                    holdsP = false;
                    continue;
                }
                if (done == 0 && w.empty()) {
                    w.dispose();
                    busy = false;
                    busyWorkers.decrementAndGet();
                    synchronized (this) {
                        notifyAll();
                    }
                    continue;
                }
                if (tw != null) {
                    boolean sliceOver = dedicated && t1 - sliceStart > DEDICATED_SLICE_NANOS && tw.mutatorWaitsForP();
                    if (sliceOver || tw.shouldYieldP(idleOnly)) {
                        // A mutator needs the P (or its slice is over): publish the grey objects so
                        // assists can take them, leave the P; a worker that must run asks again.
                        w.dispose();
                        busy = false;
                        busyWorkers.decrementAndGet();
                        if (sliceOver) {
                            tw.releaseP();
                        }
                        holdsP = false;
                        continue;
                    }
                }
                if (fractional && goal > 0 && goal < 1 && assists.queued() == 0 && idleProcs() == 0) {
                    long elapsed = System.nanoTime() - start;
                    if (elapsed > 0 && (double) ran / elapsed > 1.2 * goal) {
                        // Over its quota: step back so mutators keep their share (Go's pollFractionalWorkerExit).
                        long pauseNs = (long) (ran / goal) - elapsed;
                        if (tw != null) {
                            w.dispose();          // its grey objects stay takeable while it is off its P
                            busy = false;
                            busyWorkers.decrementAndGet();
                            tw.releaseP();
                            holdsP = false;
                        } else {
                            w.balance();
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(Math.min(Math.max(pauseNs, 50_000), 2_000_000));
                    }
                }
            }
        } finally {
            if (busy) {
                w.dispose();
                busyWorkers.decrementAndGet();
            }
            if (holdsP) {
                tw.releaseP();
            }
            workerCpu[id] += CpuClock.threadCpuNanos() - cpu0;
        }
    }

    /**
     * A collector thread that is not a mutator (a platform mark worker, the background sweeper)
     * stands aside while a stop-the-world is requested: on a machine with as many runnable threads
     * as CPUs it would hold a CPU that a mutator needs to reach its safepoint, and the stop would
     * wait for the kernel to preempt it (measured: stops of several ms with a mutator runnable and
     * waiting). {@link #startWorld} unparks it; the 1 ms bound covers stops by others (a
     * scheduler's GOMAXPROCS change). A worker also leaves when the mark phase ends, since
     * checkmark waits for the workers with the world stopped.
     */
    private void standAside(int index, boolean worker) {
        asideAt.lazySet(index, System.nanoTime());
        while (world.stopRequested() && !closed && (!worker || markActive)) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /**
     * A collector platform thread lowers its own OS priority to {@link #BACKGROUND_PRIORITY} before
     * its first work, if asked. With SCHED_IDLE on Linux the kernel preempts it at once for any
     * waking normal thread, so it never holds a CPU a mutator needs to reach its safepoint or the
     * woken stopper needs; it still gets the CPUs the machine leaves unused, which is all Go's idle
     * mark worker and background sweeper are for. The cost shows on a shared machine: with
     * autogroups (or cgroups) a lowered thread also yields to other processes, since its process's
     * share on its CPU is weighted by its own weight. These threads never run user code, so the
     * change is never undone (an unprivileged thread could not raise itself back). A refusal
     * leaves the thread as it was. Records the thread's id and the setting read back.
     */
    private void lowerBackgroundThread(int index) {
        backgroundSettings.set(index, dev.gort.sys.ThreadPriority.lowerCurrent(myBackgroundPriority));
        backgroundTids.set(index, (int) dev.gort.sys.CpuAffinity.threadId());     // last: a tid says the lowering is done
    }

    /** Tests: "name tid setting" of each background platform thread that has started (setting null: unknown or refused). */
    List<String> backgroundThreadsForTest() {
        List<String> out = new ArrayList<>();
        int n = sweeper != null ? backgroundTids.length() : workerThreads.size();     // under the scheduler: none
        for (int i = 0; i < n; i++) {
            String name = i < workerThreads.size() ? workerThreads.get(i).getName() : SWEEPER_THREAD;
            out.add(name + " " + backgroundTids.get(i) + " " + backgroundSettings.get(i));
        }
        return out;
    }

    // =================================================================== sweeper

    /** The thread sweeper's name (over ThreadWorld; under the scheduler no thread has it). */
    static final String SWEEPER_THREAD = "gort-bgsweep";

    /**
     * Mark termination's end, world running (Go's gcSweep readies bgsweep): the sweeper goroutine
     * is readied if parked, or the sweeper thread signalled. Runs inside the cycle, so a scheduler
     * exit waits for it to finish (schedulerExiting) and the sweeper's G is still there.
     */
    private void wakeSweeper() {
        if (sweeperG != null) {
            if (!world.exiting()) {
                sweeperG.wake();
            }
            return;
        }
        synchronized (sweepSignal) {
            sweepRequests++;
            sweepSignal.notifyAll();
        }
    }

    /**
     * Who swept, in pages, over the collector's life: the background sweeper (a goroutine under the
     * scheduler, a thread over ThreadWorld), the mutators' proportional sweep, finishsweep and
     * forced sweeps ({@link #sweepAll}); {@code pagesToSweep} is the pages in use at each cycle's
     * sweep pacing, so the rest (lazy sweeps at mcentral refills and mcache uncaches, which the
     * arena does not count, and spans not swept yet) is about {@code pagesToSweep - background -
     * proportional - finish}. {@code staleCreditsRefused}: batches not credited to a newer cycle's
     * pacing (see {@link SweepCredit}).
     */
    public record SweepStats(boolean goroutine, long background, long proportional, long finish, long pagesToSweep,
                             long backgroundBatches, long backgroundYields, long backgroundParks, long staleCreditsRefused) {
        /** The pages nobody counted: lazy sweeps at refills and uncaches, plus any not yet swept. */
        public long lazyOrUnswept() {
            return Math.max(0, pagesToSweep - background - proportional - finish);
        }
    }

    /** The sweep's figures so far (see {@link SweepStats}). */
    public SweepStats sweepStats() {
        SweeperGoroutine s = sweeperG;
        if (s != null) {
            return new SweepStats(true, s.pagesSwept.get(), proportionalSweptPages.get(), finishSweptPages.get(),
                    pagesToSweep.get(), s.batches.get(), s.yields.get(), s.parks.get(), sweepCredit.refused());
        }
        return new SweepStats(false, threadSweptPages.get(), proportionalSweptPages.get(), finishSweptPages.get(),
                pagesToSweep.get(), 0, 0, 0, sweepCredit.refused());
    }

    /** The sweeper goroutine (null over ThreadWorld; tests). */
    SweeperGoroutine sweeperGoroutine() {
        return sweeperG;
    }

    private void sweeperLoop() {
        lowerBackgroundThread(asideAt.length() - 1);
        long seen = 0;
        while (!closed) {
            synchronized (sweepSignal) {
                while (sweepRequests == seen && !closed) {
                    try {
                        sweepSignal.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                seen = sweepRequests;
            }
            // Looks at a pending stop before each batch, not after: a stop requested meanwhile
            // finds the sweeper aside and holding no lock (a sweepOne batch is a few microseconds
            // of sweeping between two short mcentral holds; finishsweep waits for one in flight).
            // Over ThreadWorld it sweeps only on an idle P (Go's bgsweep yields its P when none is
            // idle): with every P a running mutator's, the lazy sweep at refills and the
            // proportional sweep credit do the sweeping, and gcStart finishes the rest before it
            // stops the world.
            ThreadWorld tw = myWorkersOnP && world instanceof ThreadWorld t ? t : null;
            boolean holdsP = false;
            try {
                while (!closed) {
                    if (world.stopRequested()) {
                        standAside(asideAt.length() - 1, false);
                        continue;
                    }
                    if (tw != null && !holdsP) {
                        if (!tw.acquireP(false, notClosed)) {
                            continue;
                        }
                        holdsP = true;
                        continue;
                    }
                    long tag = sweepCredit.tag();    // before the sweep: see SweepCredit
                    long n = gcs.sweepOne();
                    if (n == 0) {
                        break;
                    }
                    // Credited only if no later cycle's pacing began meanwhile: this thread may have
                    // been descheduled across a whole mark termination since its sweepOne (no stop
                    // waits for it), and its batch belongs to the cycle before.
                    sweepCredit.credit(tag, n);
                    threadSweptPages.addAndGet(n);
                    if (tw != null && tw.shouldYieldP(true)) {
                        holdsP = false;
                    }
                    Thread.yield();
                }
            } finally {
                if (holdsP) {
                    tw.releaseP();
                }
            }
            // No write of sweepPaced here (Go's bgsweep writes no pacing state either): this
            // thread's last sweepOne() == 0 may be a cycle old (no stop waits for the sweeper), and
            // clearing the pacing then turned off the next cycle's proportional sweep with all its
            // spans unswept (StaleSweeperPacingTest). A mutator's deductSweepCredit clears it when
            // it finds nothing left, and a mutator is never a cycle late (a stop waits for it).
        }
    }

    // =================================================================== stats

    /** MemStats' GC fields. */
    public GcStats.Snapshot gcStats() {
        return stats.snapshot();
    }

    /**
     * Background mark worker figures: under the scheduler, goroutine workers' stints and wall time
     * per mode (dedicated, fractional, idle); over threads, {@code goroutines == false} and zeros.
     */
    public MarkWorkerStats markWorkerStats() {
        GoroutineWorkers g = goroutineWorkers;
        if (g == null) {
            return new MarkWorkerStats(false, 0, new long[3], new long[3], new long[3]);
        }
        long[] st = new long[3];
        long[] ns = new long[3];
        long[] wk = new long[3];
        for (int i = 0; i < 3; i++) {
            st[i] = g.stints[i].get();
            ns[i] = g.nanos[i].get();
            wk[i] = g.work[i].get();
        }
        return new MarkWorkerStats(true, g.workers(), st, ns, wk);
    }

    /** Stops the collector's threads. The heap, pool and globals stay the caller's to close. */
    /**
     * The scheduler exits (its GcHook, on the thread that ran it, before it joins its Ms and frees
     * its memory): waits in runBlocking and the coordinator are woken; they see World.exiting().
     * Returns once the coordinator is out of its cycle (abandoned at its next check, at most one
     * bounded step away) or gone, so nothing of the collector touches the scheduler afterwards;
     * gives up after 10 s with a warning (a coordinator that never gets a CPU).
     */
    private void schedulerExiting() {
        assists.wakeAll(false);        // parked goroutines never run again: dropped, not readied
        ctl.lock();
        try {
            ctlChanged.signalAll();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (cycleRunning && coordinator.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    System.err.println("gort: warning: the collector's coordinator is still in a cycle 10 s after the scheduler exited");
                    return;
                }
                ctlChanged.awaitNanos(Math.min(left, 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ctl.unlock();
        }
        synchronized (this) {
            notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        assists.wakeAll(!world.exiting());
        if (goroutineWorkers != null) {
            goroutineWorkers.close();
        }
        if (procResize != null && world instanceof SchedWorld sw) {
            sw.scheduler().removeProcResizeHook(procResize);
        }
        ctl.lock();
        try {
            ctlChanged.signalAll();
        } finally {
            ctl.unlock();
        }
        synchronized (this) {
            notifyAll();
        }
        synchronized (sweepSignal) {
            sweepSignal.notifyAll();
        }
        if (sweeperG != null) {
            sweeperG.close(!world.exiting());     // readied if parked; after the scheduler's exit it never runs again
        }
        if (world instanceof ThreadWorld tw) {
            tw.wakePWaiters();              // a worker or the sweeper waiting for a P sees the close
        }
        try {
            coordinator.join(10_000);
            if (sweeper != null) {
                sweeper.join(10_000);
            }
            for (Thread t : workerThreads) {
                t.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gcs.setTrigger(Long.MAX_VALUE, null);
        WriteBarrier.enabled = false;
    }

    /**
     * GOMAXPROCS changes under the scheduler (its ProcResizeHook). As Go's GOMAXPROCS waits for
     * gcsema, a resize waits until no cycle runs and holds new cycles off until the world runs
     * again: the pacer's worker counts, the goroutine workers' idle limit and the cycle's
     * GOMAXPROCS figure are all fixed at mark start and stay true for the whole cycle. A P that
     * goes away publishes its grey buffers (empty outside marking, flushed anyway) and hands its
     * marked-bytes and scan-work counters to the orphan gcWork, which mark termination sums like
     * any mutator's; its assist debt is dropped (Go drops p.gcAssistTime too). Worker goroutines
     * are started up to the new GOMAXPROCS by the first allocation on a new P
     * ({@link SchedWorld#current}); extra ones after a shrink stay parked in the shared pool.
     */
    private final class ProcResize implements dev.gort.sched.ProcResizeHook {
        @Override
        public void beforeStop() {
            Runnable hold = () -> {
                ctl.lock();
                try {
                    resizeHolds++;
                    while (cycleRunning && !closed && !world.exiting()) {    // an abandoned cycle never ends
                        ctlChanged.awaitUninterruptibly();
                    }
                } finally {
                    ctl.unlock();
                }
            };
            if (dev.gort.sched.Go.onGoroutine() && dev.gort.sched.Go.currentP() != null) {
                dev.gort.sched.Go.syscall(hold);       // a cycle's stop-the-world must not wait for this P
            } else {
                hold.run();
            }
        }

        @Override
        public void destroyP(dev.gort.sched.P dying, dev.gort.sched.P heir) {
            if (dying.gcState() instanceof Mutator m) {
                synchronized (orphanLock) {
                    orphanWork.bytesMarked += m.gcw.bytesMarked;
                    orphanWork.heapScanWork += m.gcw.heapScanWork;
                }
                m.gcw.bytesMarked = 0;
                m.gcw.heapScanWork = 0;
                m.gcw.dispose();
                dying.setGcState(null);             // a revived P gets a new Mutator with its new mcache
            }
        }

        @Override
        public void afterStart(int oldProcs, int newProcs) {
            ctl.lock();
            try {
                resizeHolds--;
                ctlChanged.signalAll();
            } finally {
                ctl.unlock();
            }
        }
    }
}
