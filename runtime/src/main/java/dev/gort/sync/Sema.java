package dev.gort.sync;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A counting semaphore whose waiters are goroutines (parked through the scheduler, their M freed)
 * or plain threads (parked with LockSupport): Go's runtime semacquire / semrelease, the primitive
 * under Mutex, RWMutex and WaitGroup.
 *
 * <p>State: {@code count} (available permits, atomic), {@code nwait} (waiters, atomic so release's
 * fast path can skip the lock), and a FIFO of {@link Waiter}s under a small spin lock. A waiter
 * queued with {@code lifo} goes to the front (Go: a mutex waiter woken but beaten to the lock
 * waits at the front next time).
 *
 * <p>Handoff: {@code release(true)} gives the permit directly to the first waiter (its
 * {@code ticket}) so no newcomer can take it first: Go's starvation-mode mutex relies on it.
 */
final class Sema {
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicLong nwait = new AtomicLong();
    private final AtomicInteger lock = new AtomicInteger();
    private Waiter head;
    private Waiter tail;

    /** One blocked caller. */
    static final class Waiter {
        final Object goroutine; // scheduler handle, or null for a thread
        final Thread thread;
        Waiter next;
        volatile boolean ticket; // the permit was handed over directly
        volatile boolean woken;

        Waiter(Object goroutine, Thread thread) {
            this.goroutine = goroutine;
            this.thread = thread;
        }
    }

    Sema() {
    }

    Sema(int permits) {
        count.set(permits);
    }

    private boolean tryAcquire() {
        for (int c; (c = count.get()) > 0; ) {
            if (count.compareAndSet(c, c - 1)) {
                return true;
            }
        }
        return false;
    }

    /** Takes a permit, blocking the caller (goroutine or thread) until one is available. */
    void acquire(boolean lifo, String reason) {
        if (tryAcquire()) {
            return;
        }
        Parking.GoroutineParker gp = Parking.goroutines();
        boolean onG = gp != null && gp.onGoroutine();
        Waiter w = new Waiter(onG ? gp.current() : null, Thread.currentThread());
        while (true) {
            lock();
            nwait.incrementAndGet();
            if (tryAcquire()) {
                nwait.decrementAndGet();
                unlock();
                return;
            }
            w.woken = false;
            w.ticket = false;
            enqueue(w, lifo);
            if (onG) {
                gp.park(this::unlock, reason); // unlocked once the goroutine is parked: no lost wake-up
            } else {
                unlock();
                while (!w.woken) {
                    LockSupport.park(this);
                }
            }
            if (w.ticket) {
                return; // handed over by release(true)
            }
            lifo = true; // woken but not handed the permit: try again, at the front (Go's semacquire1)
            if (tryAcquire()) {
                return;
            }
        }
    }

    /** Adds a permit and wakes one waiter; with {@code handoff} the permit goes straight to it. */
    void release(boolean handoff) {
        count.incrementAndGet();
        if (nwait.get() == 0) {
            return;
        }
        lock();
        if (nwait.get() == 0) {
            unlock();
            return;
        }
        Waiter w = dequeue();
        if (w == null) {
            unlock();
            return;
        }
        nwait.decrementAndGet();
        if (handoff && tryAcquire()) {
            w.ticket = true;
        }
        unlock();
        wake(w);
    }

    private static void wake(Waiter w) {
        w.woken = true;
        if (w.goroutine != null) {
            Parking.goroutines().ready(w.goroutine);
        } else {
            LockSupport.unpark(w.thread);
        }
    }

    private void enqueue(Waiter w, boolean lifo) {
        w.next = null;
        if (head == null) {
            head = tail = w;
        } else if (lifo) {
            w.next = head;
            head = w;
        } else {
            tail.next = w;
            tail = w;
        }
    }

    private Waiter dequeue() {
        Waiter w = head;
        if (w != null) {
            head = w.next;
            if (head == null) {
                tail = null;
            }
            w.next = null;
        }
        return w;
    }

    /** The queue lock: held for a few instructions, never across a park. */
    private void lock() {
        int spins = 0;
        long park = dev.gort.sys.RealtimeBoost.PARK_FIRST_NANOS;
        while (!lock.compareAndSet(0, 1)) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                // Yield to a holder that lost its CPU; park instead if this M was boosted late into
                // a stop (the real-time stop): a SCHED_FIFO yield would not let that holder run.
                park = dev.gort.sys.RealtimeBoost.yieldOrPark(park);
            }
        }
    }

    private void unlock() {
        lock.set(0);
    }

    /** Waiters now (for tests). */
    long waiters() {
        return nwait.get();
    }
}
