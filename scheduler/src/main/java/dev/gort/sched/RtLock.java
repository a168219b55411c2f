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
 * spins it parks instead ({@link dev.gort.sys.RealtimeBoost#yieldOrPark}: 20 us doubling to 0.5 ms), and
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

    private void lockSlow() {
        int spins = 0;
        long park = dev.gort.sys.RealtimeBoost.PARK_FIRST_NANOS;
        for (;;) {
            if (state == 0 && STATE.compareAndSet(this, 0, 1)) {
                return;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                // The holder may have been descheduled (2 shared cores): yield it the CPU, or park
                // if this thread runs at SCHED_FIFO (its yield would not let the holder run).
                park = dev.gort.sys.RealtimeBoost.yieldOrPark(park);
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
