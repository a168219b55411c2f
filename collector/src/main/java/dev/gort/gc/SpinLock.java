package dev.gort.gc;

import java.lang.invoke.VarHandle;

/**
 * The short spin lock of the collector's pointer structures (AssistQueue, PtrChan, PtrPool): an int
 * field of the owner, 0 free / 1 held, reached through the owner's VarHandle, so a lock costs no
 * object. Held only for a few stores, never across a park or an allocation: a waiter spins, then
 * yields, since on 2 shared cores the holder may be descheduled, and at last sleeps.
 *
 * <p>Why it sleeps: a waiter at SCHED_FIFO (a mutator the real-time stop boosted, see
 * {@link MutatorStopBoost}, or an M the scheduler's late-M boost raised) yields only to real-time
 * threads, so a normal holder queued on its CPU never runs while it spins or yields: the holder
 * waits for another CPU, or for the kernel's real-time throttling (50 ms a second). A waiter that
 * has yielded {@link #YIELDS} times without the lock parks for {@link #SLEEP_NANOS} between tries,
 * which lets any holder on its CPU run. A normal waiter rarely gets that far (a yield lets the
 * holder run). A waiter the real-time registry knows raised
 * ({@link dev.gort.sys.RealtimeBoost#currentThreadRaised}) skips the yields, which would only burn
 * its CPU against the holder, and parks from its first turn past the spins
 * ({@link dev.gort.sys.RealtimeBoost#parkRaised}: 20 us doubling to 0.5 ms, a pending interrupt
 * kept aside, which would end every park at once). The normal path pays one volatile read (no
 * thread raised: the registry's count) per turn past the spins, none before.
 */
final class SpinLock {
    static final int SPINS = 100;
    static final int YIELDS = 200;
    static final long SLEEP_NANOS = 20_000, MAX_SLEEP_NANOS = 1_000_000;

    private SpinLock() {
    }

    static void lock(VarHandle word, Object owner) {
        int tries = 0;
        long sleep = SLEEP_NANOS;
        while (!word.compareAndSet(owner, 0, 1)) {
            if (++tries < SPINS) {
                Thread.onSpinWait();
            } else if (dev.gort.sys.RealtimeBoost.currentThreadRaised()) {
                sleep = dev.gort.sys.RealtimeBoost.parkRaised(sleep);     // SLEEP_NANOS is its first park too
            } else if (tries < SPINS + YIELDS) {
                Thread.yield();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(sleep);
                sleep = Math.min(MAX_SLEEP_NANOS, 2 * sleep);
            }
        }
    }

    static void unlock(VarHandle word, Object owner) {
        word.setRelease(owner, 0);
    }
}
