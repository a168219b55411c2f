package dev.gort.sys;

/**
 * A non-reentrant mutual-exclusion lock with one condition that records no owner thread, for
 * runtime structures that goroutines lock (the heap's page allocator, the collector's cycle
 * control, whose waiters use the condition).
 *
 * <p>Why not {@link java.util.concurrent.locks.ReentrantLock}: it names its owner with
 * {@code Thread.currentThread()}, which C2 treats as a constant within one compiled frame (only
 * JDK methods marked {@code @ChangesCurrentThread} are exempt). A goroutine is a continuation that
 * may yield on one M and resume on another, so once {@code lock()} is inlined into a compiled
 * method that also yields, the lock can be taken in the name of an M the goroutine has left. The
 * out-of-line {@code unlock()} then throws IllegalMonitorStateException (seen: the collector's
 * stress test hung on a lock owned by an M running an unrelated goroutine), or, worse, the real
 * owner M re-enters a lock another goroutine holds. See also {@link CarrierLocal}.
 *
 * <p>Here ownership is a boolean under a Java monitor: {@code synchronized} identifies the thread
 * by the VM's thread register, which is always the current carrier. Sections must be short and
 * must not yield (a goroutine that blocks here blocks its M, as on any lock).
 *
 * <p>Lock waiters and condition waiters share the one monitor, so every release wakes all of them
 * ({@code notifyAll}): a single {@code notify} could go to a condition waiter that goes back to
 * sleep and leave a lock waiter asleep beside a free lock.
 */
public final class OwnerlessLock {
    private final Object monitor = new Object();
    private boolean held;          // guarded by monitor
    private long signals;          // guarded by monitor: signalAll() count, the condition's generation
    private int lockWaiters;       // guarded by monitor: threads in takeWhenFree waiting for held to clear
    private long takes;            // guarded by monitor: how many times the lock was taken

    public void lock() {
        synchronized (monitor) {
            boolean interrupted = takeWhenFree();
            if (interrupted) {
                CarrierLocal.currentThread().interrupt();
            }
        }
    }

    public boolean tryLock() {
        synchronized (monitor) {
            if (held) {
                return false;
            }
            held = true;
            takes++;
            return true;
        }
    }

    public void unlock() {
        synchronized (monitor) {
            if (!held) {
                throw new IllegalMonitorStateException("OwnerlessLock.unlock: the lock is not held");
            }
            held = false;
            monitor.notifyAll();
        }
    }

    /** Wakes every waiter of the condition (caller holds the lock). */
    public void signalAll() {
        synchronized (monitor) {
            signals++;
            monitor.notifyAll();
        }
    }

    /** Releases the lock, waits for a signal, re-takes the lock (caller holds it). */
    public void awaitUninterruptibly() {
        boolean interrupted = false;
        for (;;) {
            try {
                awaitNanos(-1);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            CarrierLocal.currentThread().interrupt();
        }
    }

    /**
     * Releases the lock, waits for a signal or {@code nanos} (negative: no limit), re-takes the
     * lock. Returns the nanoseconds left (at most 0 when the time ran out). Spurious returns are
     * possible: callers re-check their predicate in a loop, as with {@code Condition}.
     */
    public long awaitNanos(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        synchronized (monitor) {
            if (!held) {
                throw new IllegalMonitorStateException("OwnerlessLock.await: the lock is not held");
            }
            long gen = signals;
            held = false;
            monitor.notifyAll();
            InterruptedException ie = null;
            try {
                while (signals == gen) {
                    if (nanos < 0) {
                        monitor.wait();
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        monitor.wait(left / 1_000_000, (int) (left % 1_000_000));
                    }
                }
            } catch (InterruptedException e) {
                ie = e;
            }
            // As Condition.awaitNanos: the lock is released even when the time is already up, so a
            // thread waiting to take it gets it before this one retakes it. Without this a caller that
            // loops on a spent wait (the coordinator waiting for a GOMAXPROCS change's hold to end
            // past an owed start's grace) never leaves the monitor with the lock free, and the thread
            // that would end its wait (releaseStartHold) waits for the lock for ever.
            boolean interrupted = letALockWaiterIn();
            interrupted |= takeWhenFree();
            if (ie != null) {
                throw ie;
            }
            if (interrupted) {
                CarrierLocal.currentThread().interrupt();
            }
            return nanos < 0 ? 1 : deadline - System.nanoTime();
        }
    }

    /**
     * With the monitor held: waits until the lock is free and takes it. An interrupt does not stop
     * the wait (the lock must be retaken, as Condition.await does); returns whether one arrived, for
     * the caller to restore.
     */
    private boolean takeWhenFree() {
        boolean interrupted = false;
        if (held) {
            lockWaiters++;
            try {
                while (held) {
                    try {
                        monitor.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                lockWaiters--;
            }
        }
        held = true;
        takes++;
        return interrupted;
    }

    /**
     * With the monitor held and the lock free: if threads wait to take it, waits until one has
     * (it was woken by the release's notifyAll; this wait gives it the monitor, and its unlock or
     * await wakes this thread again). Returns whether an interrupt arrived, for the caller to restore.
     */
    private boolean letALockWaiterIn() {
        boolean interrupted = false;
        long takesBefore = takes;
        while (lockWaiters > 0 && takes == takesBefore && !held) {
            try {
                monitor.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    public boolean isLocked() {
        synchronized (monitor) {
            return held;
        }
    }
}
