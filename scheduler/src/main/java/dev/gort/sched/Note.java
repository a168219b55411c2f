package dev.gort.sched;

import java.util.concurrent.locks.LockSupport;

/**
 * A one-shot sleep/wakeup event (Go's {@code note}): one thread sleeps on it, any thread wakes it.
 * A wakeup that comes before the sleep is not lost. {@link #clear()} re-arms it; only the sleeper
 * clears it, after waking.
 */
final class Note {
    private volatile Thread sleeper;
    private volatile boolean set;

    /** Sleeps until woken. */
    void sleep() {
        sleeper = self();
        while (!set) {
            LockSupport.park(this);
        }
    }

    /**
     * Sleeps until woken or {@code nanos} pass (nanos < 0: no limit). Returns true if woken.
     */
    boolean sleep(long nanos) {
        if (nanos < 0) {
            sleep();
            return true;
        }
        sleeper = self();
        long deadline = System.nanoTime() + nanos;
        while (!set) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return set;
            }
            LockSupport.parkNanos(this, left);
        }
        return true;
    }

    /** The sleeping thread; goroutine code may have moved, so not an inlinable currentThread(). */
    private static Thread self() {
        return Scheduler.carrier();
    }

    void wakeup() {
        set = true;
        Thread t = sleeper;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    void clear() {
        set = false;
    }

    boolean isSet() {
        return set;
    }
}
