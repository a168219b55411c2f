package dev.gort.gc;

import dev.gort.sys.CpuClock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The background mark workers' lifecycle: started at each mark phase with the pacer's split
 * (dedicated, fractional, idle), told to stop, waited for, and whether marking has drained. Over
 * ThreadWorld they are this class's platform threads ({@link #markPhase}); under the scheduler
 * they are goroutines chosen by schedule() ({@link GoroutineWorkers}), and only the counts and
 * flags here are shared with them.
 *
 * <p>This object's monitor is the workers' wait/notify point: workers wait on it for a mark phase
 * (or, idle, for published work), the coordinator waits on it for them to stop, and both notify it
 * on every change. The coordinator's wait for the mark to drain is a park instead: the worker or
 * assist that finds the mark drained unparks it ({@link #noteMaybeDrained}, no lock), a 1 ms look
 * being the fallback. {@link #markActive} and the counts are volatile or atomic
 * (read unlocked, also inside pauses).
 */
final class MarkWorkers {
    /**
     * How long a dedicated worker keeps a P it was handed before it gives it back to a mutator that
     * waits for it, and asks again (Go preempts a long-running goroutine after ~10 ms).
     */
    static final long DEDICATED_SLICE_NANOS = 10_000_000L;

    private final Collector c;
    private final World world;
    private final Marker marker;
    /**
     * A platform worker's drain stops at a stop request (asked every 1 KiB of scan work,
     * {@link Marker#PREEMPT_DRAIN_CHECK_BYTES}): it stands aside within ~1 KiB of scanning plus one
     * object rather than after its 64 KiB chunk. A chunk of binary-trees' nodes
     * is 0.1-1 ms of cache misses, more when the worker loses its CPU mid-chunk; meanwhile it held
     * a CPU the woken stopper (or a mutator on its way to its safepoint) needed, and the pause
     * trace showed stops ending right after "stood aside: gort-gc-worker-0 at 1.0-2.6 ms"
     * (session 15, jitpause). Assists and the goroutine world's workers already drain this way.
     */
    private final BooleanSupplier stopRequested;
    private final WorkbufPool pool;
    private final Pacer pacer;
    private final AssistQueue assists;
    private final StackRoots stackRoots;
    private final BackgroundThreads background;
    /** Over ThreadWorld, whether workers run on a P (the collector's choice of {@link Collector#workersOnP}). */
    private final boolean onP;
    /** Non-null under SchedWorld: the workers are goroutines. */
    final GoroutineWorkers goroutines;
    /** Platform worker threads (ThreadWorld) and their gcWorks, by id. */
    private final List<Thread> threads = new ArrayList<>();
    final List<GcWork> workerWork = new ArrayList<>();
    final AtomicInteger busyWorkers = new AtomicInteger();
    private volatile long markEpoch;
    volatile boolean markActive;
    private volatile int activeWorkers;
    private volatile int fractionalWorker = -1;
    /** Worker ids below this are dedicated (they must run; fractional and idle ones are the rest). */
    private volatile int dedicatedWorkerCount;
    /** markActive and not closed, made once (acquireP's stillWanted). */
    private final BooleanSupplier markStillActive;
    /** Each platform worker's CPU in this cycle (written by that worker, taken by the coordinator once they stopped). */
    private final long[] workerCpu;
    /**
     * The idle share of each platform worker's CPU this cycle: an idle-only worker's, and a
     * fractional worker's marking past its goal on a P no mutator holds ({@link WorkerTimeSplit};
     * gctrace's idle figure, kept apart as Go's idleMarkTime).
     */
    private final long[] workerIdleCpu;
    /** Each platform worker's split of its current stint (that worker's thread only). */
    private final WorkerTimeSplit[] workerSplit;
    private final AtomicInteger inMark = new AtomicInteger();
    /** Platform mark workers inside a chunk of marking right now (tests sample it beside the mutators' states). */
    final AtomicInteger workersMarking = new AtomicInteger();
    /** Times the coordinator looked for drained marking this cycle (gc debug; coordinator only). */
    long drainedWaits;

    /**
     * {@code -Dgort.gc.markdone.trace=true} (default false; diagnostics): the coordinator prints a
     * line per cycle on the trace stream: how long after the last worker or assist found the mark
     * drained the coordinator saw it, and how long its ragged flush and rechecks took until it
     * requested mark termination's stop. Read once. A value other than true or false is refused
     * with a warning and the default kept (TuningProperty).
     */
    static final boolean MARKDONE_TRACE = dev.gort.sys.TuningProperty.flag("gort.gc.markdone.trace", false);
    /**
     * When a worker (or an assist) last found the mark drained: no busy worker, nothing
     * published, the stack jobs claimed ({@link #noteMaybeDrained}); stamped only with
     * {@link #MARKDONE_TRACE}. Over ThreadWorld an idle platform worker's look that finds nothing
     * stamps it again (the figure is then a lower bound).
     */
    volatile long lastDrainedNanos;
    /** When {@link #awaitMarkDrained} last returned (coordinator only; {@link #MARKDONE_TRACE}). */
    long drainedSeenNanos;
    /** {@link #lastDrainedNanos} as that return took it (0: no worker or assist noted the drain; coordinator only). */
    long drainedNotedNanos;
    /** Whether that wait waited (false: drained at its first look; coordinator only). */
    boolean drainedWaited;
    /** Mark-loop drained waits that found the mark drained at their first look, without waiting (coordinator writes, tests read). */
    volatile long learnedAtOnce;
    /** Mark-loop drained waits that waited and found the mark drained at a timed look, not woken (coordinator writes, tests read). */
    volatile long learnedByPoll;

    /**
     * Test hook (null in production): a platform mark worker calls it with its index after a
     * drained chunk that left grey work in its own gcWork, before it flushes the chunk's credit;
     * a test blocks it there to model a worker that gets no CPU while holding work.
     */
    volatile java.util.function.IntConsumer workerStallHook;

    /**
     * Test hook (false in production): an idle platform mark worker does not look at published
     * work, as if it got no CPU, so a test can leave grey work on the full list for an assist alone
     * (AssistRetryTest). A busy worker still drains: tests set it while every worker is idle (the
     * coordinator held at BEFORE_MARK_TERMINATION). Read only by an idle worker that found work
     * published, never on a marking path.
     */
    volatile boolean idleWorkersHeldForTest;

    /** {@code c.stackRoots} and {@code assists} must be set: goroutine workers claim stack jobs. */
    MarkWorkers(Collector c, AssistQueue assists, int nworkers, BackgroundThreads background, boolean onP) {
        this.c = c;
        this.world = c.world;
        this.stopRequested = c.world::stopRequested;
        this.marker = c.marker;
        this.pool = c.pool;
        this.pacer = c.pacer;
        this.assists = assists;
        this.stackRoots = c.stackRoots;
        this.background = background;
        this.onP = onP;
        this.markStillActive = () -> markActive && !c.closed;
        this.workerCpu = new long[nworkers];
        this.workerIdleCpu = new long[nworkers];
        this.workerSplit = new WorkerTimeSplit[nworkers];
        for (int i = 0; i < nworkers; i++) {
            workerSplit[i] = new WorkerTimeSplit();
        }
        // Under the scheduler the mark workers are goroutines chosen by schedule() through the
        // GcHook (GoroutineWorkers); over plain threads they are platform threads.
        if (world instanceof SchedWorld sw) {
            this.goroutines = new GoroutineWorkers(sw, marker, pool, pacer, assists, busyWorkers, () -> markActive,
                    c::schedulerExiting, this::noteMaybeDrained);
            sw.attachWorkers(goroutines);
            goroutines.setStackRoots(stackRoots);
        } else {
            this.goroutines = null;
        }
        for (int i = 0; i < nworkers; i++) {
            GcWork w = new GcWork(pool);
            workerWork.add(w);
            final int id = i;
            threads.add(Thread.ofPlatform().daemon().name(BackgroundThreads.workerName(i)).unstarted(() -> workerLoop(id, w)));
        }
    }

    void startThreads() {
        threads.forEach(Thread::start);
    }

    /** At a restart: unparks the platform workers standing aside (no lock: one atomic each). */
    void unparkThreads() {
        for (int i = 0; i < threads.size(); i++) {
            java.util.concurrent.locks.LockSupport.unpark(threads.get(i));
        }
    }

    /** Wakes every waiter on this monitor and the coordinator's drained wait (close, the scheduler's exit). */
    void wakeAll() {
        synchronized (this) {
            notifyAll();
        }
        Thread waiter = drainWaiter;
        if (waiter != null) {
            java.util.concurrent.locks.LockSupport.unpark(waiter);     // it sees the close at its next look
        }
    }

    /** Names of the platform worker threads still alive, added to {@code into} (Heap.close's question after a close). */
    void addAliveThreads(List<String> into) {
        for (Thread t : threads) {
            if (t.isAlive()) {
                into.add(t.getName());
            }
        }
    }

    /** Adds the platform worker threads (none under the scheduler's goroutine workers). */
    void addThreads(List<Thread> into) {
        into.addAll(threads);
    }

    /**
     * The dedicated and fractional workers' mark CPU this cycle (gctrace's background figure),
     * reset for the next (coordinator, workers stopped). Idle marking's is {@link #takeCycleIdleCpu}'s.
     */
    long takeCycleCpu() {
        long cpu = goroutines != null ? goroutines.takeCycleNanos() : 0;
        for (int i = 0; i < workerCpu.length; i++) {
            cpu += workerCpu[i];
            workerCpu[i] = 0;
        }
        return cpu;
    }

    /**
     * Idle marking's CPU this cycle, reset for the next: the goroutine workers' idle stints (wall
     * time) and the platform workers' idle share (thread CPU, {@link WorkerTimeSplit}).
     */
    long takeCycleIdleCpu() {
        long cpu = goroutines != null ? goroutines.takeCycleIdleNanos() : 0;
        for (int i = 0; i < workerIdleCpu.length; i++) {
            cpu += workerIdleCpu[i];
            workerIdleCpu[i] = 0;
        }
        return cpu;
    }

    /** Ps no mutator thread holds (ThreadWorld: GOMAXPROCS minus registered threads); 0 under the scheduler. */
    private int idleProcs() {
        return world instanceof ThreadWorld tw ? tw.idleProcs() : 0;
    }

    /** The mark phase starts (coordinator, world running): the pacer's workers mark. */
    void startMark(int procs) {
        if (goroutines != null) {
            busyWorkers.set(0);                 // each goroutine worker counts itself busy
            markActive = true;
            goroutines.startMark(System.nanoTime());
            return;
        }
        int dedicated = (int) Math.min(threads.size(), pacer.dedicatedWorkers());
        boolean fractional = pacer.fractionalUtilizationGoal() > 0;
        int n = Math.min(threads.size(), dedicated + (fractional ? 1 : 0));
        if (n == 0) {
            n = 1;
            fractional = true;
        }
        // Idle Ps (GOMAXPROCS minus the registered mutator threads) run idle mark workers, as Go's
        // findRunnableGCWorker gives an idle P to a worker: with one mutator at GOMAXPROCS=2 the
        // second P marks full time instead of a fractional 25%, and the mutator's assists shrink.
        int idle = idleProcs();
        if (idle > n - (fractional ? 1 : 0)) {
            n = Math.min(threads.size(), Math.max(n, idle));
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
     * least every 1 ms (their timed {@code Object.wait(ms, ns)} rounds any nanoseconds up to the
     * next millisecond), and taking the monitor here, inside a pause, could wait for a worker that
     * was descheduled while holding it.
     */
    void signalStop() {
        markActive = false;
    }

    void awaitStopped() {
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

    /**
     * No grey work left outside the mutators' gcWorks: no worker busy and nothing published, with
     * no buffer taken between the two reads (a worker counts itself busy before it takes one, and
     * only a take can empty the list, so the list was empty when no worker was busy).
     */
    boolean markDrained() {
        long takes = pool.fullTakes();
        return busyWorkers.get() == 0 && pool.fullIsEmpty() && pool.fullTakes() == takes
                && (stackRoots == null || stackRoots.jobsClaimed());
    }

    /**
     * The coordinator's fallback look for a drained mark while it waits in {@link #awaitMarkDrained}:
     * the wake ({@link #noteMaybeDrained}) ends the wait when marking drains; the look catches a
     * drain no note saw (the last stack job claimed by a goroutine scanning its own stack) and
     * enlists workers for work published while none runs (that needs the look, not a wake).
     */
    static final long DRAINED_LOOK_NANOS = 1_000_000;
    /**
     * The look's period for this collector: {@link #DRAINED_LOOK_NANOS}. Tests that must tell a
     * wake from the look whatever the load set it long (MarkDoneWakeTest: a worker off its CPU
     * for over 1 ms between its busy-count decrement and its unpark let the look see the drain
     * first, so at load ~25 a share of wakes fell to 78.6 %; flake35). Read once a look.
     */
    volatile long drainedLookNanos = DRAINED_LOOK_NANOS;

    /** The coordinator while it waits in {@link #awaitMarkDrained}, else null: whom a drained note unparks. */
    private volatile Thread drainWaiter;
    /** 1 once a note unparked the coordinator for its current wait (at most one unpark a wait); the coordinator takes it. */
    private final AtomicInteger drainWakeSent = new AtomicInteger();
    /**
     * {@code -Dgort.gc.markdone.wake=true|false} (default true): the drained note wakes the
     * coordinator; false leaves only the 1 ms look (the behaviour before session 25, for A/B runs).
     * Read by each new collector; tests clear {@link #wakeOnDrain} to model lost wakes. A value
     * other than true or false is refused with a warning and the default kept (TuningProperty).
     */
    static volatile boolean wakeOnDrainForNewCollectors = dev.gort.sys.TuningProperty.flag("gort.gc.markdone.wake", true);
    /** Whether notes wake the coordinator (false: every wake is dropped, only the look ends the wait). */
    volatile boolean wakeOnDrain = wakeOnDrainForNewCollectors;
    /** Mark-loop drained waits ended by a note's wake (coordinator writes, tests read). */
    volatile long learnedByWake;

    /**
     * A worker ended its stint or went idle, or an assist found nothing to drain: if that left the
     * mark drained while the coordinator waits for it, wake the coordinator (Go's worker, or
     * assist, that finds no work with every worker idle calls gcMarkDone itself). Called off the
     * drain loop, once per stint or idle turn: the common case is one volatile read (no coordinator
     * waiting); no lock, no allocation. Lost wakes cannot happen: the caller's busy-count decrement
     * (or buffer take) comes before its read of {@link #drainWaiter}, and the coordinator's write
     * of it before its own {@link #markDrained} look, so one of the two sees the other. A false wake
     * (the mark not drained, or work still held in a mutator's gcWork, which the coordinator's
     * ragged flush finds) costs the coordinator one more look.
     */
    void noteMaybeDrained() {
        Thread waiter = drainWaiter;
        if (waiter == null && !MARKDONE_TRACE) {
            return;
        }
        if (!markActive || !markDrained()) {
            return;
        }
        if (MARKDONE_TRACE) {
            lastDrainedNanos = System.nanoTime();     // the last note before the coordinator saw the drain
        }
        if (waiter != null && wakeOnDrain && drainWakeSent.get() == 0 && drainWakeSent.compareAndSet(0, 1)) {
            java.util.concurrent.locks.LockSupport.unpark(waiter);
        }
    }

    /**
     * Waits until no worker holds work and the global list is empty (coordinator). With
     * {@code markLoop} (the mark loop's first wait of a turn) it counts how the wait ended: at
     * once, by a note's wake, or by a timed look.
     */
    void awaitMarkDrained(boolean markLoop) {
        boolean waited = false;
        boolean woken = false;
        drainWakeSent.set(0);
        drainWaiter = Thread.currentThread();
        try {
            while (!markDrained()) {
                waited = true;
                if (c.closed || world.exiting()) {
                    // Closed mid-cycle: under the scheduler the worker goroutines may never run again
                    // (the scheduler exited), so the mark would never drain, and the caller is about
                    // to free the workbuf pool this loop reads.
                    throw new ClosedMidCycle();
                }
                drainedWaits++;
                if (goroutines != null && busyWorkers.get() == 0 && !pool.fullIsEmpty()) {
                    // Work is published but no worker runs: wake an idle P, and every fifth look ask the
                    // running goroutines to yield so schedule() considers a worker (Go's enlistWorker).
                    goroutines.enlist(drainedWaits % 5 == 0);
                }
                // A spurious return (a stale permit, another waker of this thread) is one more look.
                java.util.concurrent.locks.LockSupport.parkNanos(this, drainedLookNanos);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                woken = drainWakeSent.getAndSet(0) != 0;
            }
        } finally {
            drainWaiter = null;
        }
        if (markLoop) {
            if (!waited) {
                learnedAtOnce++;
            } else if (woken) {
                learnedByWake++;
            } else {
                learnedByPoll++;
            }
        }
        if (MARKDONE_TRACE) {
            drainedSeenNanos = System.nanoTime();
            drainedNotedNanos = lastDrainedNanos;
            drainedWaited = waited;
            lastDrainedNanos = 0;
        }
    }

    /** The collector was closed while a cycle waited for marking to drain: the cycle is abandoned. */
    static final class ClosedMidCycle extends RuntimeException {
        ClosedMidCycle() {
            this("collector closed during the mark phase");
        }

        /** A wait of the world's (a stop, a ragged round) given up because the collector closed: {@code why} says which. */
        ClosedMidCycle(String why) {
            super(why, null, false, false);
        }
    }

    private void workerLoop(int id, GcWork w) {
        background.lowerCurrent(id);
        long seen = 0;
        while (!c.closed) {
            synchronized (this) {
                while ((markEpoch == seen || !markActive || id >= activeWorkers) && !c.closed) {
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
                if (!c.closed) {
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

    /** A platform worker's stint in one mark phase (its own thread), until the phase ends or the collector closes. */
    private void markPhase(int id, GcWork w) {
        long cpu0 = CpuClock.threadCpuNanos();
        long start = System.nanoTime();
        boolean fractional = id == fractionalWorker;
        boolean dedicated = !fractional && id < dedicatedWorkerCount;
        boolean idleOnly = !fractional && !dedicated;           // runs only on a P no mutator holds
        ThreadWorld tw = onP && world instanceof ThreadWorld t ? t : null;
        boolean holdsP = false;
        long sliceStart = 0;
        double goal = pacer.fractionalUtilizationGoal() * world.gomaxprocs();
        WorkerTimeSplit split = workerSplit[id];
        split.begin(dedicated ? WorkerTimeSplit.DEDICATED : fractional ? WorkerTimeSplit.FRACTIONAL : WorkerTimeSplit.IDLE, goal, start);
        boolean busy = true;
        long ran = 0;
        try {
            while (markActive && !c.closed) {
                if (world.stopRequested()) {
                    background.standAside(id, markStillActive);       // keeps its P: a mutator lent to it counts as stopped
                    continue;
                }
                if (!busy && (pool.fullIsEmpty() || idleWorkersHeldForTest)) {
                    // Idle with nothing published: no P needed to wait (Go's worker ends its stint).
                    if (holdsP) {
                        tw.releaseP();
                        holdsP = false;
                    }
                    // With every P a mutator's, work found would need a hand-over and the mutators'
                    // assists take published work meanwhile: look every 1 ms, not every 100 us
                    // (each look is a wake-up, a runnable thread beside the mutators). Note: the JDK's
                    // Object.wait(0, 100_000) waits 1 ms too (it rounds nanoseconds up to a whole
                    // millisecond), so both looks are 1 ms apart today. Measured (session 24, idle24):
                    // a park-based look (~175 us apart, unparked at awaitStopped) found work after
                    // 29-65 us instead of 350-550 us, but a worker idles here rarely (binary-trees 21:
                    // ~120 looks a run, ~10 finding work; PauseDistributionRun threads: ~50 in 30 s;
                    // goroutine workers never come here), so it saves <10 ms of marking a run at 2-3 x
                    // the wake-ups: left as is.
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
                    noteMaybeDrained();
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
                        noteMaybeDrained();
                        continue;
                    }
                    busy = true;
                    long t0 = System.nanoTime();
                    long done = marker.scanObject(obj, w);
                    assists.flush(done);
                    pacer.heapScanWork.addAndGet(done);
                    long t1 = System.nanoTime();
                    ran += t1 - t0;
                    noteMarked(split, t1 - t0, t1);
                    continue;
                }
                long t0 = System.nanoTime();
                workersMarking.incrementAndGet();
                long done;
                try {
                    done = marker.drain(w, 64 << 10, stopRequested);
                } finally {
                    workersMarking.decrementAndGet();
                }
                long t1 = System.nanoTime();
                ran += t1 - t0;
                noteMarked(split, t1 - t0, t1);
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
                    noteMaybeDrained();
                    tw.releaseP();
                    holdsP = false;
                    continue;
                }
                if (done == 0 && w.empty()) {
                    w.dispose();
                    busy = false;
                    busyWorkers.decrementAndGet();
                    noteMaybeDrained();
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
                        noteMaybeDrained();
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
                            noteMaybeDrained();
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
            long cpu = CpuClock.threadCpuNanos() - cpu0;
            long idleCpu = split.idleCpuOf(cpu);
            workerIdleCpu[id] += idleCpu;
            workerCpu[id] += cpu - idleCpu;
        }
    }

    /**
     * A platform worker marked for {@code dt} wall ns up to {@code endNanos}: its split classifies
     * it and the pacer's per-kind mark time gets it now, during the mark (endCycle reads the idle
     * time after mark termination's restart, before the workers' stints end; Go's stints end
     * before mark termination). One volatile read, one or two atomic adds a chunk.
     */
    private void noteMarked(WorkerTimeSplit split, long dt, long endNanos) {
        long idle = split.marked(dt, endNanos, idleProcs() > 0);
        if (idle > 0) {
            pacer.idleMarkTime.addAndGet(idle);
        }
        long own = dt - idle;
        if (own > 0) {
            (split.kind() == WorkerTimeSplit.DEDICATED ? pacer.dedicatedMarkTime : pacer.fractionalMarkTime).addAndGet(own);
        }
    }
}
