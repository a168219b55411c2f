package dev.gort.gc;

import dev.gort.sys.NativeException;
import dev.gort.sys.RealtimeBoost;
import dev.gort.sys.TidBoost;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link ThreadWorld}'s lock, with priority inheritance by hand for its real-time waiters (the
 * opt-in real-time stop: the coordinator at SCHED_FIFO from its stop request to the restart, and
 * the late mutators it boosts, see {@link StopperBoost}).
 *
 * <p>Why: a SCHED_FIFO thread must never spin in the lock's queue (see {@link #POLL_NANOS}); and
 * one that finds the lock held waits for its owner, and the owner is a
 * normal thread (a mark worker giving its P back, the sweeper, a mutator) that may itself wait for
 * a CPU behind a boosted mutator and other processes for as long as the machine's load says: the
 * real-time stop then waits without bound. Java's locks know nothing of OS priorities, so
 * {@link #lockAsRealtime} does what a PI futex would: while a real-time caller waits, the owner
 * runs at SCHED_FIFO {@link #inheritPriority} (by its Linux tid, its own attributes read first)
 * and is put back as soon as the caller holds the lock ({@link TidBoost}'s rules: an owner whose
 * thread ended, one already real-time, or one the full raised-thread registry cannot record is
 * waited for as before; a refusal warns once and turns inheritance off). The waiter tries again and looks at the
 * owner every {@link #POLL_NANOS}, so an owner that changes is boosted in its turn.
 *
 * <p>Invariants: at most one owner is boosted at a time ({@link #inheriting}), so one target
 * ({@link TidBoost.Target}) holds its saved attributes and registry slot, prepared at construction
 * (no allocation on the path); an owner already real-time is left alone (never "restored" to a
 * boost someone else gave it); an owner whose Java thread has ended is never touched (its tid may
 * belong to another thread by then).
 * Owners are found by tid only if they told the lock theirs ({@link #knowTid}: mutators at
 * register, the collector's own threads at their start); another owner is waited for as before.
 *
 * <p>Each slow acquisition by a real-time caller is described in {@link #lastSlow} (under the lock,
 * right after it was taken), for the pause trace: who owned it, how long the caller waited, and
 * with {@code -Dgort.gc.pausetrace.sched=true} the owner's state and what it did meanwhile.
 */
final class WorldLock extends ReentrantLock {
    /**
     * How often a real-time waiter tries the lock again and looks at the owner (which can change:
     * the lock is not fair). The waiter polls and never enters the lock's queue, for two reasons.
     * AbstractQueuedSynchronizer's acquire spins without parking while a neighbouring node is
     * half-linked by another thread (Thread.onSpinWait until it takes its next step): a SCHED_FIFO
     * thread spinning there keeps a preempted normal thread from that step on its CPU; this was
     * the real-time stop's 59-242 ms outliers under load (docs/performance.md, session 12
     * "pinv": the coordinator ran the whole pause, the stopped mutator sat runnable). And in the
     * queue it would wait behind the normal threads queued before it (a restart's signalAll moves
     * every worker waiting for a P there), each of which must get a CPU first. A real-time
     * thread's timed park has no timer slack.
     */
    static final long POLL_NANOS = 50_000;

    /** {@code -Dgort.gc.stopper.rtinherit=true|false} (default true): false keeps the waits, traced, for an A/B. */
    static final boolean INHERIT = dev.gort.sys.TuningProperty.flag("gort.gc.stopper.rtinherit", true);

    /** Linux tid of each thread that told it (read by a waiter on its slow path only). */
    private final ConcurrentHashMap<Thread, Integer> tids = new ConcurrentHashMap<>();
    /** SCHED_FIFO priority given to an owner a real-time caller waits for; 0: no inheritance. */
    private volatile int inheritPriority;
    /** The boost at {@link #inheritPriority} (null: none); read once per boost. */
    private volatile TidBoost inheritBoost;
    /** Set while some waiter has an owner boosted (it alone uses {@link #boostedOwner}). */
    private final AtomicBoolean inheriting = new AtomicBoolean();
    /**
     * The boosted owner (the {@link #inheriting} holder only): its saved attributes and its slot in
     * RealtimeBoost's raised-thread registry, marked before the switch and ended after the switch
     * back, so that the owner's own waits while boosted (SpinLock, the scheduler's locks) park
     * instead of yielding at SCHED_FIFO, as for the other by-tid boosts (MutatorStopBoost, LateMBoost).
     */
    private final TidBoost.Target boostedOwner = TidBoost.newTarget();
    private volatile long inheritances;
    /** Real-time callers inside {@link #lockBehindOwner} now (they poll: {@link #hasQueuedThreads} never counts them). */
    private final java.util.concurrent.atomic.AtomicInteger realtimeWaiters = new java.util.concurrent.atomic.AtomicInteger();

    /** The last slow acquisition by a real-time caller (written and read under the lock). */
    final LockWait lastSlow = new LockWait();

    WorldLock() {
    }

    /** Turns inheritance on at SCHED_FIFO {@code priority} (1..99), or off with 0. */
    void inheritAt(int priority) {
        if (priority != 0 && (priority < RealtimeBoost.MIN_PRIORITY || priority > RealtimeBoost.MAX_PRIORITY)) {
            throw new IllegalArgumentException("real-time priority " + priority + ": accepted 0 (off) or "
                    + RealtimeBoost.MIN_PRIORITY + ".." + RealtimeBoost.MAX_PRIORITY);
        }
        inheritBoost = priority == 0 ? null : new TidBoost(priority);
        inheritPriority = priority;
        if (SchedTrace.ENABLED) {
            // The slow path's /proc reads, run now: cold (interpreted, their first JIT compiles
            // queued) they took ~1 ms inside the first pauses they were to describe.
            int self = (int) dev.gort.sys.CpuAffinity.threadId();
            for (int i = 0; i < SchedTrace.WARMUP_SNAPSHOTS; i++) {
                stateLetter(self);
                schedstat(self);
            }
        }
    }

    int inheritPriority() {
        return inheritPriority;
    }

    /** Thread {@code t} (alive, calling) has Linux tid {@code tid}: a waiter may boost it while it owns the lock. */
    void knowTid(Thread t, int tid) {
        if (tid > 0) {
            tids.put(t, tid);
        }
    }

    /** {@code t} will not take the lock again (unregistered, or ending): its tid is forgotten. */
    void forgetTid(Thread t) {
        tids.remove(t);
    }

    /** Tests: the tid known for {@code t}, or 0. */
    int tidForTest(Thread t) {
        Integer tid = tids.get(t);
        return tid == null ? 0 : tid;
    }

    /** Owners boosted so far. */
    long inheritances() {
        return inheritances;
    }

    /**
     * Tries to take the lock for up to {@code spinNanos}, spinning on the CPU the caller holds
     * instead of queueing and parking; true if it was taken. For a holder that is running and about
     * to let go (the stopper's request section): a parked waiter gives its CPU up, and on a loaded
     * machine another process's task picked meanwhile keeps that CPU for its whole slice (2-3 ms
     * here) after the unlock has woken the waiter.
     */
    boolean trySpinning(long spinNanos) {
        if (tryLock()) {
            return true;
        }
        long deadline = System.nanoTime() + spinNanos;
        for (int i = 1; ; i++) {
            Thread.onSpinWait();
            if (!isLocked() && tryLock()) {
                return true;
            }
            if ((i & 15) == 0 && System.nanoTime() - deadline >= 0) {
                return false;
            }
        }
    }

    /**
     * Takes the lock; if {@code realtime} (the caller runs at SCHED_FIFO) and it is held, the
     * owner is boosted while the caller waits (see the class comment). Returns the nanoseconds
     * waited on the slow path (0 if taken at once or not real-time), described in {@link #lastSlow}.
     */
    long lockAsRealtime(boolean realtime) {
        if (tryLock()) {
            return 0;
        }
        if (!realtime) {
            lock();
            return 0;
        }
        return lockBehindOwner();
    }

    /**
     * A real-time caller waits for the lock now, polling rather than queued: what
     * {@link #hasQueuedThreads} says of a queued waiter (the stop path's warm-up holds the lock
     * until one of the two is true).
     */
    boolean hasRealtimeWaiter() {
        return realtimeWaiters.get() > 0;
    }

    private long lockBehindOwner() {
        realtimeWaiters.incrementAndGet();
        try {
            return lockBehindOwnerCounted();
        } finally {
            realtimeWaiters.decrementAndGet();
        }
    }

    private long lockBehindOwnerCounted() {
        long start = System.nanoTime();
        boolean diagnose = SchedTrace.ENABLED;
        Thread firstOwner = getOwner();
        int firstTid = tidOf(firstOwner);
        char stateAtStart = diagnose && firstTid > 0 ? stateLetter(firstTid) : '?';
        long runAtStart = 0, waitAtStart = 0;
        if (diagnose && firstTid > 0) {
            long[] s = schedstat(firstTid);
            runAtStart = s[0];
            waitAtStart = s[1];
        }
        Thread boosted = null;
        boolean boostedAny = false, interrupted = false;
        try {
            for (;;) {
                Thread owner = getOwner();
                if (owner != boosted) {
                    if (boosted != null) {
                        restore(boosted);       // no longer the owner (or inheritance turned off since): back at once
                        boosted = null;
                    }
                    int tid = inheritPriority == 0 ? 0 : tidOf(owner);
                    if (tid > 0 && inheriting.compareAndSet(false, true)) {
                        if (boost(owner, tid)) {
                            boosted = owner;
                            boostedAny = true;
                        } else {
                            inheriting.set(false);
                        }
                    }
                }
                java.util.concurrent.locks.LockSupport.parkNanos(this, POLL_NANOS);
                if (Thread.interrupted()) {
                    interrupted = true;         // uninterruptible, like lock(): the flag is set again below
                }
                if (tryLock()) {
                    break;
                }
            }
        } finally {
            if (boosted != null) {
                restore(boosted);     // on every path: an owner must not stay at SCHED_FIFO
            }
        }
        long waited = System.nanoTime() - start;
        LockWait w = lastSlow;
        w.waiter = Thread.currentThread();
        w.owner = firstOwner;
        w.ownerTid = firstTid;
        w.waitNanos = waited;
        w.ownerState = stateAtStart;
        w.boosted = boostedAny;
        w.ownerRanNanos = -1;
        w.ownerRunnableNanos = -1;
        if (diagnose && firstTid > 0 && firstOwner.isAlive()) {
            long[] s = schedstat(firstTid);
            w.ownerRanNanos = s[0] - runAtStart;
            w.ownerRunnableNanos = s[1] - waitAtStart;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return Math.max(1, waited);
    }

    private int tidOf(Thread t) {
        if (t == null) {
            return 0;
        }
        Integer tid = tids.get(t);
        return tid == null ? 0 : tid;
    }

    /**
     * {@code owner} to SCHED_FIFO ({@link TidBoost#raise} into {@link #boostedOwner}): false if it ended,
     * is real-time already or the registry is full (waited for as before). A refusal by the kernel
     * warns once and turns inheritance off: every later wait would be refused the same way.
     */
    private boolean boost(Thread owner, int tid) {
        TidBoost b = inheritBoost;
        if (b == null) {
            return false;
        }
        try {
            if (b.raise(boostedOwner, owner, tid) != TidBoost.Outcome.RAISED) {
                return false;
            }
            inheritances++;
            return true;
        } catch (NativeException e) {
            inheritBoost = null;
            inheritPriority = 0;
            System.err.println("gort: warning: -D" + StopperBoost.PROPERTY + ": boosting " + owner.getName() + ", the world lock's owner, "
                    + "failed (" + e.getMessage() + "); its real-time waiters wait for its owners unboosted from now on");
            return false;
        }
    }

    /** Puts the boosted owner back (its thread still alive: a dead one's tid is never touched) and frees its slot. */
    private void restore(Thread owner) {
        try {
            boostedOwner.lower();
        } catch (NativeException e) {
            System.err.println("gort: warning: -D" + StopperBoost.PROPERTY + ": " + owner.getName()
                    + " could not be put back from SCHED_FIFO after holding the world's lock (" + e.getMessage() + ")");
        } finally {
            inheriting.set(false);
        }
    }

    /** The state letter of /proc/self/task/tid/stat (R running or runnable, S sleeping, ...), '?' if unreadable. Diagnostics only. */
    static char stateLetter(int tid) {
        try {
            String s = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + tid + "/stat"));
            int close = s.lastIndexOf(')');
            return close > 0 && close + 2 < s.length() ? s.charAt(close + 2) : '?';
        } catch (java.io.IOException | RuntimeException e) {
            return '?';
        }
    }

    /** {run ns, runnable-waiting ns} from /proc/self/task/tid/schedstat ({0, 0} if unreadable). Diagnostics only. */
    static long[] schedstat(int tid) {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + tid + "/schedstat")).trim().split(" ");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
        } catch (java.io.IOException | RuntimeException e) {
            return new long[2];
        }
    }

    /** One slow acquisition by a real-time caller: who waited, behind whom, how long, and what the owner did meanwhile. */
    static final class LockWait {
        Thread waiter, owner;
        int ownerTid;
        long waitNanos;
        /** The owner's state letter when the wait began ('?': not read, see {@code -Dgort.gc.pausetrace.sched}). */
        char ownerState = '?';
        /** The owner's CPU time and run-queue wait over the wait (-1: not read). */
        long ownerRanNanos = -1, ownerRunnableNanos = -1;
        boolean boosted;

        void clear() {
            waiter = owner = null;
            waitNanos = 0;
        }

        void keepIfLonger(LockWait o) {
            if (o.waitNanos > waitNanos) {
                waiter = o.waiter;
                owner = o.owner;
                ownerTid = o.ownerTid;
                waitNanos = o.waitNanos;
                ownerState = o.ownerState;
                ownerRanNanos = o.ownerRanNanos;
                ownerRunnableNanos = o.ownerRunnableNanos;
                boosted = o.boosted;
            }
        }

        /** "; world's lock: X waited N ms behind Y (...)", or "" if no wait. */
        String describe() {
            if (waiter == null) {
                return "";
            }
            StringBuilder sb = Millis.append(new StringBuilder("; world's lock: ").append(waiter.getName()).append(" waited "), waitNanos)
                    .append(" ms behind ").append(owner == null ? "a released lock" : owner.getName());
            if (owner != null) {
                sb.append(ownerTid > 0 ? " (tid " + ownerTid : " (tid unknown");
                if (ownerState != '?') {
                    sb.append(", ").append(ownerState).append(" at the start");
                }
                if (ownerRanNanos >= 0) {
                    Millis.append(Millis.append(sb.append(", meanwhile ran "), ownerRanNanos).append(" ms, runnable "), ownerRunnableNanos).append(" ms");
                }
                sb.append(boosted ? ", boosted)" : ", not boosted)");
            }
            return sb.toString();
        }
    }
}
