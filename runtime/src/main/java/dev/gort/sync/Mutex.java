package dev.gort.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A mutual exclusion lock for goroutines (Go's sync.Mutex): a goroutine that must wait is parked
 * through the scheduler, so its M runs other goroutines (a {@code synchronized} block or a
 * ReentrantLock would block the M, and with it the P). Plain threads may use it too.
 * Not reentrant; any goroutine may unlock it (as in Go).
 *
 * <h2>State word</h2>
 * <pre>
 *   state: [ waiters (29 bits) | starving | woken | locked ]
 * </pre>
 * Normal mode: waiters queue FIFO, but a woken waiter competes with newcomers (who are on CPU and
 * usually win); a waiter that fails for more than 1 ms switches the mutex to starvation mode, in
 * which Unlock hands the lock straight to the first waiter and newcomers queue at the tail. The
 * last waiter, or one that waited under 1 ms, switches back. This is Go's algorithm
 * (sync/mutex.go, 1.9+), which bounds tail latency while keeping the fast path one CAS.
 */
public final class Mutex {
    private static final int LOCKED = 1;
    private static final int WOKEN = 2;
    private static final int STARVING = 4;
    private static final int WAITER_SHIFT = 3;
    private static final long STARVATION_THRESHOLD_NANOS = 1_000_000;
    private static final int ACTIVE_SPIN = 4;
    private static final int ACTIVE_SPIN_CYCLES = 30;
    private static final boolean MULTICORE = Runtime.getRuntime().availableProcessors() > 1;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Mutex.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    private final Sema sema = new Sema();

    /** Locks; parks the caller while another holds it. */
    public void lock() {
        if (STATE.compareAndSet(this, 0, LOCKED)) {
            return;
        }
        lockSlow();
    }

    /** Locks if free right now; never waits. */
    public boolean tryLock() {
        int old = state;
        if ((old & (LOCKED | STARVING)) != 0) {
            return false;
        }
        return STATE.compareAndSet(this, old, old | LOCKED);
    }

    private void lockSlow() {
        long waitStart = 0;
        boolean starving = false;
        boolean awoke = false;
        int iter = 0;
        int old = state;
        while (true) {
            // Spin briefly in normal mode while the holder is likely to release soon.
            if ((old & (LOCKED | STARVING)) == LOCKED && canSpin(iter)) {
                if (!awoke && (old & WOKEN) == 0 && (old >>> WAITER_SHIFT) != 0
                        && STATE.compareAndSet(this, old, old | WOKEN)) {
                    awoke = true; // tell Unlock not to wake another waiter: we are here
                }
                for (int i = 0; i < ACTIVE_SPIN_CYCLES; i++) {
                    Thread.onSpinWait();
                }
                iter++;
                old = state;
                continue;
            }
            int next = old;
            if ((old & STARVING) == 0) {
                next |= LOCKED; // in starvation mode newcomers never take the lock
            }
            if ((old & (LOCKED | STARVING)) != 0) {
                next += 1 << WAITER_SHIFT;
            }
            if (starving && (old & LOCKED) != 0) {
                next |= STARVING;
            }
            if (awoke) {
                if ((next & WOKEN) == 0) {
                    throw new IllegalStateException("sync: inconsistent mutex state");
                }
                next &= ~WOKEN;
            }
            if (STATE.compareAndSet(this, old, next)) {
                if ((old & (LOCKED | STARVING)) == 0) {
                    return; // locked it
                }
                boolean lifo = waitStart != 0;
                if (waitStart == 0) {
                    waitStart = System.nanoTime();
                }
                sema.acquire(lifo, "sync.Mutex.Lock");
                starving = starving || System.nanoTime() - waitStart > STARVATION_THRESHOLD_NANOS;
                old = state;
                if ((old & STARVING) != 0) {
                    // Handed the lock directly: the state says unlocked with us still counted as a waiter.
                    if ((old & (LOCKED | WOKEN)) != 0 || (old >>> WAITER_SHIFT) == 0) {
                        throw new IllegalStateException("sync: inconsistent mutex state");
                    }
                    int delta = LOCKED - (1 << WAITER_SHIFT);
                    if (!starving || (old >>> WAITER_SHIFT) == 1) {
                        delta -= STARVING; // leave starvation mode
                    }
                    STATE.getAndAdd(this, delta);
                    return;
                }
                awoke = true;
                iter = 0;
            } else {
                old = state;
            }
        }
    }

    private static boolean canSpin(int iter) {
        return MULTICORE && iter < ACTIVE_SPIN;
    }

    /**
     * Unlocks. Throws IllegalMonitorStateException ("sync: unlock of unlocked mutex") if it was
     * not locked, leaving the mutex as it was and usable (Go makes this fatal).
     */
    public void unlock() {
        if (STATE.compareAndSet(this, LOCKED, 0)) {
            return; // nobody waits, nothing flagged
        }
        int old = state;
        while (true) {
            // The locked bit is checked before it is cleared, in one CAS. Go's subtract-then-check
            // (an undo after) showed other lockers a state with every bit set in between (the
            // borrow): one queued itself on it and the undo left it parked, or the mutex stuck in
            // starvation mode with nobody to wake, so every later lock parked for good.
            if ((old & LOCKED) == 0) {
                throw new IllegalMonitorStateException("sync: unlock of unlocked mutex");
            }
            if (STATE.compareAndSet(this, old, old - LOCKED)) {
                if (old - LOCKED != 0) {
                    unlockSlow(old - LOCKED);
                }
                return;
            }
            old = state;
        }
    }

    private void unlockSlow(int next) {
        if ((next & STARVING) == 0) {
            int old = next;
            while (true) {
                // Nobody to wake, or someone is already woken / took the lock / starvation mode.
                if ((old >>> WAITER_SHIFT) == 0 || (old & (LOCKED | WOKEN | STARVING)) != 0) {
                    return;
                }
                int n = (old - (1 << WAITER_SHIFT)) | WOKEN;
                if (STATE.compareAndSet(this, old, n)) {
                    sema.release(false);
                    return;
                }
                old = state;
            }
        } else {
            sema.release(true); // hand the lock to the first waiter
        }
    }

    /** Whether it is locked right now (a snapshot, for tests and diagnostics). */
    public boolean isLocked() {
        return (state & LOCKED) != 0;
    }

    @Override
    public String toString() {
        int s = state;
        return "Mutex[" + ((s & LOCKED) != 0 ? "locked" : "unlocked") + ((s & STARVING) != 0 ? ", starving" : "")
                + ", waiters=" + (s >>> WAITER_SHIFT) + "]";
    }
}
