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
 *
 * <p>A waiter raised to SCHED_FIFO (the collector's coordinator over a stop with the opt-in
 * real-time stop, {@code -Dgort.gc.stopper.rtprio}; {@link dev.gort.sys.RealtimeBoost#currentThreadRaised})
 * never yields: a real-time thread's yield lets only other real-time threads run, so a normal
 * holder preempted on its CPU would not run again until the other CPU took it. After the same
 * spins it parks instead, {@link #RT_PARK_FIRST_NANOS} doubling to {@link #RT_PARK_MAX_NANOS}, and
 * each park gives its CPU to whatever waits there. The holder does not wake it (no waiter list:
 * the lock allocates nothing and its unlock stays one store); a real-time park has no timer
 * slack, so the bound is the park's length. A normal waiter keeps spinning and yielding as before
 * (one more volatile read per turn, no new write).
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

    /** A real-time waiter's first park and the bound its doubling reaches (nanoseconds; see the class comment). */
    static final long RT_PARK_FIRST_NANOS = 20_000, RT_PARK_MAX_NANOS = 500_000;

    private void lockSlow() {
        int spins = 0;
        long park = RT_PARK_FIRST_NANOS;
        boolean interrupted = false;
        for (;;) {
            if (state == 0 && STATE.compareAndSet(this, 0, 1)) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else if (!dev.gort.sys.RealtimeBoost.currentThreadRaised()) {
                // The holder may have been descheduled (2 shared cores): give it the CPU.
                Thread.yield();
            } else {
                // An interrupt would end every park at once (a spin at SCHED_FIFO): kept for after.
                interrupted |= Thread.interrupted();
                java.util.concurrent.locks.LockSupport.parkNanos(park);
                park = Math.min(2 * park, RT_PARK_MAX_NANOS);
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
