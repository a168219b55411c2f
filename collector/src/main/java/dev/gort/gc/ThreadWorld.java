package dev.gort.gc;

import dev.gort.arena.Heap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

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
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /**
     * The stopper waits here for the last mutator to stop; only that one signals it. (All waiters
     * sharing {@code changed} made every stopping mutator wake the stopper: with two mutators the
     * first woke it for nothing, and on 2 cores that wake-up took the CPU the second one needed to
     * reach its safepoint.)
     */
    private final Condition stopDone = lock.newCondition();
    private final List<Mutator> mutators = new ArrayList<>();  // guarded by lock
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
    /** When the current or last stop was requested (guarded by lock). */
    private long stopRequestedAt;
    /** The last mutator to reach its safepoint in the last stop, or null (guarded by lock). */
    private Mutator slowestStopper;
    private static final boolean DEBUG_STOP = Boolean.getBoolean("gort.gc.debugstop");
    /**
     * Diagnostic: read each mutator's run-queue wait (/proc/.../schedstat) at the stop request and
     * when it stops, so a slow stop says whether the thread was runnable without a CPU. The kernel
     * books a wait when the thread gets the CPU, so the difference may include waiting that began
     * before the request; a difference about as large as the stop latency means the thread spent
     * the stop waiting for a CPU. Costs a file read per mutator per stop: off by default.
     */
    private static final boolean STOP_STATS = Boolean.getBoolean("gort.gc.stopstats");

    public ThreadWorld(Heap heap, WorkbufPool pool, int gomaxprocs) {
        if (gomaxprocs < 1) {
            throw new IllegalArgumentException("gomaxprocs must be >= 1, got " + gomaxprocs);
        }
        this.heap = heap;
        this.pool = pool;
        this.gomaxprocs = gomaxprocs;
    }

    /** Makes the calling thread a mutator with {@code rootSlots} root slots. */
    public Mutator register(int rootSlots) {
        if (current.get() != null) {
            throw new IllegalStateException(Thread.currentThread().getName() + " is already a registered mutator");
        }
        Thread self = Thread.currentThread();
        Mutator m = new Mutator(heap.newCache(), new GcWork(pool), new RootSlots(rootSlots), self,
                barrierFilter.table, BarrierFilter.base(self.threadId()));
        if (STOP_STATS) {
            m.tid = dev.gort.sys.CpuAffinity.threadId();
        }
        lock.lock();
        try {
            while (stopping) {
                changed.awaitUninterruptibly();
            }
            m.raggedDone = raggedRound;       // nothing of its own to flush in a round under way
            mutators.add(m);
            registered = mutators.size();
            int slot = slotOf(m.owner);
            if (byThread[slot] == null) {
                byThread[slot] = m;
            }
        } finally {
            lock.unlock();
        }
        current.set(m);
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
            while (stopping) {      // never change the mutator set under a stopped world
                m.state = Mutator.BLOCKED;
                signalStopperIfAllStoppedLocked();
                changed.awaitUninterruptibly();
            }
            runRaggedLocked(m);         // a round under way counts on it: run it now, its last safepoint
            mutators.remove(m);
            registered = mutators.size();
            int slot = slotOf(m.owner);
            if (byThread[slot] == m) {
                byThread[slot] = null;
            }
            m.gcw.dispose();
            heap.releaseCache(m.mcache);
            m.roots.close();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        current.remove();
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
     * the lock, before it blocks on {@link #stopDone} (nanoseconds; {@code -Dgort.gc.stopspin.us},
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

    /** Tests: sets how long {@link #stopTheWorld} spins before it blocks (nanoseconds, >= 0). */
    void setStopSpinNanosForTest(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("stop spin must be >= 0 ns, got " + nanos);
        }
        stopSpinNanos = nanos;
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
        Mutator self;
        lock.lock();
        try {
            while (stopping || raggedFn != null) {
                changed.awaitUninterruptibly();
            }
            stopRequestedAt = System.nanoTime();
            stopping = true;
            stopper = Thread.currentThread();
            stops++;
            self = current.get();
            stopperSelf = self;
            for (int i = 0; i < mutators.size(); i++) {
                Mutator m = mutators.get(i);
                m.stopLatency = 0;
                m.siteAtStop = m != self && m.state == Mutator.RUNNING ? m.siteNow() : -1;   // where each was asked
                if (STOP_STATS && m.siteAtStop >= 0) {
                    m.runqWaitAtRequest = runqueueWaitNanos(m.tid);
                }
            }
        } finally {
            lock.unlock();
        }
        long spin = stopSpinNanos;
        lastStopSpun = false;
        if (spin > 0 && !allStopped(self)) {
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
        lock.lock();
        try {
            for (;;) {
                if (allStopped(self)) {
                    noteSlowestStopper();
                    return;
                }
                if (DEBUG_STOP) {
                    try {
                        if (!stopDone.await(5, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                            for (Mutator m : mutators) {
                                if (m != self && m.state == Mutator.RUNNING) {
                                    System.err.println("stop slow: " + m.owner + " at " + java.util.Arrays.toString(m.owner.getStackTrace()));
                                }
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    continue;
                }
                stopDone.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Lock held: a mutator just stopped or started waiting; wakes the stopper if it was the last one running. */
    private void signalStopperIfAllStoppedLocked() {
        if (stopping && allStopped(stopperSelf)) {
            stopDone.signal();
        }
    }

    /** True if no mutator but {@code self} is RUNNING (stopper only, while {@code stopping}: the list does not change). */
    private boolean allStopped(Mutator self) {
        for (int i = 0, n = mutators.size(); i < n; i++) {
            Mutator m = mutators.get(i);
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
            if (m == null) {
                return String.format(java.util.Locale.ROOT, "no mutator was running; stopper saw it at %.3f ms", stopSeenAfter / 1e6);
            }
            String runq = STOP_STATS && m.runqWaitAtStop > 0
                    ? String.format(java.util.Locale.ROOT, " (run-queue wait booked meanwhile %.3f ms: it waited for a CPU)", (m.runqWaitAtStop - m.runqWaitAtRequest) / 1e6)
                    : "";
            return String.format(java.util.Locale.ROOT, "last to stop: %s at %.3f ms%s, in %s when asked; stopper saw it at %.3f ms, %s",
                    m.owner.getName(), m.stopLatency / 1e6, runq, m.siteAtStop < 0 ? "a wait" : Mutator.siteName(m.siteAtStop),
                    stopSeenAfter / 1e6, lastStopSpun ? "spinning" : "woken");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void startTheWorld() {
        lock.lock();
        try {
            if (!stopping || stopper != Thread.currentThread()) {
                throw new IllegalStateException("startTheWorld without a stopTheWorld by this thread");
            }
            stopping = false;
            stopper = null;
            stopperSelf = null;
            restartedAt = System.nanoTime();
            // Release the parked mutators directly: each is set RUNNING here, under the lock (so a
            // ragged round that starts next sees it running, and a stop that starts next waits for
            // it), and unparked; it needs no lock to go on. Through the condition instead, each
            // woken mutator had to take the lock in turn and the next one waited for it to get a CPU.
            for (int i = 0, n = mutators.size(); i < n; i++) {
                Mutator m = mutators.get(i);
                if (m.state == Mutator.STOPPED) {
                    m.state = Mutator.RUNNING;
                    java.util.concurrent.locks.LockSupport.unpark(m.owner);
                }
            }
            changed.signalAll();           // registering, unregistering, returning waiters and other stoppers
        } finally {
            lock.unlock();
        }
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
        return stopping || raggedActive;
    }

    @Override
    public void safepoint(Mutator m) {
        if (stopping) {
            park(m);
        } else if (raggedActive) {
            raggedSafepoint(m);
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
        if (stopping || raggedActive) {     // the fast path: two volatile reads, no thread-local lookup
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
            Mutator self = current.get();
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
                try {
                    while (raggedRemaining > 0) {
                        changed.awaitUninterruptibly();
                    }
                } finally {
                    raggedActive = false;
                }
            }
            raggedFn = null;
            changed.signalAll();
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

    private void park(Mutator m) {
        if (stopper == Thread.currentThread()) {
            return;
        }
        m.checkNotBlocked("a safepoint (allocation or poll) during a stop");   // parking would end BLOCKED
        lock.lock();
        try {
            if (!stopping) {
                return;                   // the stop ended before this mutator got the lock
            }
            m.state = Mutator.STOPPED;
            m.stopLatency = System.nanoTime() - stopRequestedAt;
            if (STOP_STATS) {
                m.runqWaitAtStop = runqueueWaitNanos(m.tid);
            }
            signalStopperIfAllStoppedLocked();
        } finally {
            lock.unlock();
        }
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
            wait.run();
        } finally {
            exitBlocked(m);
        }
    }

    void enterBlocked(Mutator m) {
        lock.lock();
        try {
            runRaggedLocked(m);             // its last safepoint before it waits
            m.state = Mutator.BLOCKED;
            if (stopping && m.siteAtStop >= 0) {
                m.stopLatency = System.nanoTime() - stopRequestedAt;    // it stopped by starting to wait
            }
            signalStopperIfAllStoppedLocked();     // a ragged round waiting for it was signalled by runRaggedLocked
        } finally {
            lock.unlock();
        }
    }

    void exitBlocked(Mutator m) {
        lock.lock();
        try {
            while (stopping && stopper != Thread.currentThread()) {
                changed.awaitUninterruptibly();
            }
            m.state = Mutator.RUNNING;
        } finally {
            lock.unlock();
        }
    }
}
