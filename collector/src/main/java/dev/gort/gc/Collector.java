package dev.gort.gc;

import dev.gort.arena.AllocationYield;
import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapTrigger;
import dev.gort.arena.MCache;
import dev.gort.arena.MemStats;

import java.io.PrintStream;
import java.util.List;

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
 *
 * <h2>Files</h2>
 * This class is the public face and keeps the allocation path (its fast path must stay where the
 * JIT inlines it into the caller) and the construction of the parts, each in a file of its own:
 * {@link Coordinator} (the coordinator thread and the cycle), {@link MarkCompletion} (ragged flush,
 * the stopped flush, checkmark), {@link CycleControl} (requests and waits for cycles, the control
 * lock), {@link Stepping} (test breakpoints), {@link MarkWorkers} (the background mark workers'
 * lifecycle), {@link Assists} (mark assists), {@link BarrierShader} (the write barrier's shading),
 * {@link StoreGate}, {@link Sweeping} (proportional and forced sweep), {@link ThreadSweeper} (the
 * sweeper thread), {@link BackgroundThreads} (standing aside, priorities), {@link PauseReporter}.
 */
public final class Collector implements AutoCloseable {
    public enum Breakpoint { NONE, AFTER_MARK_START, BEFORE_MARK_TERMINATION }

    static final int OFF = 0;
    static final int MARK = 1;
    static final int MARK_TERMINATION = 2;

    final Heap heap;
    final GcSupport gcs;
    final World world;
    private final ArenaMarkHeap markHeap;
    final Marker marker;
    final WorkbufPool pool;
    final GlobalRoots globals;
    final Pacer pacer = new Pacer();
    /** The refill hook's sink for the heap's live figures, made once (no allocation per refill). */
    private final Heap.LiveMemoryFigures liveFiguresToPacer = pacer::setLiveMemoryFigures;
    final GcStats stats;
    volatile GcOptions options;
    /** GORT_DEBUG gcstress (fixed at construction: later option changes keep it): collect every N allocations. */
    private final long stress;
    volatile PrintStream traceOut = System.err;

    /** OFF, MARK or MARK_TERMINATION; written by the coordinator with the world stopped (or abandoning a cycle). */
    volatile int phase = OFF;
    /**
     * A cycle was requested and has not reached sweep termination yet (written under the control
     * lock, cleared with the world stopped; see {@link CycleControl}). Here, not there: the
     * allocation fast path reads it.
     */
    volatile boolean startPending;
    /**
     * The allocation fast path's one read of the collector's state: in its low bits
     * ({@link #GATE_FLAGS}) {@link #GATE_MARKING} while {@link #phase} is MARK,
     * {@link #GATE_PENDING} while {@link #startPending} is set, {@link #GATE_STRESS} for gcstress
     * (for good); above them a version that every refresh bumps. Derived from those fields, which
     * stay the truth for every other reader: each write of them goes through {@link #setPhase} or
     * {@link #setStartPending}, which write the field first and then recompute the gate from the
     * fields ({@link #refreshGate}), so after racing writers the gate's flags match the fields as
     * they are. The fast path serves only flags 0 and GATE_MARKING, as it did on the three reads.
     */
    private volatile int allocGate;
    static final int GATE_MARKING = 1;
    static final int GATE_PENDING = 2;
    static final int GATE_STRESS = 4;
    static final int GATE_FLAGS = 7;
    private static final int GATE_VERSION_ONE = 8;
    private static final java.lang.invoke.VarHandle ALLOC_GATE;

    static {
        try {
            ALLOC_GATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Collector.class, "allocGate", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Writes {@link #phase} (world stopped, or a cycle abandoned) and then the gate. */
    void setPhase(int p) {
        phase = p;
        refreshGate();
    }

    /** Writes {@link #startPending} and then the gate. */
    void setStartPending(boolean v) {
        startPending = v;
        refreshGate();
    }

    /**
     * Recomputes {@link #allocGate} from the fields. The gate is read before the fields, and the
     * CAS fails if any other refresh succeeded in between (each bumps the version, so a gate that
     * went away and came back to the same flags does not pass for unchanged: without the version
     * a refresh computed before another thread's write could land after that thread's two
     * refreshes, AllocGateTest's race). So the last successful refresh read the fields after every
     * write whose refresh succeeded before it, and a write whose refresh succeeds after it is
     * later still: the gate's flags end equal to the fields.
     */
    private void refreshGate() {
        while (true) {
            int old = allocGate;
            int flags = (phase == MARK ? GATE_MARKING : 0) | (startPending ? GATE_PENDING : 0) | (stress > 0 ? GATE_STRESS : 0);
            if (ALLOC_GATE.compareAndSet(this, old, ((old + GATE_VERSION_ONE) & ~GATE_FLAGS) | flags)) {
                return;
            }
        }
    }

    /** The gate's flags as the fast path reads them (tests). */
    int allocGate() {
        return allocGate & GATE_FLAGS;
    }
    /**
     * {@link #close()} has begun. Set before close sets {@link #startPending}, which then stays set
     * for good (see {@link CycleControl#clearStartPending}): every allocation that starts after the
     * close leaves the fast path and is refused in {@link #allocChecks}.
     */
    volatile boolean closed;
    /** {@link #close()} has returned (its last writes to the heap's trigger and the JVM's barrier flag are done). */
    private volatile boolean closeFinished;
    /** Taken by the one {@link #close()} call that makes those last writes (calls may race). */
    private final java.util.concurrent.atomic.AtomicBoolean closeTailClaimed = new java.util.concurrent.atomic.AtomicBoolean();
    /** Tests: run by every {@link #close()} call after its wait for the threads, before the last writes. */
    volatile Runnable closeTailHookForTest;
    /** How messages name this collector ("a collector over ThreadWorld"); also the heap's managedBy. */
    private final String name;

    /**
     * The collector whose shader {@link WriteBarrier} holds (the last one constructed in this JVM),
     * guarded by {@link #INSTALL_LOCK}. The barrier's shader and its enabled flag are one per JVM,
     * so a second live collector would shade the first's stores into its own work and flip the
     * flag under the first's cycles: refused while this one {@linkplain #stillRunning runs}.
     */
    private static Collector installed;
    private static final Object INSTALL_LOCK = new Object();
    /** Shades from threads that are not mutators, under {@link #orphanLock}. */
    final GcWork orphanWork;
    final Object orphanLock = new Object();
    /**
     * Goroutine stacks as concurrent roots (SchedWorld only; null: stacks are scanned in the sweep
     * termination pause, as ThreadWorld's registered threads' roots are).
     */
    final StackRoots stackRoots;

    private final CycleControl control;
    private final Stepping stepping;
    private final Assists assists;
    private final MarkWorkers workers;
    private final Sweeping sweeping;
    private final BackgroundThreads background;
    private final PauseReporter pauses;
    private final StoreGate storeGate = new StoreGate();
    private final BarrierShader shader;
    final Coordinator coordinator;
    /** The background sweeper over ThreadWorld: a platform thread (null under SchedWorld unless the goroutine is off). */
    private final ThreadSweeper threadSweeper;
    /** The background sweeper under SchedWorld: a system goroutine (null over ThreadWorld). */
    private final SweeperGoroutine sweeperG;
    /** Registered with the scheduler under SchedWorld (null otherwise). */
    private final ProcResize procResize;

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
    /**
     * {@code -Dgort.gc.sweeper.goroutine=false}: under SchedWorld the background sweeper is the
     * platform thread {@code gort-bgsweep} again (the behaviour before session 10), for A/B runs on
     * one build. On by default: Go's bgsweep is a goroutine, and a goroutine is stopped by a
     * stop-the-world like any other (see {@link SweeperGoroutine}). No effect over ThreadWorld.
     */
    static final boolean SWEEPER_GOROUTINE_DEFAULT = true;
    static volatile boolean sweeperGoroutine = dev.gort.sys.TuningProperty.flag("gort.gc.sweeper.goroutine", SWEEPER_GOROUTINE_DEFAULT);
    /** The thread sweeper's name (over ThreadWorld; under the scheduler no thread has it). */
    static final String SWEEPER_THREAD = "gort-bgsweep";

    /**
     * The OS priority the collector's background platform threads give themselves when they start
     * ({@code -Dgort.gc.background.priority=normal|idle|1..19}, default normal: unchanged): the
     * background sweeper in both worlds and, over ThreadWorld, the mark worker threads. Under the
     * scheduler the mark workers are goroutines on the Ms that run user code, which are never
     * lowered (an unprivileged thread cannot raise its priority back). Off by default because it
     * lost its A/B (session 8, docs/performance.md): these threads ran under 2 ms in all of 48 slow
     * stops of a binary-trees run (the JIT's compiler threads and other processes held the CPUs),
     * while a lowered idle worker lost its CPU to other processes on the shared machine and its
     * marking moved into the mutator's assists (mutator CPU 1.3 x). See {@link BackgroundThreads#lowerCurrent}.
     */
    static final dev.gort.sys.ThreadPriority.Background BACKGROUND_PRIORITY_DEFAULT = dev.gort.sys.ThreadPriority.Background.NORMAL;
    static final dev.gort.sys.ThreadPriority.Background BACKGROUND_PRIORITY =
            dev.gort.sys.ThreadPriority.Background.fromProperty("gort.gc.background.priority", BACKGROUND_PRIORITY_DEFAULT);
    /** What collectors created from now on apply (tests set it around a construction; the property otherwise). */
    static volatile dev.gort.sys.ThreadPriority.Background backgroundPriority = BACKGROUND_PRIORITY;

    /**
     * The arena calls it at span refills while heapLive is at or past the trigger: outside a cycle
     * it asks for one; while marking (the cycle started at the trigger, so every refill lands here)
     * it revises the assist ratio. Mark termination stops the world and an allocation is no
     * safepoint, so no revise overlaps the coordinator setting heapLive at termination. Under a
     * memory limit it is also called at refills below the trigger once stack spans were taken or
     * returned since the trigger was armed ({@link #followStacks}).
     */
    final HeapTrigger trigger = new HeapTrigger() {
        @Override
        public void heapReachedTrigger(Heap h, long live) {
            if (phase == MARK) {
                if (pacer.memoryLimit() != Pacer.INFINITE) {
                    // The limit's goal follows stacks and mapped memory that grow during the mark (Go
                    // reads them at every revise): two page counters under one acquisition of the heap
                    // lock, on the span refill path only, and only under a memory limit.
                    h.readLiveMemoryFigures(liveFiguresToPacer);
                }
                pacer.reviseDuringMark(live);
            } else if (!(gcs.triggerStacksStale() && followStacks(h))) {
                // Stacks returned since the trigger was armed raise it: the test is against the
                // re-armed trigger (followStacks asks for the cycle if that still holds).
                requestCycleFromAllocation();
            }
        }

        @Override
        public void stacksChanged(Heap h, long live) {
            followStacks(h);
        }
    };

    /**
     * The stack-span count the pacer's memory figures were read at (read before them; under ctl,
     * or in the constructor): the trigger is armed with it under a memory limit, so a refill re-arms
     * it once the stacks moved past those figures ({@link #followStacks}).
     */
    private long stacksSeenByFigures = GcSupport.STACKS_NOT_FOLLOWED;
    /** Times {@link #followStacks} re-armed the trigger (guarded by ctl). */
    private long stackFollowRearms;

    /** Times a refill re-armed the trigger after the stacks moved ({@link #followStacks}; tests, diagnostics). */
    long stackFollowRearms() {
        control.ctl.lock();
        try {
            return stackFollowRearms;
        } finally {
            control.ctl.unlock();
        }
    }

    /**
     * Arms the heap's trigger at the pacer's, with ctl held (or in the constructor). Under a memory
     * limit the trigger follows the stacks from the count its figures were read at; without one it
     * does not, and a refill below the trigger costs one more read, no call.
     */
    void armTriggerLocked() {
        gcs.setTrigger(pacer.trigger(), trigger,
                pacer.memoryLimit() != Pacer.INFINITE ? stacksSeenByFigures : GcSupport.STACKS_NOT_FOLLOWED);
    }

    /**
     * Go's trigger test between cycles reads the memory limit's goal live (gcTrigger.test ->
     * trigger() -> heapGoalInternal -> memoryLimitHeapGoal), so stacks taken since the last cycle
     * start the next one earlier. Here the arena calls this at a span refill below the trigger once
     * stack spans were taken or returned since the trigger was armed (limit36): the live figures
     * (mapped memory and stacks, one heap-lock acquisition) go to the pacer, goal and trigger are
     * recomputed and armed with the count read before the figures (a change after that read makes
     * the next refill come here again), and a trigger that fell to or below heapLive asks for the
     * cycle at once, as Go's test at this refill would. Not while a cycle runs or is asked for (the
     * cycle's refills and its commit read the figures), nor between mark termination and the
     * commit (the provisional trigger; the commit reads them): then it returns false and does
     * nothing. Also called at a refill at or past the trigger when the stacks moved, so that
     * stacks returned since raise the trigger before it is tested. Staleness is tested again under
     * ctl: of the refills that saw one stale count, the first re-arms and the others only test
     * heapLive against the trigger it armed (review36a F1). No allocation.
     */
    private boolean followStacks(Heap h) {
        if (phase != OFF || startPending || coordinator.provisionalGoal != Long.MAX_VALUE) {
            return false;
        }
        boolean reached;
        control.ctl.lock();
        try {
            if (phase != OFF || startPending || coordinator.provisionalGoal != Long.MAX_VALUE || closed) {
                return false;
            }
            if (pacer.memoryLimit() == Pacer.INFINITE) {
                // A trigger that follows stacks without a limit would bring every refill here:
                // re-arm it as one that does not, so the arena stops calling (no figures read).
                armTriggerLocked();
                return false;
            }
            if (!gcs.triggerStacksStale()) {
                // Another refill that saw the same stale count re-armed it first (review36a F1):
                // only its test against the trigger armed now remains.
                reached = gcs.heapLive() >= gcs.trigger();
            } else {
                long seen = gcs.stackSpanChanges();
                h.readLiveMemoryFigures(liveFiguresToPacer);
                stacksSeenByFigures = seen;
                pacer.refreshLimit();
                armTriggerLocked();
                stats.setNextGC(pacer.heapGoal());      // Go's NextGC reads the goal live
                stackFollowRearms++;
                reached = gcs.heapLive() >= pacer.trigger();
            }
        } finally {
            control.ctl.unlock();
        }
        if (reached) {
            requestCycleFromAllocation();
        }
        return true;
    }

    /** The heap trigger outside a mark phase: the allocating mutator owes the cycle its start (CycleControl). */
    private void requestCycleFromAllocation() {
        control.requestCycleFromAllocation();
    }

    /**
     * A collector for {@code heap}'s objects over {@code world}'s mutators; starts its threads.
     *
     * @throws IllegalStateException another collector of this JVM is still live (not closed, or
     *     its close has not returned, or its threads still run): the write barrier is one per JVM.
     *     Also when {@code heap} has live thread caches or another live manager (the arena's
     *     {@code claimForCollector}). A refused construction changes nothing: the heap and the
     *     live collector are as they were.
     */
    public Collector(Heap heap, World world, WorkbufPool pool, GlobalRoots globals, GcOptions options) {
        options = options.withForcedModes();   // -Dgort.gc.force (TESTING.md G2: the suite under a debug mode)
        this.heap = heap;
        this.gcs = heap.gc();
        this.name = "a collector over " + world.getClass().getSimpleName();
        this.createdBy = creationSite();
        claimHeapAndBarrier();
        this.world = world;
        this.pool = pool;
        this.globals = globals;
        this.options = options;
        this.stress = options.gcstress();
        refreshGate();
        this.markHeap = new ArenaMarkHeap(heap);
        this.marker = new Marker(markHeap);
        this.marker.setInvalidPtrFatal(options.invalidptr());
        this.stats = new GcStats(System.nanoTime());
        this.orphanWork = new GcWork(pool);
        this.assists = new Assists(this, pool);
        pacer.setGcPercent(options.gcPercent());
        pacer.setMemoryLimit(options.memoryLimit());
        if (options.memoryLimit() != Pacer.INFINITE) {
            // The limit's goal into the trigger now, as setMemoryLimit does: setGcPercent committed
            // before the limit was known, and nothing else recomputes it before the first cycle's
            // end. Until session 29 a collector built with GOGC=off and a limit (GOGC=off
            // GOMEMLIMIT=...) armed no trigger at all: no cycle ever started on its own.
            refreshMemoryFigures();
            pacer.refreshLimit();
        }
        stats.setNextGC(pacer.heapGoal());        // Go's NextGC before the first cycle: the first goal (4 MiB x GOGC/100)
        this.control = new CycleControl(this);
        if (world instanceof ThreadWorld tw) {
            tw.setMutatorPausingHook(control::mutatorPausing);      // an owed start is handed on, not lost
        }
        this.stepping = new Stepping(this, control, assists);
        this.sweeping = new Sweeping(gcs, world);
        gcs.setSweepCredit(sweeping.credit);        // reclaim's sweeps count toward the proportional sweep, as Go's pagesSwept
        // The allocator's long refill steps give up for a stop-the-world (not once the world
        // exited: a stop that never ends would make every refill give up). Not for a ragged round
        // (preemptRequested): the hook is world-wide, so a mutator that had answered the round
        // would give up its walk for a safepoint with nothing to do, then walk again with no
        // yield left, and the stop that follows the round at mark completion would wait for that
        // walk (review20's YieldHookAnsweredRoundTest). A round waits for a walk, not a pause.
        gcs.setStopHook(() -> world.stopRequested() && !world.exiting());
        // Under the scheduler the mark workers are goroutines chosen by schedule() through the
        // GcHook (GoroutineWorkers); over plain threads they are platform threads.
        int nworkers = world instanceof SchedWorld ? 0 : Math.max(1, world.gomaxprocs());
        boolean onP = workersOnP;                   // this collector's choice, read once
        SchedWorld sw = world instanceof SchedWorld s ? s : null;
        // Go's bgsweep is a goroutine: under the scheduler it is one (SweeperGoroutine, started by
        // the first goroutine that gets a P's collector state); over plain threads, a thread.
        boolean sweeperIsGoroutine = sw != null && sweeperGoroutine;
        this.background = new BackgroundThreads(world, nworkers, !sweeperIsGoroutine, backgroundPriority);
        this.stackRoots = sw != null ? new StackRoots(sw.scheduler(), marker, pacer, orphanWork, orphanLock) : null;
        this.workers = new MarkWorkers(this, assists.queue, nworkers, background, onP);
        assists.afterDrain = workers::noteMaybeDrained;
        if (sw != null) {
            this.procResize = new ProcResize();
            sw.scheduler().addProcResizeHook(procResize);
            this.sweeperG = sweeperIsGoroutine ? new SweeperGoroutine(gcs, sweeping.credit, sw.scheduler()) : null;
            sw.attachSweeper(sweeperG);
        } else {
            this.procResize = null;
            this.sweeperG = null;
        }
        this.threadSweeper = sweeperIsGoroutine ? null : new ThreadSweeper(this, sweeping.credit, background, onP);
        this.pauses = new PauseReporter(world, stats, background, storeGate);
        this.coordinator = new Coordinator(this, control, stepping, workers, sweeping, assists.queue, pauses, storeGate,
                threadSweeper, sweeperG);
        this.shader = new BarrierShader(this, storeGate);
        WriteBarrier.install(world instanceof ThreadWorld tw ? tw.barrierFilter.table : null, shader);
        armTriggerLocked();
        try {
            workers.startThreads();
            coordinator.thread.start();
            if (threadSweeper != null) {
                threadSweeper.thread.start();
            }
        } catch (RuntimeException | Error e) {
            // Only thread starts throw after the claim: the heap and this JVM must not be left to a
            // collector whose guard says "not closed" for ever (nothing else could ever collect).
            closed = true;
            closeFinished = true;
            throw e;
        }
    }

    /**
     * The constructor's first step, before anything of the heap, the scheduler or the barrier is
     * touched (so a refusal changes nothing): refuses while another collector of this JVM is live
     * (see {@link #installed}), claims the heap (refused if it has live thread caches or another
     * live manager), then counts as the installed collector from here on: a second constructor
     * meanwhile finds this one not closed and is refused.
     */
    /** Where this collector was made, for the second-collector refusal: the leaked one is found by it. */
    private final String createdBy;

    /** The creating thread and the first caller outside Collector (its constructor and factories; once per collector). */
    private static String creationSite() {
        String caller = StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(Collector.class.getName()))
                .findFirst().map(StackWalker.StackFrame::toStackTraceElement).map(Object::toString).orElse("?"));
        return "thread \"" + Thread.currentThread().getName() + "\" at " + caller;
    }

    private void claimHeapAndBarrier() {
        synchronized (INSTALL_LOCK) {
            Collector other = installed;
            String why = other == null ? null : other.stillRunning();
            if (why != null) {
                throw new IllegalStateException("a second live collector refused: " + other.name + " on " + other.heap
                        + (other.heap == heap ? " (this same heap)" : "") + " is still live (" + why + "; created by "
                        + other.createdBy + "); the write "
                        + "barrier is one per JVM (WriteBarrier's shader and flag), so one collector at a time: close "
                        + "that one (Collector.close()) before creating another, on this heap or any other");
            }
            // From here on the heap's mcaches are this collector's: Heap.threadCache() is refused
            // (a thread cache released late, when its thread is found dead, would uncache spans and
            // lower heapLive behind the pacer). Refused itself if the heap has live thread caches.
            gcs.claimForCollector(name, this::whyHeapStaysOpen);
            installed = this;
        }
    }

    /** The pause timer, whose fault hook tests throw from inside a pause. */
    PauseTimer pauseTimerForTest() {
        return pauses.timer;
    }

    /** Allocations that waited for the start of a cycle they had requested (tests). */
    long startsOwedForTest() {
        return control.startsOwed.get();
    }

    /** Owed starts the coordinator took after their grace, the owner not having handed them over (tests). */
    long owedStartsTakenForTest() {
        control.ctl.lock();
        try {
            return control.owedStartsTaken;
        } finally {
            control.ctl.unlock();
        }
    }

    /**
     * Stops the coordinator has made at real-time priority so far ({@code -Dgort.gc.stopper.rtprio};
     * {@link StopperBoost}): 0 when the option is off or the kernel refused it, so a benchmark can say
     * which of its runs had the boost rather than trust the flag it passed.
     */
    public long realtimeStops() {
        return coordinator.stopperBoost.raises();
    }

    /** The coordinator's real-time boost (tests). */
    StopperBoost stopperBoostForTest() {
        return coordinator.stopperBoost;
    }

    /** True on this collector's coordinator thread (the barrier lets it store while it holds the store gate). */
    boolean isCoordinatorThread() {
        return Thread.currentThread() == coordinator.thread;
    }

    /** A collector over plain threads as mutators (see {@link ThreadWorld}). */
    public static Collector forThreads(Heap heap, GcOptions options, int gomaxprocs) {
        WorkbufPool pool = new WorkbufPool();
        try {
            ThreadWorld w = new ThreadWorld(heap, pool, gomaxprocs);
            return new Collector(heap, w, pool, new GlobalRoots(), options);
        } catch (RuntimeException | Error e) {
            pool.close();                   // a refused collector leaves no reservation behind
            throw e;
        }
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
        coordinator.onSweepTermination(hook);
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

    /**
     * Sets GOGC (a percentage; any negative value is {@link Pacer#OFF}, as Go's debug.SetGCPercent
     * takes it) and returns the old value. Turning the collector off waits for a cycle that is
     * running to finish its mark, so the caller returns with no collection running (Go's
     * setGCPercent: "If we just disabled GC, wait for any concurrent GC mark to finish"); a
     * mutator counts as stopped while it waits, as in {@link #gc()}.
     */
    public int setGcPercent(int percent) {
        if (percent < 0) {
            percent = Pacer.OFF;
        }
        int old;
        control.ctl.lock();
        try {
            options = options.withGcPercent(percent);
            old = pacer.setGcPercent(percent);
            armTriggerLocked();
            stats.setNextGC(pacer.heapGoal());    // Go's NextGC is the goal now, not the one the last cycle set
            control.dropRequestIfTriggerGoneLocked();      // a start requested by a trigger that no longer holds
        } finally {
            control.ctl.unlock();
        }
        if (percent == Pacer.OFF) {
            Mutator m = world.current();
            if (m != null) {
                world.runBlocking(m, () -> control.awaitRunningCycle(true));
            } else {
                control.awaitRunningCycle(false);
            }
        }
        return old;
    }

    /** Sets GOMEMLIMIT in bytes (Pacer.INFINITE = none); returns the old value. */
    public long setMemoryLimit(long bytes) {
        control.ctl.lock();
        try {
            options = options.withMemoryLimit(bytes);
            long old = pacer.setMemoryLimit(bytes);
            refreshMemoryFigures();
            pacer.refreshLimit();
            armTriggerLocked();
            stats.setNextGC(pacer.heapGoal());
            control.dropRequestIfTriggerGoneLocked();      // as setGcPercent: a raised limit may leave the heap short of its trigger
            return old;
        } finally {
            control.ctl.unlock();
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
        if (t == null) {
            throw nullType("alloc(Type)");    // before the safepoint; C2 folds this test into t's implicit null check
        }
        Mutator m = world.current();
        if (m == null) {
            throw notAMutator();
        }
        return allocFor(world.safepointThenCurrent(m), t);      // a safepoint may resume the goroutine on another P
    }

    /**
     * {@link #alloc(Type)} for a registered thread that holds its own mutator, {@code m} from
     * {@link ThreadWorld#register}: the same allocation without finding the caller's mutator
     * (thread id -> the world's table -> owner check, a chain of dependent loads on every
     * allocation), as Go's mallocgc starts from getg() in a register. {@code m} must be the calling
     * thread's, registered with this collector's world and not unregistered since: checked (two
     * compares), and refused with an IllegalArgumentException naming what was wrong.
     */
    public long alloc(Mutator m, Type t) {
        if (m == null || m.handleWorld != world || m.owner != Thread.currentThread()) {
            throw notThisCallersMutator(m);
        }
        if (t == null) {
            throw nullType("alloc(Mutator, Type)");
        }
        ((ThreadWorld) world).safepoint(m);        // a registered thread keeps its mutator across it
        return allocFor(m, t);
    }

    /**
     * A null type given to an alloc method: refused before the safepoint, so nothing changed. Out
     * of line, so the callers' test is one compare and a branch C2 turns into the implicit null
     * check the fast path's first read of {@code t} needs anyway (no added work; see
     * docs/performance.md, session 33 audit33).
     */
    private static IllegalArgumentException nullType(String method) {
        return new IllegalArgumentException("Collector." + method + ": the type t is null; accepted: a Type built with "
                + "Type.struct(name)...build() or Type.arrayOf(element, count) (for bytes, allocBytes(n))");
    }

    private IllegalArgumentException notThisCallersMutator(Mutator m) {
        String why = m == null ? "it is null" : m.handleWorld == world ? "it belongs to thread " + m.owner.getName()
                : world instanceof ThreadWorld && m.owner != null && m.world == world ? "it was unregistered"
                : "it is not a mutator of this collector's ThreadWorld";
        return new IllegalArgumentException("Collector.alloc(Mutator, Type) on " + Thread.currentThread().getName()
                + " with a mutator the caller cannot allocate through: " + why + "; accepted: the mutator "
                + "ThreadWorld.register returned to the calling thread, until it unregisters (or use alloc(Type))");
    }

    /** The fast path of both alloc methods, for the calling mutator {@code m} just past its safepoint. */
    private long allocFor(Mutator m, Type t) {
        long size = t.size();
        int spc = t.fastSpanClass;
        // One read for gcstress, a cycle start owed and the phase. No safepoint from here to the
        // return: the phase read here holds for the object (it changes only with the world
        // stopped), as in allocate. No sweep credit here: it is paid per span (allocate).
        int gate = allocGate & GATE_FLAGS;
        if (spc >= 0 && (gate == 0 || gate == GATE_MARKING && m.assistBytes >= size && m.state != Mutator.BLOCKED)) {
            MCache mc = m.mcache;
            long p = mc.allocFast(m.spanTable, spc);
            if (p != 0) {
                if (mc.pointerStamp(spc) != t.stampKey) {      // a Java array compare, no bitmap access
                    writePointerBits(mc, spc, p, t);
                }
                if (gate != 0) {      // GATE_MARKING: the only other gate served
                    // Allocated black by the arena: pay the credit, count the object as marked,
                    // name it in the barrier's filter. Written out, not a call: C2 judges a call
                    // by its profiled frequency, and binary-trees' profile (taken partly between
                    // mark phases, partly by a tier that counts no call sites) left a helper
                    // method here a call in every C2 compilation of this method (PrintInlining:
                    // "low call site frequency"), ~3 ns per allocation while marking.
                    // All three on m, which is in a register (no load of m.gcw), and the filter's
                    // index masked (Mutator.recentBlackIndex: no range check).
                    m.assistBytes -= size;
                    m.blackBytes += size;
                    long[] rb = m.recentBlack;
                    rb[(m.recentBlackBase + ((int) (p >>> 4) & (Mutator.RECENT_BLACK - 1))) & (rb.length - 1)] = p;     // Mutator.recentBlackIndex(p)
                }
                return p;
            }
        }
        return allocate(m, size, t.allocWords, t);
    }

    /**
     * The fast path's pointer bits when the cached span is not stamped with {@code t}'s: the slot's
     * own bits, then, at the first typed allocation from a freshly cached span, the span's stamp
     * (its free slots get {@code t}'s bits, so the next allocations of {@code t} write none).
     * Out of line: once per span for a program with one type per size class.
     */
    private void writePointerBits(MCache mc, int spc, long p, Type t) {
        if (t.allocWords > 0) {
            gcs.writeNewObjectPointerBits(p, t.allocWords, t.allocMask);
            if (mc.pointerStamp(spc) == 0) {
                gcs.stampFreeSlots(mc, spc, t.stampKey);
            }
        }
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
            if (MarkMutatorStats.ON) {
                m.markStats[MarkMutatorStats.SLOW_MARKING]++;
                if (m.assistBytes < size) {
                    m.markStats[MarkMutatorStats.SLOW_FOR_ASSIST]++;
                }
            }
            // Pay before allocating, as Go's mallocgc does (deductAssistCredit comes first): an
            // assist may wait for credit, letting the cycle end and the next one scan the stacks,
            // and an object allocated before that wait would be held only by a Java local, black
            // for a cycle that is over and white (freed) in the next one.
            if ((m.assistBytes -= size) < 0) {
                m = assists.alloc(m);
            }
        }
        // Proportional sweep's debt per span taken from the heap, as Go's cacheSpan and largeAlloc
        // deduct it, not per object: the fast path pays nothing. The bytes are those of the spans
        // this mutator's cache took since its last slow allocation (usually the refill that sent
        // the previous one here), so a span is paid for one refill late; the debt itself is the
        // global target (Sweeping.deductCredit: pages swept against heapLive's growth), which the
        // refill has already raised.
        if ((m.sweepCreditBytes += m.mcache.takeSpanBytes()) >= Sweeping.SWEEP_CREDIT_BYTES) {
            sweeping.payCredit(m);
        }
        m.site = Mutator.SITE_ALLOC;
        long p = allocOrYield(m.mcache, size, words == 0);
        if (p == 0) {
            // The refill gave up its reclaim walk or sweep for a stop that waits for this mutator
            // (AllocationYield: nothing held, the class's cache slot empty). Stop now, then
            // allocate with no more yielding, so an allocation yields at most once. No object
            // exists yet, so none is held across the safepoint; the credits paid above stand. An
            // allocation whose stop began marking is allocated black with no assist debit (one
            // object's worth). Charging it there was tried: SchedStopHandOffTest under checkmark
            // then found no hand-off in 20 cycles in 2 of 9 runs (0 of 9 on main, 0 of 6 without
            // the debit); the likely reading, not checked: the next allocation assisted at once
            // and parked, so no P was left running for mark termination to hand its steps to.
            m.site = Mutator.SITE_USER;
            m = world.safepointThenCurrent(m);      // may resume on another P: its mcache
            m.site = Mutator.SITE_ALLOC;
            p = m.mcache.alloc(size, words == 0);
        }
        m.site = Mutator.SITE_USER;
        if (words > 0) {
            gcs.writeNewObjectPointerBits(p, words, t.allocMask);       // one bitmap RMW, not one per word
        } else if (words < 0) {
            gcs.writePointerMask(p, t.sizeWords(), t.fullMask());
        }
        if (phase == MARK) {
            // Allocated black by the arena (no safepoint since the phase read): count it as marked.
            m.blackBytes += size;
            m.rememberBlack(p);
        }
        return p;
    }

    /**
     * {@code mc.alloc} allowing its refill to give up for a stop ({@link MCache#setStopYield}):
     * the object, or 0 if it gave up. The flag is cleared before the caller can reach a
     * safepoint: after one, the cache may be another goroutine's (a goroutine resumes on any P).
     */
    private static long allocOrYield(MCache mc, long size, boolean noscan) {
        mc.setStopYield(true);
        try {
            return mc.alloc(size, noscan);
        } catch (AllocationYield y) {
            return 0;
        } finally {
            mc.setStopYield(false);
        }
    }

    /**
     * The rare checks before an allocation: the collector closed, gcstress, and a cycle start owed
     * past the goal. Close sets startPending for good, so every allocation that starts after it
     * comes here and is refused before it takes anything (no credit paid, nothing cached).
     */
    private Mutator allocChecks(Mutator m) {
        if (closed) {
            throw closedRefusal();
        }
        if (stress > 0 && ++m.allocs % stress == 0) {
            gcFromMutator(m);
            m = world.current();
        }
        boolean owed = control.takeStartOwed(m);
        boolean pastGoal = startPending && gcs.heapLive() > goalNow();
        if (owed && startPending) {
            world.runBlocking(m, control::wakeAndAwaitCycleStart);     // see CycleControl.startOwedBy
            m = world.current();
        } else if (startPending && pastGoal) {
            // A cycle was requested but has not started (the coordinator did not get a CPU yet) and
            // the heap is past its goal: wait for sweep termination, as Go's allocating goroutine
            // runs gcStart itself instead of allocating on.
            world.runBlocking(m, control::awaitCycleStart);
            m = world.current();
            Throwable f = control.cycleFailure;
            if (f != null) {
                throw new IllegalStateException("allocation past the heap goal (" + (pacer.heapGoal() >> 20)
                        + " MiB) refused: the collector failed and no cycle will run, so the heap would grow "
                        + "without bound (collector error: " + f.getMessage() + ")", f);
            }
        }
        return m;
    }

    /** The refusal of an allocation through a closed collector: what is closed and what to do instead. */
    private IllegalStateException closedRefusal() {
        return new IllegalStateException("allocation on " + Thread.currentThread().getName() + " refused: " + name
                + " on " + heap + " is closed (Collector.close()), so no cycle would ever free what it allocated; "
                + "allocate before closing the collector; after the close, unregister the thread "
                + "(ThreadWorld.unregister) or let the goroutines end, then close the heap");
    }

    /**
     * The heap goal an allocation is held to: between mark termination and the pacer's commit the
     * provisional goal (the new cycle's, computed the same way), not the finished cycle's, which a
     * mark that ended past it would otherwise turn into a wait for yet another cycle on every
     * allocation of the tail (review10).
     */
    private long goalNow() {
        long provisional = coordinator.provisionalGoal;
        return provisional != Long.MAX_VALUE ? provisional : pacer.heapGoal();
    }

    /** The mark assists (tests: their after-drain hook). */
    Assists assistsForTest() {
        return assists;
    }

    /**
     * Test hook: assists may queue while the coordinator is held at a breakpoint (normally a
     * breakpoint ends every wait, since no cycle progress may come). The test then pays them
     * through {@link AssistQueue#flush} or ends them by resuming.
     */
    void setAssistWaitsWhilePausedForTest(boolean allow) {
        assists.waitsWhilePaused = allow;
    }

    /** What the assist queue did since this collector started (parks, and what woke them). */
    public AssistWaitStats assistWaitStats() {
        return assists.queue.stats();
    }

    AssistQueue assistQueueForTest() {
        return assists.queue;
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
            gcBlocking(false);
        }
    }

    private void gcFromMutator(Mutator m) {
        world.runBlocking(m, () -> gcBlocking(true));
    }

    /** Waits for a whole new cycle, then sweeps ({@code goroutine}: see {@link CycleControl#awaitNewCycle}). */
    private void gcBlocking(boolean goroutine) {
        control.awaitNewCycle(goroutine);
        sweepAll();
    }

    /** Sweeps every unswept span now (the forced collection's final step). */
    public void sweepAll() {
        sweeping.sweepAll();
    }

    /**
     * Asks for a cycle: the heap trigger ({@code timeTriggered} false) or sysmon's 2-minute forced
     * GC (true, Go's gcTriggerTime); returns at once: true if a cycle was requested, false if one
     * is already requested or running. A request accepted may still be dropped before it starts,
     * when its trigger no longer holds then (GOGC turned off; for a time request also a cycle
     * ending after it): {@link #timeTriggeredCycles} counts the time requests that started. Neither
     * kind is "forced" in Go's sense (gctrace's {@code (forced)}, NumForcedGC): only {@link #gc()} is.
     */
    public boolean requestCycle(boolean timeTriggered) {
        return control.requestCycle(timeTriggered);
    }

    /**
     * Cycles started for sysmon's time request ({@code requestCycle(true)}, Go's gcTriggerTime,
     * {@link GcTrigger#TIME}) accepted (true) and whose trigger still held at the start. Not
     * counted: one refused because another request was pending; one a gc() call joined before its
     * start (that start is gc()'s, {@link GcTrigger#USER}); one dropped before it starts because
     * GOGC was turned off meanwhile or a cycle ended after it (Go's test compares the last cycle's
     * end with the request's time). sysmon counts its forced GCs from this; these cycles are not
     * in {@link GcStats.Snapshot#numForcedGC} (Go's NumForcedGC counts runtime.GC's only).
     */
    public long timeTriggeredCycles() {
        return control.timeTriggeredStarts;
    }

    /** System.nanoTime() at which the last cycle ended, 0 before the first (sysmon's forced-GC clock). */
    public long lastCycleEndNanos() {
        return control.lastCycleEndNanos;
    }

    /** Background mark workers marking now (tests). */
    int busyWorkers() {
        return workers.busyWorkers.get();
    }

    /** Completed cycles (NumGC). */
    public long cycles() {
        return control.cycles();
    }

    // =================================================================== breakpoints

    /** Makes the next cycle stop at {@code bp} (NONE clears it). */
    public void setBreakpoint(Breakpoint bp) {
        stepping.setBreakpoint(bp);
    }

    /**
     * Starts a cycle if none runs and waits until the coordinator stops at {@code bp} (Go's runtime
     * test hooks, TESTING.md runTo). A mutator calling it counts as stopped while it waits.
     */
    public void runTo(Breakpoint bp, long timeoutMillis) {
        stepping.refuseUnreachable("runTo", bp);
        Mutator m = world.current();
        if (m != null) {
            world.runBlocking(m, () -> stepping.runTo(bp, timeoutMillis));   // never hold up the STW it waits for
        } else {
            stepping.runTo(bp, timeoutMillis);
        }
    }

    /**
     * Lets a cycle stopped at a breakpoint continue and clears that breakpoint; a breakpoint set
     * for a later point while stopped stays set (see {@link Stepping#resume}).
     */
    public void resume() {
        stepping.resume();
    }

    /** The breakpoint the coordinator is stopped at, NONE while it runs (tests). */
    Breakpoint stoppedAt() {
        return stepping.stoppedAt();
    }

    /** Waits until the running cycle (if any) completed. */
    public void awaitIdle(long timeoutMillis) {
        Mutator m = world.current();
        if (m != null) {
            world.runBlocking(m, () -> stepping.awaitIdle(timeoutMillis));
        } else {
            stepping.awaitIdle(timeoutMillis);
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

    /**
     * {@code m}'s mark-phase counters ({@code -Dgort.gc.markmutstats=true}, a diagnostic) as one
     * line, or a line saying the diagnostic is off. Racy unless {@code m} is quiet.
     */
    public String markMutatorStats(Mutator m) {
        return m.markStats == null ? "markmut: off (-Dgort.gc.markmutstats=true)" : MarkMutatorStats.format(m.markStats);
    }

    /** True while the collector marks (write barrier on). */
    public boolean marking() {
        return phase == MARK;
    }

    // =================================================================== pauses and the last cycle

    /** Receives the duration of every stop-the-world pause (benchmarks: pause distributions). */
    public void setPauseListener(java.util.function.LongConsumer l) {
        pauses.setPauseListener(l);
    }

    /**
     * Receives every stop-the-world pause broken down by step (on the coordinator thread, after
     * the world restarted; keep it short).
     */
    public void setPauseBreakdownListener(java.util.function.Consumer<StwPause> l) {
        pauses.setPauseBreakdownListener(l);
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

    /**
     * Debug, for tests: from the next cycle on, record each stack scan per goroutine or registered
     * thread ({@link StackScanAudit}). Call before the first cycle; returns the audit to read.
     */
    StackScanAudit auditStackScans() {
        StackScanAudit a = new StackScanAudit();
        coordinator.stackScanAudit = a;
        return a;
    }

    /** The last finished cycle's stack scan figures (see {@link StackScanStats}). */
    public StackScanStats lastStackScan() {
        return coordinator.lastStackScan();
    }

    /** Total stop-the-world time of the last cycle, including time to reach the safepoints. */
    public long lastPauseNanos() {
        return coordinator.lastPauseNanos();
    }

    /** Cycles verified by gccheckmark so far. */
    public long checkmarkCycles() {
        return coordinator.checkmarkCycles();
    }

    /** Reads the heap's memory figures into the pacer (the memory limit's inputs); under the control lock. */
    MemStats refreshMemoryFigures() {
        long seen = gcs.stackSpanChanges();      // before the figures: a change after it is followed at a refill
        MemStats ms = heap.readMemStats();
        // Go's mappedReady counts goroutine stacks, and so the limit's non-heap memory does: gort's
        // HeapSys does not hold the stack spans (StackInuse), so they are added here (until limit35
        // they were left out, and a heap under a limit grew into the memory the stacks held).
        long mappedReady = ms.heapSys() + ms.stackInuse() - ms.heapReleased();
        long heapFree = Math.max(0, ms.heapIdle() - ms.heapReleased());
        pacer.setMemoryStats(mappedReady, heapFree, ms.heapAlloc(), ms.stackInuse());
        stacksSeenByFigures = seen;
        return ms;
    }

    // =================================================================== test hooks

    void setTailStallHookForTest(Runnable hook) {
        coordinator.tailStallHookForTest = hook;
    }

    /** The provisional goal armed until the pacer's commit, Long.MAX_VALUE when none (tests). */
    long provisionalGoal() {
        return coordinator.provisionalGoal;
    }

    void setOrphanShadeStallHookForTest(Runnable hook) {
        shader.orphanShadeStallHook = hook;
    }

    /**
     * A mark worker that drained a chunk and still holds grey work calls {@code hook} (a platform
     * worker with its index, a worker goroutine under the scheduler with its mode) before it flushes
     * the chunk's credit; null removes it.
     */
    void setWorkerStallHookForTest(java.util.function.IntConsumer hook) {
        workers.workerStallHook = hook;
        if (workers.goroutines != null) {
            workers.goroutines.stintStallHook = hook;
        }
    }

    /**
     * While {@code hold}, idle platform mark workers leave published grey work alone (see
     * {@link MarkWorkers#idleWorkersHeldForTest}): an assist is then the only one that can drain it
     * and earn credit for it. Set it while every worker is idle; clear it before resuming.
     */
    void holdIdleWorkersForTest(boolean hold) {
        workers.idleWorkersHeldForTest = hold;
    }

    /** Workbufs carved so far: the collector's memory outside the arena (tests). */
    long workbufsAllocated() {
        return pool.allocated();
    }

    /** A cycle was requested and has not reached sweep termination yet (tests). */
    boolean cycleStartPending() {
        return startPending;
    }

    int workersMarkingForTest() {
        return workers.workersMarking.get();
    }

    /** Tests: "name tid setting" of each background platform thread that has started (setting null: unknown or refused). */
    List<String> backgroundThreadsForTest() {
        return background.describeForTest();
    }

    // =================================================================== sweeper

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
        Sweeping sw = sweeping;
        if (s != null) {
            return new SweepStats(true, s.pagesSwept.get(), sw.proportionalSweptPages.get(), sw.finishSweptPages.get(),
                    sw.pagesToSweep.get(), s.batches.get(), s.yields.get(), s.parks.get(), sw.credit.refused());
        }
        return new SweepStats(false, threadSweeper.pagesSwept.get(), sw.proportionalSweptPages.get(), sw.finishSweptPages.get(),
                sw.pagesToSweep.get(), 0, 0, 0, sw.credit.refused());
    }

    /** The sweep pacing and its credit (tests). */
    Sweeping sweepingForTest() {
        return sweeping;
    }

    /** The sweeper goroutine (null over ThreadWorld; tests). */
    SweeperGoroutine sweeperGoroutine() {
        return sweeperG;
    }

    // =================================================================== stats

    /** MemStats' GC fields. */
    public GcStats.Snapshot gcStats() {
        return stats.snapshot();
    }

    /** The mark workers (tests: the coordinator's drained-wait counts, the wake's fault injection). */
    MarkWorkers markWorkers() {
        return workers;
    }

    /**
     * Background mark worker figures: under the scheduler, goroutine workers' stints and wall time
     * per mode (dedicated, fractional, idle); over threads, {@code goroutines == false} and zeros.
     */
    public MarkWorkerStats markWorkerStats() {
        GoroutineWorkers g = workers.goroutines;
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

    // =================================================================== lifecycle

    /**
     * The scheduler exits (its GcHook, on the thread that ran it, before it joins its Ms and frees
     * its memory): waits in runBlocking and the coordinator are woken; they see World.exiting().
     * Returns once the coordinator is out of its cycle (abandoned at its next check, at most one
     * bounded step away) or gone, so nothing of the collector touches the scheduler afterwards;
     * gives up after 10 s with a warning (a coordinator that never gets a CPU).
     */
    void schedulerExiting() {
        assists.queue.wakeAll(false);        // parked goroutines never run again: dropped, not readied
        control.ctl.lock();
        try {
            control.ctlChanged.signalAll();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (control.cycleRunning && coordinator.thread.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    System.err.println("gort: warning: the collector's coordinator is still in a cycle 10 s after the scheduler exited");
                    return;
                }
                control.ctlChanged.awaitNanos(Math.min(left, 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            control.ctl.unlock();
        }
        workers.wakeAll();
    }

    /**
     * Heap.close's question ({@link GcSupport.CloseGuard}, also asked by a later claim of the heap):
     * what of this collector may still touch the heap, or null. Its mutators' mcaches the heap
     * counts itself.
     */
    private String whyHeapStaysOpen() {
        if (!closed) {
            return "it is managed by " + heap.managedBy() + ", which is not closed: close the collector first "
                    + "(Collector.close()), then the heap";
        }
        List<String> running = runningThreads();
        if (!running.isEmpty()) {
            return "threads of its closed collector still run " + running
                    + " (Collector.close() gave up waiting for them); the heap stays mapped under them";
        }
        return closeFinished ? null : "its Collector.close() has not returned yet";
    }

    /**
     * What of this collector may still run (touch its heap, flip the JVM's barrier flag, hold the
     * installed shader), or null once close() has returned and its threads ended; takes no lock.
     */
    private String stillRunning() {
        if (!closed) {
            return "not closed";
        }
        List<String> running = runningThreads();
        if (!running.isEmpty()) {
            return "closed, but its threads still run " + running + " (Collector.close() gave up waiting for them;"
                    + " awaitTermination(Duration) waits for them)";
        }
        return closeFinished ? null : "its Collector.close() has not returned yet";
    }

    /** This collector's threads (and sweeper goroutine in a batch) still running; no lock. */
    private List<String> runningThreads() {
        List<String> running = new java.util.ArrayList<>();
        if (workers != null) {          // null only when read by a claim racing a constructor that failed early
            workers.addAliveThreads(running);
        }
        for (Thread t : new Thread[] {coordinator == null ? null : coordinator.thread,
                threadSweeper == null ? null : threadSweeper.thread}) {
            if (t != null && t.isAlive()) {
                running.add(t.getName());
            }
        }
        if (sweeperG != null && sweeperG.inBatch()) {
            running.add("the sweeper goroutine, in a sweep batch");
        }
        return running;
    }

    /**
     * Stops the collector's threads. The heap, pool and globals stay the caller's to close. A
     * mutator may call it (a registered thread, a goroutine): it counts as stopped while it waits
     * for the threads, since the coordinator, woken by the close in the middle of a cycle, may
     * stop the world once more to end it and would otherwise wait for the closing mutator, which
     * waits for it (review11: both stuck until the 10 s join gave up, the coordinator left alive).
     *
     * <p>After it, allocation is refused (IllegalStateException naming the closed collector): every
     * allocation that starts after the close began, the free slots of spans a mutator already
     * caches included; one already past its {@code startPending} read may finish (at most one per
     * mutator). Loads and stores on objects allocated before stay valid until the heap closes (no
     * cycle needs them; the barrier is off), handles (Global, PtrPool, PtrChan) keep working, and a
     * registered thread keeps its mcache, so the heap refuses to close until it unregisters. A
     * second call returns at once (a later collector may own the JVM's barrier by then); of calls
     * racing each other, one makes the last writes and the others return after it.
     *
     * <p>Waits at most 60 s for the threads ({@link #closeWithin(java.time.Duration)} to choose).
     *
     * @throws IllegalStateException the collector is closed but some of its threads did not end
     *     in time (named, with where they are): see {@link #closeWithin(java.time.Duration)}
     */
    @Override
    public void close() {
        closeWithin(CLOSE_WAIT);
    }

    /**
     * How long {@link #close()} waits for the collector's threads: long, since a thread starved of
     * CPU is not a stuck one (a coordinator took over 10 s to leave its idle wait in a suite run at
     * load ~60), and only a real hang pays it; since session 13 a stop or ragged round no longer
     * waits through a close.
     */
    static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(60);

    /**
     * {@link #close()}, waiting at most {@code maxWait} for the collector's threads. Returns
     * normally once they all ended: the heap may then close and another collector may be made.
     * If some still run after {@code maxWait} (a sweep-termination hook that blocks, a thread
     * starved of CPU), the collector is closed all the same (allocation refused, no cycle starts,
     * the barrier off), but it throws IllegalStateException naming those threads and where they
     * are: they may still touch the heap and the JVM's one write barrier, so the heap refuses to
     * close and a new collector in this JVM is refused until they end. {@link #awaitTermination}
     * waits for them; a later close() returns normally once they ended, and throws again if not.
     *
     * @throws IllegalArgumentException {@code maxWait} is null or negative
     */
    public void closeWithin(java.time.Duration maxWait) {
        long waitNanos = waitNanos(maxWait, "closeWithin");
        long deadline = System.nanoTime() + waitNanos;
        if (closeFinished) {
            // Closed already: a later collector may own the JVM's barrier flag by now, so nothing
            // but the wait for threads the first close gave up on.
            if (!awaitThreads(deadline)) {
                throw threadsStillRun(maxWait);
            }
            return;
        }
        Mutator self = world.exiting() ? null : world.current();     // before the close: as an allocation just before it
        closed = true;
        if (world instanceof ThreadWorld tw) {
            tw.collectorClosed(name + " on " + heap);      // registering is refused; a stop or round waiting gives up
        } else if (world instanceof SchedWorld sw) {
            sw.collectorClosed();                          // a stop waiting for a goroutine gives up
        }
        // Every allocation from here on leaves the fast path (which reads startPending) and is
        // refused in allocChecks; the coordinator's clearStartPending puts it back once closed.
        setStartPending(true);
        assists.queue.wakeAll(!world.exiting());
        if (workers.goroutines != null) {
            workers.goroutines.close();
        }
        if (procResize != null && world instanceof SchedWorld sw) {
            sw.scheduler().removeProcResizeHook(procResize);
        }
        control.signalAll();
        workers.wakeAll();
        if (threadSweeper != null) {
            threadSweeper.wakeForClose();
        }
        if (sweeperG != null) {
            sweeperG.close(!world.exiting());     // readied if parked; after the scheduler's exit it never runs again
        }
        if (world instanceof ThreadWorld tw) {
            tw.wakePWaiters();              // a worker or the sweeper waiting for a P sees the close
        }
        if (self != null) {
            world.runBlocking(self, () -> awaitThreads(deadline));
        } else {
            awaitThreads(deadline);
        }
        Runnable hook = closeTailHookForTest;
        if (hook != null) {
            hook.run();
        }
        // The last writes are made by one call only: a concurrent close() that got here later
        // would otherwise clear the heap trigger and the JVM's barrier flag after the first had
        // returned, i.e. under a collector created meanwhile (its heap trigger gone for good,
        // its barrier off mid-mark). The later call waits for the first's few stores instead.
        if (!closeTailClaimed.compareAndSet(false, true)) {
            while (!closeFinished) {
                Thread.yield();
            }
            return;
        }
        gcs.setTrigger(Long.MAX_VALUE, null);
        WriteBarrier.enabled = false;
        closeFinished = true;
        uninstallIfEnded();
        if (!runningThreads().isEmpty()) {
            throw threadsStillRun(maxWait);
        }
    }

    /**
     * Waits at most {@code maxWait} for the threads of a closed collector to end (those its
     * {@link #close} gave up on). True once none runs: the heap may close and another collector
     * may be made. Refused before close (the threads run until it).
     *
     * @throws IllegalStateException the collector is not closed
     * @throws IllegalArgumentException {@code maxWait} is null or negative
     */
    public boolean awaitTermination(java.time.Duration maxWait) {
        long deadline = System.nanoTime() + waitNanos(maxWait, "awaitTermination");
        if (!closed) {
            throw new IllegalStateException("awaitTermination refused: " + name + " on " + heap
                    + " is not closed, and its threads run until it is; call close() first");
        }
        boolean ended = awaitThreads(deadline);
        if (ended && closeFinished) {
            uninstallIfEnded();
        }
        return ended && closeFinished;
    }

    private static long waitNanos(java.time.Duration maxWait, String what) {
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException(what + ": the wait must be a non-negative Duration (zero: do not wait), got " + maxWait);
        }
        return maxWait.toNanos();     // saturates at Long.MAX_VALUE
    }

    private void uninstallIfEnded() {
        synchronized (INSTALL_LOCK) {
            if (installed == this && stillRunning() == null) {
                installed = null;           // nothing of it runs: the next collector needs no look at it
            }
        }
    }

    /**
     * The close that gave up: which threads still run and where (their top frames), and what that
     * means for the heap and the next collector.
     */
    private IllegalStateException threadsStillRun(java.time.Duration waited) {
        StringBuilder b = new StringBuilder();
        for (Thread t : ownThreads()) {
            if (!t.isAlive()) {
                continue;
            }
            b.append(b.isEmpty() ? "" : "; ").append('"').append(t.getName()).append("\" ").append(t.getState());
            // The top frame, then the first few of gort's own (the JDK's wait frames say little).
            StackTraceElement[] st = t.getStackTrace();
            int shown = 0;
            for (int i = 0; i < st.length && shown < 4; i++) {
                String cls = st[i].getClassName();
                if (i == 0 || !(cls.startsWith("java.") || cls.startsWith("jdk."))) {
                    b.append(shown == 0 ? " at " : " < ").append(st[i]);
                    shown++;
                }
            }
        }
        if (sweeperG != null && sweeperG.inBatch()) {
            b.append(b.isEmpty() ? "" : "; ").append("the sweeper goroutine, in a sweep batch");
        }
        return new IllegalStateException(name + " on " + heap + " is closed (allocation refused, no cycle starts), but "
                + "its threads did not end within " + waited.toMillis() + " ms: " + b + ". They may still touch the heap "
                + "and the JVM's write barrier, so the heap refuses to close and a new collector in this JVM is refused "
                + "until they end; awaitTermination(Duration) waits for them, and close() returns normally once they ended");
    }

    /** The coordinator, the thread sweeper and the platform workers. */
    private List<Thread> ownThreads() {
        List<Thread> all = new java.util.ArrayList<>();
        all.add(coordinator.thread);
        if (threadSweeper != null) {
            all.add(threadSweeper.thread);
        }
        workers.addThreads(all);
        return all;
    }

    /** Waits until {@code deadline} (System.nanoTime()) for the collector's threads; true if all ended. Only waits. */
    private boolean awaitThreads(long deadline) {
        // An interrupt of the caller does not cut the wait short: close() would otherwise report
        // "did not end within <maxWait>" after a few ms for threads about to end (seen in CI under
        // gcpoison: 30 ms into a 60 s wait, the thread already TERMINATED when the message was
        // built). The interrupt is kept for the caller.
        boolean interrupted = false;
        try {
            for (Thread t : ownThreads()) {
                while (t.isAlive() && deadline - System.nanoTime() > 0) {
                    try {
                        t.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (t.isAlive()) {
                    return false;
                }
            }
            while (sweeperG != null && sweeperG.inBatch()) {      // (close() waited for its batch already)
                if (deadline - System.nanoTime() <= 0) {
                    return false;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
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
                control.ctl.lock();
                try {
                    control.resizeHolds++;
                    while (control.cycleRunning && !closed && !world.exiting()) {    // an abandoned cycle never ends
                        control.ctlChanged.awaitUninterruptibly();
                    }
                } finally {
                    control.ctl.unlock();
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
                    orphanWork.bytesMarked += m.gcw.bytesMarked + m.blackBytes;
                    orphanWork.heapScanWork += m.gcw.heapScanWork;
                }
                m.gcw.bytesMarked = 0;
                m.blackBytes = 0;
                m.gcw.heapScanWork = 0;
                m.gcw.dispose();
                dying.setGcState(null);             // a revived P gets a new Mutator with its new mcache
            }
        }

        @Override
        public void afterStart(int oldProcs, int newProcs) {
            try {
                if (oldProcs != newProcs) {
                    // GCCPUFraction's denominator integrates GOMAXPROCS over time (Go's sched.totaltime,
                    // brought up to date in procresize): the time until now counts at oldProcs. Before
                    // the hold is released, so no cycle ends between the resize and this record.
                    stats.procsChanged(System.nanoTime(), oldProcs);
                }
            } finally {
                control.releaseStartHold();     // whatever the record did: a hold left would block every later cycle
            }
        }
    }
}
