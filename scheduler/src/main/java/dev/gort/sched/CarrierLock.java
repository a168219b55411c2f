package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A mutual-exclusion lock whose owner is the caller's carrier thread read out of line
 * ({@link Scheduler#carrier}), for the world lock ({@link WorldStop}), which goroutines take too.
 *
 * <p>Why not a ReentrantLock: its owner is set and checked with {@code Thread.currentThread()}
 * inside the JDK's code, which C2 inlines into the caller's compiled frame and treats as constant
 * there. A goroutine's frame spans its yields, after which it runs on another M, so a goroutine
 * that stops the world in a compiled loop took the lock in the name of the M it had left: that M
 * then counted as the stopper ({@link Scheduler#stopperIs}), the goroutine did not, and the
 * restart's release, compiled apart and reading the real carrier, left the lock held for good
 * (WorldLockCarrierTest: the next stop waited forever). Here every read of the caller's thread is
 * the out-of-line one, so the owner, the release's check and {@link #heldBy} agree.
 *
 * <p>Invariants: {@link #owner} is null or the thread that took the lock, which a holder cannot
 * leave while it holds it (a goroutine stopper keeps its M: its polls pass during its own stop, and
 * the lock's waits park the thread, never the goroutine). Not reentrant: a holder's second
 * acquisition is refused by name. Waiters park: each publishes itself in one of {@link #SLOTS}
 * slots, looks at the owner again and parks untimed; {@link #unlock} clears the owner and then
 * unparks every published waiter (both sides volatile, so a waiter either sees the release or is
 * seen by it). Waking all (at most {@value #SLOTS}; the world lock is rarely contended) means a
 * waiter that leaves without the lock (a timed wait's end) never takes a wake-up another needed.
 * A waiter finding every slot taken parks timed instead (20 us doubling to 1 ms). Nothing is
 * allocated but the refusals' messages.
 */
final class CarrierLock {
    /** Waiters that {@link #unlock} wakes at once; more wait in timed parks. */
    static final int SLOTS = 16;
    private static final long OVERFLOW_PARK_FIRST_NANOS = 20_000;
    private static final long OVERFLOW_PARK_MAX_NANOS = 1_000_000;

    private static final VarHandle OWNER;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Thread[].class);

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(CarrierLock.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What the refusals call it ("the world lock"). */
    private final String name;
    private volatile Thread owner;
    private final Thread[] waiters = new Thread[SLOTS];

    CarrierLock(String name) {
        this.name = name;
    }

    /** Takes the lock, parking while another thread holds it; interrupts do not end the wait (they are kept). */
    void lock() {
        Thread me = Scheduler.carrier();
        if (!OWNER.compareAndSet(this, null, me)) {
            try {
                await(me, -1, true);
            } catch (InterruptedException e) {
                throw new AssertionError("an untimed wait keeps interrupts", e);     // unreachable
            }
        }
    }

    /** Takes the lock if it is free now. */
    boolean tryLock() {
        Thread me = Scheduler.carrier();
        if (OWNER.compareAndSet(this, null, me)) {
            return true;
        }
        refuseHolder(me, "tryLock");
        return false;
    }

    /**
     * Takes the lock, waiting at most {@code timeoutNanos}; false if it stayed held.
     *
     * @throws InterruptedException the caller was interrupted before or while waiting (its flag cleared)
     */
    boolean tryLock(long timeoutNanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException(name + ": interrupted before tryLock");
        }
        Thread me = Scheduler.carrier();
        return OWNER.compareAndSet(this, null, me) || await(me, Math.max(0, timeoutNanos), true);
    }

    /**
     * Returns once the lock is free (it may be taken again before the caller looks), parking
     * meanwhile; interrupts do not end the wait (they are kept). For a goroutine, which must not
     * wait inside the lock with its P running: it waits here inside a syscall and then tries.
     */
    void awaitFree() {
        Thread me = Scheduler.carrier();
        if (owner != null) {
            try {
                await(me, -1, false);
            } catch (InterruptedException e) {
                throw new AssertionError("an untimed wait keeps interrupts", e);     // unreachable
            }
        }
    }

    /**
     * Releases the lock, then wakes its waiters.
     *
     * @throws IllegalMonitorStateException the caller does not hold it (nothing changes)
     */
    void unlock() {
        Thread me = Scheduler.carrier();
        Thread o = owner;
        if (o != me) {
            throw new IllegalMonitorStateException(name + " released by " + me.getName() + ", which does not hold it ("
                    + (o == null ? "no thread holds it" : "held by " + o.getName()) + "); accepted: the thread that took it");
        }
        owner = null;
        for (int i = 0; i < SLOTS; i++) {
            Thread w = (Thread) SLOT.getVolatile(waiters, i);
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /** True if {@code t} holds the lock ({@code t} a carrier read out of line). */
    boolean heldBy(Thread t) {
        return t != null && owner == t;
    }

    /** True if the calling carrier holds the lock. */
    boolean isHeldByCarrier() {
        return owner == Scheduler.carrier();
    }

    /** The holder now (null: free); diagnostics. */
    Thread holder() {
        return owner;
    }

    /**
     * Waits for the lock ({@code timeoutNanos} < 0: no limit, interrupts kept for after; else an
     * interrupt ends the wait by InterruptedException); true once taken (once free if not
     * {@code take}), false at the timeout.
     */
    private boolean await(Thread me, long timeoutNanos, boolean take) throws InterruptedException {
        refuseHolder(me, "lock");
        long deadline = timeoutNanos >= 0 ? System.nanoTime() + timeoutNanos : 0;
        boolean interrupted = false;
        int slot = -1;
        long overflowPark = OVERFLOW_PARK_FIRST_NANOS;
        try {
            for (;;) {
                if (owner == null && (!take || OWNER.compareAndSet(this, null, me))) {
                    return true;
                }
                if (slot < 0 && (slot = publish(me)) >= 0) {
                    continue;           // published: look at the owner once more before the first park
                }
                long left = timeoutNanos < 0 ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (slot >= 0) {
                    if (timeoutNanos < 0) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, left);
                    }
                } else {
                    LockSupport.parkNanos(this, Math.min(overflowPark, left));
                    overflowPark = Math.min(2 * overflowPark, OVERFLOW_PARK_MAX_NANOS);
                }
                if (Thread.interrupted()) {
                    if (timeoutNanos >= 0) {
                        throw new InterruptedException(name + ": interrupted in tryLock");
                    }
                    interrupted = true;         // kept for after: a set flag would end every park at once
                }
            }
        } finally {
            if (slot >= 0) {
                SLOT.setVolatile(waiters, slot, null);
            }
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    /** A slot for {@code me} (-1: all taken). */
    private int publish(Thread me) {
        for (int i = 0; i < SLOTS; i++) {
            if (SLOT.getVolatile(waiters, i) == null && SLOT.compareAndSet(waiters, i, null, me)) {
                return i;
            }
        }
        return -1;
    }

    private void refuseHolder(Thread me, String what) {
        if (owner == me) {
            throw new IllegalStateException(name + ": " + what + " by " + me.getName() + ", which holds it already (it is not"
                    + " reentrant); accepted: release it first (a stop-the-world inside a stop: start the world first)");
        }
    }
}
