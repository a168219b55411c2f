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
 * spins it parks instead ({@link dev.gort.sys.RealtimeBoost#parkRaised}: 20 us doubling to 0.5 ms), and
 * each park gives its CPU to whatever waits there. Before each park it publishes itself in
 * {@link #rtParked}, and {@link #unlock} unparks a thread it finds there after its release store,
 * so the waiter runs within a wake-up of the release instead of up to a whole park later
 * (RealtimeWaitLatencyRun: release-to-acquire p50 0.26 ms -> 0.01-0.04 ms). The unlock's read is
 * not ordered after its store (a release store, no fence): a release that misses a waiter
 * published just then leaves it to its timed park, as before. One published waiter at a time (a
 * second raised waiter overwrites it and the first parks its time out); a stale unpark only ends
 * one later park early. Cost with no raised waiter: one more load per unlock (the field shares
 * the lock word's line). A normal waiter keeps spinning and yielding as before (one more
 * volatile read per turn, no new write).
 */
final class RtLock {
    private static final VarHandle STATE, RT_PARKED;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RtLock.class, "state", int.class);
            RT_PARKED = MethodHandles.lookup().findVarHandle(RtLock.class, "rtParked", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int state;
    /** A waiter raised to SCHED_FIFO parked on this lock now (null: none), which {@link #unlock} unparks. */
    private volatile Thread rtParked;

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
            } else if (!dev.gort.sys.RealtimeBoost.currentThreadRaised()) {
                // The holder may have been descheduled (2 shared cores): yield it the CPU.
                Thread.yield();
            } else {
                // At SCHED_FIFO a yield would not let the holder run: park, published for the
                // release's unpark, after a last look at the word (the release may have come).
                Thread me = Thread.currentThread();
                rtParked = me;
                if (state != 0) {
                    park = dev.gort.sys.RealtimeBoost.parkRaised(park);
                }
                RT_PARKED.compareAndSet(this, me, null);     // not another raised waiter's, published since
            }
        }
    }

    void unlock() {
        STATE.setRelease(this, 0);
        Thread w = rtParked;
        if (w != null) {
            java.util.concurrent.locks.LockSupport.unpark(w);      // a raised waiter: now, not at its park's end
        }
    }

    /** Tests: publishes {@code t} as a raised waiter parked on this lock, as lockSlow does. */
    void publishRaisedWaiterForTest(Thread t) {
        rtParked = t;
    }

    boolean isLocked() {
        return state != 0;
    }
}
