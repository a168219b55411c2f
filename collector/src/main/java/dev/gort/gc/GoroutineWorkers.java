package dev.gort.gc;

import dev.gort.sched.G;
import dev.gort.sched.GcHook;
import dev.gort.sched.Go;
import dev.gort.sched.P;
import dev.gort.sched.Scheduler;
import dev.gort.sched.WaitReason;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Background mark workers as goroutines chosen by the scheduler (Go's gcBgMarkWorker with
 * findRunnableGCWorker), used under {@link SchedWorld}; {@link ThreadWorld} keeps platform-thread
 * workers.
 *
 * <h2>How a worker runs</h2>
 * <ol>
 *   <li>GOMAXPROCS worker goroutines are started (as system goroutines: not counted by
 *       {@code goroutines()} or the deadlock check) the first time a P gets its collector state.
 *       Each parks at once ({@code GC worker (idle)}); the park's commit puts it in the idle pool,
 *       so the pool only ever holds WAITING goroutines.</li>
 *   <li>While marking, {@code schedule()} asks {@link #findRunnableGCWorker} right after timers:
 *       a dedicated worker while the pacer still needs one (25% of GOMAXPROCS rounded), else a
 *       fractional one if this P is behind its share of the fractional goal; nothing if there is
 *       no mark work. A P about to go idle asks {@link #findIdleGCWorker}: an idle-mode worker
 *       (at most GOMAXPROCS - dedicated at a time) if there is work.</li>
 *   <li>The worker drains into its P's gcWork (the P's Mutator, as Go's p.gcw) in chunks until: no
 *       work; a stop-the-world is pending; marking ended; a fractional worker is over 1.2x its
 *       goal; an idle worker's P has goroutines to run (Go's pollWork). Then it publishes what
 *       it holds, stops counting as busy and parks again; if that left the mark drained (no busy
 *       worker, nothing published) it wakes the coordinator's drained wait (MarkWorkers'
 *       noteMaybeDrained: Go's last worker calls gcMarkDone).</li>
 *   <li>Mark work the scheduler cannot see (root jobs published by the coordinator) is announced
 *       by {@link #enlist}: wake an idle P, and if no worker is busy, ask the running goroutines to
 *       yield so their Ps look for a worker (Go's enlistWorker preempts a P for the same reason).</li>
 * </ol>
 * A worker never yields in the middle of a stint (it never calls Go.poll), so a stopped world has
 * every worker parked and none busy; that is what lets mark termination check "no busy worker and
 * no full buffer" with the world stopped.
 */
final class GoroutineWorkers implements GcHook {
    static final int DEDICATED = 0;
    static final int FRACTIONAL = 1;
    static final int IDLE = 2;
    static final String[] MODE_NAMES = {"dedicated", "fractional", "idle"};

    private static final VarHandle POOL_LOCK;

    static {
        try {
            POOL_LOCK = MethodHandles.lookup().findVarHandle(GoroutineWorkers.class, "poolLock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The credit flush: pays queued assists, banks the rest (Go's gcFlushBgCredit). */
    private final AssistQueue assists;
    private final SchedWorld world;
    private final Scheduler sched;
    private final Marker marker;
    private final WorkbufPool pool;
    private final Pacer pacer;
    private final AtomicInteger busyWorkers;
    private final BooleanSupplier markActive;
    private final BooleanSupplier worldStopping;
    private final Runnable onSchedulerExit;
    /** After a stint stopped counting as busy: MarkWorkers.noteMaybeDrained (is the mark drained now?). */
    private final Runnable afterStint;

    /** One parked worker goroutine. */
    private static final class Worker {
        final GoroutineWorkers owner;
        volatile G g;
        int mode;
        Worker next;

        Worker(GoroutineWorkers owner) {
            this.owner = owner;
        }
    }

    private Worker idlePool;                    // guarded by poolLock
    private int pooled;                         // guarded by poolLock
    @SuppressWarnings("unused")
    private volatile int poolLock;
    private final AtomicInteger spawned = new AtomicInteger();
    private final AtomicInteger idleRunning = new AtomicInteger();
    private volatile int maxIdle;
    private volatile long markStartNanos;
    private volatile boolean closed;
    /**
     * Test hook (null in production), as {@link MarkWorkers#workerStallHook} for the platform
     * workers: a worker goroutine calls it with its mode after a drained chunk that left grey work
     * in its gcWork, before the chunk's credit is flushed; a test blocks it there (the worker's M
     * and P held) to keep a mark phase going until an event of its own.
     */
    volatile java.util.function.IntConsumer stintStallHook;

    // Statistics per mode, over the collector's life and for the current cycle.
    final AtomicLong[] stints = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    final AtomicLong[] nanos = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    final AtomicLong[] work = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    private final AtomicLong cycleNanos = new AtomicLong();
    /** The idle-mode stints' share, kept apart (gctrace's idle figure; Go leaves it out of GCCPUFraction). */
    private final AtomicLong cycleIdleNanos = new AtomicLong();

    GoroutineWorkers(SchedWorld world, Marker marker, WorkbufPool pool, Pacer pacer, AssistQueue assists,
                     AtomicInteger busyWorkers, BooleanSupplier markActive, Runnable onSchedulerExit, Runnable afterStint) {
        this.world = world;
        this.sched = world.scheduler();
        this.marker = marker;
        this.pool = pool;
        this.pacer = pacer;
        this.assists = assists;
        this.busyWorkers = busyWorkers;
        this.markActive = markActive;
        this.worldStopping = world::workerShouldYield;  // a stop, the scheduler's exit, or a forEachP round this P owes
        this.onSchedulerExit = onSchedulerExit;
        this.afterStint = afterStint;
    }

    /** Goroutine stacks as root jobs (the collector sets it once, before any cycle). */
    private volatile StackRoots stackRoots;

    void setStackRoots(StackRoots sr) {
        stackRoots = sr;
    }

    /** Assists parked in the assist queue are readied by the collector, not by a goroutine: no deadlock. */
    @Override
    public boolean holdsParkedGoroutines() {
        return assists.holdsGoroutines();
    }

    // ------------------------------------------------------------------ start-up

    /**
     * On a goroutine with a P (SchedWorld.current, first use of a P): starts workers until there
     * are GOMAXPROCS of them (Go's gcBgMarkStartWorkers). GOMAXPROCS may grow at run time; a P
     * that is new or revived calls this on its first allocation. After a shrink the extra workers
     * stay parked in the shared pool (Go keeps them too).
     */
    void spawnIfNeeded() {
        int want = sched.gomaxprocs();
        for (int have = spawned.get(); have < want; have = spawned.get()) {
            if (spawned.compareAndSet(have, have + 1)) {
                Worker w = new Worker(this);
                synchronized (this) {
                    Worker[] a = java.util.Arrays.copyOf(all, all.length + 1);
                    a[all.length] = w;
                    all = a;
                }
                Go.goSystem(() -> workerLoop(w));
            }
        }
    }

    /** Every worker started, in start order (replaced as a whole when one is added; diagnostics read it). */
    private volatile Worker[] all = new Worker[0];

    /**
     * What a stopper waiting for a P calls {@code g} (StopHolders): a mark worker and the mode of its
     * current or last stint, the background sweeper, or null. No allocation: constant strings.
     */
    @Override
    public String describeGoroutine(G g) {
        for (Worker w : all) {
            if (w.g == g) {
                return WORKER_KINDS[w.mode];
            }
        }
        SweeperGoroutine s = world.sweeper();
        return s != null && s.goroutine() == g ? "background sweeper" : null;
    }

    /** The workers' goroutines started so far (those that have run; tests). */
    java.util.List<G> workerGoroutines() {
        java.util.List<G> gs = new java.util.ArrayList<>();
        for (Worker w : all) {
            if (w.g != null) {
                gs.add(w.g);
            }
        }
        return gs;
    }

    private static final String[] WORKER_KINDS = {"mark worker, dedicated", "mark worker, fractional", "mark worker, idle"};

    /** Worker goroutines started so far. */
    int workers() {
        return spawned.get();
    }

    /** Parked workers in the idle pool now. */
    int pooled() {
        lockPool();
        try {
            return pooled;
        } finally {
            unlockPool();
        }
    }

    // ------------------------------------------------------------------ the cycle

    /** Mark start (the world may be running): per-P fractional clocks reset, Ps asked to look for workers. */
    void startMark(long nowNanos) {
        markStartNanos = nowNanos;
        maxIdle = (int) Math.max(0, sched.gomaxprocs() - pacer.dedicatedWorkers());
        idleRunning.set(0);
        cycleNanos.set(0);
        cycleIdleNanos.set(0);
        for (int i = 0; i < sched.gomaxprocs(); i++) {
            Object st = sched.p(i).gcState();
            if (st instanceof Mutator m) {
                m.fractionalNanos = 0;
            }
        }
        enlist(true);
    }

    /**
     * Announces mark work the scheduler cannot see: wakes an idle P (it asks for an idle worker
     * before parking), and with {@code preemptRunning} asks every running goroutine to yield so
     * its P's schedule() considers a dedicated or fractional worker.
     */
    void enlist(boolean preemptRunning) {
        if (closed || spawned.get() == 0) {
            return;
        }
        sched.wakeIdleP();
        if (preemptRunning) {
            for (int i = 0; i < sched.gomaxprocs(); i++) {
                sched.preempt(i);
            }
        }
    }

    /** Wall nanoseconds the dedicated and fractional workers marked this cycle (the gctrace's background CPU). */
    long takeCycleNanos() {
        return cycleNanos.getAndSet(0);
    }

    /** Wall nanoseconds the idle workers marked this cycle (the gctrace's idle CPU). */
    long takeCycleIdleNanos() {
        return cycleIdleNanos.getAndSet(0);
    }

    void close() {
        closed = true;
    }

    /**
     * The scheduler stops for good (before it joins its Ms): no stint starts any more, one running
     * leaves within ~1 KiB of scan work plus one object (its stop check sees the exit), and the
     * collector ends its waits and its cycle.
     */
    @Override
    public void schedulerExiting() {
        closed = true;
        onSchedulerExit.run();
    }

    // ------------------------------------------------------------------ GcHook (on an M's g0)

    @Override
    public G findRunnableGCWorker(P p, long nowNanos) {
        if (!markActive.getAsBoolean() || closed || worldStopping.getAsBoolean() || !workAvailable(p)) {
            return null;
        }
        int mode;
        if (decIfPositive(pacer.dedicatedMarkWorkersNeeded)) {
            mode = DEDICATED;
        } else {
            if (pacer.fractionalUtilizationGoal() == 0) {
                return null;
            }
            Object st = p.gcState();
            long mine = st instanceof Mutator m ? m.fractionalNanos : 0;
            // The scheduler passes 0 unless it read the clock for timers: read it only here.
            if (!pacer.fractionalBehind(mine, nowNanos != 0 ? nowNanos : System.nanoTime())) {
                return null;
            }
            mode = FRACTIONAL;
        }
        Worker w = take();
        if (w == null) {
            if (mode == DEDICATED) {
                pacer.dedicatedMarkWorkersNeeded.incrementAndGet();
            }
            return null;
        }
        w.mode = mode;
        return w.g;
    }

    @Override
    public G findIdleGCWorker(P p, long nowNanos) {
        if (!markActive.getAsBoolean() || closed || worldStopping.getAsBoolean() || !workAvailable(p)) {
            return null;
        }
        int n;
        do {
            n = idleRunning.get();
            if (n >= maxIdle) {
                return null;
            }
        } while (!idleRunning.compareAndSet(n, n + 1));
        Worker w = take();
        if (w == null) {
            idleRunning.decrementAndGet();
            return null;
        }
        w.mode = IDLE;
        return w.g;
    }

    private boolean workAvailable(P p) {
        if (!pool.fullIsEmpty()) {
            return true;
        }
        Object st = p.gcState();
        return st instanceof Mutator m && !m.gcw.empty();
    }

    private static boolean decIfPositive(AtomicLong v) {
        for (;;) {
            long n = v.get();
            if (n <= 0) {
                return false;
            }
            if (v.compareAndSet(n, n - 1)) {
                return true;
            }
        }
    }

    // ------------------------------------------------------------------ the worker goroutine

    private void workerLoop(Worker w) {
        w.g = Go.current();
        for (;;) {
            Go.park(GoroutineWorkers::parkCommit, w, WaitReason.GC_WORKER_IDLE);
            if (closed) {
                return;
            }
            stint(w);
        }
    }

    /** On g0 after the worker is WAITING: only now may the hook hand it out. */
    private static boolean parkCommit(G g, Object arg) {
        Worker w = (Worker) arg;
        w.owner.put(w);
        return true;
    }

    /** One scheduling of a worker: mark until a reason to stop, then publish and go back to the pool. */
    private void stint(Worker w) {
        int mode = w.mode;
        Mutator m = world.current();
        if (m == null) {
            return;
        }
        GcWork gcw = m.gcw;
        P p = Go.currentP();
        long t0 = System.nanoTime();
        long done = 0;
        busyWorkers.incrementAndGet();
        try {
            StackRoots sr = stackRoots;
            if (sr != null && !sr.jobsClaimed() && markActive.getAsBoolean()) {
                sr.scanJobs(gcw, p, worldStopping, true);   // root jobs first, as Go's gcDrain claims markroot jobs first
            }
            while (markActive.getAsBoolean() && !closed && !worldStopping.getAsBoolean()) {
                // Answers a stop within ~1 KiB of scanning plus one object (Marker.PREEMPT_DRAIN_CHECK_BYTES).
                long d = marker.drain(gcw, 64 << 10, worldStopping);
                done += d;
                java.util.function.IntConsumer stall = stintStallHook;
                if (stall != null && !gcw.empty()) {
                    stall.accept(mode);                      // test: this worker stops here holding grey work (ShutdownTest)
                }
                assists.flush(d);                        // Go's gcFlushBgCredit: pays queued assists first
                pacer.heapScanWork.addAndGet(d);
                if (d == 0 && gcw.empty()) {
                    break;                                   // no work anywhere we can reach
                }
                long now = System.nanoTime();
                if (mode == FRACTIONAL && pacer.fractionalShouldExit(m.fractionalNanos + (now - t0), now)) {
                    break;                                   // Go's pollFractionalWorkerExit
                }
                if (mode == IDLE && (!p.runqempty() || sched.globalRunqueueSize() > 0)) {
                    // Go's pollWork: the P has goroutines to run. runqempty, not runqsize: a
                    // goroutine in runnext counts (Go's pollWork uses runqempty too), and that is
                    // where this worker's own credit flush readies a paid assist; with runqsize
                    // the assist waited until the stint ran out of work (parks of ~75 ms).
                    break;
                }
                if (pool.fullIsEmpty() && !gcw.empty()) {
                    gcw.balance();                           // let other workers and assists help
                }
            }
        } finally {
            gcw.dispose();                                   // publish: the coordinator's drained check sees it
            long dt = System.nanoTime() - t0;
            switch (mode) {
                case DEDICATED -> {
                    pacer.dedicatedMarkTime.addAndGet(dt);
                    pacer.dedicatedMarkWorkersNeeded.incrementAndGet();
                }
                case FRACTIONAL -> {
                    pacer.fractionalMarkTime.addAndGet(dt);
                    m.fractionalNanos += dt;
                }
                default -> {
                    pacer.idleMarkTime.addAndGet(dt);
                    idleRunning.decrementAndGet();
                }
            }
            stints[mode].incrementAndGet();
            nanos[mode].addAndGet(dt);
            work[mode].addAndGet(done);
            (mode == IDLE ? cycleIdleNanos : cycleNanos).addAndGet(dt);
            busyWorkers.decrementAndGet();
            afterStint.run();
        }
    }

    // ------------------------------------------------------------------ the idle pool

    private void put(Worker w) {
        lockPool();
        w.next = idlePool;
        idlePool = w;
        pooled++;
        unlockPool();
    }

    private Worker take() {
        lockPool();
        Worker w = idlePool;
        if (w != null) {
            idlePool = w.next;
            w.next = null;
            pooled--;
        }
        unlockPool();
        return w;
    }

    private void lockPool() {
        int spins = 0;
        long park = dev.gort.sys.RealtimeBoost.PARK_FIRST_NANOS;
        while (!POOL_LOCK.compareAndSet(this, 0, 1)) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                // The holder lost its CPU: yield it, or park if this M was boosted late into a stop
                // (a SCHED_FIFO yield would keep a normal holder on this CPU from running).
                park = dev.gort.sys.RealtimeBoost.yieldOrPark(park);
            }
        }
    }

    private void unlockPool() {
        POOL_LOCK.setRelease(this, 0);
    }
}
