package dev.gort.net;

import dev.gort.sched.Go;
import dev.gort.sched.ParkCommit;
import dev.gort.sched.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

/**
 * Serialises the readers (or the writers) of one descriptor: one half of Go's fdMutex
 * (internal/poll/fd_mutex.go, rwlock/rwunlock). A second goroutine reading a Conn while another
 * reads waits here, parked ("semacquire", its M runs other goroutines), and is handed the lock in
 * FIFO order; it never meets the pollDesc's single waiter slot, and the two never share the
 * direction's errno buffers ({@link DescNatives}). {@link #close} wakes every waiter with
 * ClosedException (Go's increfAndClose); the holder finishes its operation and unlocks.
 *
 * <p>Fast path: an uncontended monitor (no allocation). Contended: a {@link Waiter} node per
 * waiting caller; the hand-off and the park commit race through one CAS on the node's state, so
 * a hand-off is never lost and a waiter is woken exactly once.
 */
final class IoLock {
    private static final int WAITING = 0;   // queued, not yet parked (or about to)
    private static final int PARKED = 1;    // the park committed: whoever grants or closes must wake it
    private static final int GRANTED = 2;   // the lock was handed to it
    private static final int CLOSED = 3;    // the descriptor closed while it waited

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One queued caller: a goroutine (G) or a platform Thread. */
    static final class Waiter {
        final Object who;
        final NetPoller poller;
        @SuppressWarnings("unused") // through STATE
        volatile int state;

        Waiter(Object who, NetPoller poller) {
            this.who = who;
            this.poller = poller;
        }
    }

    /**
     * The park commit: counts the goroutine as waiting on the network (it waits behind an I/O
     * call, possibly a platform thread's, which the scheduler cannot see: without this the
     * deadlock detector would call a program whose goroutines all wait here dead), then WAITING
     * -> PARKED; it fails, cancelling the park, if the lock was granted or closed first.
     */
    private static final ParkCommit COMMIT = (g, arg) -> {
        Waiter w = (Waiter) arg;
        w.poller.goroutineParking(); // balanced by goroutineWoke() once Go.park returns, committed or not
        return STATE.compareAndSet(w, WAITING, PARKED);
    };

    private final NetPoller poller;
    private boolean held;                                     // guarded by this
    private boolean closed;                                   // guarded by this
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>(0); // guarded by this

    IoLock(NetPoller poller) {
        this.poller = poller;
    }

    /** Takes the lock, waiting behind earlier callers; ClosedException (from {@code pd}) once the descriptor closes. */
    void lock(PollDesc pd, String op) {
        Waiter w;
        synchronized (this) {
            if (closed) {
                throw pd.closed(op);
            }
            if (!held) {
                held = true;
                return;
            }
            w = new Waiter(Go.canPark() ? Go.current() : Thread.currentThread(), poller); // inside Gort.syscall: a thread
            waiters.add(w);
        }
        if (w.who instanceof Thread) {
            if (STATE.compareAndSet(w, WAITING, PARKED)) {
                while ((int) STATE.getVolatile(w) == PARKED) {
                    LockSupport.park(this);
                }
            }
        } else {
            Go.park(COMMIT, w, WaitReason.SEMACQUIRE); // the commit fails if granted or closed first: no sleep
            poller.goroutineWoke();
        }
        if ((int) STATE.getVolatile(w) == CLOSED) {
            throw pd.closed(op);
        }
        // GRANTED: the previous holder handed the lock over (held stayed true).
    }

    /** Releases the lock: hands it to the longest waiter, if any. */
    void unlock() {
        Waiter next;
        synchronized (this) {
            next = waiters.poll();
            if (next == null) {
                held = false;
                return;
            }
        }
        settle(next, GRANTED, poller);
    }

    /** Wakes every waiter with CLOSED; later lock() calls fail. The holder keeps the lock until it unlocks. */
    void close() {
        ArrayDeque<Waiter> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = waiters.clone();
            waiters.clear();
        }
        for (Waiter w : all) {
            settle(w, CLOSED, poller);
        }
    }

    /** Callers queued behind the holder now (for tests). */
    synchronized int waiting() {
        return waiters.size();
    }

    private static void settle(Waiter w, int outcome, NetPoller poller) {
        int prev = (int) STATE.getAndSet(w, outcome);
        if (prev == PARKED) {
            Parking.wake(w.who, poller); // a goroutine of a scheduler that has ended is not readied
        }
    }
}
