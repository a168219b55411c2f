package dev.gort.sys;

/**
 * A non-reentrant mutual-exclusion lock that records no owner thread, for runtime structures that
 * goroutines lock (the heap's page allocator, the collector's cycle control).
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
 */
public final class OwnerlessLock {
    private final Object monitor = new Object();
    private boolean held;          // guarded by monitor

    public void lock() {
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
            return true;
        }
    }

    public void unlock() {
        synchronized (monitor) {
            if (!held) {
                throw new IllegalMonitorStateException("OwnerlessLock.unlock: the lock is not held");
            }
            held = false;
            monitor.notify();
        }
    }

    public boolean isLocked() {
        synchronized (monitor) {
            return held;
        }
    }
}
