package dev.gort.gc;

import dev.gort.arena.MCache;
import dev.gort.sched.Go;
import dev.gort.sched.P;
import dev.gort.sched.Scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * The scheduler's goroutines as mutators: per-P collector state hangs off {@link P#gcState()}
 * (next to the P's mcache), stop-the-world is the scheduler's, stack roots are every live G's
 * shadow-stack frames ({@link dev.gort.sched.G#forEachFrame}), and waiting for the collector is a
 * syscall, which hands the P to the stop-the-world. The collector's mark workers are goroutines
 * here ({@link GoroutineWorkers}, the scheduler's GcHook); they start on the first goroutine that
 * gets a P's collector state, since only a goroutine can start goroutines.
 */
public final class SchedWorld implements World {
    private final Scheduler sched;
    private final WorkbufPool pool;
    /** The collector's goroutine mark workers, started with the first per-P state (null: none). */
    private volatile GoroutineWorkers workers;

    public SchedWorld(Scheduler sched, WorkbufPool pool) {
        this.sched = sched;
        this.pool = pool;
    }

    public Scheduler scheduler() {
        return sched;
    }

    /** The collector's background sweeper goroutine, started with the first per-P state (null: none). */
    private volatile SweeperGoroutine sweeper;

    GoroutineWorkers workers() {
        return workers;
    }

    SweeperGoroutine sweeper() {
        return sweeper;
    }

    /** The collector installs its sweeper goroutine (started by the first goroutine that gets a P's state). */
    void attachSweeper(SweeperGoroutine s) {
        sweeper = s;
    }

    /** The collector installs its goroutine workers: the scheduler's GcHook from now on. */
    void attachWorkers(GoroutineWorkers w) {
        workers = w;
        sched.setGcHook(w);
    }

    @Override
    public int gomaxprocs() {
        return sched.gomaxprocs();
    }

    @Override
    public void stopTheWorld(String reason) {
        try {
            sched.stopTheWorld(reason, closedCheck);
        } catch (dev.gort.sched.StopGivenUpException e) {
            throw new MarkWorkers.ClosedMidCycle("stop given up: the collector was closed while it waited (" + e.getMessage() + ")");
        }
    }

    /**
     * Stops the world and runs {@code steps} (which end with {@link #startTheWorld}) on the M that
     * stops the last P, or here ({@link Scheduler#stopTheWorldAndRun}): mark termination's
     * hand-off under the scheduler, as {@link ThreadWorld#stopTheWorldAndRun} over threads. Throws
     * the steps' failure, or ClosedMidCycle for a stop given up at a close, with the world running.
     */
    void stopTheWorldAndRun(String reason, Runnable steps) {
        try {
            sched.stopTheWorldAndRun(reason, closedCheck, steps);
        } catch (dev.gort.sched.StopGivenUpException e) {
            throw new MarkWorkers.ClosedMidCycle("stop given up: the collector was closed while it waited (" + e.getMessage() + ")");
        }
    }

    /**
     * Inside steps run by {@link #stopTheWorldAndRun}, on the M that claimed them: its thread CPU
     * clock as read before the stop request (the scheduler reads each running P's M then), else 0
     * ({@link Scheduler#cpuReadBeforeStopRequest}): the pause's CPU counts from it
     * ({@link PauseTimer#requesterCpu}) and the M reads no clock inside the pause.
     */
    long cpuReadBeforeStopRequest() {
        return sched.cpuReadBeforeStopRequest();
    }

    /** Set by {@link Collector#close()}: a stop still waiting for a goroutine gives up (the cycle is abandoned anyway). */
    private volatile boolean collectorClosed;
    /** A field, not a lambda per stop: no allocation on the pause path. */
    private final java.util.function.BooleanSupplier closedCheck = () -> collectorClosed;

    /** The collector is closing: a stop waiting for a goroutine that does not reach a safepoint gives up. */
    void collectorClosed() {
        collectorClosed = true;
    }

    @Override
    public void startTheWorld() {
        sched.startTheWorld();
    }

    /** The scheduler's stop path compiled before it is timed ({@code Scheduler.warmUpStopPath}). */
    @Override
    public int warmUpStopPath(int rounds, java.util.function.BooleanSupplier keepGoing) {
        return sched.warmUpStopPath(rounds, keepGoing);
    }

    @Override
    public int stopPathWarmUpRounds() {
        return sched.stopPathWarmUpRounds();
    }

    @Override
    public long stopPathWarmUpStopsGivenUp() {
        return sched.stopPathWarmUpStopsGivenUp();
    }

    @Override
    public int rehearseStopPathForJit(java.util.function.BooleanSupplier keepGoing) {
        return sched.rehearseStopPathForJit(keepGoing);
    }

    @Override
    public int stopPathJitRehearsalPairsLeft() {
        return Scheduler.stopPathJitRehearsalPairsLeft();
    }

    @Override
    public long lastStopRequestNanos() {
        return sched.lastStopRequestNanos();
    }

    @Override
    public long lastRestartNanos() {
        return sched.lastWorldStartNanos();
    }

    /** The scheduler's timeline of the last stop: when the last P stopped, when the stopper saw it. */
    @Override
    public String describeLastStop() {
        return sched.describeLastStop();
    }

    @Override
    public Mutator current() {
        if (!Go.onGoroutine()) {
            return null;
        }
        P p = Go.currentP();
        if (p == null) {
            return null;      // in a syscall: no P, no allocation
        }
        Object st = p.gcState();
        if (st == null) {
            // Only the P's owner gets here, so no race creating it.
            Mutator m = new Mutator((MCache) p.mcache(), new GcWork(pool), null, null);
            p.setGcState(m);
            GoroutineWorkers w = workers;
            if (w != null) {
                w.spawnIfNeeded();    // on a goroutine with a P: the worker goroutines can start
            }
            SweeperGoroutine s = sweeper;
            if (s != null) {
                s.spawnIfNeeded();    // Go's gcenable starts bgsweep; here the first P user does
            }
            return m;
        }
        return (Mutator) st;
    }

    /**
     * {@code rounds} passes over the per-P reads that mark completion's flush and mark
     * termination's stats step make with the world stopped ({@link #mutatorSlots},
     * {@link #mutatorAt}) and the stacks step's count of goroutines, with the world running: they only read a P's state, so the answers are
     * dropped. A few calls a cycle, and only inside pauses, they otherwise crossed C1's threshold
     * at a fixed cycle, and the compile request woke a compiler thread inside the pause.
     */
    void warmUpPauseAccessors(int rounds) {
        for (int r = 0; r < rounds; r++) {
            for (int i = 0, n = mutatorSlots(); i < n; i++) {
                mutatorAt(i);
            }
            // The stack scans' count of Gs and their walk of them (C1 inside gc 85's stacks step
            // and gc 32's mark completion): read-only, and allgs only grow.
            for (int i = 0, n = Math.min(4, dev.gort.sched.StackScans.allgCount(sched)); i < n; i++) {
                dev.gort.sched.StackScans.g(sched, i);
            }
        }
    }

    @Override
    public Iterable<Mutator> mutators() {
        List<Mutator> ms = new ArrayList<>();
        for (int i = 0; i < sched.gomaxprocs(); i++) {
            Object st = sched.p(i).gcState();
            if (st != null) {
                ms.add((Mutator) st);
            }
        }
        return ms;
    }

    @Override
    public int mutatorSlots() {
        return sched.gomaxprocs();
    }

    @Override
    public Mutator mutatorAt(int i) {
        return sched.p(i).gcState() instanceof Mutator m ? m : null;
    }

    @Override
    public long scanStacks(RootSink sink) {
        StackScan s = stackScan;           // one visitor, reused: no lambda per goroutine inside the pause
        s.sink = sink;
        s.bytes = 0;
        s.gs = 0;
        try {
            sched.forEachG(s);
            lastStacksWalked = s.gs;
            return s.bytes;
        } finally {
            s.sink = null;
        }
    }

    private final StackScan stackScan = new StackScan();
    private long lastStacksWalked;

    /** Goroutines the last {@link #scanStacks} visited. */
    long lastStacksWalked() {
        return lastStacksWalked;
    }

    /**
     * A goroutine with frames must have a shadow stack to hold them: anything else is a corrupt G
     * descriptor, reported before its frames are walked (every stack scan checks it).
     */
    static void requireShadowStack(dev.gort.sched.G g) {
        if (g.topFrame() != 0 && g.stackLo() == 0) {
            throw new IllegalStateException("goroutine " + g.goid() + " (status " + g.status() + ", " + g.waitReason()
                    + ") has shadow frames (top " + g.topFrame() + ") but no shadow stack");
        }
    }

    /** Visits every goroutine's frames into {@link #sink} (the stopper's thread only, world stopped). */
    private static final class StackScan implements java.util.function.Consumer<dev.gort.sched.G>, dev.gort.sched.G.FrameVisitor {
        RootSink sink;
        long bytes;
        long goid;
        long gs;

        @Override
        public void accept(dev.gort.sched.G g) {
            goid = g.goid();
            gs++;
            sink.stackStarted("goroutine", goid);
            requireShadowStack(g);
            g.forEachFrame(this);
        }

        @Override
        public void frame(long slotsAddress, int nslots) {
            sink.slots(slotsAddress, nslots, "goroutine", goid);
            bytes += 8L * nslots;
        }
    }

    @Override
    public boolean stopRequested() {
        // An exit is a stop that never ends. `|`, not `||`: no branch of its own on the answer,
        // which the workers' drains inline (see preemptRequested; with `||` the workers' supplier
        // trapped at the first stop that found one draining, gc 10 of a 1 GiB goroutine run).
        return sched.worldStopping() | sched.exiting();
    }

    @Override
    public boolean exiting() {
        return sched.exiting();
    }

    /**
     * Read by an assist's drain (inlined into C2's {@code Marker.drain}, {@code scanWords} and
     * {@code Assists.alloc}): a stop pending, or a forEachP round that this goroutine's P still
     * owes ({@link Scheduler#safePointFnPendingHere}: one volatile read outside a round), so the
     * assist returns and its goroutine reaches the safe point where its P answers. Both reads are
     * made and or-ed without a branch ({@code |}, not {@code ||}): with {@code ||} the "stop
     * pending" answer was a branch of its own in this method's profile, which no assist had taken
     * when C2 compiled the drain, so C2 left it out and the first stop that found an assist draining
     * deoptimized three methods on the way to its safepoint (a 0.4-2.1 ms pause; docs/performance.md,
     * session 21 pd99 and session 22 pd1g). Without a branch here, the only branches on the answer
     * are the callers', which take their "stop" exits with the drain's budget ends (see
     * {@code Assists.alloc}, {@code Marker.drain}).
     */
    @Override
    public boolean preemptRequested() {
        return sched.worldStopping() | sched.safePointFnPendingHere();
    }

    /** A goroutine that stopped the world keeps its P and runs on: see {@link Scheduler#worldStoppedByCaller}. */
    @Override
    public boolean stoppedByCaller() {
        return sched.worldStoppedByCaller();
    }

    /**
     * The goroutine mark workers' "stop draining" check: {@link #stopRequested} or, as Go's gcDrain
     * checks {@code pp.runSafePointFn}, a forEachP round this worker's P still owes (the worker's
     * stint ends, it parks, and its P answers on g0 before it runs the next goroutine).
     */
    boolean workerShouldYield() {
        return sched.worldStopping() | sched.exiting() | sched.safePointFnPendingHere();
    }

    /**
     * An allocation safepoint: the preempt check. A forEachP round needs nothing more here: its
     * caller asked this goroutine to yield, and its P runs the round's function on g0 after it does.
     */
    @Override
    public void safepoint(Mutator m) {
        Go.poll();
    }

    /**
     * The assist's safepoint: a poll that yields also for the request {@link #preemptRequested}
     * reports (a stop, a round this P owes), flag or not; the stopper of a pending stop runs on
     * (Go.poll's rule), and its assist then returns in debt ({@link #stoppedByCaller}).
     */
    @Override
    public Mutator assistSafepointThenCurrent(Mutator m) {
        Go.poll(preemptRequested());
        return current();
    }

    // ---- the ragged round: the scheduler's forEachP (Go's). Every P in use runs the function for
    // its collector state exactly once at a safe point: the caller for idle Ps and Ps it takes from
    // a syscall, the P's own M on g0 for running Ps once their goroutine yielded (or at syscall
    // entry or exit). The stop-the-world flush that follows stays the final authority, for work
    // shaded between a P's answer and the stop.

    /** The current round's function (null between rounds); {@link #roundOnP} applies it to a P's state. */
    private volatile java.util.function.Consumer<Mutator> roundFn;
    /** A field, not a lambda per round: no allocation on the mark-completion path. */
    private final java.util.function.Consumer<P> roundOnP = p -> {
        java.util.function.Consumer<Mutator> f = roundFn;
        if (f != null && p.gcState() instanceof Mutator m) {
            f.accept(m);
        }
    };

    /**
     * Go's forEachP over the Ps' collector states ({@link Scheduler#forEachP}): returns true once
     * every P in use has run {@code fn} for its state (a P without state has nothing to flush);
     * false if the round could not finish (the scheduler exits, the collector closed while a
     * goroutine without a safepoint held it up) or is asked from a goroutine: the stop-the-world
     * that follows then finds what the missing Ps hold.
     */
    @Override
    public boolean forEachMutatorAtSafepoint(java.util.function.Consumer<Mutator> fn) {
        if (Go.onGoroutine()) {
            return false;             // the collector's coordinator is a platform thread; nothing else calls this
        }
        roundFn = fn;
        try {
            return sched.forEachP(roundOnP, closedCheck);
        } finally {
            roundFn = null;
        }
    }

    @Override
    public void runBlocking(Mutator m, Runnable wait) {
        Go.syscall(wait);
    }
}
