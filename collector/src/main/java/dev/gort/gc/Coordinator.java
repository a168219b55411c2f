package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.sys.CpuClock;

import java.util.List;

/**
 * The coordinator thread ({@code gort-gc}) and the cycle it runs (Go's gcStart, gcMarkDone,
 * gcMarkTermination): it takes each request from {@link CycleControl}, stops and restarts the
 * world, flips the barrier and the phase, scans the roots it owns, waits for the workers to drain
 * the mark, commits the pacer and wakes the sweeper; the steps of one cycle are described in
 * {@link Collector}'s header. A cycle that cannot finish (the collector closed, a fatal error) is
 * abandoned with the world running again.
 *
 * <p>Everything here runs on the coordinator thread except the getters of the last cycle's
 * figures (volatile) and {@link #onSweepTermination} (a concurrent list).
 */
final class Coordinator {
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
        return dev.gort.sys.ThreadSlice.fromProperty("gort.gc.stopperslice.us", "off");
    }

    private static final boolean DEBUG = dev.gort.sys.TuningProperty.flag("gort.gc.debug", false);

    /** The coordinator's SCHED_FIFO boost over pauses, and its settings as they were when this collector was made. */
    final StopperBoost stopperBoost = new StopperBoost();
    private final int stopperRtPriority = StopperBoost.priorityForNewCollectors;
    private final boolean stopperRtMutators = StopperBoost.mutatorsForNewCollectors;

    private final Collector c;
    private final Heap heap;
    private final GcSupport gcs;
    private final World world;
    private final Marker marker;
    private final WorkbufPool pool;
    private final GlobalRoots globals;
    private final Pacer pacer;
    private final GcStats stats;
    private final StackRoots stackRoots;
    final CycleControl control;           // package-private for tests
    private final Stepping stepping;
    private final MarkWorkers workers;
    final MarkCompletion completion;
    private final Sweeping sweeping;
    private final AssistQueue assists;
    private final PauseReporter pauses;
    private final StoreGate storeGate;
    /** The background sweeper over ThreadWorld or with the sweeper goroutine off (else null). */
    private final ThreadSweeper threadSweeper;
    /** The background sweeper under SchedWorld (else null). */
    private final SweeperGoroutine sweeperG;
    final Thread thread;

    /** The coordinator's own grey work: roots it scans, and the stop-the-world modes' whole mark. */
    final GcWork coordinatorWork;
    /** Greys stack roots onto the coordinator's gcWork (a field: no lambda linkage inside a pause). */
    private final StackSink stackSink;

    /** The cycle's stack roots scanned with the world stopped: greyed onto the coordinator's gcWork, each stack counted by the audit when on. */
    private final class StackSink implements World.RootSink {
        @Override
        public void slots(long address, long n, String owner, long id) {
            marker.scanRootSlots(address, n, owner, id, coordinatorWork);
        }

        @Override
        public void stackStarted(String owner, long id) {
            StackScanAudit a = cycleAudit;
            if (a != null) {
                a.scanned(owner, id, "stopped(sweepTermination)");
            }
        }
    }

    /** Set by {@link Collector#auditStackScans} (null: off); read once per cycle, at sweep termination. */
    volatile StackScanAudit stackScanAudit;
    /** This cycle's audit, fixed at sweep termination (world stopped) until mark termination's end. */
    private StackScanAudit cycleAudit;
    /** Run by every cycle at sweep termination, world stopped (Go's clearpools); see {@link Collector#onSweepTermination}. */
    private final List<Runnable> sweepTerminationHooks = new java.util.concurrent.CopyOnWriteArrayList<>();

    private boolean worldStopped;
    private int restarts;
    private long stacksInSweepTermination;
    /** The coordinator's CPU scanning goroutine stacks in this cycle's mark phase (background mark CPU). */
    private long coordinatorStackCpu;
    private long dbgLast;
    private volatile long lastPauseNs;
    private volatile Collector.StackScanStats lastStackScan = new Collector.StackScanStats(0, 0, 0, 0, 0, 0);

    /**
     * The goal armed as a provisional trigger by mark termination until {@link #commitPacer}
     * commits the real one (Long.MAX_VALUE otherwise); while armed, allocations past the goal wait
     * for the next cycle's start against it instead of the pacer's (the finished cycle's) goal.
     */
    volatile long provisionalGoal = Long.MAX_VALUE;

    /** The thread that ran the last mark termination's stopped steps (tests, diagnostics). */
    volatile Thread markTerminationRanOn;
    /** The thread that ran the last sweep termination's stopped steps (tests: the coordinator, or an M it was handed to). */
    volatile Thread sweepTerminationRanOn;

    /** Tests: run by the coordinator after mark termination's restart, before commitPacer. */
    volatile Runnable tailStallHookForTest;

    Coordinator(Collector c, CycleControl control, Stepping stepping, MarkWorkers workers, Sweeping sweeping,
                AssistQueue assists, PauseReporter pauses, StoreGate storeGate, ThreadSweeper threadSweeper,
                SweeperGoroutine sweeperG) {
        this.c = c;
        this.heap = c.heap;
        this.gcs = c.gcs;
        this.world = c.world;
        this.marker = c.marker;
        this.pool = c.pool;
        this.globals = c.globals;
        this.pacer = c.pacer;
        this.stats = c.stats;
        this.stackRoots = c.stackRoots;
        this.control = control;
        this.stepping = stepping;
        this.workers = workers;
        this.sweeping = sweeping;
        this.assists = assists;
        this.pauses = pauses;
        this.storeGate = storeGate;
        this.threadSweeper = threadSweeper;
        this.sweeperG = sweeperG;
        this.coordinatorWork = new GcWork(pool);
        this.stackSink = new StackSink();
        this.completion = new MarkCompletion(c);
        this.markDoneHandOff = handOffForNewCollectors && world instanceof ThreadWorld ? new StopHandOff(this::markDoneStopped) : null;
        this.markDoneSchedSteps = handOffForNewCollectors && world instanceof SchedWorld ? this::markDoneStopped : null;
        this.sweepTermSchedSteps = sweepTermHandOffForNewCollectors && world instanceof SchedWorld ? this::sweepTerminationHandedOff : null;
        this.thread = Thread.ofPlatform().daemon().name("gort-gc").unstarted(this::run);
    }

    void onSweepTermination(Runnable hook) {
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
                c.traceOut.println("gort: sweep-termination hook " + h + " failed (cycle continues): " + e);
            }
        }
    }

    Collector.StackScanStats lastStackScan() {
        return lastStackScan;
    }

    long lastPauseNanos() {
        return lastPauseNs;
    }

    long checkmarkCycles() {
        return completion.checkmarkCycles;
    }

    private void dbg(String what) {
        if (DEBUG) {
            long now = System.nanoTime();
            System.err.println("gc debug: " + what + " +" + (now - dbgLast) / 1000 + " us");
            dbgLast = now;
        }
    }

    /** The coordinator thread: the cycles, then this JVM's pause path rehearsal left if this collector still held a part of it. */
    private void run() {
        try {
            loop();
        } finally {
            leaveRehearsal();
            warmRootSlots.close();
        }
    }

    private void loop() {
        stopperBoost.start(stopperRtPriority, stopperRtMutators, world);
        if (STOPPER_SLICE_NANOS != 0) {
            dev.gort.sys.ThreadSlice.request(STOPPER_SLICE_NANOS);     // false where unsupported: the default slice stays
        }
        try {
            warmUpPausePath(this::firstCycleWarmUpMayGoOn);
            if (pausePathWarm) {
                // The rehearsal's first rounds within the first cycle's grace, as the warm-up's:
                // binary-trees' gc 1 is owed by the time the warm-up ends, and the rest (below)
                // gives way to a requested cycle at once, so gc 1's stopped steps ran this code
                // for the first time in the JVM (constant pool resolution, first calls in the
                // interpreter, the workbufs' and mark bits' first touch): 0.4-0.5 ms of the
                // coordinator's CPU in gc 1's sweep termination (setup, stacks), against 0.05
                // later, and 0.2 ms in its mark termination (sweepgen; session 26, pause26).
                rehearsePausePath(this::firstCycleWarmUpMayGoOn, PausePathRehearsal.FIRST_CYCLE_ROUNDS);
                if (PauseReporter.PAUSE_TRACE && control.cyclesDone == 0) {
                    c.traceOut.println(Millis.append(new StringBuilder("pause path rehearsal before gc 1: ")
                            .append(PausePathRehearsal.roundsDone()).append(" rounds in this JVM, "), rehearsalNanos).append(" ms"));
                }
                rehearsePausePath(this::stopPathWarmUpMayGoOn, Integer.MAX_VALUE);  // gives way to any request, as it does between cycles
            }
            firstCycleWithinGraceAtCycles = firstCycleWarmUpMayGoOn();
            rehearsalRoundsAtCycles = PausePathRehearsal.roundsDone();
        } catch (Throwable t) {
            failForGood(t);     // no cycle ran yet: nothing to abandon, but nobody may wait for one in vain
            return;
        }
        while (!c.closed) {
            GcTrigger trigger;
            control.ctl.lock();
            try {
                boolean interrupted = false;
                // A request whose trigger no longer holds (GOGC turned off or raised since) is
                // dropped here, not started: Go's gcStart re-tests its trigger under the start lock.
                while ((!control.cycleRequested || control.resizeHolds > 0 || control.owedStartInGrace()
                        || control.dropRequestIfTriggerGoneLocked())
                        && !c.closed && !world.exiting()) {
                    try {
                        control.ctlChanged.awaitNanos(control.idleWaitNanos());    // timed only while a start can be owed
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                if (c.closed || world.exiting()) {
                    return;     // the world is gone: no cycle can run on it
                }
                trigger = control.takeTriggerLocked();
                control.takeOverdueOwedStart();
                control.cycleRequested = false;
                control.requestAwaited = false;
                control.userRequested = false;
                control.pendingTriggers = 0;
                control.cycleRunning = true;
                control.cycleTail = false;
            } finally {
                control.ctl.unlock();
            }
            try {
                runCycle(trigger);
                Runnable ending = cycleEndingForTest;
                if (ending != null) {
                    ending.run();       // in the cycle's tail, before it counts as done
                }
                control.ctl.lock();
                try {
                    control.cyclesDone++;
                    control.lastCycleEndNanos = System.nanoTime();
                    control.cycleRunning = false;
                    control.ctlChanged.signalAll();
                } finally {
                    control.ctl.unlock();
                }
                warmUpPausePath(this::stopPathWarmUpMayGoOn);     // its rest, if it gave way to the first cycles
                warmUpStopPathChunk();
                if (pausePathWarm) {
                    rehearsePausePath(this::stopPathWarmUpMayGoOn, Integer.MAX_VALUE);
                }
                topUpPausePath();
            } catch (MarkWorkers.ClosedMidCycle closedMidCycle) {
                abandonCycle(closedMidCycle);
                return;
            } catch (Throwable t) {
                failForGood(t);
                return;
            }
        }
    }

    /**
     * Tests: run by the coordinator at the end of each cycle's tail (mark terminated, the world
     * running, the cycle not yet counted as done): a request made here is made in the tail.
     */
    volatile Runnable cycleEndingForTest;

    /**
     * A fatal collector error (bad pointer, checkmark; or the JVM's InternalError out of the
     * rehearsal): Go would exit the process. Leave the world running so the error can be reported
     * and the embedder decide, but not the heap growing: no cycle will run again, so startPending
     * stays set (every allocation takes the checked path) and one past the goal fails with this
     * error (allocChecks) instead of growing a heap nobody collects until the kernel's OOM killer
     * ends the process.
     */
    private void failForGood(Throwable t) {
        String reason = pauseReason;
        abandonCycle(t);
        String during = reason == null ? "" : " (during " + reason
                + (world.stopRequested() && !world.exiting() ? "; the world could not be restarted" : "; the world runs again") + ")";
        control.ctl.lock();
        try {
            c.setStartPending(true);
            control.cycleFailure = t;
            control.cycleRunning = false;
            control.ctlChanged.signalAll();
        } finally {
            control.ctl.unlock();
        }
        System.err.println("gort: fatal error in the collector" + during + ": " + t
                + "; no cycle will run again (gc() and an allocation past the goal throw it)");
    }

    /**
     * The pause path's warm-up (world running, nothing stopped), in steps of {@link #WARMUP_STEP}
     * rounds, each after a look at {@code mayGoOn}: started before the first cycle and, if it gave
     * way to one, taken up again after each cycle until done ({@link #pausePathWarm}). The first
     * execution of a code path loads and links its classes, which would otherwise land inside the
     * first cycle's pauses (milliseconds, measured); the rounds after it take the pause path's small
     * methods past the JIT's thresholds here instead of inside a pause. Before the first cycle
     * {@code mayGoOn} is {@link #firstCycleWarmUpMayGoOn} (a gc() waiting ends it at once, the heap
     * trigger's request after {@link #FIRST_CYCLE_WARMUP_GRACE_NANOS}); after a cycle it is
     * {@link #stopPathWarmUpMayGoOn} (any request ends it), as for the rehearsal. Go never holds a
     * collection back for a warm-up; before session 23 this one ran whole before the first cycle,
     * 1-70 s at load 23-32 (docs/performance.md, session 22, flakes22), all of it a gc() caller's
     * or the trigger's owner's wait.
     */
    private void warmUpPausePath(java.util.function.BooleanSupplier mayGoOn) {
        if (pausePathWarm || c.closed || world.exiting()) {
            return;         // closed before this thread got a CPU (a loaded machine): nothing to warm
        }
        long t0 = System.nanoTime();
        try {
            warmUpPausePathSteps(mayGoOn);
        } finally {
            warmUpNanos += System.nanoTime() - t0;
        }
        if (PauseReporter.PAUSE_TRACE && (pausePathWarm || (control.cyclesDone == 0 && firstCycleGaveWayTo != null))) {
            StringBuilder sb = new StringBuilder("pause path warm-up ");
            if (pausePathWarm) {
                sb.append("done ").append(control.cyclesDone == 0 ? "before gc 1" : "after gc " + control.cyclesDone);
                if (control.cyclesDone == 0 && control.cycleRequested) {
                    Millis.append(sb.append(" (gc 1 owed for "), System.nanoTime() - control.requestedAtNanos).append(" ms)");
                }
                sb.append(": ");
            } else {
                sb.append("gave way to gc 1 (").append(firstCycleGaveWayTo).append(", owed ");
                Millis.append(sb, firstCycleHeldNanos).append(" ms) after ");
            }
            c.traceOut.println(Millis.append(sb, warmUpNanos).append(" ms of warm-up"));
        }
    }

    /** {@link #warmUpPausePath}'s steps from where the last call left them; returns when done (pausePathWarm set) or given way. */
    private void warmUpPausePathSteps(java.util.function.BooleanSupplier mayGoOn) {
        if (!warmUpStarted) {
            warmUpStarted = true;
            pauses.warmUp();
            pauseTimerRoundsLeft = PauseReporter.claimPauseTimerWarmUp();
            // The first root greyed in a cycle takes the coordinator's first workbufs: done first inside
            // gc 1's sweep termination, it loaded and verified WorkbufLayout and committed the pool's
            // first batch there (its "stacks" step 0.9-1.2 ms against ~0.05 ms in later cycles).
            pool.putEmpty(pool.getEmpty());
            // Not world.scanStacks: a World may walk its stacks only with the world stopped.
            workers.markDrained();
        }
        // Begin/step/end rounds of the pause timer (PauseReporter.PAUSE_TIMER_WARMUP_ROUNDS), once a JVM.
        while (pauseTimerRoundsLeft > 0) {
            if (!warmUpMayTakeStep(mayGoOn)) {
                return;
            }
            int n = Math.min(WARMUP_STEP, pauseTimerRoundsLeft);
            PauseTimer.warmUp(n);
            pauseTimerRoundsLeft -= n;
        }
        // The store gate's fair Semaphore and the world's lock, run a few times a cycle, cross the
        // JIT's thresholds mid-run (Semaphore.release at its 256th or 384th call: binary-trees'
        // gc 53-96): the compile request, made inside the pause, woke a compiler thread that took
        // the coordinator's CPU for 2-3 ms of "setup" (docs/performance.md, session 12, defpause).
        // Run here until C2 has them; the gate is free (no cycle runs: before the first or between
        // two), so a thread that wants it meanwhile waits only for one acquire-release.
        while (gateWarmUpRoundsDone < PAUSE_PATH_WARMUP_ROUNDS) {
            if (!warmUpMayTakeStep(mayGoOn)) {
                return;
            }
            for (int i = 0, n = Math.min(WARMUP_STEP, PAUSE_PATH_WARMUP_ROUNDS - gateWarmUpRoundsDone); i < n; i++) {
                storeGate.awaitFree();
                storeGate.acquire();
                storeGate.release();
            }
            gateWarmUpRoundsDone = Math.min(PAUSE_PATH_WARMUP_ROUNDS, gateWarmUpRoundsDone + WARMUP_STEP);
        }
        // The phase's setter, four calls a cycle and all inside pauses, reached C1's threshold
        // inside gc 86's sweep termination in three of three JIT-logged depth-21 runs (session 21).
        // To C1 only: C2 code compiled from these calls (phase never MARKING) would trap at the
        // first real flip. Once per collector, so with the real calls (four a cycle) the count stays
        // far below C2's threshold for a thousand cycles. No cycle runs here (before the first, or
        // between two), so only the coordinator writes the phase, and the gate's refresh is safe
        // beside the mutators' own (versioned CAS).
        if (!phaseSetterWarm) {
            if (!warmUpMayTakeStep(mayGoOn)) {
                return;
            }
            for (int i = 0; i < PHASE_SETTER_WARMUP_CALLS && !c.closed; i++) {
                c.setPhase(c.phase);
            }
            phaseSetterWarm = true;
        }
        if (world instanceof ThreadWorld tw) {
            if (!requestPathWarm) {
                if (!warmUpMayTakeStep(mayGoOn)) {
                    return;
                }
                tw.warmUpRequestPath();         // once: to C1, not C2 (see REQUEST_PATH_WARMUP_CALLS)
                requestPathWarm = true;
            }
            while (stopPathWarmUpRoundsDone < PAUSE_PATH_WARMUP_ROUNDS) {
                if (!warmUpMayTakeStep(mayGoOn)) {
                    return;
                }
                // Rounds with the lock found held in every chunk of WARMUP_CHUNK rounds, not once:
                // the lock path's branch profile is kept only while its methods run interpreted or
                // at tier 3, and under the start-up's C2 queue they sit at tier 2 (no branch
                // profile) for a while first.
                int contendedWanted = (stopPathWarmUpRoundsDone / WARMUP_CHUNK + 1) * ThreadWorld.CONTENDED_WARMUP_ROUNDS;
                if (contendedWarmUpRoundsDone < contendedWanted) {
                    contendedWarmUpRoundsDone += tw.warmUpContendedLock(contendedWanted - contendedWarmUpRoundsDone, mayGoOn);
                    if (contendedWarmUpRoundsDone < contendedWanted) {
                        if (!mayGoOn.getAsBoolean()) {
                            noteGaveWay();
                            return;             // gave way mid-chunk: the rest of its rounds next time
                        }
                        contendedWarmUpRoundsDone = contendedWanted;   // the helper thread ended early: not retried
                    }
                }
                int n = Math.min(WARMUP_STEP, PAUSE_PATH_WARMUP_ROUNDS - stopPathWarmUpRoundsDone);
                tw.warmUpStopPath(n);
                // The handed-off mark termination's drained check, a call or two a cycle: it
                // reached C1's threshold inside mark terminations (gc 4-32, session 20). It only
                // reads; so do the getters the stopped steps call (C1 at gc 42-64).
                for (int i = 0; i < n; i++) {
                    workers.markDrained();
                    warmRootSlots.size();
                    c.options.gccheckmark();
                    dbg("warm-up");
                }
                stopPathWarmUpRoundsDone += n;
            }
        }
        pausePathWarm = true;
    }

    /**
     * Before each step of the warm-up: runs the test hook, then asks {@code mayGoOn}. Before the
     * first cycle a false answer with a cycle requested is recorded for the trace and the tests.
     */
    private boolean warmUpMayTakeStep(java.util.function.BooleanSupplier mayGoOn) {
        Runnable hook = warmUpStepHook;
        if (hook != null) {
            hook.run();         // tests: a slow warm-up (the hook waits), without a sleep in the product
        }
        if (mayGoOn.getAsBoolean()) {
            return true;
        }
        noteGaveWay();
        return false;
    }

    /** The warm-up gives way: before the first cycle, to what and after how long, for the trace and the tests. */
    private void noteGaveWay() {
        if (control.cyclesDone == 0 && control.cycleRequested && firstCycleGaveWayTo == null && !c.closed && !world.exiting()) {
            firstCycleHeldNanos = System.nanoTime() - control.requestedAtNanos;
            firstCycleGaveWayTo = control.requestAwaited ? "a waiting caller" : "the heap trigger";
        }
    }

    /**
     * Before the first cycle: whether the warm-up may take its next step. Not if the collector
     * closed, nor if a caller waits for a cycle it asked for by name (gc(), a test's runTo): it
     * asked for that collection now, and no warm-up is worth its wait. A cycle requested by the
     * heap trigger (or sysmon) holds the warm-up back only once it has been owed for
     * {@link #FIRST_CYCLE_WARMUP_GRACE_NANOS}: the trigger's owner and any allocation past the goal
     * wait for that cycle's start (allocChecks), so the heap does not grow meanwhile, but their
     * wait is bounded by the grace instead of by the warm-up's length; in a quiet run the warm-up
     * ends inside the grace and the first cycles' pauses run warm, as before (binary-trees' first
     * trigger comes a few milliseconds after the collector's start, and cold code inside the
     * first cycles' pauses made 1-5 ms pauses: sessions 12, 20, 21).
     */
    boolean firstCycleWarmUpMayGoOn() {
        if (c.closed || world.exiting()) {
            return false;
        }
        if (!control.cycleRequested) {
            return true;
        }
        return !control.requestAwaited && System.nanoTime() - control.requestedAtNanos < firstCycleGraceNanos;
    }

    /**
     * How long a cycle requested by the heap trigger before the first cycle may wait for the pause
     * path's warm-up ({@link #firstCycleWarmUpMayGoOn}). Above the whole warm-up's length in a quiet
     * JVM (~0.3 s here, at load 4: binary-trees' gc 1 at 0.34 s), so that a quiet run's first cycle
     * is unchanged; a bound on a loaded machine's, where the warm-up took tens of seconds.
     */
    static final long FIRST_CYCLE_WARMUP_GRACE_NANOS = 1_000_000_000L;

    /** Tests: the grace of collectors made while set (read once, at construction): a test longer than a loaded machine's warm-up. */
    static volatile long firstCycleGraceNanosForNewCollectors = FIRST_CYCLE_WARMUP_GRACE_NANOS;
    /** This collector's {@link #FIRST_CYCLE_WARMUP_GRACE_NANOS} ({@link #firstCycleGraceNanosForNewCollectors}). */
    private final long firstCycleGraceNanos = firstCycleGraceNanosForNewCollectors;

    /**
     * Tests: run before each step of the pause path's warm-up by collectors made while it is set
     * (read once, at construction): a test makes the warm-up slow by waiting in it.
     */
    static volatile Runnable warmUpStepHookForNewCollectors;
    /** This collector's {@link #warmUpStepHookForNewCollectors}. */
    private final Runnable warmUpStepHook = warmUpStepHookForNewCollectors;

    /** Where the warm-up stands (coordinator only; see {@link #warmUpPausePathSteps}). */
    private boolean warmUpStarted;
    private int pauseTimerRoundsLeft;
    /** Rounds of the store gate's warm-up done (tests). */
    volatile int gateWarmUpRoundsDone;
    private boolean phaseSetterWarm;
    private boolean requestPathWarm;
    /** Rounds of the world's stop path warm-up done (ThreadWorld; tests). */
    volatile int stopPathWarmUpRoundsDone;
    /** Rounds of the contended-lock warm-up done or left (ThreadWorld; tests). */
    volatile int contendedWarmUpRoundsDone;
    /** Wall time this collector spent in {@link #warmUpPausePath}. */
    private long warmUpNanos;
    /** What the warm-up gave way to before the first cycle (null: it did not; tests, the trace). */
    volatile String firstCycleGaveWayTo;
    /** How long that cycle had been requested when the warm-up gave way to it (tests, the trace). */
    volatile long firstCycleHeldNanos;

    /**
     * The pause path's rehearsal ({@link PausePathRehearsal}: the root scan, the sweep cycle's
     * start and finishsweep run on a heap of its own until the JIT has compiled them), in chunks,
     * once the warm-up's rounds are done (before the first cycle unless the warm-up gave way to
     * it), then after each cycle until this JVM has run all its rounds. It
     * gives way to a requested cycle, as the stop path's warm-up does ({@link #stopPathWarmUpMayGoOn}):
     * a gc() waits for one round at most (in a JVM with several collectors, or for another
     * coordinator's chunk of {@link PausePathRehearsal#CHUNK} rounds), and the rest runs after that cycle.
     * Runs while {@code mayGoOn} says so and until this JVM has run {@code upTo} rounds (or all).
     */
    private void rehearsePausePath(java.util.function.BooleanSupplier mayGoOn, int upTo) {
        if (pausePathRehearsed) {
            return;
        }
        if (!rehearsalJoined) {
            PausePathRehearsal.join();
            rehearsalJoined = true;
        }
        long t0 = System.nanoTime();
        try {
            while (!pausePathRehearsed && PausePathRehearsal.roundsDone() < upTo && mayGoOn.getAsBoolean()) {
                pausePathRehearsed = PausePathRehearsal.runChunk(heap.config(), mayGoOn, upTo);
            }
        } catch (Throwable t) {
            pausePathRehearsed = true;      // given up (runChunk rethrows only the JVM's InternalError / UnknownError)
            throw t;
        } finally {
            rehearsalNanos += System.nanoTime() - t0;
            if (pausePathRehearsed || c.closed || world.exiting()) {
                leaveRehearsal();           // the last collector out unmaps the scratch heap
            }
        }
        if (pausePathRehearsed && PauseReporter.PAUSE_TRACE) {
            c.traceOut.println(Millis.append(new StringBuilder("pause path rehearsal done after gc ").append(control.cyclesDone)
                    .append(": ").append(PausePathRehearsal.roundsDone()).append(" rounds in this JVM, this collector's share "),
                    rehearsalNanos).append(" ms"));
        }
    }

    /** Between this collector's PausePathRehearsal.join and leave. Coordinator thread only. */
    private boolean rehearsalJoined;

    private void leaveRehearsal() {
        if (rehearsalJoined) {
            rehearsalJoined = false;
            PausePathRehearsal.leave();
        }
    }

    /** Calls of the phase's setter in the warm-up (never inside a cycle): past C1's threshold (200), far short of C2's (5000). */
    static final int PHASE_SETTER_WARMUP_CALLS = 400;

    /** Cycles after which {@link #topUpPausePath} runs its rounds. */
    static final int TOP_UP_CYCLES = 32;
    /** Rounds of {@link #topUpPausePath} after each of those cycles. */
    static final int TOP_UP_ROUNDS = 2048;
    /** Cycles this collector has topped the pause path up after. */
    private int topUpsDone;
    /** Cycle starts at which the sweep's in-flight wait was topped up (one per top-up). */
    private int sweepWaitTopUps;

    /**
     * After each of the first {@link #TOP_UP_CYCLES} cycles, world running: more rounds of the
     * pause path's small methods (the pause timer's steps, the stopper's lock rounds, the sweep's
     * in-flight wait, the drained check and the trivial getters the stopped steps call), so that
     * their tier-3 code asks for C2 here and not inside a pause (the sweep's in-flight wait is
     * topped up at the next cycle's start instead, see runCycle). The warm-up (before the first
     * cycle, or between the first cycles when it gave way to one) runs them 30,000 times, but under the start-up's compile queue the JIT scales C2's threshold
     * up (5000 x 1 + queue / 3), so they leave it at tier 3 and count on in the run; once the queue
     * has drained, the request came at a fixed count, i.e. inside a pause: PauseTimer.step at
     * binary-trees 21's gc 24 (a 1.47 ms sweep termination, the C2 thread on the coordinator's
     * CPU), GcSupport.awaitSweepsInFlight at gc 96-103 (0.8-1.25 ms), RootSlots.size and
     * GcOptions.gccheckmark at gc 64 (session 20). In the goroutine world also the per-P reads the
     * flush and the stats step make ({@link SchedWorld#warmUpPauseAccessors}: SchedWorld.mutatorAt
     * reached C1 inside the 1 GiB goroutine world's gc 51-64 mark terminations, a 0.55-0.8 ms
     * "flush" or "stats" step) and the JFR events' constructors ({@link PauseReporter#warmUpEvents}:
     * jdk.jfr.Event's reached C1 just before gc 85's stop; session 22, pd1g), and in both worlds
     * the pacer's arithmetic of the pauses ({@link #warmUpPacerReads}). Gives way to a
     * requested cycle or a close as the rehearsal does; about 0.5 ms of the coordinator's CPU a time.
     */
    private void topUpPausePath() {
        if (topUpsDone >= TOP_UP_CYCLES || PausePathRehearsal.ROUNDS == 0) {
            return;
        }
        topUpsDone++;
        java.util.function.LongSupplier probe = topUpAllocationProbe;
        long before = probe != null ? probe.getAsLong() : 0;
        int chunk = 256;
        int done = 0;
        for (; done < TOP_UP_ROUNDS && stopPathWarmUpMayGoOn(); done += chunk) {
            PauseTimer.warmUp(chunk);
            if (world instanceof ThreadWorld tw) {
                tw.warmUpStopPath(chunk);
            }
            for (int i = 0; i < chunk; i++) {
                workers.markDrained();
                warmRootSlots.size();
                c.options.gccheckmark();
                world.gomaxprocs();
                world.lastStopRequestNanos();       // read in every pause (noteStopRequest)
                dbg("top-up");
            }
            if (world instanceof SchedWorld sw) {
                sw.warmUpPauseAccessors(chunk);
            }
            PauseReporter.warmUpEvents(chunk);
            warmUpPacerReads(chunk);
            warmUpListReads(chunk);
        }
        if (probe != null) {
            topUpAllocatedBytes += probe.getAsLong() - before;
            topUpRoundsRun += done;
        }
    }

    /**
     * Tests: reads the calling thread's allocated Java bytes (a ThreadMXBean's), called on the
     * coordinator before and after each top-up so that {@link #topUpAllocatedBytes} is what the
     * top-ups allocated; null: not measured (the runtime loads no management classes). Read once,
     * at construction, as {@link #warmUpStepHookForNewCollectors}.
     */
    static volatile java.util.function.LongSupplier topUpAllocationProbeForNewCollectors;
    private final java.util.function.LongSupplier topUpAllocationProbe = topUpAllocationProbeForNewCollectors;
    /** Tests, with {@link #topUpAllocationProbeForNewCollectors}: Java bytes the top-ups allocated, and their rounds. */
    volatile long topUpAllocatedBytes;
    volatile int topUpRoundsRun;

    /**
     * {@code rounds} calls of the pacer's arithmetic that the pauses run a few times a cycle: the
     * memory limit's goal and the provisional goal (mark termination's "pacer" step: its C1
     * request came inside gc 85's of the 1 GiB goroutine world, a 0.40 ms step) and the assist
     * ratio's revision (sweep termination's setup: its C2 request came inside gc 39's, a 1.57 ms
     * step; session 22, pd1g). The goals only read. The revision writes the assist ratio, which only
     * marking reads, and the coordinator is between cycles here (the next cycle's start computes
     * it again before marking begins), so the values written here are never used.
     */
    private void warmUpPacerReads(int rounds) {
        for (int i = 0; i < rounds; i++) {
            pacer.memoryLimitHeapGoal();
            pacer.provisionalGoal(pacer.heapMarked(), 0);
            pacer.revise();
        }
    }

    /** A list of the warm-ups' own, for {@link #warmUpListReads}: the pause's lists are not read outside it. */
    private final java.util.List<Object> warmList = new java.util.ArrayList<>(java.util.List.of(1, 2, 3, 4));

    /**
     * {@code rounds} walks of a list the ways the pauses walk theirs (an iterator: the workers'
     * gcWorks in setup and stats; an index: the heap's caches in sweepgen). java.util's methods are
     * the JVM's, counted from every caller, and their C2 requests came inside pauses here (the
     * 1 GiB goroutine world's gc 33 setup 0.80 ms, ArrayList.iterator; gc 81 sweepgen 0.99 ms,
     * ArrayList.get; session 22, pd1g): the requests come sooner, at a top-up instead.
     */
    private void warmUpListReads(int rounds) {
        java.util.List<Object> l = warmList;
        for (int i = 0, walks = claimListReadWarmUp(rounds); i < walks; i++) {
            for (Object o : l) {
                java.util.Objects.requireNonNull(o);
            }
            for (int k = 0, n = l.size(); k < n; k++) {
                java.util.Objects.requireNonNull(l.get(k));
            }
        }
    }

    /**
     * Rounds of {@link #warmUpListReads} this JVM runs in all (its first top-ups'): past C2's
     * threshold (5000) for java.util's list methods, counted from every caller. The iterator is an
     * object per round (~32 B) until C2 compiles the walk; every top-up round walking the list made
     * 2 MiB of Java garbage over binary-trees' top-ups (session 24, hostgc24).
     */
    static final int LIST_READ_WARMUP_ROUNDS = 16_384;
    private static final java.util.concurrent.atomic.AtomicInteger listReadWarmUpsClaimed = new java.util.concurrent.atomic.AtomicInteger();

    /** How many of {@code rounds} list walks the caller is to make ({@link #LIST_READ_WARMUP_ROUNDS} in all per JVM). */
    private static int claimListReadWarmUp(int rounds) {
        while (true) {
            int claimed = listReadWarmUpsClaimed.get();
            int k = Math.max(0, Math.min(rounds, LIST_READ_WARMUP_ROUNDS - claimed));
            if (k == 0 || listReadWarmUpsClaimed.compareAndSet(claimed, claimed + k)) {
                return k;
            }
        }
    }

    /** An empty thread stack for the warm-ups' calls of {@link RootSlots#size} (its code is shared with every mutator's). */
    private final RootSlots warmRootSlots = new RootSlots(0);

    /** Wall time this collector spent in the rehearsal. */
    private long rehearsalNanos;

    /** This JVM's rehearsal rounds when this coordinator left its warm-up for its cycles (-1 before; tests). */
    volatile int rehearsalRoundsAtCycles = -1;
    /** Whether, then, the warm-up could still have gone on ({@link #firstCycleWarmUpMayGoOn}: no cycle owed past its grace; tests). */
    volatile boolean firstCycleWithinGraceAtCycles;

    /** Set once this JVM's pause path rehearsal is done, off, or given up (tests). */
    volatile boolean pausePathRehearsed;

    /** Warm-up rounds of the stop path per round of the contended-lock warm-up's {@link ThreadWorld#CONTENDED_WARMUP_ROUNDS}. */
    static final int WARMUP_CHUNK = 1024;

    /**
     * Warm-up rounds between two looks at whether it may go on (a cycle owed, the collector
     * closed): in the interpreter, on a loaded machine, a step still takes milliseconds at most,
     * so a gc() caller waits for about that.
     */
    static final int WARMUP_STEP = 128;

    /**
     * Rounds of the pause path's lock handling in the warm-up (before the first cycle, or between
     * the first cycles when it gave way to one): past C2's invocation threshold (5000), also when a compile queue of up to ~15 scales it up, as at start-up
     * (PauseTimer.step's C2 request came at its 12,487th call in one loaded run). A longer queue
     * still defers C2 into the run (at load 17 it had not come 15 s after a child JVM's start). Once per collector: ~75 ms of wall time
     * measured in a child JVM at load ~10, mostly in the interpreter before the first compiles.
     */
    static final int PAUSE_PATH_WARMUP_ROUNDS = 30_000;

    /**
     * A closed collector's cycle goes no further than the next point where it would wait for the
     * mutators (a ragged round or a stop): close() released a breakpoint or came mid-cycle, and a
     * registered thread that runs on without polling (the closer's caller, say) would hold that
     * wait, and so close's join, until close gave up with the heap still mapped under the
     * coordinator (CI, session 12: AssistWaitTest's close at BEFORE_MARK_TERMINATION).
     */
    private void leaveIfClosed() {
        if (c.closed || world.exiting()) {
            throw new MarkWorkers.ClosedMidCycle();
        }
    }

    /** Stop and start pairs {@link World#warmUpStopPath} has run so far (tests, diagnostics). */
    volatile int stopPathWarmUpPairs;
    /** Warm-up calls that made no pair though nothing asked them to give way (given-up stops, a failure). */
    private int stopPathWarmUpFruitlessCalls;
    /** Warm-up calls that gave way to a requested cycle (or a close) before their first pair (tests, diagnostics). */
    volatile int stopPathWarmUpCallsGivenWay;
    /** World's given-up warm-up stops when this collector's warm-up began (its own are counted from there). */
    private long stopPathWarmUpGivenUpBase = -1;

    /** Pairs asked of the world per idle gap between cycles. */
    static final int STOP_WARMUP_CHUNK = 200;
    /**
     * Calls that made no pair though nothing asked them to give way, after which the warm-up (or the
     * rehearsal) is left unfinished: a program whose goroutine never reaches a safepoint, say.
     */
    static final int STOP_WARMUP_MAX_CALLS = 30;
    /**
     * Stops of this collector's warm-up given up (each held the program about 2 ms, see
     * StopPathWarmup) after which the warm-up is left unfinished: the most the old bound allowed
     * (30 calls, each ended by its 5th given-up stop), kept now that calls making pairs are not counted (session 31).
     */
    static final int STOP_WARMUP_MAX_GIVEN_UP = 150;
    /**
     * Calls that gave way before their first pair after which the warm-up (or the rehearsal) is
     * left: a program whose cycles run back to back for good. Such a call costs two volatile reads;
     * until session 31 each counted against {@link #STOP_WARMUP_MAX_CALLS}, and 30 back-to-back
     * cycles ended the warm-up before its first pair (review30's finding 1).
     */
    static final int STOP_WARMUP_MAX_CALLS_GIVEN_WAY = 100_000;

    /**
     * After a cycle, world running, until the world's stop path is warm ({@link World#warmUpStopPath}:
     * the scheduler's code that runs only inside stops, which would otherwise reach the JIT's
     * thresholds inside a pause): up to {@link #STOP_WARMUP_CHUNK} stop and start pairs, ended at
     * once when the next cycle is requested or the collector closes ({@link #stopPathWarmUpMayGoOn}:
     * cycles are not held back). After a cycle rather than before the first: the program's
     * goroutines then run, so their Ms' side of a stop is warmed too, and a program that starts
     * by allocating is not kept waiting past its first goal. A call that gives way before its first
     * pair uses nothing up but {@link #STOP_WARMUP_MAX_CALLS_GIVEN_WAY}; what the program pays is
     * bounded by the pairs ({@code world.stopPathWarmUpRounds()}), the given-up stops
     * ({@link #STOP_WARMUP_MAX_GIVEN_UP}) and the calls that made nothing for another reason
     * ({@link #STOP_WARMUP_MAX_CALLS}). Per collector, not per JVM: its real stops warm this
     * program's Ms' side as its goroutines run, and profile its branches before the rehearsal.
     */
    private void warmUpStopPathChunk() {
        int target = world.stopPathWarmUpRounds();
        if (stopPathWarmUpPairs >= target) {
            rehearseStopPathForJit();
            return;
        }
        if (stopPathWarmUpGivenUpBase < 0) {
            stopPathWarmUpGivenUpBase = world.stopPathWarmUpStopsGivenUp();
        }
        if (stopPathWarmUpFruitlessCalls >= STOP_WARMUP_MAX_CALLS || stopPathWarmUpCallsGivenWay >= STOP_WARMUP_MAX_CALLS_GIVEN_WAY
                || world.stopPathWarmUpStopsGivenUp() - stopPathWarmUpGivenUpBase >= STOP_WARMUP_MAX_GIVEN_UP || c.closed) {
            return;
        }
        if (!stopPathWarmUpMayGoOn()) {
            stopPathWarmUpCallsGivenWay++;      // the next cycle is already requested: nothing tried
            return;
        }
        try {
            long t0 = System.nanoTime();
            int n = world.warmUpStopPath(Math.min(STOP_WARMUP_CHUNK, target - stopPathWarmUpPairs),
                    this::stopPathWarmUpMayGoOn);
            stopPathWarmUpPairs += n;
            if (n == 0) {
                if (stopPathWarmUpMayGoOn()) {
                    stopPathWarmUpFruitlessCalls++;
                } else {
                    stopPathWarmUpCallsGivenWay++;
                }
            }
            if (PauseReporter.PAUSE_TRACE) {
                c.traceOut.println(Millis.append(new StringBuilder("stop path warm-up after gc ").append(control.cyclesDone).append(": ")
                        .append(n).append(" pairs in "), System.nanoTime() - t0).append(" ms (").append(stopPathWarmUpPairs)
                        .append(" of ").append(target).append(" in all)"));
            }
        } catch (RuntimeException e) {
            // The world runs again (a stop that throws restarts it): the warm-up is optional, the cycles are not.
            stopPathWarmUpFruitlessCalls = STOP_WARMUP_MAX_CALLS;
            System.err.println("gort: warning: the stop path's warm-up failed and was left: " + e);
        }
    }

    /** Pairs {@link World#rehearseStopPathForJit} has run for this collector so far (tests, diagnostics). */
    volatile int stopPathJitRehearsalPairs;
    /** Rehearsal calls that made no pair though nothing asked them to give way. */
    private int stopPathJitRehearsalFruitlessCalls;
    /** Rehearsal calls that gave way to a requested cycle (or a close) before their first pair (tests, diagnostics). */
    volatile int stopPathJitRehearsalCallsGivenWay;

    /**
     * After the stop path's real warm-up pairs, between cycles: the world's JIT rehearsal of the
     * stopper's side ({@link World#rehearseStopPathForJit}: stops of a world that runs nothing, so
     * that the JIT's C2 requests for that code, which resolve its class's Strings on the requesting
     * thread, come outside every pause), given way to a requested cycle as the warm-up is, and
     * taken up again after the next cycle until this JVM's pairs are made (by this collector or
     * another: {@link World#stopPathJitRehearsalPairsLeft}). Bounded as the warm-up's calls are,
     * less the given-up stops (nothing of the program stops here).
     */
    private void rehearseStopPathForJit() {
        if (world.stopPathJitRehearsalPairsLeft() == 0 || stopPathJitRehearsalFruitlessCalls >= STOP_WARMUP_MAX_CALLS
                || stopPathJitRehearsalCallsGivenWay >= STOP_WARMUP_MAX_CALLS_GIVEN_WAY || c.closed) {
            return;
        }
        if (!stopPathWarmUpMayGoOn()) {
            stopPathJitRehearsalCallsGivenWay++;    // the next cycle is already requested: nothing built, nothing tried
            return;
        }
        try {
            long t0 = System.nanoTime();
            int n = world.rehearseStopPathForJit(this::stopPathWarmUpMayGoOn);
            stopPathJitRehearsalPairs += n;
            if (n == 0) {
                // Gave way, or another runtime of the JVM made the last pairs meanwhile: neither is this call's failure.
                if (stopPathWarmUpMayGoOn() && world.stopPathJitRehearsalPairsLeft() > 0) {
                    stopPathJitRehearsalFruitlessCalls++;
                } else {
                    stopPathJitRehearsalCallsGivenWay++;
                }
            }
            if (PauseReporter.PAUSE_TRACE) {
                c.traceOut.println(Millis.append(new StringBuilder("stop path JIT rehearsal after gc ").append(control.cyclesDone).append(": ")
                        .append(n).append(" pairs in "), System.nanoTime() - t0).append(" ms (").append(stopPathJitRehearsalPairs)
                        .append(" by this collector, ").append(world.stopPathJitRehearsalPairsLeft()).append(" left in this JVM)"));
            }
        } catch (RuntimeException e) {
            // Nothing of the world was stopped: the rehearsal is optional, the cycles are not.
            stopPathJitRehearsalFruitlessCalls = STOP_WARMUP_MAX_CALLS;
            System.err.println("gort: warning: the stop path's JIT rehearsal failed and was left: " + e);
        }
    }

    /**
     * Whether the stop path's warm-up may run its next pair: no cycle requested (by the heap
     * trigger or sysmon, which also set startPending, or by gc() or a test's runTo, which set
     * only cycleRequested: a gc() call used to wait for the rest of a 200-pair chunk) and the
     * collector and its world open. Read without the lock (both flags volatile): a request that
     * lands meanwhile waits for one pair at most.
     */
    boolean stopPathWarmUpMayGoOn() {
        return !control.cycleRequested && !c.startPending && !c.closed && !world.exiting();
    }

    /** Set once {@link #warmUpPausePath} is done (tests). */
    volatile boolean pausePathWarm;

    /**
     * Leaves a cycle that cannot finish (the collector was closed mid-cycle, or a fatal error such as
     * a bad pointer or a checkmark failure): barrier and allocate-black off, phase OFF, and the world
     * restarted if this thread stopped it, so mutators are never left parked behind a dead cycle.
     */
    private void abandonCycle(Throwable cause) {
        // Flags first (plain writes that cannot fail), then each step that could throw on its own:
        // one failing must not keep the world stopped or the waiters parked. Failures are added to
        // cause (suppressed), which the caller reports.
        WriteBarrier.enabled = false;
        gcs.setAllocBlack(false);
        c.setPhase(Collector.OFF);
        workers.markActive = false;
        if (stackRoots != null) {
            abandonStep(cause, stackRoots::abandon);
        }
        abandonStep(cause, storeGate::release);
        if (worldStopped) {
            abandonStep(cause, this::startWorld);
        }
        abandonStep(cause, stopperBoost::lower);     // raised before a stop request that then failed
        if (world instanceof ThreadWorld tw) {
            abandonStep(cause, tw::wakePWaiters);    // workers waiting for a P leave the abandoned mark
        }
        abandonStep(cause, () -> assists.wakeAll(!world.exiting()));
        pauseReason = null;
    }

    private static void abandonStep(Throwable cause, Runnable step) {
        try {
            step.run();
        } catch (Throwable t) {
            if (t != cause) {
                cause.addSuppressed(t);
            }
        }
    }

    /**
     * One cycle, phase by phase in Go's order (gcStart, the mark phase, gcMarkDone,
     * gcMarkTermination); the figures one phase leaves for a later one travel in {@code st}. Two
     * pauses (one in the gcstoptheworld modes): sweep termination stops the world and
     * {@link #markConcurrently} restarts it; the mark phase stops it again for mark termination,
     * which restarts it.
     */
    private void runCycle(GcTrigger trigger) {
        GcOptions opt = c.options;
        CycleState st = new CycleState(trigger, opt, world.gomaxprocs(), opt.gcstoptheworld(), stats.numGC() + 1,
                pauses.timer);
        // Finish the previous cycle's sweep before stopping the world (Go: gcStart's sweepone loop).
        sweeping.sweepAll();
        sweeping.paced = false;
        if (topUpsDone > 0 && topUpsDone <= TOP_UP_CYCLES && sweepWaitTopUps < topUpsDone) {
            // The in-flight wait finishsweep runs inside the pause, topped up here where the sweep
            // is known finished (so each call returns at once; the top-up after the cycle comes
            // while the sweeper is busy): its C2 request came inside gc 79-103's pauses (session 20).
            topUpSweepWait(sweepWaitTopUps++ == 0 ? SWEEP_WAIT_FIRST_TOP_UP_ROUNDS : TOP_UP_ROUNDS);
        }
        sweepTermination(st);
        st.tMark = System.nanoTime();
        st.cpuStart = CpuClock.threadCpuNanos();
        if (st.stwMode > 0) {
            markStopped(st);
            markTermination(st);
        } else {
            markConcurrently(st);           // ends with mark termination's pause, as Go's gcMarkDone calls gcMarkTermination
        }
        afterMarkTermination(st);
        account(st);
    }

    /**
     * Rounds of the first sweep-wait top-up: past the loop's on-stack-replacement thresholds (C1's
     * at 60,000 back edges, then C2's at 40,000 more, both scaled up while the start-up's compile
     * queues are long), so that the loop is compiled in the first cycle and not at a later cycle's
     * top-up, right before that cycle's stop request. With 120,000 the C2 request still came at gc
     * 23's top-up (a 2.17 ms sweep termination beside the compiler thread). A few milliseconds of
     * the coordinator's CPU, once: the calls return at once and run compiled after the first 60,000.
     */
    static final int SWEEP_WAIT_FIRST_TOP_UP_ROUNDS = 500_000;

    /**
     * {@code rounds} calls of the sweep's in-flight wait (the sweep finished: each returns at once).
     * A method of its own, not a loop in {@link #runCycle}: there the top-ups' back edges (2,048 a
     * cycle) took runCycle past the on-stack-replacement threshold at gc 31 and its own compile
     * at gc 32 of the 1 GiB goroutine world, the compile requested right before sweep
     * termination's stop request, and the compiler thread ran beside that stop (0.85-0.9 ms
     * sweep terminations; session 22, pd1g).
     */
    private void topUpSweepWait(int rounds) {
        for (int i = 0; i < rounds; i++) {
            gcs.awaitSweepsInFlight();
        }
    }

    /**
     * STW #1 (Go's gcStart with the world stopped): finishes the sweep, runs the sweep-termination
     * hooks, starts the pacer's cycle, turns the barrier and allocate-black on, enters MARK, and
     * either begins a stack-scan generation (goroutines are scanned during the mark phase) or walks
     * every mutator's stack here. Returns with the world stopped, or, when the steps were handed
     * to an M ({@link #sweepTermHandOffForNewCollectors}), running again.
     */
    private void sweepTermination(CycleState st) {
        storeGate.awaitFree();
        leaveIfClosed();
        if (sweepTermSchedSteps != null && st.stwMode == 0 && !stopperBoost.active()) {
            // Under the scheduler the M that stops the last P runs the stopped steps and the
            // restart (see sweepTermHandOffForNewCollectors); the world runs again on return.
            sweepTermCycle = st;
            String reason = "GC sweep termination";
            beforeStopRequest(reason);
            try {
                ((SchedWorld) world).stopTheWorldAndRun(reason, sweepTermSchedSteps);
            } finally {
                worldStopped = false;       // the world runs again whatever happened (its contract)
            }
            return;
        }
        stopWorld("GC sweep termination");
        sweepTerminationStopped(st);
    }

    /**
     * {@code -Dgort.gc.sweepterm.handoff=true|false} (default true): under the scheduler (its
     * concurrent mode, coordinator not boosted), sweep termination's stopped steps and the restart
     * run on the M that stops the last P, at its safepoint ({@link SchedWorld#stopTheWorldAndRun}),
     * as mark termination's do ({@link #handOffForNewCollectors}): the coordinator, asleep on its
     * note after the request, is woken after the restart instead of before the steps. Read by each
     * new collector; a value other than true or false is refused with a warning and the default kept.
     */
    static volatile boolean sweepTermHandOffForNewCollectors = sweepTermHandOffProperty();

    /** The property read now (tests call it again). */
    static boolean sweepTermHandOffProperty() {
        return dev.gort.sys.TuningProperty.flag("gort.gc.sweepterm.handoff", true);
    }

    /** Sweep termination's stopped steps and restart, for the scheduler's hand-off (null: not handed off). */
    private final Runnable sweepTermSchedSteps;
    /** The cycle whose sweep termination is being stopped for (read by the steps, whoever runs them). */
    private CycleState sweepTermCycle;

    /** Sweep termination's steps handed off: the stopped part, then the restart (the rest of startWorld stays the coordinator's). */
    private void sweepTerminationHandedOff() {
        sweepTerminationStopped(sweepTermCycle);
        restartWorld();
    }

    /**
     * Before {@link PauseTimer#stopped}, world stopped, on whichever thread runs the steps: the
     * pause starts at the world's stop request ({@link World#lastStopRequestNanos}), not at
     * {@link PauseTimer#begin}: between the two the stopper stopped nothing (it waited for the
     * world's lock, read the running Ms' CPU clocks under the scheduler, or waited for a mutator
     * to make the request over threads), and that time was the "stop" step's (session 28,
     * review28's finding 3; session 29, cpuread29). Then, on the M that claimed the scheduler's
     * hand-off, its CPU clock as the scheduler read it before the request becomes the pause's CPU
     * base, so that it reads none inside the pause (a preemption point on the only thread the
     * steps run on; session 27, gate27, and session 28, pausecpu28). Nothing elsewhere (the value is 0).
     */
    private void noteStopRequest(CycleState st) {
        st.pt.requestedAt(world.lastStopRequestNanos());
        if (world instanceof SchedWorld sw) {
            st.pt.requesterCpu(Thread.currentThread(), sw.cpuReadBeforeStopRequest());
        }
    }

    /** Sweep termination's stopped part (world stopped, any thread); returns with the world stopped. */
    private void sweepTerminationStopped(CycleState st) {
        sweepTerminationRanOn = Thread.currentThread();
        worldStopped = true;
        noteStopRequest(st);
        st.pt.stopped();
        // The store gate from the stop until the flag is on: a store of an unstoppable thread reads
        // it and stores wholly before the flip, so before any stack scan, or wholly after, shading
        // (WriteBarrier.enterStoreGate). Taken once the world is stopped, never held across the
        // stop request: a thread waiting for it may hold a lock a mutator blocks on short of its
        // safepoint, and the stop would wait for that mutator forever (StoreGateLockOrderTest).
        // awaitStoreGateFree let the sections in progress leave first, outside the pause.
        storeGate.acquire();
        st.pt.step("gate");
        st.tSweepTerm = System.nanoTime();
        // finishsweep_m. Named apart when it found a sweep left or in flight: the coordinator's sweep
        // before the stop normally leaves none, so a slow finishsweep is either a wait for another
        // thread's span or this thread off its CPU (session 22 measured which).
        st.pt.step(sweeping.sweepAll() ? "finishsweep(left)" : "finishsweep");
        runSweepTerminationHooks();                     // clearpools
        st.pt.step("hooks");
        st.heap0 = gcs.heapLive();
        pacer.setHeapLive(st.heap0);
        // Go's heapScan, fixed for the cycle: the last cycle's heap scan work plus the scannable
        // bytes allocated since, the most heap this cycle can have to scan (revise's maxScanWork).
        pacer.setHeapScan(gcs.heapScan());
        pacer.setGlobalsScan(globals.scanBytes());
        pacer.startCycle(st.tSweepTerm, st.procs, st.stwMode > 0);
        for (GcWork w : workers.workerWork) {
            w.bytesMarked = 0;
            w.heapScanWork = 0;
        }
        WriteBarrier.enabled = true;
        if (st.stwMode == 0) {
            storeGate.release();         // the gcstoptheworld modes keep it to the end of their one pause
        }
        gcs.setAllocBlack(true);
        c.setPhase(Collector.MARK);
        control.clearStartPending();
        st.pt.step("setup");
        // Under the scheduler (background mode) no stack is read here: a new scan generation starts,
        // and goroutines are scanned during the mark phase (StackRoots). Otherwise every mutator's
        // roots are walked inside this pause.
        st.concurrentStacks = stackRoots != null && st.stwMode == 0;
        st.stackBytes = 0;
        stacksInSweepTermination = 0;
        cycleAudit = stackScanAudit;
        if (cycleAudit != null) {
            cycleAudit.beginCycle(world, st.cycle);
        }
        if (st.concurrentStacks) {
            stackRoots.begin(cycleAudit);
        } else {
            st.stackBytes = world.scanStacks(stackSink);
            pacer.stackScanWork.addAndGet(st.stackBytes);
            stacksInSweepTermination = world instanceof SchedWorld sw ? sw.lastStacksWalked() : -1;
        }
        st.pt.step("stacks");
    }

    /** The gcstoptheworld modes: the whole mark inside sweep termination's pause (world stopped throughout). */
    private void markStopped(CycleState st) {
        scanGlobals(coordinatorWork);
        marker.drain(coordinatorWork, Long.MAX_VALUE);
        completion.flushMutators();
        completion.drainAll(coordinatorWork);
        st.pt.step("mark");
        st.tMarkTerm = System.nanoTime();
    }

    /**
     * The concurrent mark phase: restarts the world (ending the sweep-termination pause), scans the
     * globals, starts the workers, takes its share of the stack jobs, then loops until the mark is
     * drained and a ragged flush and a stopped flush find no late work (Go's gcMarkDone); a stop
     * that finds late work restarts the world (a mark-completion pause) and marks on. Returns with
     * the world stopped for mark termination and the workers told to leave the mark phase.
     */
    private void markConcurrently(CycleState st) {
        if (worldStopped) {
            restartWorld();                 // not when sweep termination's steps were handed off: they restarted it
        }
        afterRestart();
        StwPause p1 = st.pt.end(st.cycle, StwPause.Kind.SWEEP_TERMINATION, world.lastRestartNanos());
        st.pauseNs = p1.totalNanos();
        st.pauseStoppedNs = stoppedNanos(p1);
        st.clockStart = st.pt.startNanos();      // Go's tSweepTerm: the stop request
        st.clockMark = st.pt.endNanos();         // Go's tMark: the restart
        pauses.report(p1);
        stepping.breakpoint(Collector.Breakpoint.AFTER_MARK_START);
        leaveIfClosed();
        // ---- concurrent mark
        scanGlobals(coordinatorWork);
        coordinatorWork.dispose();          // publish root work for the workers
        dbg("globals scanned");
        workers.startMark(st.procs);
        dbg("workers started");
        coordinatorStackCpu = 0;
        if (st.concurrentStacks) {
            // The workers claim stack jobs too; the coordinator takes its share meanwhile (its
            // CPU counts as background mark CPU in the cycle's figures).
            long c0 = CpuClock.threadCpuNanos();
            stackRoots.scanJobs(coordinatorWork, null, () -> c.closed || world.exiting(), false);
            coordinatorWork.dispose();
            coordinatorStackCpu += CpuClock.threadCpuNanos() - c0;
            dbg("stack jobs claimed");
        }
        restarts = 0;
        completion.raggedRounds = 0;
        mdLoops = 0;
        mdLagTurns = 0;
        mdLagSum = 0;
        mdLagMax = 0;
        mdFirstNoted = 0;
        mdPolls0 = workers.learnedByPoll;
        mdAtOnce0 = workers.learnedAtOnce;
        mdWakes0 = workers.learnedByWake;
        for (;;) {
            workers.awaitMarkDrained(true);
            if (MarkWorkers.MARKDONE_TRACE) {
                mdSeen = workers.drainedSeenNanos;
                long noted = workers.drainedNotedNanos;
                if (workers.drainedWaited && noted != 0 && noted <= mdSeen) {
                    long lag = mdSeen - noted;
                    mdLagTurns++;
                    mdLagSum += lag;
                    mdLagMax = Math.max(mdLagMax, lag);
                    if (mdFirstNoted == 0) {
                        mdFirstNoted = noted;
                    }
                }
                mdLoops++;
            }
            dbg("drained");
            stepping.breakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
            leaveIfClosed();
            workers.awaitMarkDrained(false);
            if (completion.raggedFlush()) {
                continue;       // mutators had published or held work: mark it, then ask again
            }
            if (st.concurrentStacks) {
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
            storeGate.awaitFree();
            leaveIfClosed();
            if (MarkWorkers.MARKDONE_TRACE) {
                mdRequest = System.nanoTime();
            }
            if (stopForMarkDone(st)) {
                break;                  // mark termination ran: the world runs again
            }
            // Late work (barrier shades still buffered): the steps restarted the world; mark on.
            restarts++;
            afterRestart();
            StwPause pc = st.pt.end(st.cycle, StwPause.Kind.MARK_COMPLETION, world.lastRestartNanos());
            st.pauseNs += pc.totalNanos();       // Go's gcMarkDone restart: work.pauseNS += now - startedStopping, now after the restart
            st.pauseStoppedNs += stoppedNanos(pc);
            pauses.report(pc);
        }
        afterRestart();
        markTerminationReport(st);
    }

    /**
     * {@code -Dgort.gc.markdone.handoff=true|false} (default true): over ThreadWorld, the mutator
     * that completes mark termination's stop runs the stopped steps itself ({@link StopHandOff})
     * instead of waking the coordinator to run them; under the scheduler, the M that stops the
     * last P does, at its safepoint, keeping that P ({@link SchedWorld#stopTheWorldAndRun}). Read
     * by each new collector. Nor is it taken
     * while the coordinator holds its real-time boost ({@code -Dgort.gc.stopper.rtprio},
     * {@link StopperBoost#active}): that opt-in runs the pause at SCHED_FIFO, and a mutator that
     * claimed the steps would run them at its own priority (one that stopped within
     * MutatorStopBoost's grace is never boosted), preemptible by any normal thread; a SCHED_FIFO
     * coordinator is not woken late, which is what the hand-off saves. A value other than true or
     * false is refused with a warning and the default kept (TuningProperty).
     */
    static volatile boolean handOffForNewCollectors = markDoneHandOffProperty();

    /**
     * {@code -Dgort.gc.markdone.request.us} (default 5000, 0 = off; 0..100000): over ThreadWorld
     * with the hand-off, mark termination's stop is requested by the first running mutator to
     * reach a safepoint after the coordinator asked (ThreadWorld's stop wanted), the coordinator
     * requesting it itself only if none has within this bound (or none runs). A stop requested by
     * the coordinator found the one mutator descheduled by the kernel in 1-3 of ~100 mark
     * terminations of a depth-21 run, and lasted until it ran again (1-4.4 ms); one requested by
     * the mutator starts on the CPU it holds. The mutators run on meanwhile (allocating black):
     * no mutator is stopped before the request, and none waits for the coordinator's. Read by each
     * new collector.
     */
    static volatile long markDoneRequestDeferForNewCollectors = markDoneRequestDeferProperty();

    /** The property read now (the class reads it once; tests call it again). */
    static long markDoneRequestDeferProperty() {
        return dev.gort.sys.TuningProperty.microsAsNanos("gort.gc.markdone.request.us", 5000, 0, 100_000);
    }

    /** This collector's bound on waiting for a mutator's request of mark termination's stop (0: the coordinator requests). */
    private final long markDoneRequestDeferNanos = markDoneRequestDeferForNewCollectors;

    /** The property read now (the class reads it once, into {@link #handOffForNewCollectors}; tests call it again). */
    static boolean markDoneHandOffProperty() {
        return dev.gort.sys.TuningProperty.flag("gort.gc.markdone.handoff", true);
    }

    /** Mark termination's stopped steps as a hand-off (ThreadWorld with {@link #handOffForNewCollectors}), else null. */
    private final StopHandOff markDoneHandOff;
    /** The same steps for the scheduler's hand-off (SchedWorld with {@link #handOffForNewCollectors}), else null; one object, no lambda per stop. */
    private final Runnable markDoneSchedSteps;
    /** The cycle whose mark termination is being stopped for (read by the steps, whoever runs them). */
    private CycleState markDoneCycle;
    /** The steps found late work and restarted the world (written by whoever ran them, read after). */
    private boolean markDoneLate;

    /**
     * Stops the world for mark termination (Go's gcMarkDone, then gcMarkTermination) and runs
     * {@link #markDoneStopped}: on the last mutator to stop (the hand-off) or here after the stop.
     * Returns with the world running again: true if marking was complete and mark termination
     * ran (its pause not yet reported), false if the stop found late work.
     */
    private boolean stopForMarkDone(CycleState st) {
        markDoneCycle = st;
        if ((markDoneHandOff == null && markDoneSchedSteps == null) || stopperBoost.active()) {     // boosted: see handOffForNewCollectors
            stopWorld("GC mark termination");
            markDoneStopped();
            return !markDoneLate;
        }
        String reason = "GC mark termination";
        beforeStopRequest(reason);
        try {
            if (markDoneHandOff != null) {
                ((ThreadWorld) world).stopTheWorldAndRun(reason, markDoneHandOff, markDoneRequestDeferNanos);
            } else {
                ((SchedWorld) world).stopTheWorldAndRun(reason, markDoneSchedSteps);
            }
        } finally {
            worldStopped = false;       // the world runs again whatever happened (its contract)
        }
        return !markDoneLate;
    }

    /** Mark termination's stopped steps (world stopped, any thread): flush; then either restart for late work or terminate. */
    private void markDoneStopped() {
        CycleState st = markDoneCycle;
        worldStopped = true;
        if (markDoneHandOff != null && markDoneHandOff.requestedAt != 0) {
            st.pt.requestedAt(markDoneHandOff.requestedAt);     // a mutator made the request: the pause starts there
            st.pt.requesterCpu(markDoneHandOff.requester, markDoneHandOff.requesterCpu);
        }
        noteStopRequest(st);
        st.pt.stopped();
        storeGate.acquire();
        st.pt.step("gate");
        dbg("world stopped");
        boolean late = completion.flushMutators();
        st.pt.step("flush");
        markDoneLate = late || !workers.markDrained();
        if (markDoneLate) {
            restartWorld();
            storeGate.release();
            return;
        }
        // Every worker is idle (busyWorkers == 0 and nothing published): tell them to leave the
        // mark phase, but wait for them only after the world restarted (they hold no work).
        workers.signalStop();
        if (st.opt.gccheckmark()) {
            workers.awaitStopped();      // checkmark's traversal publishes buffers an idle worker must not take
        }
        st.pt.step("stopworkers");
        dbg("workers stopped");
        st.tMarkTerm = System.nanoTime();
        markTerminationStopped(st);
    }

    /**
     * STW #2 (Go's gcMarkTermination), world stopped: the stacks left, the mark counters summed,
     * checkmark, the barrier and allocate-black off, phase OFF, the sweep cycle started, the
     * provisional trigger; then restarts the world and reports the pause.
     */
    private void markTermination(CycleState st) {
        markTerminationStopped(st);
        afterRestart();
        markTerminationReport(st);
    }

    /**
     * The stopped part of {@link #markTermination}, ending with the world restarted and the assists
     * woken: the coordinator's, or the mutator's that the mark-termination stop handed it to.
     */
    private void markTerminationStopped(CycleState st) {
        markTerminationRanOn = Thread.currentThread();
        if (st.concurrentStacks) {
            // Goroutines that ran (or sat in a syscall) through the whole mark phase: usually none
            // but the one waiting in gc(). Their greys are marked here, in the pause.
            if (stackRoots.finishStopped(coordinatorWork) > 0 && !(coordinatorWork.empty() && pool.fullIsEmpty())) {
                completion.drainAll(coordinatorWork);      // only if those frames held a white object (10 us for nothing)
            }
            st.stackBytes = stackRoots.bytes.get();
            st.pt.step("stacks");
        }
        if (cycleAudit != null) {
            cycleAudit.endCycle(world);      // every stack scan of the cycle is done (StackScans.end above, or the stopped modes' one walk)
            cycleAudit = null;
        }
        c.setPhase(Collector.MARK_TERMINATION);
        st.bytesMarked = 0;
        st.scanWork = 0;
        for (int i = 0, n = world.mutatorSlots(); i < n; i++) {      // no iterator in the pause
            Mutator m = world.mutatorAt(i);
            if (m == null) {
                continue;
            }
            st.bytesMarked += m.gcw.bytesMarked + m.blackBytes;
            st.scanWork += m.gcw.heapScanWork;
            m.gcw.bytesMarked = 0;
            m.blackBytes = 0;
            m.gcw.heapScanWork = 0;
            m.assistBytes = 0;
            // m.recentBlack is cleared after the restart (clearBarrierFilters): only marking reads
            // or writes it, and the next mark phase starts in the next pause.
        }
        for (GcWork w : workers.workerWork) {
            st.bytesMarked += w.bytesMarked;
            st.scanWork += w.heapScanWork;
            w.bytesMarked = 0;
            w.heapScanWork = 0;
        }
        if (world instanceof ThreadWorld tw) {      // threads that unregistered while marking
            st.bytesMarked += tw.takeDepartedBytesMarked();
            st.scanWork += tw.takeDepartedScanWork();
        }
        st.bytesMarked += coordinatorWork.bytesMarked + c.orphanWork.bytesMarked;        // no array: nothing allocated in the pause
        st.scanWork += coordinatorWork.heapScanWork + c.orphanWork.heapScanWork;
        coordinatorWork.bytesMarked = 0;
        coordinatorWork.heapScanWork = 0;
        c.orphanWork.bytesMarked = 0;
        c.orphanWork.heapScanWork = 0;
        if (st.opt.gccheckmark()) {
            completion.checkmark();
            st.pt.step("checkmark");
        }
        WriteBarrier.enabled = false;
        storeGate.release();
        gcs.setAllocBlack(false);
        c.setPhase(Collector.OFF);
        control.cycleTail = true;
        st.heap1 = gcs.heapLive();
        st.tMarkTermWork = System.nanoTime();
        st.pt.step("stats");
        // sweepgen += 2 and every mcache's spans set aside whole for the sweeper (one table swap
        // per mcache): no uncache per cached span and no walk of every size class in the pause.
        // The sweeper (signalled at the restart) sweeps them back into their mcentrals; the next
        // cycle's finishsweep, before it stops the world, makes sure none is left.
        // Three steps in the pause trace (a clock read each): the previous sweep's end (finishsweep
        // before sweep termination leaves nothing, so "sweepwait(left)" means a sweep was waited
        // for), the bump under the mheap lock, and the caches' detach under the caches lock.
        st.pt.step(gcs.finishPreviousSweepForBump() ? "sweepwait(left)" : "sweepwait");
        gcs.bumpSweepgen();
        st.pt.step("sweepgen");
        gcs.detachCachesForSweep();
        st.pt.step("detach");
        gcs.resetHeapLive(st.bytesMarked);
        gcs.resetHeapScan(st.scanWork);          // Go's resetLive: the scannable heap is what this cycle scanned
        // The pacer's end of cycle (consMark, the next goal and trigger) and the sweep pacing are
        // computed right after the restart (commitPacer), not here: 25-35 us of the pause's CPU,
        // measured, for arithmetic no stopped mutator needs. Until then the trigger is armed at the
        // new goal (a provisional trigger: a few multiplications, no cons/mark), not at the
        // finished cycle's trigger (heapLive was just reset to the marked bytes; a grown live heap
        // would request a cycle at once) and not disarmed: a coordinator starved before
        // commitPacer let mutators allocate unchecked past the goal. An allocation past it
        // requests the next cycle (requestCycle counts in the tail) and waits for its start
        // (allocChecks, against this goal until the commit).
        long provisional = pacer.provisionalGoal(st.bytesMarked, st.stackBytes);
        provisionalGoal = provisional;
        gcs.setTrigger(provisional, c.trigger);
        st.pt.step("pacer");
        if (st.stwMode == 2) {
            sweeping.sweepAll();
            st.pt.step("sweep");
        }
        // Go's tEnd: gcMarkTermination takes its "now" before startTheWorldWithSema(now, ...) and
        // ends PauseNs, tEnd and LastGC there, so the restart is in none of them (sweep
        // termination's and mark completion's end after their restart: startTheWorldWithSema's
        // own now). The last step's end: the pause trace's "start" step is exactly the restart.
        st.tEnd = st.pt.lastStepNanos();
        // LastGC's wall clock, read here, as Go reads unixNow right after its now. Until session
        // 34 it was read after the tail and moved back by the monotonic time since, and a thread
        // descheduled between those two reads moved LastGC back by its wait (7.6 ms before mark
        // termination's "stats" step once, under checkmark at load 16: LastGcTest). No allocation.
        st.tEndEpochNanos = dev.gort.sys.CpuClock.realtimeNanos();
        restartWorld();
        // Go's gcWakeAllAssists, after the restart rather than inside the pause (Go wakes them
        // stopped; they run when the world starts): a thread woken in the pause would only wait
        // in runBlocking's exit, competing for a CPU with the stop's own work.
        assists.wakeAll(true);
    }

    /** Mark termination's pause reported (coordinator, world running). */
    private void markTerminationReport(CycleState st) {
        StwPause p2 = st.pt.end(st.cycle, st.stwMode > 0 ? StwPause.Kind.SWEEP_TERMINATION : StwPause.Kind.MARK_TERMINATION, world.lastRestartNanos());
        // The pause as the listener and pausetrace report it runs to the restart (what a mutator
        // waits); Go's figures end at tEnd, before it: PauseNs takes the pause less its "start" step.
        long toEnd = st.tEnd - st.pt.startNanos();
        if (st.stwMode > 0) {
            st.pauseNs = toEnd;                // one pause from sweep termination to the end of mark termination
            st.pauseStoppedNs = stoppedNanos(p2) - (st.tMarkTerm - st.tMark);      // the mark inside it is the background figure
            st.clockStart = st.pt.startNanos();
            st.clockMark = st.tMark;
            st.clockMarkTerm = st.tMarkTerm;
        } else {
            st.pauseNs += toEnd;
            st.pauseStoppedNs += stoppedNanos(p2);
            st.clockMarkTerm = st.pt.startNanos();   // Go's tMarkTerm: mark termination's stop request
        }
        st.clockEnd = st.tEnd;                       // Go's tEnd: before the restart
        pauses.report(p2);
    }

    /**
     * A pause's wall time with the world stopped, as Go's accumulateGCPauseTime takes it
     * ({@code nanotime() - stw.finishedStopping} before each startTheWorldWithSema): the pause less
     * its "stop" step (the stop request until every mutator stopped) and its "start" step (the restart).
     */
    static long stoppedNanos(StwPause p) {
        return p.totalNanos() - p.stepNanos("stop") - p.stepNanos("start");
    }

    /** After mark termination's restart: the pacer committed, the barrier filters cleared, the workers joined, the sweeper woken. */
    private void afterMarkTermination(CycleState st) {
        Runnable tailStall = tailStallHookForTest;
        if (tailStall != null) {
            tailStall.run();            // tests: the coordinator starved between the restart and commitPacer
        }
        commitPacer(st.heap1, st.scanWork, st.bytesMarked, st.stackBytes, st.tMarkTermWork);
        clearBarrierFilters();
        workers.awaitStopped();              // for their CPU figures, and so the next cycle starts them afresh
        wakeSweeper();
    }

    // -Dgort.gc.markdone.trace (MarkWorkers.MARKDONE_TRACE): this cycle's drained waits and request.
    private long mdSeen;
    private long mdRequest;
    private int mdLoops;
    private int mdLagTurns;
    private long mdLagSum;
    private long mdLagMax;
    private long mdFirstNoted;
    private long mdPolls0;
    private long mdAtOnce0;
    private long mdWakes0;

    /**
     * One line per cycle (diagnostics, allocates). For the mark loop's turns whose drained wait
     * waited and was preceded by a worker's or assist's note of the drain: how many, the sum and
     * the largest lag from the note to the wait's return ("lag"); from the first such note to the
     * request of mark termination's stop ("first_noted_to_request", -1 if none: the drain was
     * found at once, or no note saw it); from the last turn's drained wait to the request (the
     * ragged flush, the stack leftovers, the store gate); the mark clock; the loop's turns and ragged
     * rounds; how this cycle's turns' waits ended (at a look, at once, by a wake).
     */
    private void printMarkDoneTrace(CycleState st) {
        c.traceOut.println("gc markdone: cycle=" + stats.numGC() + " lag_turns=" + mdLagTurns
                + " lag_sum_us=" + mdLagSum / 1000 + " lag_max_us=" + mdLagMax / 1000
                + " first_noted_to_request_us=" + (mdFirstNoted == 0 ? -1 : (mdRequest - mdFirstNoted) / 1000)
                + " seen_to_request_us=" + (mdRequest - mdSeen) / 1000
                + " mark_us=" + (st.tMarkTerm - st.tMark) / 1000 + " loops=" + mdLoops + " restarts=" + restarts
                + " ragged=" + completion.raggedRounds
                + " polls=" + (workers.learnedByPoll - mdPolls0) + " atonce=" + (workers.learnedAtOnce - mdAtOnce0)
                + " wakes=" + (workers.learnedByWake - mdWakes0));
    }

    /** The finished cycle's figures: stack-scan stats, CPU, the GcCycle record, gctrace, the JFR event. */
    private void account(CycleState st) {
        lastStackScan = st.concurrentStacks
                ? new Collector.StackScanStats(0, stackRoots.byWorkers.get(), stackRoots.byCoordinator.get(), stackRoots.onRunThisCycle(),
                        stackRoots.atTermination, st.stackBytes)
                : new Collector.StackScanStats(stacksInSweepTermination, 0, 0, 0, 0, st.stackBytes);
        long assistCpu = pacer.assistTime.get();
        long bgCpu = workers.takeCycleCpu();
        long idleCpu = workers.takeCycleIdleCpu();
        if (st.stwMode > 0) {
            bgCpu += CpuClock.threadCpuNanos() - st.cpuStart;
        } else {
            bgCpu += coordinatorStackCpu;
        }
        // Go's gctrace clock: sweep termination's pause (stop request to restart), the mark phase
        // (restart to mark termination's stop request; mark-completion pauses fall inside it), mark
        // termination's pause. In the gcstoptheworld modes the three split the one pause.
        long sweepTermWall = st.clockMark - st.clockStart;
        long markWall = st.clockMarkTerm - st.clockMark;
        long markTermWall = st.clockEnd - st.clockMarkTerm;
        // Go's work.stwprocs: a pause keeps at most the machine's CPUs busy, however many Ps there are.
        int stwProcs = Math.max(1, Math.min(st.procs, Runtime.getRuntime().availableProcessors()));
        long sweepTermCpu = sweepTermWall * stwProcs;
        long markTermCpu = markTermWall * stwProcs;
        // GCCPUFraction's (P%'s) GC CPU as Go's cpuStats counts it: assists, dedicated and fractional
        // workers, and every pause (mark completion's included) at its stopped wall x GOMAXPROCS
        // (work.maxprocs; not the gctrace figures above, which take the stop in and cap at the
        // CPUs); idle marking left out. The denominator integrates GOMAXPROCS over time.
        long pauseCpu = st.pauseStoppedNs * st.procs;
        long cycleCpu = pauseCpu + assistCpu + bgCpu;
        double frac = stats.cpuFractionWith(cycleCpu, st.clockEnd, st.procs);
        long num = stats.numGC() + 1;
        GcCycle finished = new GcCycle(num, st.clockStart - stats.startNanos(), frac, sweepTermWall, markWall, markTermWall,
                sweepTermCpu, assistCpu, bgCpu, idleCpu, markTermCpu,
                st.heap0, st.heap1, st.bytesMarked, pacer.lastHeapGoal(), st.stackBytes, globals.scanBytes(), st.procs, st.trigger,
                st.pauseNs);
        // LastGC and PauseEnd: the wall clock (Unix ns) at the last pause's end (tEnd, before the
        // restart), as Go takes it in mark termination: read in the pause (tEndEpochNanos).
        // Under ctl, as setGcPercent and setMemoryLimit set NextGC: a change racing this record
        // cannot be overwritten by the goal read before it (review32).
        control.ctl.lock();
        try {
            stats.record(finished, st.tEndEpochNanos, pacer.heapGoal(),
                    cycleCpu, pauseCpu);
        } finally {
            control.ctl.unlock();
        }
        lastPauseNs = st.pauseNs;
        if (st.opt.gctrace()) {
            GcTrace.print(c.traceOut, finished);
            if (DEBUG) {
                c.traceOut.println("gc debug: mark termination restarts=" + restarts + " raggedRounds=" + completion.raggedRounds
                        + " drainedWaits=" + workers.drainedWaits);
            }
        }
        pauses.endCycle(c.traceOut);
        if (MarkWorkers.MARKDONE_TRACE && st.stwMode == 0) {
            printMarkDoneTrace(st);
        }
        workers.drainedWaits = 0;
        GcCycleEvent ev = new GcCycleEvent();
        if (ev.shouldCommit()) {
            ev.set(finished);
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
        long committedTrigger;
        control.ctl.lock();
        try {
            if (DEBUG) {
                // Whether the assists were needed (mut36): background credit nobody stole by the
                // end means assists did work the workers would have done; a runway larger than
                // goal - trigger means the trigger sat at its lower bound. The mark times by worker
                // kind are the cycle's before endCycle reads them (consMark is the previous cycle's).
                c.traceOut.println("gc debug: pacer scanWork=" + scanWork + " expected=" + pacer.expectedScanWork()
                        + " bgCreditLeft=" + pacer.bgScanCredit.get() + " triggeredAt=" + pacer.triggeredAt() + " heap1=" + heap1
                        + " goal=" + pacer.heapGoal() + " trigger=" + pacer.trigger() + " runway=" + pacer.runway()
                        + " consMark=" + pacer.consMark() + " idleMarkNs=" + pacer.idleMarkTime.get()
                        + " fractionalMarkNs=" + pacer.fractionalMarkTime.get() + " dedicatedMarkNs=" + pacer.dedicatedMarkTime.get());
            }
            pacer.heapScanWork.set(scanWork);
            pacer.setHeapLive(heap1);
            pacer.endCycle(markTermNanos);
            pacer.resetLive(bytesMarked);
            pacer.setLastStackScan(stackBytes);
            // The memory figures (a walk of every mcache and mcentral: 0.07-1 ms measured) only
            // feed the memory-limit goal; without a limit the pacer reads just the pages in use.
            if (pacer.memoryLimit() != Pacer.INFINITE) {
                c.refreshMemoryFigures();
            }
            pacer.commit(false);
            c.armTriggerLocked();       // under a limit it follows the stacks from the figures just read
            provisionalGoal = Long.MAX_VALUE;       // the pacer's goal holds again
            // Read under ctl: once it is released a refill's followStacks may re-arm the trigger
            // (a plain field written on another thread); the sweep is paced from this commit's.
            committedTrigger = pacer.trigger();
        } finally {
            control.ctl.unlock();
        }
        sweeping.pace(heap.heapInusePages(), bytesMarked, committedTrigger);
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


    /**
     * Stops the world; the pause (and the pause timer) starts when the stop is requested, after the
     * JFR event is prepared ({@link PauseReporter#beforeStop}) and the coordinator boosted ({@link StopperBoost}).
     */
    private void stopWorld(String reason) {
        beforeStopRequest(reason);
        world.stopTheWorld(reason);         // throws with the world running (World's contract)
        worldStopped = true;
    }

    /** What every stop request of the coordinator's is preceded by, handed off or not. */
    private void beforeStopRequest(String reason) {
        pauseReason = reason;
        pauses.beforeStop(reason);
        stopperBoost.raise();               // before the request: the mutators still run, no pause yet
        pauses.timer.begin();
    }

    /** The pause in progress or the one a failure came in ({@link #stopWorld}'s reason), for the fatal error's message. */
    private String pauseReason;

    private void startWorld() {
        restartWorld();
        afterRestart();
    }

    /**
     * The restart and its lock-free wake-ups: run by whichever thread ran the stopped steps (the
     * coordinator, or the mutator a mark termination's stop was handed to).
     */
    private void restartWorld() {
        // Not stopped from here on even if the restart throws: a world's start ends the stop before
        // anything that can fail (ThreadWorld, WorldStop), and a second start would be refused.
        worldStopped = false;
        world.startTheWorld();
        pauses.timer.restarted();           // the pause's CPU ends here, not after the wake-ups below
        workers.unparkThreads();            // standing aside
        if (threadSweeper != null) {
            java.util.concurrent.locks.LockSupport.unpark(threadSweeper.thread);
        }
        pauses.commitPauseEvent();
    }

    /** The coordinator's part after a restart (its own boost lowered, the start waiters woken). */
    private void afterRestart() {
        control.wakeStartWaitersIfDue();
        stopperBoost.lower();
        pauseReason = null;
    }

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
        threadSweeper.wake();
    }

    private void scanGlobals(GcWork w) {
        long n = globals.highWater();
        for (long b = 0; b < n; b += GlobalRoots.BLOCK_SLOTS) {
            long len = Math.min(GlobalRoots.BLOCK_SLOTS, n - b);
            pacer.globalsScanWork.addAndGet(marker.scanRootSlots(globals.slotAddress(b), len, "global", w));
        }
    }
}
