package dev.gort.net;

import dev.gort.sched.Go;
import dev.gort.sys.LibCNet;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One registered descriptor (Go's {@code pollDesc}): the fd, a waiter slot per direction, the
 * closing state and the read/write deadlines.
 *
 * <p>Each slot ({@link #rg} for reads, {@link #wg} for writes) holds, as in Go's netpoll.go:
 * <pre>
 *   null   nothing happened, nobody waits                  (Go's pdNil)
 *   READY  readiness arrived and nobody consumed it yet     (pdReady)
 *   WAIT   a caller is about to park (between publish and commit)  (pdWait)
 *   waiter the parked goroutine (a {@code dev.gort.sched.G}) or platform Thread
 * </pre>
 * Transitions: the caller CASes null->WAIT, re-checks close/deadline, then parks; the park's
 * commit (running after the goroutine is off its M) CASes WAIT->waiter, and if that fails
 * (readiness, close or deadline came in between) the park is cancelled. {@link #unblock} moves
 * the slot to READY (I/O readiness) or null (close, deadline) and hands back the waiter it
 * found, to be made runnable. So a readiness notification is never lost and a waiter is woken
 * exactly once. At most one caller waits per direction: Conn and Listener serialise the callers of
 * a direction with {@link #readLock}/{@link #writeLock} first (Go's fdMutex), so a second waiter in
 * a slot is an internal error.
 *
 * <p>Lifetime: {@link #state} counts operations in flight plus a CLOSING bit. Every blocking
 * operation holds a reference ({@link #incref}/{@link #decref}); {@link #close} sets CLOSING,
 * wakes both waiters with "closed", and the fd itself is closed by whichever of close or the last
 * in-flight operation brings the count to zero, so no thread ever reads a descriptor number the
 * kernel has already handed to someone else.
 */
final class PollDesc {
    static final int READ = 'r';
    static final int WRITE = 'w';

    static final Object READY = new Object() {
        @Override
        public String toString() {
            return "pdReady";
        }
    };
    static final Object WAIT = new Object() {
        @Override
        public String toString() {
            return "pdWait";
        }
    };

    private static final long CLOSING = 1L << 62;
    private static final VarHandle RG;
    private static final VarHandle WG;
    private static final VarHandle STATE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RG = l.findVarHandle(PollDesc.class, "rg", Object.class);
            WG = l.findVarHandle(PollDesc.class, "wg", Object.class);
            STATE = l.findVarHandle(PollDesc.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final NetPoller poller;
    final int fd;
    /** This descriptor's errno captures and scratch: never a ThreadLocal on goroutine paths. */
    final DescNatives natives;
    /** Distinguishes this registration from earlier ones of the same fd number (stale events). */
    final int seq;
    /** For messages: e.g. "tcp 127.0.0.1:8080->127.0.0.1:51234". */
    volatile String name;
    /** Serialise readers (read, accept) and writers (write, connect) among themselves: Go's fdMutex. */
    final IoLock readLock;
    final IoLock writeLock;

    @SuppressWarnings("unused") // through RG
    private volatile Object rg;
    @SuppressWarnings("unused") // through WG
    private volatile Object wg;
    @SuppressWarnings("unused") // through STATE
    private volatile long state;
    private boolean destroyed;

    // Deadlines, guarded by this: expired flags are read without the lock by the I/O path.
    private volatile boolean readExpired;
    private volatile boolean writeExpired;
    private int readDeadlineSeq;
    private int writeDeadlineSeq;
    private Parking.TimerHandle readTimer;
    private Parking.TimerHandle writeTimer;

    PollDesc(NetPoller poller, int fd, int seq, String name, DescNatives natives) {
        this.poller = poller;
        this.readLock = new IoLock(poller);
        this.writeLock = new IoLock(poller);
        this.fd = fd;
        this.natives = natives;
        this.seq = seq;
        this.name = name;
    }

    // ------------------------------------------------------------------ lifetime

    /**
     * References held by threads that are not goroutines (a plain thread's operation), counted
     * before the reference itself is taken: at the scheduler's shutdown, a descriptor whose
     * remaining references are all goroutines' (parked for good: every M was joined) is closed at
     * once, one with a thread's waits for that thread's decref ({@link #closeAtShutdown}).
     */
    private final java.util.concurrent.atomic.AtomicInteger threadRefs = new java.util.concurrent.atomic.AtomicInteger();
    /** Set by {@link #closeAtShutdown} before it reads {@link #threadRefs}. */
    private volatile boolean closedAtShutdown;

    /** Takes a reference for one operation; throws ClosedException once close began. */
    void incref(String op) {
        boolean thread = !Go.onGoroutine();
        if (thread) {
            threadRefs.incrementAndGet();
        }
        for (;;) {
            long s = (long) STATE.getVolatile(this);
            if ((s & CLOSING) != 0) {
                // A shutdown close that read this thread's count before it backed out left the fd
                // to the last thread's decref: this back-out is that decref (destroy is idempotent).
                if (thread && threadRefs.decrementAndGet() == 0 && closedAtShutdown) {
                    destroy();
                }
                throw closed(op);
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                return;
            }
        }
    }

    /** incref plus the direction's IoLock (Go's fd.readLock/writeLock); release with {@link #unlockAndDecref}. */
    void lockAndIncref(int mode, String op) {
        incref(op);
        try {
            (mode == READ ? readLock : writeLock).lock(this, op);
        } catch (RuntimeException | Error e) {
            decref();
            throw e;
        }
    }

    void unlockAndDecref(int mode) {
        (mode == READ ? readLock : writeLock).unlock();
        decref();
    }

    void decref() {
        int threads = Go.onGoroutine() ? threadRefs.get() : threadRefs.decrementAndGet();
        long s = (long) STATE.getAndAdd(this, -1L) - 1;
        if (s == CLOSING || (threads == 0 && closedAtShutdown && (s & CLOSING) != 0)) {
            destroy();      // the last reference, or the last thread's after a shutdown close (see closeAtShutdown)
        }
    }

    /**
     * The scheduler's shutdown, every M joined (the poller's close): closes this descriptor as
     * {@link #close} does and releases the fd now unless a thread (not a goroutine) still holds a
     * reference; then that thread's decref releases it. Goroutines' references never drop: their
     * goroutines will not run again. Go's process exit closes every descriptor; an embedded run
     * closes the ones it registered, so none outlives the run that owned it.
     */
    void closeAtShutdown() {
        closedAtShutdown = true;
        close();
        if (threadRefs.get() == 0) {
            destroy();
        }
    }

    boolean isClosing() {
        return ((long) STATE.getVolatile(this) & CLOSING) != 0;
    }

    /**
     * Begins closing: later operations fail, parked ones wake with ClosedException, and the fd is
     * released when the last in-flight operation leaves. Returns false if close already ran.
     */
    boolean close() {
        long s;
        do {
            s = (long) STATE.getVolatile(this);
            if ((s & CLOSING) != 0) {
                return false;
            }
        } while (!STATE.compareAndSet(this, s, s | CLOSING));
        synchronized (this) {
            readDeadlineSeq++;
            writeDeadlineSeq++;
            cancel(readTimer);
            cancel(writeTimer);
            readTimer = null;
            writeTimer = null;
        }
        Parking.wake(unblock(READ, false), poller);
        Parking.wake(unblock(WRITE, false), poller);
        readLock.close();
        writeLock.close();
        if (s == 0) {
            destroy();
        }
        return true;
    }

    private void destroy() {
        synchronized (this) {
            if (destroyed) {
                return;
            }
            destroyed = true;
        }
        poller.deregister(this);
        LibCNet.close(natives.setupCap, fd);
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Waits until {@code mode} may make progress (Go's runtime_pollWait): returns when readiness was
     * signalled; throws ClosedException or DeadlineExceededException. The caller retries its
     * non-blocking syscall afterwards.
     */
    void await(int mode, String op) {
        checkErr(mode, op);
        while (!block(mode, op)) {
            checkErr(mode, op);
        }
    }

    /** Go's netpollcheckerr. */
    void checkErr(int mode, String op) {
        if (isClosing()) {
            throw closed(op);
        }
        if (mode == READ ? readExpired : writeExpired) {
            throw new DeadlineExceededException(op + " " + name + ": i/o timeout (" + (mode == READ ? "read" : "write")
                    + " deadline exceeded)", 0, null);
        }
    }

    private boolean errPending(int mode) {
        return isClosing() || (mode == READ ? readExpired : writeExpired);
    }

    /** Go's netpollblock: true if readiness was consumed, false if woken by close/deadline. */
    private boolean block(int mode, String op) {
        VarHandle slot = mode == READ ? RG : WG;
        for (;;) {
            Object old = slot.getVolatile(this);
            if (old == READY) {
                if (slot.compareAndSet(this, READY, null)) {
                    return true;
                }
                continue;
            }
            if (old == null) {
                if (slot.compareAndSet(this, null, WAIT)) {
                    break;
                }
                continue;
            }
            throw new IllegalStateException(op + " " + name + ": a second caller waits for "
                    + (mode == READ ? "reading" : "writing") + " without holding the direction's IoLock (internal error)");
        }
        // Close or a deadline may have run between the error check and WAIT: they found no waiter,
        // so this caller must not park (it would never be woken).
        if (!errPending(mode)) {
            Parking.park(this, mode);
        }
        Object old = slot.getAndSet(this, null);
        return old == READY;
    }

    /** The park commit: WAIT -> waiter. False means readiness/close/deadline came first: do not sleep. */
    boolean commit(int mode, Object waiter) {
        return (mode == READ ? RG : WG).compareAndSet(this, WAIT, waiter);
    }

    /** The goroutine park commit (on the scheduler, the G already waiting): counts it as a netpoll waiter. */
    boolean commitGoroutine(int mode, Object g) {
        poller.goroutineParking(); // balanced by goroutineWoke() once Go.park returns, committed or not
        return commit(mode, g);
    }

    /** True while {@code waiter} is still published in the slot (a thread parker's loop condition). */
    boolean holds(int mode, Object waiter) {
        return (mode == READ ? RG : WG).getVolatile(this) == waiter;
    }

    /**
     * Go's netpollunblock: {@code ioready} moves the slot to READY (an event), otherwise to null
     * (close, deadline: only a real waiter is disturbed). Returns the parked waiter, or null.
     */
    Object unblock(int mode, boolean ioready) {
        VarHandle slot = mode == READ ? RG : WG;
        for (;;) {
            Object old = slot.getVolatile(this);
            if (old == READY) {
                return null;
            }
            if (old == null && !ioready) {
                return null;
            }
            Object next = ioready ? READY : null;
            if (slot.compareAndSet(this, old, next)) {
                return old == WAIT ? null : old;
            }
        }
    }

    // ------------------------------------------------------------------ deadlines

    /**
     * Sets the deadline of {@code mode} to {@code deadlineNanoTime} (a System.nanoTime() value),
     * or clears it when {@code set} is false. A deadline in the past expires at once and wakes a
     * parked caller; a future one arms a runtime timer (the scheduler's timer heap on a goroutine).
     * Go's poll_runtime_pollSetDeadline.
     */
    void setDeadline(int mode, boolean set, long deadlineNanoTime) {
        boolean expireNow = false;
        synchronized (this) {
            if (isClosing()) {
                return;
            }
            int seqNow = mode == READ ? ++readDeadlineSeq : ++writeDeadlineSeq;
            Parking.TimerHandle old = mode == READ ? readTimer : writeTimer;
            cancel(old);
            Parking.TimerHandle t = null;
            boolean expired = false;
            if (set) {
                long delay = deadlineNanoTime - System.nanoTime();
                if (delay <= 0) {
                    expired = true;
                    expireNow = true;
                } else {
                    t = Parking.startTimer(delay, () -> fire(mode, seqNow));
                }
            }
            if (mode == READ) {
                readTimer = t;
                readExpired = expired;
            } else {
                writeTimer = t;
                writeExpired = expired;
            }
        }
        if (expireNow) {
            Parking.wake(unblock(mode, false), poller);
        }
    }

    private void fire(int mode, int seqAtArm) {
        synchronized (this) {
            if ((mode == READ ? readDeadlineSeq : writeDeadlineSeq) != seqAtArm) {
                return; // reset or cleared since
            }
            if (mode == READ) {
                readExpired = true;
                readTimer = null;
            } else {
                writeExpired = true;
                writeTimer = null;
            }
        }
        Parking.wake(unblock(mode, false), poller);
    }

    private static void cancel(Parking.TimerHandle t) {
        if (t != null) {
            t.cancel();
        }
    }

    ClosedException closed(String op) {
        return new ClosedException(op + " " + name + ": use of closed network connection", 0, null);
    }

    @Override
    public String toString() {
        return "pollDesc(fd=" + fd + ", " + name + ")";
    }
}
