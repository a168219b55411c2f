package dev.gort.gc;

/**
 * A mutual-exclusion lock with one condition, safe to use from goroutine code: it records no owner
 * thread. The collector's cycle-control state is taken by goroutines (the heap trigger inside an
 * allocation, {@code cycles()}, {@code gc()}) as well as by its own threads.
 *
 * <p>Why not {@link java.util.concurrent.locks.ReentrantLock}: it identifies its owner with
 * {@code Thread.currentThread()}, and C2 treats that read as a constant within one compiled frame
 * (only JDK methods marked {@code @ChangesCurrentThread} are exempt). A goroutine is a continuation
 * that may yield on one M and resume on another, so once {@code lock()} is inlined into a compiled
 * loop that also allocates (a safepoint), the lock is taken in the name of the M the goroutine ran
 * on before. Seen in {@code SchedCollectorTest.referenceModelStress}: the lock ended up owned by an
 * M running an unrelated goroutine, the out-of-line {@code unlock()} threw
 * IllegalMonitorStateException, and every later caller blocked forever. A stale owner is also a
 * reentrancy hole: the real M would re-enter a lock another goroutine holds.
 *
 * <p>Here ownership is a boolean under a Java monitor; {@code synchronized} identifies the thread
 * by the VM's thread register, which is always the current carrier. The sections are short and
 * never yield, so a plain monitor costs nothing a ReentrantLock would not. Not reentrant.
 */
final class MonitorLock {
    private final Object monitor = new Object();
    private boolean held;          // guarded by monitor
    private long signals;          // guarded by monitor: signalAll() count, the condition's generation

    void lock() {
        synchronized (monitor) {
            boolean interrupted = false;
            while (held) {
                try {
                    monitor.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            held = true;
            if (interrupted) {
                dev.gort.sys.CarrierLocal.currentThread().interrupt();
            }
        }
    }

    void unlock() {
        synchronized (monitor) {
            if (!held) {
                throw new IllegalMonitorStateException("MonitorLock.unlock: the lock is not held");
            }
            held = false;
            monitor.notifyAll();
        }
    }

    /** Wakes every waiter of the condition (caller holds the lock). */
    void signalAll() {
        synchronized (monitor) {
            signals++;
            monitor.notifyAll();
        }
    }

    /** Releases the lock, waits for a signal, re-takes the lock (caller holds it). */
    void awaitUninterruptibly() {
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
            dev.gort.sys.CarrierLocal.currentThread().interrupt();
        }
    }

    /**
     * Releases the lock, waits for a signal or {@code nanos} (negative: no limit), re-takes the
     * lock. Returns the nanoseconds left (at most 0 when the time ran out). Spurious returns are
     * possible: callers re-check their predicate in a loop, as with {@code Condition}.
     */
    long awaitNanos(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        synchronized (monitor) {
            if (!held) {
                throw new IllegalMonitorStateException("MonitorLock.await: the lock is not held");
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
            boolean interrupted = false;
            while (held) {
                try {
                    monitor.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            held = true;
            if (ie != null) {
                throw ie;
            }
            if (interrupted) {
                dev.gort.sys.CarrierLocal.currentThread().interrupt();
            }
            return nanos < 0 ? 1 : deadline - System.nanoTime();
        }
    }

    boolean isHeld() {
        synchronized (monitor) {
            return held;
        }
    }
}
