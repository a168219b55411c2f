package dev.gort.gc;

import dev.gort.arena.Heap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;

/**
 * Plain Java threads as mutators: each registers, allocates through the collector and keeps its
 * roots in {@link RootSlots}. Stop-the-world is cooperative, like gort's scheduler: a stop request
 * raises a flag; mutators notice it at their next safepoint (every allocation, or {@link #poll})
 * and wait there; a mutator blocked waiting for the collector counts as stopped.
 *
 * <p>The fast path of a safepoint is one volatile read. A thread that neither allocates nor polls
 * delays a stop, exactly as a goroutine in a tight loop without safepoints delays Go's.
 */
public final class ThreadWorld implements World {
    private final Heap heap;
    private final WorkbufPool pool;
    private final int gomaxprocs;
    /** Priority inheritance by hand for the real-time stop's waiters (see WorldLock); a plain ReentrantLock otherwise. */
    private final WorldLock lock = new WorldLock();
    private final Condition changed = lock.newCondition();
    private final List<Mutator> mutators = new ArrayList<>();  // guarded by lock
    /** A copy of {@code mutators} made at each register and unregister, for racy readers (tests' samplers). */
    private volatile Mutator[] mutatorsSnapshot = new Mutator[0];
    private final ThreadLocal<Mutator> current = new ThreadLocal<>();
    /**
     * The fast way to {@link #current()}: mutators by thread id modulo the table size, each entry
     * checked against the calling thread (Mutator.owner is final, so a racy read of another
     * thread's entry sees its real owner and is rejected). Written under {@code lock} at register
     * and unregister; a thread whose slot is taken by another live mutator falls back to the
     * ThreadLocal. The ThreadLocal lookup cost ~20 ns per allocation in binary-trees (hash probe
     * and a WeakReference check), more than the arena's whole allocation.
     */
    private final Mutator[] byThread = new Mutator[BY_THREAD];
    private static final int BY_THREAD = BarrierFilter.THREADS;
    /** The registered threads' allocated-black filters, by thread id (the write barrier reads them without a mutator lookup). */
    final BarrierFilter barrierFilter = new BarrierFilter();
    private volatile boolean stopping;
    /** A forEachMutatorAtSafepoint round waits for running mutators (checked at safepoints beside {@code stopping}). */
    private volatile boolean raggedActive;
    /** The current round's function, null between rounds (guarded by lock). */
    private java.util.function.Consumer<Mutator> raggedFn;
    /** The current (or last) round's number and how many mutators have not run it yet (guarded by lock). */
    private long raggedRound;
    private int raggedRemaining;
    private Thread stopper;
    /** The stopper's own mutator, if it is one (it counts as stopped), while {@code stopping} (guarded by lock). */
    private Mutator stopperSelf;
    /** When the current or last stop was requested (written under lock; volatile for {@link #lastStopRequestNanos}). */
    private volatile long stopRequestedAt;
    /** The last mutator to reach its safepoint in the last stop, or null (guarded by lock). */
    private Mutator slowestStopper;
    private static final boolean DEBUG_STOP = dev.gort.sys.TuningProperty.flag("gort.gc.debugstop", false);
    /**
     * Diagnostic: read each mutator's run-queue wait (/proc/.../schedstat) at the stop request and
     * when it stops, so a slow stop says whether the thread was runnable without a CPU. The kernel
     * books a wait when the thread gets the CPU, so the difference may include waiting that began
     * before the request; a difference about as large as the stop latency means the thread spent
     * the stop waiting for a CPU. Costs a file read per mutator per stop: off by default.
     */
    private static final boolean STOP_STATS = dev.gort.sys.TuningProperty.flag("gort.gc.stopstats", false);

    public ThreadWorld(Heap heap, WorkbufPool pool, int gomaxprocs) {
        if (gomaxprocs < 1) {
            throw new IllegalArgumentException("gomaxprocs must be >= 1, got " + gomaxprocs);
        }
        this.heap = heap;
        this.pool = pool;
        this.gomaxprocs = gomaxprocs;
    }

    /**
     * Set once by {@link Collector#close()} of the collector this world belongs to (null while it
     * is open, and always for a world made without a collector): names it for the refusal.
     */
    private volatile String closedCollector;

    /**
     * The collector this world belongs to is closing: no thread may register from now on, and a
     * stop or ragged round waiting for running mutators gives up (woken here): its cycle is
     * abandoned anyway, and a mutator that runs on without a safepoint (the closer's own other
     * work, say) would otherwise hold the coordinator, and so close's join, until close gave up.
     */
    void collectorClosed(String collector) {
        closedCollector = collector;
        Thread waiting;
        lock.lock();
        try {
            waiting = stopper;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        java.util.concurrent.locks.LockSupport.unpark(waiting);
    }

    /**
     * Lock held, a stop or ragged round waiting for {@code what}: throws ClosedMidCycle once the
     * collector is closed (the caller unwinds what it began), naming the mutators still running.
     */
    private void giveUpIfClosedLocked(String what, Mutator self) {
        String closed = closedCollector;
        if (closed == null) {
            return;
        }
        StringBuilder running = new StringBuilder();
        for (int i = 0, n = mutators.size(); i < n; i++) {
            Mutator m = mutators.get(i);
            if (m != self && m.state == Mutator.RUNNING) {
                running.append(running.isEmpty() ? "" : ", ").append('"').append(m.owner.getName()).append('"');
            }
        }
        throw new MarkWorkers.ClosedMidCycle(what + " given up: " + closed + " was closed while it waited for "
                + (running.isEmpty() ? "the mutators" : "running mutator(s) " + running));
    }

    /**
     * Tests: called at the stop's fault points ("request": flag raised, lock held; "wait": each
     * turn of the wait, lock held; "stopped": every mutator stopped, before the return;
     * "release": a stop's end, done or abandoned, flag cleared, before the mutators are let go);
     * whatever it throws must leave the world running again, and the caller must get the first
     * failure, a later one suppressed in it.
     */
    volatile java.util.function.Consumer<String> stopFaultForTest;

    private void stopFault(String where) {
        java.util.function.Consumer<String> f = stopFaultForTest;
        if (f != null) {
            f.accept(where);
        }
    }

    /**
     * Makes the calling thread a mutator with {@code rootSlots} root slots. Refused once the
     * collector is closed: the thread could not allocate (Collector refuses it) and its cache would
     * keep the heap from closing until it unregistered.
     */
    public Mutator register(int rootSlots) {
        String closed = closedCollector;
        if (closed != null) {
            throw new IllegalStateException(Thread.currentThread().getName() + " cannot register: " + closed
                    + " is closed (Collector.close()), so it could not allocate and would hold the heap open;"
                    + " register with a new collector instead (Collector.forThreads on an open heap)");
        }
        if (current.get() != null) {
            throw new IllegalStateException(Thread.currentThread().getName() + " is already a registered mutator");
        }
        Thread self = Thread.currentThread();
        Mutator m = new Mutator(heap.newCache(), new GcWork(pool), new RootSlots(rootSlots), self,
                barrierFilter.table, BarrierFilter.base(self.threadId()));
        if (STOP_STATS || dev.gort.sys.Platform.current().isLinux()) {
            m.tid = dev.gort.sys.CpuAffinity.threadId();    // (the stop's real-time boost names the thread by it)
            m.rtTarget = dev.gort.sys.TidBoost.newTarget();     // here, not inside a stop's first boost of it
            lock.knowTid(self, (int) m.tid);
        }
        lock.lock();
        try {
            while (stopping) {
                changed.awaitUninterruptibly();
            }
            m.raggedDone = raggedRound;       // nothing of its own to flush in a round under way
            mutators.add(m);
            registered = mutators.size();
            mutatorsSnapshot = mutators.toArray(new Mutator[0]);
            mutatorTakesPLocked();
            int slot = slotOf(m.owner);
            if (byThread[slot] == null) {
                byThread[slot] = m;
            }
        } finally {
            lock.unlock();
        }
        current.set(m);
        m.world = this;
        m.handleWorld = this;
        return m;
    }

    /** Removes the calling thread's mutator: its roots stop being roots, its cache goes back. */
    public void unregister() {
        Mutator m = current.get();
        if (m == null) {
            throw new IllegalStateException(Thread.currentThread().getName() + " is not a registered mutator");
        }
        lock.lock();
        try {
            requestWantedLocked(m);     // a stop wanted: requested, then waited out below as any stop
            while (stopping) {      // never change the mutator set under a stopped world
                m.state = Mutator.BLOCKED;
                java.util.concurrent.locks.LockSupport.unpark(stopperToWakeLocked());    // (before the await's unlock: a rare path)
                changed.awaitUninterruptibly();
            }
            removeLocked(m, true);
        } finally {
            lock.unlock();
        }
        current.remove();
        lock.forgetTid(m.owner);
        mutatorPausing(m);
    }

    /**
     * Told when a mutator stops allocating for a while: it left the world or starts a wait
     * (runBlocking); outside the world's lock. The collector's heap trigger leaves a cycle's start
     * to the next allocation of the mutator that reached it ({@code CycleControl.startOwedBy}): one
     * that allocates no more must hand the start on, or the cycle would wait for another
     * mutator's allocation or a call that happens to wake it. Set once by the collector; null for a
     * world without one.
     */
    private volatile java.util.function.Consumer<Mutator> pausingHook;

    void setMutatorPausingHook(java.util.function.Consumer<Mutator> hook) {
        pausingHook = hook;
    }

    private void mutatorPausing(Mutator m) {
        java.util.function.Consumer<Mutator> hook = pausingHook;
        if (hook != null) {
            hook.accept(m);
        }
    }

    /**
     * Lock held: takes {@code m} out of the world (its thread unregistering, or ended without
     * unregistering). Its roots stop being roots, its cache and work buffers go back (grey work
     * published, not dropped); {@code holdsP} if it counted as holding a P (RUNNING).
     */
    private void removeLocked(Mutator m, boolean holdsP) {
        runRaggedLocked(m);         // a round under way counts on it: run it now, its last safepoint
        mutators.remove(m);
        registered = mutators.size();
        mutatorsSnapshot = mutators.toArray(new Mutator[0]);
        if (holdsP) {
            mutatorPs--;
        }
        pFreedLocked();
        int slot = slotOf(m.owner);
        if (byThread[slot] == m) {
            byThread[slot] = null;
        }
        m.handleWorld = null;       // Collector.alloc(Mutator, Type) refuses it from now on
        // Its marked bytes and scan work this cycle (allocated black, assists) stay the cycle's:
        // the objects stay marked, so heapMarked must count them (see takeDepartedBytesMarked).
        departedBytesMarked += m.gcw.bytesMarked + m.blackBytes;
        departedScanWork += m.gcw.heapScanWork;
        m.gcw.bytesMarked = 0;
        m.blackBytes = 0;
        m.gcw.heapScanWork = 0;
        m.gcw.dispose();
        heap.releaseCache(m.mcache);
        m.roots.close();
        changed.signalAll();
    }

    /**
     * Marked bytes and scan work of mutators removed since the last mark termination (guarded by
     * lock; read with the world stopped, when no mutator can be removed): the counts a leaving
     * mutator's gcWork held, which mark termination's walk over the registered mutators no longer
     * sees. Go keeps a dying P's counts through its gcw, flushed into the global ones.
     */
    private long departedBytesMarked;
    private long departedScanWork;

    /** Mark termination, world stopped: the removed mutators' marked bytes since the last call, cleared. */
    long takeDepartedBytesMarked() {
        long b = departedBytesMarked;
        departedBytesMarked = 0;
        return b;
    }

    /** Mark termination, world stopped: the removed mutators' scan work since the last call, cleared. */
    long takeDepartedScanWork() {
        long w = departedScanWork;
        departedScanWork = 0;
        return w;
    }

    /** How long a stop or a ragged round waits for a mutator before it looks for ended threads. */
    static final long DEAD_OWNER_CHECK_NANOS = 10_000_000L;

    /** Mutators removed because their thread ended registered (guarded by lock). */
    private long endedRegistered;

    /** Mutators whose thread ended without unregistering, removed by a stop or a ragged round that waited for them. */
    public long endedRegisteredForTest() {
        lock.lock();
        try {
            return endedRegistered;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lock held, by the stopper while its stop waits or by a ragged round's caller while it waits:
     * removes every mutator but {@code self} whose thread has ended (an embedder's thread that died
     * of an exception between register and unregister). Such a mutator stays RUNNING forever, so
     * the stop or round would wait for it without end; it cannot run again, and its thread's last
     * writes happen-before {@code isAlive()} returning false, so its cache, work buffers and roots
     * are this thread's to take back. Only a thread that ended RUNNING is waited for (a waiting
     * one's runBlocking always exits BLOCKED first). Returns how many it removed.
     */
    private int removeEndedLocked(Mutator self) {
        int removed = 0;
        for (int i = mutators.size() - 1; i >= 0; i--) {
            Mutator m = mutators.get(i);
            if (m != self && m.state == Mutator.RUNNING && !m.owner.isAlive()) {
                removeLocked(m, true);
                lock.forgetTid(m.owner);
                endedRegistered++;
                removed++;
                System.err.println("gort: thread \"" + m.owner.getName() + "\" ended while registered with the collector's"
                        + " ThreadWorld; its mutator was removed (its root slots are no longer roots). A thread that"
                        + " registers must call threadWorld().unregister() before it ends (in a finally block).");
            }
        }
        return removed;
    }

    /** Registered mutator threads (written under lock, read by the collector without it). */
    private volatile int registered;

    /**
     * Ps no mutator holds: GOMAXPROCS minus the registered threads (a thread waiting for the
     * collector still counts: it will want its P back). The collector runs idle mark workers on
     * them, as Go runs an idle worker on a P with nothing else to do.
     */
    public int idleProcs() {
        return Math.max(0, gomaxprocs - registered);
    }

    int mutatorCountForTest() {
        return registered;
    }

    @Override
    public int gomaxprocs() {
        return gomaxprocs;
    }

    /**
     * How long a stopper spins (yielding its CPU on each turn) on the mutators' states, outside
     * the lock, before it parks until the last mutator unparks it (nanoseconds; {@code -Dgort.gc.stopspin.us},
     * default 0: block at once). Off by default because it lost its A/B on the 2-core machine
     * (StopLatencyRun, 2 mutators, load 6-8, 5 alternated runs of 1000 stops: p50 38 vs 39 us,
     * p90 316 vs 155 us, p99 8.9 vs 5.4 ms; spinning with Thread.onSpinWait instead of yielding
     * tripled the p50): with as many running mutators as CPUs a spinning stopper holds a CPU a
     * stopping mutator needs. It can pay on a machine with a spare CPU, where the blocked stopper's
     * wake-up is the last step of the stop.
     */
    static final long STOP_SPIN_NANOS_DEFAULT = 0;
    static final long STOP_SPIN_NANOS = dev.gort.sys.TuningProperty.microsAsNanos("gort.gc.stopspin.us",
            STOP_SPIN_NANOS_DEFAULT / 1000, 0, 1_000_000);
    /** This world's spin bound (tests set it: 0 exercises the blocking path alone, a long one the spin alone). */
    private volatile long stopSpinNanos = STOP_SPIN_NANOS;

    /**
     * {@code -Dgort.gc.requestyield=true|false} (default false: opt-in): a running mutator that makes a
     * wanted stop's request at its safepoint ({@link #requestWantedStop}: mark termination's, whose
     * stopped steps it then runs as the last to stop) first gives up its CPU once (sched_yield),
     * world running. The steps are 0.03-0.3 ms of CPU, but the mutator had usually been running
     * for a while: when its scheduler slice ran out inside them, the kernel's tick gave its CPU to
     * a CPU-bound thread queued on it (a JIT compiler thread in the start-up's compile storm,
     * binary-trees' early cycles), and the pause lasted that thread's whole slice, 1.8-5.7 ms for
     * under 0.15 ms of the steps' CPU (session 22, earlytail; perf: main switched out 0.03 ms into
     * a mark termination's flush, C2 on its CPU for 3.4 ms, no wake-up involved). EEVDF's
     * sched_yield moves the caller's deadline a slice on: a thread queued on its CPU with an
     * earlier deadline runs first, before the request, while the world runs and only the
     * coordinator waits, and the mutator comes back with at least a slice before the tick may
     * take its CPU. With nothing else queued on its CPU the yield returns at once (~1 us). The
     * pause is timed from the request, as before: what moves out of it is a wait on a CPU the
     * mutator would have met anyway, as time-sharing, not a stop. Not for the coordinator's own
     * requests: its wait before the request is inside its pause's timing (PauseTimer.begin comes
     * first), and at sweep termination the mutator waits for the cycle's start behind it, so a
     * yield there only lengthened the pause (3-3.5 ms "stop" steps in a trial run). Opt-in: alone
     * against the same code without it (8 alternated pairs at load 34-56, depth 18 and 21) it made no
     * measurable difference (pauses over 1 ms 7 without, 6 with; runs with every pause under 1 ms 4
     * of 8 either way), and main was still switched out right after its yield and request in some
     * early mark terminations (a thread woken or moved onto its CPU, or another process's turn,
     * takes it regardless). A value other than true or false is refused with a warning and the
     * default kept.
     */
    static final boolean REQUEST_YIELD = requestYieldProperty();

    /** The property read now (the class reads it once, into {@link #REQUEST_YIELD}; tests call it again). */
    static boolean requestYieldProperty() {
        return dev.gort.sys.TuningProperty.flag("gort.gc.requestyield", false);
    }
    /** This world's choice (tests turn it off or on). */
    private volatile boolean requestYield = REQUEST_YIELD;
    /** Yields made by mutators before a wanted stop's request ({@link #REQUEST_YIELD}; tests). */
    private final java.util.concurrent.atomic.AtomicLong requestYields = new java.util.concurrent.atomic.AtomicLong();

    void setRequestYieldForTest(boolean on) {
        requestYield = on;
    }

    long requestYieldsForTest() {
        return requestYields.get();
    }

    /**
     * Mutators between the yield before a wanted stop's request and that request (see
     * {@link #yieldBeforeRequest}): counted up before the yield, down under the lock with the
     * request ({@link #requestWantedStop}). While it is not 0 the stopper does not give up on a
     * mutator's request at its bound ({@link #awaitMutatorRequest}): one is coming as soon as that
     * mutator has its CPU back. Without this, a yield that let a compiler thread run a whole slice
     * or two (4-8 ms at load 22) outlasted the 5 ms bound, the stopper requested itself, and its
     * pause then counted the wanted stretch from its post (6.7 and 8.0 ms mark terminations).
     */
    private final java.util.concurrent.atomic.AtomicInteger yieldingToRequest = new java.util.concurrent.atomic.AtomicInteger();

    /** A mutator at its safepoint with a stop wanted (lock not held, world running): see {@link #REQUEST_YIELD}. */
    private boolean yieldBeforeRequest() {
        if (!requestYield) {
            return false;
        }
        requestYields.incrementAndGet();
        yieldingToRequest.incrementAndGet();
        try {
            Thread.yield();
            Runnable hook = afterRequestYieldHookForTest;
            if (hook != null) {
                hook.run();     // a test holds the mutator here: a yield that lasted (no CPU back for a while)
            }
        } catch (RuntimeException | Error e) {
            yieldingToRequest.decrementAndGet();     // never left counted: a stopper past its bound would wait on it
            throw e;
        }
        return true;
    }

    /** Tests: run by a mutator right after its yield before a wanted stop's request (still counted in {@link #yieldingToRequest}). */
    volatile Runnable afterRequestYieldHookForTest;

    /** Tests: sets how long {@link #stopTheWorld} spins before it blocks (nanoseconds, >= 0). */
    void setStopSpinNanosForTest(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("stop spin must be >= 0 ns, got " + nanos);
        }
        stopSpinNanos = nanos;
    }

    // =================================================================== late mutators at a real-time priority (opt-in, see MutatorStopBoost)

    /** Set once the collector's coordinator was allowed SCHED_FIFO and -Dgort.gc.stopper.rtmutators=true; null: off (guarded by lock). */
    private MutatorStopBoost mutatorBoost;

    /** Collector (its coordinator's boost allowed): mutators still running {@link MutatorStopBoost#GRACE_NANOS} into a stop get SCHED_FIFO {@code priority}. */
    void boostMutatorsWhileStopping(int priority) {
        MutatorStopBoost b = new MutatorStopBoost(priority);
        lock.lock();
        try {
            mutatorBoost = b;
        } finally {
            lock.unlock();
        }
    }

    boolean mutatorBoostOnForTest() {
        lock.lock();
        try {
            return mutatorBoost != null;
        } finally {
            lock.unlock();
        }
    }

    long mutatorBoostsForTest() {
        MutatorStopBoost b = mutatorBoost;
        return b == null ? 0 : b.boosts();
    }

    /** The coordinator allowed SCHED_FIFO (see StopperBoost): its lock waits make a normal owner run (null: none). */
    private volatile Thread realtimeStopper;
    /** The longest wait for the lock by a real-time thread in the current or last stop (guarded by lock). */
    private final WorldLock.LockWait lockWaitInStop = new WorldLock.LockWait();

    /**
     * Collector, its coordinator's boost allowed: while it waits for the world's lock over a stop
     * (and a mutator it boosted waits), the owner runs at SCHED_FIFO {@code priority}
     * ({@code -Dgort.gc.stopper.rtinherit}, default true; see WorldLock).
     */
    void inheritForRealtimeStopper(Thread coordinator, int priority) {
        realtimeStopper = coordinator;
        lock.inheritAt(WorldLock.INHERIT ? priority : 0);
    }

    /** Tests: the world's lock. */
    WorldLock lockForTest() {
        return lock;
    }

    /** A collector thread that may take the world's lock tells its tid (a real-time waiter may boost it); 0 forgets. */
    void knowLockHolder(Thread t, int tid) {
        if (tid > 0) {
            lock.knowTid(t, tid);
        } else {
            lock.forgetTid(t);
        }
    }

    /** The lock on the stopper's path: with priority inheritance when the stopper is the real-time coordinator. Returns ns waited on the slow path. */
    private long lockForStopper() {
        long waited = lock.lockAsRealtime(Thread.currentThread() == realtimeStopper);
        if (waited > 0 && stopping) {
            lockWaitInStop.keepIfLonger(lock.lastSlow);
        }
        return waited;
    }

    /**
     * How long a mutator stepping into a stop (or a ragged round, or a wait) spins for the world's
     * lock before it queues and parks. The commonest holder then is the stopper inside its request
     * (the flag is raised under the lock, and the mutator sees it at once): a few microseconds.
     */
    static final long MUTATOR_LOCK_SPIN_NANOS = 50_000;

    /**
     * The lock for a mutator's step into a stop: with inheritance while the stopper has it boosted.
     * It spins first ({@link WorldLock#trySpinning}): a mutator that parked for the stopper's few
     * microseconds of request lost its CPU, and under load it then waited 1-5 ms for another
     * process's slice to end before it could stop: the commonest slow mark termination left at
     * depth 21 (main asleep 2 us after the request, woken at 12 us, running again at 3 ms; perf
     * sched trace, session 20).
     */
    private void lockAsMutator(Mutator m) {
        if (!m.rtBoosted && lock.trySpinning(MUTATOR_LOCK_SPIN_NANOS)) {
            return;
        }
        if (lock.lockAsRealtime(m.rtBoosted) > 0 && stopping) {
            lockWaitInStop.keepIfLonger(lock.lastSlow);
        }
    }

    /** Lock held, stopper, after the grace: every mutator still RUNNING (but the stopper's own) to SCHED_FIFO. */
    private void boostRunningLocked(Mutator self) {
        for (int i = 0, n = mutators.size(); i < n; i++) {
            Mutator m = mutators.get(i);
            if (m != self && m.state == Mutator.RUNNING && !mutatorBoost.raise(m)) {
                mutatorBoost = null;          // refused (warned): stops go without it
                return;
            }
        }
    }

    /** Lock held, restart: every boosted mutator back to its own attributes before it is released. */
    private void lowerBoostedLocked() {
        for (int i = 0, n = mutators.size(); i < n; i++) {
            Mutator m = mutators.get(i);
            if (m.rtBoosted) {
                MutatorStopBoost.lower(m);
            }
        }
    }

    /** Whether the last stop saw its last mutator stop while spinning (no wake-up needed). */
    private boolean lastStopSpun;
    /** Stops that ended inside the spin, and stops in all (stopper writes, tests read). */
    private volatile long stopsEndedSpinning;
    private volatile long stops;

    long stopsEndedSpinningForTest() {
        return stopsEndedSpinning;
    }

    long stopsForTest() {
        return stops;
    }

    /**
     * Raises the stop flag, then waits until no mutator but the caller's own is RUNNING: first
     * spinning for up to {@link #stopSpinNanos} on their (volatile) states without the lock, then
     * on the condition the stopping mutators signal. Reading the mutator list without the lock is
     * safe while {@code stopping} is set: register and unregister wait under the lock for it to
     * clear, and this thread took the lock after the last change. A non-RUNNING mutator cannot run
     * again until startTheWorld (park and exitBlocked wait for {@code stopping} to clear under the
     * lock), so "all stopped" seen by the spin stays true; it is confirmed under the lock anyway.
     */
    @Override
    public void stopTheWorld(String reason) {
        stop(reason, null);
    }

    /**
     * Stops the world and runs {@code h}'s steps with it stopped, on whichever thread first sees
     * every mutator stopped: the last mutator to park at its safepoint (it becomes the stop's
     * owner and ends it: the steps restart the world), or this thread if it finds them stopped
     * first (no mutator running at the request, one that left the world or started a wait, a
     * thread that ended registered). Returns once the steps ran; throws their failure (or the
     * stop's own) with the world running again. The stopper is not on the path from the last
     * mutator's stop to the restart, so its wake-up (a third thread on two CPUs, behind whatever
     * holds them) no longer lengthens the pause; it is woken after, to go on with the cycle.
     */
    void stopTheWorldAndRun(String reason, StopHandOff h) {
        stopTheWorldAndRun(reason, h, 0);
    }

    /**
     * {@link #stopTheWorldAndRun(String, StopHandOff)} whose request a running mutator makes at its
     * next safepoint ({@link #awaitMutatorRequest}), waiting at most {@code deferNanos} for one to
     * (0: the request is made here at once, as above).
     */
    void stopTheWorldAndRun(String reason, StopHandOff h, long deferNanos) {
        h.arm();
        stop(reason, h, deferNanos);
        if (h.runner == Thread.currentThread()) {
            runHandOff(h);          // claimed here: the usual stop, the steps on the stopper
        } else {
            awaitHandOffDone(h);
        }
        Throwable f = h.failure();
        if (f instanceof RuntimeException e) {
            throw e;
        } else if (f instanceof Error e) {
            throw e;
        } else if (f != null) {
            throw new IllegalStateException("the stopped steps failed on " + h.runner.getName(), f);
        }
    }

    /** The stopper, lock not held: until the mutator that claimed {@code h} has run it (finish() unparks it; the steps are short). */
    private void awaitHandOffDone(StopHandOff h) {
        boolean interrupted = false;
        while (!h.done()) {
            java.util.concurrent.locks.LockSupport.parkNanos(this, DEAD_OWNER_CHECK_NANOS);
            if (Thread.interrupted()) {
                interrupted = true;     // park returns at once while the flag is set: set again at the end
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The claimant runs the stopped steps (lock not held). A failure ends the stop if the steps
     * left the world stopped (abandonStop, the caller's contract: the world runs again), and is
     * handed to the stopper; a mutator that ran them never sees it.
     */
    private void runHandOff(StopHandOff h) {
        // A mutator's thread may carry its program's interrupt: the steps' waits (checkmark's wait
        // for the workers) must not end early on it. Cleared for the steps, set again after.
        boolean interrupted = Thread.interrupted();
        Throwable failure = null;
        try {
            h.steps.run();
        } catch (Throwable t) {
            failure = t;
            abandonStop(t);
        }
        h.finish(failure);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops whose stopped steps a mutator ran (the hand-off), and whether the last stop's were (stopper writes or the claimant under lock; tests read). */
    private volatile long stopsHandedOff;
    private boolean lastStopHandedOff;

    long stopsHandedOffForTest() {
        return stopsHandedOff;
    }

    /**
     * Tests: run by the stopper as its wait begins, right after the request (lock not held), the
     * stopper held there as long as it runs: a stopper that gets no CPU after its request.
     */
    volatile Runnable stopWaitHookForTest;

    private void stopWaitHook() {
        Runnable r = stopWaitHookForTest;
        if (r != null) {
            r.run();
        }
    }

    /** The current stop's hand-off, or null: the stopper runs its own steps after the stop (guarded by lock). */
    private StopHandOff handOff;

    private void stop(String reason, StopHandOff h) {
        stop(reason, h, 0);
    }

    private void stop(String reason, StopHandOff h, long deferNanos) {
        long lockWait = lockForStopper();
        Mutator self = mutatorOfLocked(Thread.currentThread());
        try {
            while (stopping || raggedFn != null) {
                changed.awaitUninterruptibly();
            }
            lastRequestedBy = null;
            // Lock held on return; false: no mutator made the request (none left running, the
            // bound passed, a close), so it is made here as without the deferral.
            boolean requestedByMutator = deferNanos > 0 && h != null && stopWanted == null && !allStopped(self)
                    && awaitMutatorRequest(h, self, deferNanos);
            if (!requestedByMutator) {
                lockWaitInStop.clear();
                if (lockWait > 0) {
                    lockWaitInStop.keepIfLonger(lock.lastSlow);
                }
                requestLocked(Thread.currentThread(), self, h);
                try {
                    stopFault("request");
                } catch (Throwable t) {
                    abandonStop(t);         // a release that throws too is added to t, not thrown instead of it
                    throw t;
                }
            }
        } finally {
            lock.unlock();
        }
        awaitStoppedOrAbandon(self, h);
    }

    /**
     * Lock held, no stop or ragged round in progress: raises the stop flag for {@code stopperThread}
     * (whose own mutator, if any, is {@code self}) and records where each running mutator was asked.
     * The stopper's own request, or one a mutator makes for it ({@link #requestWantedStop}).
     */
    private void requestLocked(Thread stopperThread, Mutator self, StopHandOff h) {
        stopRequestedAt = System.nanoTime();
        stopping = true;
        StopHandOff displaced = stopWanted;
        if (displaced != null && displaced != h) {
            // Another stopper's post, cleared by this request: wake it (it parks for its whole
            // bound otherwise) to wait this stop out and post again (awaitMutatorRequest).
            java.util.concurrent.locks.LockSupport.unpark(displaced.stopper());
        }
        stopWanted = null;
        stopWantedFlag = 0;
        updateFlagsLocked();
        stopper = stopperThread;
        handOff = h;
        lastStopHandedOff = false;
        stops++;
        stopperSelf = self;
        for (int i = 0; i < mutators.size(); i++) {
            Mutator m = mutators.get(i);
            m.stopLatency = 0;
            m.siteAtStop = m != self && m.state == Mutator.RUNNING ? m.siteNow() : -1;   // where each was asked
            if (STOP_STATS && m.siteAtStop >= 0) {
                m.runqWaitAtRequest = runqueueWaitNanos(m.tid);
            }
        }
    }

    // =================================================================== a stop requested by a running mutator

    /**
     * A stop with a hand-off whose stopper waits for a running mutator to make the request at its
     * next safepoint (guarded by lock; null: none wanted). Mark termination's stop over one
     * mutator: the stopper's request used to find the mutator descheduled by the kernel (another
     * process's slice, a compiler thread) in 1-3 of ~100 stops of a depth-21 run, and the pause
     * then lasted until the kernel ran it again, 1-4.4 ms (session 21, bt21tail). Asked at its
     * safepoint, the mutator makes the request on the CPU it holds, stops at once (the last to
     * stop) and runs the steps: the stop is not requested while no mutator runs to honour it. Go's
     * gcMarkDone likewise stops the world from the goroutine that found the mark work done, often
     * an assisting mutator.
     */
    private StopHandOff stopWanted;
    /** {@link #SP_STOP_WANTED} while {@link #stopWanted} is set, else 0 (guarded by lock). */
    private int stopWantedFlag;
    /** The stopper's own mutator when it posted {@link #stopWanted} (guarded by lock). */
    private Mutator stopWantedSelf;
    /** When {@link #stopWanted} was posted (guarded by lock). */
    private long stopWantedAt;
    /** The thread that made the last stop's request for its stopper (null: the stopper did), and how long after the post (guarded by lock). */
    private Thread lastRequestedBy;
    private long lastRequestDeferral;
    /** Stops whose request a mutator made for the stopper (tests). */
    private volatile long stopsRequestedByMutators;

    long stopsRequestedByMutatorsForTest() {
        return stopsRequestedByMutators;
    }

    /**
     * Lock held on entry and on return (stopper, no stop in progress, a mutator running): posts
     * {@code h} as wanted and parks without the lock until a mutator made the request for it
     * (true), or until none is left running, {@code deferNanos} passed or the collector closed
     * (false: the post is withdrawn and the caller requests). A mutator that made the request
     * does not wake the stopper (it would compete for the lock and a CPU inside the pause): the
     * hand-off's claimant wakes it when the steps are done, or the last mutator to stop by
     * blocking, as after the stopper's own request.
     */
    private boolean awaitMutatorRequest(StopHandOff h, Mutator self, long deferNanos) {
        stopWantedAt = System.nanoTime();
        h.requestedAt = 0;
        postWantedLocked(h, self);
        long deadline = stopWantedAt + deferNanos;
        for (;;) {
            if (h.requestedAt != 0) {
                return true;
            }
            if (stopping || raggedFn != null) {
                // Another stopper's stop (or a ragged round) began while this one was only wanted:
                // wait it out before requesting or withdrawing. Requesting inside it would take
                // over that stop's stopped world and run these steps in it.
                changed.awaitUninterruptibly();
                continue;
            }
            if (stopWanted != h) {
                // The other stop's request cleared this post (requestLocked): post it again, so a
                // mutator can still make the request; if another stopper posted its own
                // meanwhile, request this one here (no stop is in progress now).
                if (stopWanted != null) {
                    return false;
                }
                postWantedLocked(h, self);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 && yieldingToRequest.get() != 0 && !allStopped(self) && closedCollector == null) {
                left = YIELDING_REQUESTER_RECHECK_NANOS;     // a mutator yielded on its way to the request: wait for it, world running
            } else if (left <= 0 || allStopped(self) || closedCollector != null) {
                stopWanted = null;      // this post (checked above, lock held since)
                stopWantedFlag = 0;
                updateFlagsLocked();
                return false;
            }
            lock.unlock();
            try {
                java.util.concurrent.locks.LockSupport.parkNanos(this, left);
            } finally {
                lockForStopper();
            }
        }
    }

    /** How often a stopper past its bound looks again while a mutator is on its way to the request (it is not unparked by it). */
    static final long YIELDING_REQUESTER_RECHECK_NANOS = 100_000;

    /** Lock held, no stop in progress: posts {@code h} as wanted for running mutators to request. */
    private void postWantedLocked(StopHandOff h, Mutator self) {
        stopWanted = h;
        stopWantedFlag = SP_STOP_WANTED;
        stopWantedSelf = self;
        updateFlagsLocked();
    }


    /**
     * A running mutator at its safepoint (lock not held) with a stop wanted: makes the request for
     * the stopper that posted it, then stops as for the stopper's own request (the caller parks).
     * Nothing if the stopper withdrew it or another stop or a ragged round came first.
     */
    private void requestWantedStop(Mutator m) {
        requestWantedStop(m, false);
    }

    /** {@code yielded}: this mutator counted itself in {@link #yieldingToRequest} before its yield; counted out here, with the request. */
    private void requestWantedStop(Mutator m, boolean yielded) {
        // Its CPU clock before the request, world running: the pause's CPU counts from here if this
        // mutator runs the steps (PauseTimer.requesterCpu), and no clock is read inside the pause,
        // where a read lets the kernel switch a thread with a spent slice out at once (PauseTimer).
        long cpuBefore = dev.gort.sys.CpuClock.threadCpuNanos();
        try {
            lockAsMutator(m);
        } catch (RuntimeException | Error e) {
            if (yielded) {
                yieldingToRequest.decrementAndGet();
            }
            throw e;
        }
        try {
            requestWantedLocked(m, cpuBefore);
        } finally {
            if (yielded) {
                yieldingToRequest.decrementAndGet();
            }
            lock.unlock();
        }
    }

    /** Lock held, {@code m} RUNNING and not going to run the steps (it blocks or leaves): the request, if one is still wanted. */
    private void requestWantedLocked(Mutator m) {
        requestWantedLocked(m, 0);
    }

    /**
     * Lock held, {@code m} RUNNING: {@link #requestWantedStop}'s request, if one is still wanted
     * ({@code cpuBefore}: m's CPU clock read before it took the lock, kept in the hand-off; 0: not read).
     */
    private void requestWantedLocked(Mutator m, long cpuBefore) {
        StopHandOff h = stopWanted;
        if (h == null || stopping || raggedFn != null || m.state != Mutator.RUNNING || h.stopper() == m.owner) {
            return;
        }
        lockWaitInStop.clear();
        requestLocked(h.stopper(), stopWantedSelf, h);
        h.requestedAt = stopRequestedAt;
        h.requester = m.owner;
        h.requesterCpu = cpuBefore;
        lastRequestedBy = m.owner;
        lastRequestDeferral = stopRequestedAt - stopWantedAt;
        stopsRequestedByMutators++;
    }

    /** The stopper after its request (or a mutator's for it), lock not held: {@link #awaitStopped}, abandoning the stop if that fails. */
    private void awaitStoppedOrAbandon(Mutator self, StopHandOff h) {
        try {
            awaitStopped(self, h);
        } catch (Throwable t) {
            // Whatever failed (a boost refused by the kernel, a diagnostic, an out-of-memory error,
            // the collector's close), the world must not stay stopped with nobody to restart it:
            // the caller gets the error with every mutator running again, as before the request.
            abandonStop(t);
            throw t;
        }
    }

    /**
     * A stop that cannot finish: releases the mutators it stopped (as startTheWorld does) and
     * clears the request, whether or not this thread holds the lock; a failure of the release
     * itself is added to {@code cause} as suppressed.
     */
    private void abandonStop(Throwable cause) {
        boolean held = lock.isHeldByCurrentThread();
        try {
            if (!held) {
                lock.lock();
            }
            if (stopping && stopper == Thread.currentThread()) {
                releaseStoppedLocked();
            }
        } catch (Throwable t) {
            if (t != cause) {
                cause.addSuppressed(t);
            }
        } finally {
            if (!held && lock.isHeldByCurrentThread()) {
                lock.unlock();
            }
        }
    }

    /**
     * The wait half of {@link #stopTheWorld}: returns once no mutator but {@code self} runs, or,
     * with a hand-off {@code h}, once this thread claimed it (every mutator stopped) or the last
     * mutator to stop did (it runs the steps and restarts the world: the caller waits for that).
     */
    private void awaitStopped(Mutator self, StopHandOff h) {
        stopWaitHook();
        long spin = stopSpinNanos;
        lastStopSpun = false;
        // Never at SCHED_FIFO (the real-time stop's coordinator): its yields let no normal
        // mutator on its CPU run, so it would hold that CPU for the whole spin against the very
        // mutator it waits for (as WorldStop's opt-in spin; ThreadWorldStopTest). A real-time
        // stopper is woken at once anyway.
        if (spin > 0 && !dev.gort.sys.RealtimeBoost.currentThreadRaised() && !allStopped(self)) {
            long deadline = System.nanoTime() + spin;
            do {
                Thread.yield();
                if (allStopped(self)) {
                    stopsEndedSpinning++;
                    lastStopSpun = true;
                    break;
                }
            } while (System.nanoTime() - deadline < 0);
        }
        // The stopper parks without the lock and the last mutator to stop unparks it: a condition's
        // wait takes the lock back through AQS's queue, where a real-time stopper can spin on a
        // preempted normal thread's next step (WorldLock.POLL_NANOS); lockForStopper never queues.
        boolean laggardsBoosted = mutatorBoost == null, interrupted = false;
        long graceEnd = stopRequestedAt + MutatorStopBoost.GRACE_NANOS;
        lockForStopper();
        try {
            for (;;) {
                if (h != null && h.runner != null) {
                    // A mutator claimed the steps: the stop is its own now (no give-up on a close,
                    // no boost, no dead-owner look); the caller waits for them without the lock,
                    // which the claimant's restart takes.
                    return;
                }
                stopFault("wait");
                if (allStopped(self)) {
                    noteSlowestStopper();
                    stopFault("stopped");
                    if (h != null) {
                        h.runner = Thread.currentThread();        // nobody parked last with it armed: the steps run here
                    }
                    return;
                }
                giveUpIfClosedLocked("stop", self);
                long now = System.nanoTime();
                if (!laggardsBoosted && now - graceEnd >= 0) {
                    laggardsBoosted = true;
                    if (mutatorBoost != null) {
                        boostRunningLocked(self);
                    }
                    continue;
                }
                lock.unlock();
                try {
                    if (!laggardsBoosted) {
                        java.util.concurrent.locks.LockSupport.parkNanos(this, graceEnd - now);     // the usual stop needs no boost
                    } else if (DEBUG_STOP) {
                        java.util.concurrent.locks.LockSupport.parkNanos(this, 5_000_000);
                    } else {
                        // Timed only so that a thread that ended registered is found (removeEndedLocked).
                        java.util.concurrent.locks.LockSupport.parkNanos(this, DEAD_OWNER_CHECK_NANOS);
                    }
                    if (Thread.interrupted()) {
                        interrupted = true;     // park returns at once while the flag is set: set again at the end
                    }
                } finally {
                    lockForStopper();
                }
                if (laggardsBoosted && System.nanoTime() - now >= DEAD_OWNER_CHECK_NANOS / 2 && !allStopped(self)) {
                    removeEndedLocked(self);    // woken by its timeout, not by the last mutator
                }
                if (DEBUG_STOP && laggardsBoosted && System.nanoTime() - now >= 5_000_000) {
                    for (Mutator m : mutators) {
                        if (m != self && m.state == Mutator.RUNNING) {
                            System.err.println("stop slow: " + m.owner + " at " + java.util.Arrays.toString(m.owner.getStackTrace()));
                        }
                    }
                }
            }
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Runs the stop path's lock handling {@code rounds} times with the world running (the
     * coordinator's warm-up, between cycles), so the JIT compiles it then and not inside a pause:
     * a method of the pause path crosses a compile threshold at a fixed count of calls, i.e. at
     * some cycle mid-run, and the compile request wakes a compiler thread that on two CPUs can take
     * the stopper's CPU for a slice (measured in binary-trees, session 12). The lock, the list
     * reads and the flag word are the real ones; no stop is under way, so no stopper is woken
     * (unpark of null). Nothing changes: the flags are recomputed from the state they already show.
     *
     * <p>C2 compiles a branch that its profile never saw taken as a trap back to the interpreter.
     * With the world running, the real state takes one side of every test (no stop requested, no
     * mutator running or none registered yet), so the code compiled here trapped at the first real
     * stop: allStopped, stopperToWakeLocked and updateFlagsLocked were deoptimized inside gc 2-3's
     * pauses and compiled again there (-Xlog:deoptimization, session 15, jitpause). Their tests
     * therefore live in static methods that each round also runs over state of the warm-up's own
     * (two mutators of no thread, in turn running and stopped; each flag set and clear), so the
     * profile the real callers inline has seen both sides.
     */
    /**
     * Calls of the mutator's side of a wanted stop ({@link #requestWantedStop}) in
     * {@link #warmUpRequestPath}: past C1's threshold (tier 3 at 200 calls), far short of C2's
     * (5000). It runs once a mark termination, so left to the run it crossed C1's threshold inside
     * one (gc 75 of a depth-21 run, session 21), the compile request waking a compiler thread
     * beside the mutator running the stopped steps; compiled by C2 from the warm-up, where no stop
     * is ever wanted, it would trap at the first real request instead.
     */
    static final int REQUEST_PATH_WARMUP_CALLS = 400;

    /**
     * The coordinator's warm-up, between cycles (no stop wanted, so each call takes and lets go the
     * world's lock as a mutator and changes nothing): see {@link #REQUEST_PATH_WARMUP_CALLS}.
     */
    void warmUpRequestPath() {
        Mutator m = warmUpMutator();
        for (int i = 0; i < REQUEST_PATH_WARMUP_CALLS; i++) {
            requestWantedStop(m);
        }
    }

    void warmUpStopPath(int rounds) {
        List<Mutator> sample = warmUpSample;
        if (sample == null) {
            // Made once and kept: two Mutators per call were 4.5 KiB of Java garbage each top-up
            // chunk. Its callers are the coordinator and a test on an idle collector; a shared
            // sample is harmless, since each round sets both states before it reads them.
            sample = warmUpSample = new ArrayList<>(List.of(warmUpMutator(), warmUpMutator()));     // the real list's class
        }
        Thread self = Thread.currentThread();
        for (int i = 0; i < rounds; i++) {
            // The stopper's own wrappers, not the lock's method alone: lockForStopper and stopFault
            // run a few times a pause and nowhere else, and left cold they crossed C1's threshold
            // at binary-trees 21's gc 37-41 every run, their compile request made inside a sweep
            // termination (0.5-1.2 ms pauses: the woken C1 thread took the stopper's CPU, session 20).
            // Odd rounds take it as a stopping mutator does (lockAsMutator, from safepointSlow:
            // C1 at gc 55 when left to the run); a mutator of no thread is never boosted.
            if ((i & 1) == 0) {
                lockForStopper();
            } else {
                lockAsMutator(sample.get(1));
            }
            Thread wake;
            try {
                stopFault("warm-up");
                allStopped(stopperSelf);
                updateFlagsLocked();
                wake = stopperToWakeLocked();
                sample.get(0).state = (i & 1) == 0 ? Mutator.RUNNING : Mutator.STOPPED;
                sample.get(1).state = (i & 2) == 0 ? Mutator.RUNNING : Mutator.BLOCKED;
                if (stopperIfAllStopped((i & 4) == 0, sample, null, self) == self) {
                    sample.get(0).state = Mutator.RUNNING;        // as a stop's end would
                }
                safepointFlagsFor((i & 1) != 0, (i & 2) != 0, i & 3, (i >> 2) & 1, ((i >> 3) & 3) - 1);
                idleWorkersShouldYield((i & 8) != 0, ((i >> 1) & 3) - 1, (i >> 4) & 1);
            } finally {
                lock.unlock();
            }
            java.util.concurrent.locks.LockSupport.unpark(wake);
        }
    }

    /** {@link #warmUpStopPath}'s two mutators of no thread, in a list of the real one's class (made at its first call). */
    private List<Mutator> warmUpSample;

    /**
     * Rounds of {@link #warmUpContendedLock} per chunk of the coordinator's warm-up (30 chunks):
     * enough for the held side of the lock's tests to count in the profile C2 compiles from (it
     * emits a trap only for a side never seen), few enough to cost milliseconds (each round is a
     * park and an unpark).
     */
    static final int CONTENDED_WARMUP_ROUNDS = 16;

    /** Tests: rounds of {@link #warmUpContendedLock} in which the lock was held as the stopper asked for it. */
    volatile int contendedWarmUpRoundsForTest;
    /** Tests: rounds of {@link #warmUpContendedLock} whose helper let go because it saw the stopper waiting (queued or polling). */
    volatile int waiterSeenWarmUpRoundsForTest;

    /**
     * Runs the stopper's lock acquisition ({@link #lockForStopper}, then the unlock that hands the
     * lock on) {@code rounds} times with the lock held by a helper thread, so the lock path's
     * profile has seen it taken: the lock found held, the waiter queued and parked, the holder's
     * unlock waking a successor. {@link #warmUpStopPath} alone takes the lock free every time, so
     * C2 compiled {@code WorldLock.lockAsRealtime}, {@code ReentrantLock$Sync.tryLock},
     * {@code NonfairSync.initialTryLock}, {@code AQS.signalNext} and {@code LockSupport.unpark} with
     * the held side as an uncommon trap; the first real stops that met the lock held (a mutator
     * stopping, a worker standing aside) trapped out of them (gc 6-14 of binary-trees 21), and
     * their recompilation was then requested inside later pauses (C1 at gc 12-22, 0.4-0.5 ms
     * pauses; session 20). Run by the coordinator between chunks of the stop path's other warm-up
     * rounds (so the C2 compiles they lead to have this profile), with no stop under way and the world running:
     * the helper holds the lock only until the stopper has queued for it (1 ms at most), and a
     * mutator that wants it meanwhile waits for that, as it would for a stop's short holds.
     * {@code keepGoing} is asked before each round (a close or a cycle owed ends it). The helper has
     * ended on return. Returns the rounds run (fewer than {@code rounds} if {@code keepGoing} said
     * no, or the helper thread ended early).
     */
    int warmUpContendedLock(int rounds, java.util.function.BooleanSupplier keepGoing) {
        java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();    // rounds the helper holds or held
        java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();   // rounds the stopper took the lock in
        java.util.concurrent.atomic.AtomicBoolean quit = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger waiterSeen = new java.util.concurrent.atomic.AtomicInteger();
        // The two threads hand each round on by park and unpark, each woken by the other's step:
        // waits that yielded kept both threads runnable, and on a loaded machine each yield sent
        // the thread to the back of a long run queue, so every step of every round waited a whole
        // pass of it (480 rounds before a new collector's first cycle: 225 s and counting at load
        // ~60, session 22). The timed parks (1 ms) only guard against a lost wake-up.
        Thread stopper = Thread.currentThread();
        Thread helper = Thread.ofPlatform().daemon().name("gort-gc-lock-warmup").start(() -> {
            for (int i = 1; i <= rounds && !quit.get(); i++) {
                lock.lock();
                try {
                    held.set(i);
                    java.util.concurrent.locks.LockSupport.unpark(stopper);
                    // Until the stopper waits: queued, or polling as a real-time stopper does
                    // (lockBehindOwner; without that test it held the full 1 ms each round, and
                    // the stopper polled ~20 times a round: under load every poll waited for a
                    // CPU, and a boosted coordinator's warm-up, 480 rounds, took minutes; s22).
                    long deadline = System.nanoTime() + 1_000_000;
                    for (;;) {
                        if (lock.hasQueuedThreads() || lock.hasRealtimeWaiter()) {
                            waiterSeen.incrementAndGet();
                            break;
                        }
                        if (quit.get() || System.nanoTime() - deadline >= 0) {
                            break;
                        }
                        Thread.yield();         // the stopper may need this CPU to reach its lock call
                    }
                } finally {
                    lock.unlock();      // with the stopper queued: signalNext's unpark of a waiter
                }
                while (taken.get() < i && !quit.get()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(this, 1_000_000);
                }
            }
        });
        int contended = 0;
        int done = 0;
        try {
            for (int i = 1; i <= rounds && keepGoing.getAsBoolean(); i++) {
                while (held.get() < i && helper.isAlive()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(this, 1_000_000);
                }
                if (!helper.isAlive()) {
                    break;
                }
                if (lock.isLocked()) {
                    contended++;        // the helper holds it until this thread has queued (or 1 ms passed)
                }
                lockForStopper();       // usually finds it held: tryLock fails, the stopper queues and parks
                lock.unlock();
                taken.set(i);
                done = i;
                java.util.concurrent.locks.LockSupport.unpark(helper);
            }
        } finally {
            quit.set(true);
            java.util.concurrent.locks.LockSupport.unpark(helper);
            boolean interrupted = false;
            for (;;) {
                try {
                    helper.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        contendedWarmUpRoundsForTest += contended;
        waiterSeenWarmUpRoundsForTest += waiterSeen.get();
        return done;
    }

    /** A mutator of no thread and no memory for {@link #warmUpStopPath}'s own state (never registered). */
    private static Mutator warmUpMutator() {
        return new Mutator(null, null, null, null);
    }

    /**
     * Lock held: a mutator just stopped or started waiting; returns the stopper to wake if it was
     * the last one running (else null). The caller unparks it after its unlock: a real-time stopper
     * woken on the caller's CPU preempts it at once, and woken before the unlock it found the lock
     * still held by a thread it had just switched out, queued behind the machine's other threads
     * (seen: 0.2-1.7 ms at binary-trees 18). A stale wake-up is harmless: the stopper parks in a loop.
     */
    private Thread stopperToWakeLocked() {
        return stopperIfAllStopped(stopping, mutators, stopperSelf, stopper);
    }

    /** {@code stopper} if a stop is requested and no mutator of {@code ms} but {@code self} runs, else null (static: see warmUpStopPath). */
    private static Thread stopperIfAllStopped(boolean stopRequested, List<Mutator> ms, Mutator self, Thread stopper) {
        return stopRequested && allStoppedIn(ms, self) ? stopper : null;
    }

    /** True if no mutator but {@code self} is RUNNING (stopper only, while {@code stopping}: the list does not change). */
    private boolean allStopped(Mutator self) {
        return allStoppedIn(mutators, self);
    }

    private static boolean allStoppedIn(List<Mutator> ms, Mutator self) {
        for (int i = 0, n = ms.size(); i < n; i++) {
            Mutator m = ms.get(i);
            if (m != self && m.state == Mutator.RUNNING) {
                return false;
            }
        }
        return true;
    }

    /** Nanoseconds thread {@code tid} of this process has spent runnable, waiting for a CPU (Linux schedstat); 0 if unknown. */
    static long runqueueWaitNanos(long tid) {
        try {
            String line = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + tid + "/schedstat")).trim();
            String[] f = line.split(" ");
            return f.length >= 2 ? Long.parseLong(f[1]) : 0;
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Lock held, world stopped: remembers the mutator that took longest to stop. */
    private void noteSlowestStopper() {
        Mutator slowest = null;
        for (int i = 0; i < mutators.size(); i++) {
            Mutator m = mutators.get(i);
            if (m.stopLatency > 0 && (slowest == null || m.stopLatency > slowest.stopLatency)) {
                slowest = m;
            }
        }
        slowestStopper = slowest;
        stopSeenAfter = System.nanoTime() - stopRequestedAt;
    }

    private volatile long restartedAt;

    @Override
    public long lastStopRequestNanos() {
        return stopRequestedAt;
    }

    @Override
    public long lastRestartNanos() {
        return restartedAt;
    }

    /** Nanoseconds from the last stop request until the stopper saw every mutator stopped (guarded by lock). */
    private long stopSeenAfter;

    @Override
    public String describeLastStop() {
        lock.lock();
        try {
            Mutator m = slowestStopper;
            String requested = lastRequestedBy == null ? ""
                    : Millis.append(new StringBuilder("requested by ").append(lastRequestedBy.getName()).append(" at its safepoint "),
                            lastRequestDeferral).append(" ms after the stopper asked; ").toString();
            if (m == null) {
                return Millis.append(new StringBuilder(requested).append("no mutator was running; stopper saw it at "), stopSeenAfter).append(" ms")
                        .append(lockWaitInStop.describe()).toString();
            }
            StringBuilder sb = Millis.append(new StringBuilder(requested).append("last to stop: ").append(m.owner.getName()).append(" at "), m.stopLatency).append(" ms");
            if (STOP_STATS && m.runqWaitAtStop > 0) {
                Millis.append(sb.append(" (run-queue wait booked meanwhile "), m.runqWaitAtStop - m.runqWaitAtRequest).append(" ms: it waited for a CPU)");
            }
            sb.append(", in ").append(m.siteAtStop < 0 ? "a wait" : Mutator.siteName(m.siteAtStop)).append(" when asked; ");
            if (lastStopHandedOff) {
                return Millis.append(sb.append("it ran the stopped steps from "), stopSeenAfter).append(" ms (hand-off)")
                        .append(lockWaitInStop.describe()).toString();
            }
            sb.append("stopper saw it at ");
            return Millis.append(sb, stopSeenAfter).append(" ms, ").append(lastStopSpun ? "spinning" : "woken").append(lockWaitInStop.describe()).toString();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void startTheWorld() {
        lockForStopper();
        try {
            if (!stopping || stopper != Thread.currentThread()) {
                throw new IllegalStateException("startTheWorld without a stopTheWorld by this thread");
            }
            restartedAt = System.nanoTime();
            releaseStoppedLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lock held, by the stopper: ends its stop (done or abandoned) and lets every stopped mutator
     * run. The flag is cleared and the stopper forgotten before anything that could throw, so a
     * failure here still leaves a world no later stop or mutator waits on for ever.
     */
    private void releaseStoppedLocked() {
        stopping = false;
        updateFlagsLocked();
        stopper = null;
        stopperSelf = null;
        handOff = null;
        try {
            lowerBoostedLocked();          // before any mutator runs again
            stopFault("release");
        } finally {
            // Release the parked mutators directly: each is set RUNNING here, under the lock (so a
            // ragged round that starts next sees it running, and a stop that starts next waits for
            // it), and unparked; it needs no lock to go on. Through the condition instead, each
            // woken mutator had to take the lock in turn and the next one waited for it to get a CPU.
            for (int i = 0, n = mutators.size(); i < n; i++) {
                Mutator m = mutators.get(i);
                if (m.state == Mutator.STOPPED) {
                    m.state = Mutator.RUNNING;
                    if (m.owner != Thread.currentThread()) {      // a hand-off's runner is not parked
                        java.util.concurrent.locks.LockSupport.unpark(m.owner);
                    }
                }
            }
            changed.signalAll();           // registering, unregistering, returning waiters and other stoppers
            pFreed.signalAll();            // collector threads waiting for a P look again (the mark may have ended meanwhile)
        }
    }

    /**
     * Lock held: {@code t}'s mutator, or null when it is not registered (the coordinator), found
     * without the ThreadLocal. A stopper's lookup runs inside its pause, and there the JDK's
     * compiled ThreadLocal.get took a class-check trap (its getMap call speculated on the
     * withInitial subclass the scratch buffers use; this ThreadLocal is a plain one) in gc 1-2 of
     * most depth-21 runs: a deoptimization inside the stop (-Xlog:deoptimization, session 28,
     * pausecpu28). The list is the registered set (register and unregister change it under the
     * lock); its owner fields are final.
     */
    private Mutator mutatorOfLocked(Thread t) {
        Mutator m = byThread[slotOf(t)];
        if (m != null && m.owner == t) {
            return m;
        }
        for (int i = 0; i < mutators.size(); i++) {
            m = mutators.get(i);
            if (m.owner == t) {
                return m;
            }
        }
        return null;
    }

    @Override
    public Mutator current() {
        Thread t = Thread.currentThread();
        Mutator m = byThread[slotOf(t)];
        return m != null && m.owner == t ? m : current.get();
    }

    private static int slotOf(Thread t) {
        return (int) t.threadId() & (BY_THREAD - 1);
    }

    @Override
    public Iterable<Mutator> mutators() {
        lock.lock();
        try {
            return new ArrayList<>(mutators);
        } finally {
            lock.unlock();
        }
    }

    /** World stopped: register and unregister wait for the restart, so the list does not change (the stopper took the lock after the last change). */
    @Override
    public int mutatorSlots() {
        return mutators.size();
    }

    @Override
    public Mutator mutatorAt(int i) {
        return mutators.get(i);
    }

    @Override
    public long scanStacks(RootSink sink) {
        long bytes = 0;
        for (int i = 0, n = mutators.size(); i < n; i++) {      // world stopped: no copy (see mutatorSlots)
            Mutator m = mutators.get(i);
            sink.stackStarted("thread", m.owner.threadId());
            sink.slots(m.roots.base(), m.roots.size(), "thread", m.owner.threadId());
            bytes += 8L * m.roots.size();
        }
        return bytes;
    }

    @Override
    public boolean stopRequested() {
        return stopping;
    }

    @Override
    public boolean preemptRequested() {
        // A round asks only a mutator that still owes it its safepoint, as SchedWorld asks only a P
        // that owes it. raggedActive stays true until the round's caller wakes and clears it, which
        // on a loaded machine can take hundreds of ms after the last mutator answered: read
        // world-wide (until session 32) it broke off the assists of mutators that had answered, so
        // their allocations went ahead in debt with no scan work done (branch assist32). The
        // answers are or-ed with no branch of their own here (see SchedWorld.preemptRequested and
        // StopAnswerBranchTest); the round's branch is in raggedPendingHere, as the scheduler's is
        // in safePointFnPendingHere.
        return stopping | raggedPendingHere();
    }

    /**
     * The unlocked read of {@code stopper} that {@link #park} makes too: {@code stopping} is read
     * first, and a stopper is written before the flag is cleared and after it is raised only under
     * the lock; a thread that is the stopper wrote it itself or was handed it under the lock.
     */
    @Override
    public boolean stoppedByCaller() {
        return stopping && stopper == Thread.currentThread();
    }

    /**
     * True while a round is open and the calling thread owes it: a thread that is not a mutator
     * (a worker) or a mutator that has not run this round's function. One volatile read outside a
     * round. raggedActive is read first: the round's caller wrote it after raggedRound (both under
     * the lock), so the round number read is at least that round's; a mutator's raggedDone is
     * written by itself, or for it under the lock while it was not running.
     */
    private boolean raggedPendingHere() {
        if (!raggedActive) {
            return false;
        }
        Mutator m = current.get();
        return m == null || m.raggedDone != raggedRound;
    }

    /**
     * The fast path is one volatile read: {@link #safepointFlags} folds a stop, a ragged round and a
     * collector thread's request for a P into one word.
     */
    @Override
    public void safepoint(Mutator m) {
        if (safepointFlags != 0) {
            safepointSlow(m);
        }
    }

    private void safepointSlow(Mutator m) {
        if ((safepointFlags & SP_STOP_WANTED) != 0 && stopper != Thread.currentThread()) {
            boolean yielded = yieldBeforeRequest();     // a fresh slice for the request and the steps it will run
            requestWantedStop(m, yielded);  // then stops below, on the CPU it holds
        }
        if (stopping) {
            park(m);
        } else if (raggedActive) {
            raggedSafepoint(m);
        }
        if ((safepointFlags & SP_HANDOVER) != 0) {
            handOver(m);
        }
    }

    /** A registered thread keeps its mutator across a safepoint: no second lookup. */
    @Override
    public Mutator safepointThenCurrent(Mutator m) {
        safepoint(m);
        return m;
    }

    /** A safepoint for the calling mutator thread (e.g. in loops that do not allocate). */
    public void poll() {
        if (safepointFlags != 0) {          // the fast path: one volatile read, no thread-local lookup
            Mutator m = current.get();
            if (m != null) {
                safepoint(m);
            }
        }
    }

    /**
     * {@code fn} always runs with the lock held, so a mutator's state cannot change under it: a
     * waiting (BLOCKED) mutator needs the lock to run again, and the round runs {@code fn} for those
     * itself; running ones run it at their next safepoint, in {@link #enterBlocked} or
     * {@link #unregister}; the caller's own mutator, if any, is done by the caller. The caller
     * waits on the condition, woken by the last one (no polling interval).
     */
    @Override
    public boolean forEachMutatorAtSafepoint(java.util.function.Consumer<Mutator> fn) {
        lock.lock();
        try {
            while (stopping || raggedFn != null) {
                changed.awaitUninterruptibly();
            }
            long round = ++raggedRound;
            raggedFn = fn;
            // Whatever throws below (fn, the close giving the round up), the round ends here: a
            // round left set would hold every later stop and round (they wait for raggedFn to clear).
            // Mutators that had not run fn yet never will (runRaggedLocked reads raggedFn).
            try {
                Mutator self = mutatorOfLocked(Thread.currentThread());
                int remaining = 0;
                for (int i = 0; i < mutators.size(); i++) {
                    Mutator m = mutators.get(i);
                    if (m == self || m.state != Mutator.RUNNING) {
                        m.raggedDone = round;
                        fn.accept(m);
                    } else {
                        remaining++;
                    }
                }
                raggedRemaining = remaining;
                if (remaining > 0) {
                    raggedActive = true;
                    updateFlagsLocked();
                    boolean interrupted = false;
                    try {
                        while (raggedRemaining > 0) {
                            giveUpIfClosedLocked("ragged round", self);
                            try {
                                if (changed.awaitNanos(DEAD_OWNER_CHECK_NANOS) <= 0) {
                                    removeEndedLocked(self);     // runs the round for each one it removes
                                }
                            } catch (InterruptedException e) {
                                interrupted = true;         // the round must finish: keep the flag for the caller
                            }
                        }
                    } finally {
                        if (interrupted) {
                            Thread.currentThread().interrupt();
                        }
                        raggedActive = false;
                        updateFlagsLocked();
                    }
                }
            } finally {
                raggedFn = null;
                raggedRemaining = 0;
                changed.signalAll();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void raggedSafepoint(Mutator m) {
        m.checkNotBlocked("a safepoint (allocation or poll) during a ragged round");
        lock.lock();
        try {
            runRaggedLocked(m);
        } finally {
            lock.unlock();
        }
    }

    /** Lock held: runs the current round's function for {@code m} if it has not yet. */
    private void runRaggedLocked(Mutator m) {
        java.util.function.Consumer<Mutator> fn = raggedFn;
        if (fn != null && m.raggedDone != raggedRound) {
            m.raggedDone = raggedRound;
            try {
                fn.accept(m);
            } finally {
                if (--raggedRemaining == 0) {
                    changed.signalAll();
                }
            }
        }
    }

    /**
     * Lock held, every mutator stopped, {@code m} the last: the stop becomes its thread's (the
     * stopper's checks, startTheWorld and abandonStop accept it; its own safepoints inside the
     * steps pass), and the stop is seen done now, as the stopper would have seen it.
     */
    private void claimLocked(StopHandOff h, Mutator m) {
        h.runner = m.owner;
        stopper = m.owner;
        stopperSelf = m;
        lastStopHandedOff = true;
        stopsHandedOff++;
        noteSlowestStopper();
    }

    private void park(Mutator m) {
        if (stopper == Thread.currentThread()) {
            return;
        }
        m.checkNotBlocked("a safepoint (allocation or poll) during a stop");   // parking would end BLOCKED
        Thread wake;
        StopHandOff claim = null;
        lockAsMutator(m);
        try {
            if (!stopping) {
                return;                   // the stop ended before this mutator got the lock
            }
            m.state = Mutator.STOPPED;
            m.stopLatency = System.nanoTime() - stopRequestedAt;
            if (STOP_STATS) {
                m.runqWaitAtStop = runqueueWaitNanos(m.tid);
            }
            wake = stopperToWakeLocked();
            if (wake != null && handOff != null && handOff.runner == null) {
                claim = handOff;          // the last to stop: it runs the stopped steps instead of waking the stopper
                claimLocked(claim, m);
                wake = null;
            }
        } finally {
            lock.unlock();
        }
        if (claim != null) {
            runHandOff(claim);           // ends with the world running: this mutator was set RUNNING by the restart
        }
        java.util.concurrent.locks.LockSupport.unpark(wake);
        // startTheWorld sets RUNNING (under the lock) and unparks this thread. A stop that starts
        // before this thread wakes finds it RUNNING and waits for its next safepoint, which is
        // soon after it returns from here.
        // Uninterruptible like the condition wait it replaces: park returns at once while the
        // interrupt flag is set, so clear it meanwhile and set it again after.
        boolean interrupted = false;
        while (m.state == Mutator.STOPPED) {
            java.util.concurrent.locks.LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Public so embedders can wait for something of their own without holding up a
     * stop-the-world, under the contract of {@link World#runBlocking}; a breach is refused with
     * IllegalStateException where it is cheap to see (see {@link Mutator#checkNotBlocked}).
     */
    @Override
    public void runBlocking(Mutator m, Runnable wait) {
        enterBlocked(m);
        try {
            mutatorPausing(m);
            wait.run();
        } finally {
            exitBlocked(m);
        }
    }

    void enterBlocked(Mutator m) {
        Thread wake;
        lockAsMutator(m);
        try {
            runRaggedLocked(m);             // its last safepoint before it waits
            // A stop wanted: requested here, so the pause starts when this mutator stops by waiting
            // (as it would have had the stopper requested while it ran), and the stopper is woken below.
            requestWantedLocked(m);
            m.state = Mutator.BLOCKED;
            mutatorPs--;                    // its P is idle while it waits: a collector thread may use it
            pFreedLocked();
            if (stopping && m.siteAtStop >= 0) {
                m.stopLatency = System.nanoTime() - stopRequestedAt;    // it stopped by starting to wait
            }
            wake = stopperToWakeLocked();     // a ragged round waiting for it was signalled by runRaggedLocked
        } finally {
            lock.unlock();
        }
        java.util.concurrent.locks.LockSupport.unpark(wake);
    }

    /**
     * Back from a wait: the mutator needs a P again. If a collector thread took the P it left idle
     * (none is idle now), it asks one to yield and waits, still BLOCKED (a stop does not wait for
     * it), until that thread's next check between chunks of work gives the P back: in Go a
     * goroutine readied by a mark worker's credit flush waits in a run queue too. Without the
     * wait the woken thread ran beside the worker, three runnable threads on two Ps for a whole
     * chunk of marking. The stopper itself never waits for a P (the workers stand aside for it).
     */
    void exitBlocked(Mutator m) {
        lock.lock();
        try {
            boolean waitingForP = false;
            try {
                for (;;) {
                    if (stopping && stopper != Thread.currentThread()) {
                        changed.awaitUninterruptibly();
                        continue;
                    }
                    if (workerPs > 0 && idleLocked() <= 0 && stopper != Thread.currentThread()) {
                        if (!waitingForP) {
                            waitingForP = true;
                            mutatorPWaiters++;
                            yieldDemand = Math.min(yieldDemand + 1, workerPs);
                            mutatorPWaits++;
                        }
                        pFreed.awaitNanos(10_000_000L);
                        continue;
                    }
                    break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();     // keeps the interrupt; takes its P now (never waits again)
            } finally {
                if (waitingForP) {
                    mutatorPWaiters--;
                }
            }
            m.state = Mutator.RUNNING;
            mutatorTakesPLocked();
        } finally {
            lock.unlock();
        }
    }

    // =================================================================== Ps for the collector's threads

    /*
     * Go runs its mark workers and its background sweeper on a P: when every P runs user code, a
     * worker that must run takes one and the goroutine it displaced waits in a run queue, at a
     * safepoint. Here the mutators are plain threads, so the same rule is kept by counting:
     *
     *   mutatorPs  registered mutators that hold a P (RUNNING or STOPPED; not BLOCKED, not LENT)
     *   workerPs   collector threads that hold a P (a mark worker marking, the sweeper sweeping)
     *   grants     Ps a mutator handed over that no worker has taken yet (in transit)
     *   idle       gomaxprocs - mutatorPs - workerPs - grants
     *
     * A collector thread marks or sweeps only while it holds a P (acquireP .. releaseP). It takes an
     * idle one if there is one; a worker that must run (dedicated, or fractional within its quota)
     * otherwise raises SP_HANDOVER and waits: the next mutator to reach a safepoint (allocation or
     * poll) hands its P over and parks LENT, counting as stopped for any stop or ragged round, until
     * a worker gives a P back (releaseP resumes the longest-lent mutator first). A mutator that
     * starts to hold a P while none is idle (back from runBlocking, or registering) never waits:
     * it asks one P-holding worker to yield at its next chunk of work (yieldDemand), as a
     * goroutine readied in Go waits at most until the worker's next preemption check.
     */
    static final int SP_STOP = 1;
    static final int SP_RAGGED = 2;
    static final int SP_HANDOVER = 4;
    /** A stopper waits for a running mutator to make its request ({@link #stopWanted}). */
    static final int SP_STOP_WANTED = 8;
    /** Everything a safepoint must look at, in one volatile word (written under the lock). */
    private volatile int safepointFlags;
    private final Condition pFreed = lock.newCondition();
    private int mutatorPs;              // guarded by lock
    private int workerPs;               // guarded by lock
    private int grants;                 // guarded by lock
    private int handoverWaiters;        // guarded by lock
    /** Mutators back from runBlocking waiting for a P a collector thread holds (guarded by lock). */
    private int mutatorPWaiters;
    /** Ps nobody holds, as of the last change (written under the lock; idle workers read it to pace their polling). */
    private volatile int idleNowRelaxed;
    /** Collector threads holding a P, as of the last change (written under the lock; tests sample it). */
    private volatile int workerPsRelaxed;
    /** Mutators parked LENT, longest-lent first (guarded by lock). */
    private final java.util.ArrayDeque<Mutator> lent = new java.util.ArrayDeque<>();
    /** How many P-holding collector threads should give their P up at their next check (written under the lock). */
    private volatile int yieldDemand;
    /** True while a mutator waits LENT or the Ps are overcommitted: an idle-P worker should leave its P (written under the lock). */
    private volatile boolean idleWorkersYield;
    /** Counters (written under the lock, read by tests and benchmarks). */
    private volatile long handOvers, lentResumes, workerYields, pAcquires, mutatorPWaits;
    /** Largest number of Ps held by mutators and collector threads at a hand-over or a grant (guarded by lock). */
    private int maxHeldAtGrant;

    private int idleLocked() {
        return gomaxprocs - mutatorPs - workerPs - grants;
    }

    private void updateFlagsLocked() {
        int idle = idleLocked();
        // No branch on stopWanted: C2 compiles this from the warm-up, where no stop is ever
        // wanted, and a branch first taken in the run trapped out of it (StopPathProfileTest).
        safepointFlags = safepointFlagsFor(stopping, raggedActive, handoverWaiters, grants, idle) | stopWantedFlag;
        idleWorkersYield = idleWorkersShouldYield(!lent.isEmpty(), idle, mutatorPWaiters);
        idleNowRelaxed = idle;
        workerPsRelaxed = workerPs;
    }

    /** The flag word for this state (static: see warmUpStopPath). */
    private static int safepointFlagsFor(boolean stopping, boolean ragged, int handoverWaiters, int grants, int idle) {
        boolean wanted = handoverWaiters > grants + Math.max(0, idle);
        return (stopping ? SP_STOP : 0) | (ragged ? SP_RAGGED : 0) | (wanted ? SP_HANDOVER : 0);
    }

    /** Whether idle workers should give their P back (static: see warmUpStopPath). */
    private static boolean idleWorkersShouldYield(boolean lentAny, int idle, int mutatorPWaiters) {
        return lentAny || idle < 0 || mutatorPWaiters > 0;
    }

    /** Lock held: a mutator began to hold a P (registered, or back from a wait). */
    private void mutatorTakesPLocked() {
        mutatorPs++;
        if (workerPs > 0 && idleLocked() < 0) {
            yieldDemand = Math.min(yieldDemand + 1, workerPs);
        }
        updateFlagsLocked();
    }

    /**
     * Lock held: a P may have become idle. It goes back to a LENT mutator first (a runnable
     * goroutine waiting in a run queue, in Go's terms), unless a worker waits for a hand-over it
     * has not been granted (it takes the idle P instead, and the lent mutator stays lent to it).
     */
    private void pFreedLocked() {
        while (!lent.isEmpty() && idleLocked() > Math.max(0, handoverWaiters - grants) + mutatorPWaiters) {
            resumeLentLocked();
        }
        updateFlagsLocked();
        pFreed.signalAll();
    }

    /** A mutator at a safepoint with SP_HANDOVER raised: hands its P to a waiting worker and parks until one gives a P back. */
    private void handOver(Mutator m) {
        if (stopper == Thread.currentThread()) {
            return;
        }
        m.checkNotBlocked("a safepoint (allocation or poll) handing its P to a mark worker");
        lock.lock();
        try {
            if (stopping || handoverWaiters <= grants + Math.max(0, idleLocked())) {
                return;                   // no longer needed (or a stop came first: the next safepoint parks for it)
            }
            m.state = Mutator.LENT;
            mutatorPs--;
            grants++;
            lent.addLast(m);
            handOvers++;
            maxHeldAtGrant = Math.max(maxHeldAtGrant, mutatorPs + workerPs + grants);
            runRaggedLocked(m);           // a round that counted m as running must not wait for a LENT mutator
            pFreedLocked();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (m.state != Mutator.RUNNING) {         // LENT, then STOPPED if given back during a stop
            java.util.concurrent.locks.LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lock held: the longest-lent mutator gets a P back and runs (or stays stopped until the restart). */
    private void resumeLentLocked() {
        Mutator m = lent.pollFirst();
        mutatorPs++;
        lentResumes++;
        m.state = stopping ? Mutator.STOPPED : Mutator.RUNNING;     // during a stop: the restart sets it RUNNING
        java.util.concurrent.locks.LockSupport.unpark(m.owner);
    }

    /** Lock held: grants nobody waits for any more go back to lent mutators. */
    private void returnSurplusGrantsLocked() {
        while (grants > handoverWaiters && !lent.isEmpty()) {
            grants--;
            resumeLentLocked();
        }
        if (grants > handoverWaiters) {
            grants = handoverWaiters;     // (cannot happen: every grant has its lent mutator)
        }
    }

    /**
     * A collector thread (mark worker, background sweeper) takes a P before it marks or sweeps:
     * an idle one, or with {@code handover} one a mutator hands over at its next safepoint.
     * Waits until it has one or {@code stillWanted} says false (looked at whenever a P frees, at
     * every restart of the world, after {@link #wakePWaiters} and at least every 10 ms).
     * Returns whether it holds a P; it must call {@link #releaseP} once done.
     */
    boolean acquireP(boolean handover, java.util.function.BooleanSupplier stillWanted) {
        lock.lock();
        try {
            if (handover) {
                handoverWaiters++;
                updateFlagsLocked();
            }
            try {
                for (;;) {
                    if (handover && grants > 0) {
                        grants--;
                        workerPs++;
                        pAcquires++;
                        return true;
                    }
                    if (idleLocked() > 0 && (handover || lent.isEmpty())) {
                        workerPs++;
                        pAcquires++;
                        maxHeldAtGrant = Math.max(maxHeldAtGrant, mutatorPs + workerPs + grants);
                        return true;
                    }
                    if (!stillWanted.getAsBoolean()) {
                        return false;
                    }
                    pFreed.awaitNanos(10_000_000L);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                if (handover) {
                    handoverWaiters--;
                    returnSurplusGrantsLocked();
                }
                updateFlagsLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Gives the calling collector thread's P back: to the longest-lent mutator if one waits, else idle. */
    void releaseP() {
        lock.lock();
        try {
            workerPs--;
            if (yieldDemand > workerPs) {
                yieldDemand = workerPs;
            }
            pFreedLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A P-holding collector thread's check between chunks of work (two volatile reads): true if it
     * should give its P up now (a mutator came back with no idle P, or, for an idle-P worker
     * ({@code idleOnly}), a mutator waits LENT). Gives the P up itself when it returns true.
     */
    boolean shouldYieldP(boolean idleOnly) {
        if (yieldDemand == 0 && !(idleOnly && idleWorkersYield)) {
            return false;
        }
        lock.lock();
        try {
            if (yieldDemand > 0) {
                yieldDemand--;
                workerPs--;               // the P goes to the mutator that came back (already counted)
                workerYields++;
                pFreedLocked();
                return true;
            }
            if (idleOnly && (!lent.isEmpty() || idleLocked() < 0 || mutatorPWaiters > 0)) {
                workerYields++;
                workerPs--;
                pFreedLocked();
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Tests: the mutator list's size, read without the lock (a sampler's racy view). */
    int mutatorSlotsRelaxedForTest() {
        return mutatorsSnapshot.length;
    }

    /** Tests: mutator {@code i} of a racy view, or null. */
    Mutator mutatorAtRelaxedForTest(int i) {
        Mutator[] a = mutatorsSnapshot;
        return i < a.length ? a[i] : null;
    }

    /** Collector threads holding a P at the last change (no lock; tests). */
    int workerPsRelaxed() {
        return workerPsRelaxed;
    }

    /** Ps nobody held at the last change (no lock; may be stale or negative). */
    int idlePsRelaxed() {
        return idleNowRelaxed;
    }

    /** True if some mutator waits LENT for a P (a dedicated worker's slice end gives its P back then). */
    boolean mutatorWaitsForP() {
        return idleWorkersYield;
    }

    /** Wakes collector threads waiting in {@link #acquireP} so they look at their stillWanted (mark end, close). */
    void wakePWaiters() {
        lock.lock();
        try {
            pFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ps nobody holds right now (may be negative: more holders than Ps, see {@link #idleProcs} for the registered count). */
    int idlePsNow() {
        lock.lock();
        try {
            return idleLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Hand-over counters: "handOvers lentResumes workerYields pAcquires maxHeldAtGrant". */
    long[] pStatsForTest() {
        lock.lock();
        try {
            return new long[] {handOvers, lentResumes, workerYields, pAcquires, maxHeldAtGrant, mutatorPs, workerPs, grants, lent.size(), mutatorPWaits};
        } finally {
            lock.unlock();
        }
    }

    /** Mutators handed a P to a collector thread this many times since the world was made. */
    public long handOvers() {
        return handOvers;
    }
}
