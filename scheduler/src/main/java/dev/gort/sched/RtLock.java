package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A runtime lock (Go's {@code runtime.mutex}): a CAS on one int, spinning briefly and then yielding
 * the CPU. Held only for short sections (a channel's queues, the global run queue, a timer heap);
 * never across a blocking call. It is not reentrant. Unlike a {@code java.util.concurrent} lock it
 * allocates nothing when contended, and it may be released by the same carrier thread after the
 * goroutine that took it has yielded (a channel lock is released by g0 after gopark), which is why
 * ownership is not tracked.
 */
final class RtLock {
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RtLock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int state;

    void lock() {
        if (!STATE.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
    }

    boolean tryLock() {
        return STATE.compareAndSet(this, 0, 1);
    }

    private void lockSlow() {
        int spins = 0;
        for (;;) {
            if (state == 0 && STATE.compareAndSet(this, 0, 1)) {
                return;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                // The holder may have been descheduled (2 shared cores): give it the CPU.
                Thread.yield();
            }
        }
    }

    void unlock() {
        STATE.setRelease(this, 0);
    }

    boolean isLocked() {
        return state != 0;
    }
}
