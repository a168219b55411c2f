package dev.gort.gc;

import dev.gort.sched.G;
import dev.gort.sched.Go;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Go's assist queue ({@code work.assistQueue}, gcParkAssist / gcFlushBgCredit / gcWakeAllAssists):
 * mutators that owe scan work when there is none to steal or do wait here, parked, until the
 * background workers' credit pays them. Nobody polls.
 *
 * <h2>Structures</h2>
 * <ul>
 *   <li>A FIFO of {@link Waiter}s (head, tail, next links) under a short spin lock; each waiter
 *       holds its debt in bytes of scan work and what to wake: a platform thread
 *       ({@link ThreadWorld}: {@code LockSupport.park}) or a goroutine ({@link SchedWorld}:
 *       {@code Go.park}, woken by {@code Go.ready}). Waiters come from a free list under the same
 *       lock, so a wait allocates nothing once the queue has seen as many waiters at once.</li>
 *   <li>{@code queued}: a volatile count of waiters, the flush's fast-path test.</li>
 *   <li>The background credit is the pacer's {@code bgScanCredit}: what no waiter needed.</li>
 * </ul>
 *
 * <h2>The two sides</h2>
 * <ol>
 *   <li><b>Flush</b> ({@link #flush}, a mark worker after each drained chunk): add the scan work
 *       to the credit, then read {@code queued}; if 0, done (one atomic add and one volatile read,
 *       as before). Otherwise, under the lock, pay waiters from the head out of the credit; a
 *       waiter paid in full leaves the queue and is woken; one paid in part keeps its place at
 *       the back (Go's heuristic, so one large debt does not hold up small ones) and the flush
 *       stops there, the credit spent.</li>
 *   <li><b>Wait</b> ({@link #enqueue}, on the waiting mutator; for a goroutine in the park commit,
 *       on g0 after it is WAITING, so a flusher can never ready it before it is parked): under the
 *       lock, if the wait is over (phase not MARK, closed, paused, exiting) do not park; else link
 *       the waiter at the tail, count it in {@code queued}, and then pay from the credit as a flush
 *       would. If that pays this waiter, do not park.</li>
 * </ol>
 * No lost wake-up: the flush writes the credit and then reads {@code queued}; the wait writes
 * {@code queued} and then reads the credit (both sequentially consistent). If the flush read 0, the
 * waiter's later read sees the credit and takes it; otherwise the flush takes the lock and pays
 * (Go re-checks the credit under the queue lock in gcParkAssist for the same reason, though its
 * flush's fast path leaves a window it accepts until the next flush). The end of the wait (mark
 * termination's restart, an abandoned cycle, close, a test breakpoint, the scheduler's exit)
 * first makes the wait's condition false and then takes the lock in {@link #wakeAll}, so a
 * waiter either saw the end under the lock or is in the queue when wakeAll empties it.
 *
 * <h2>Published work</h2>
 * Go does not wake a parked assist when work appears: the parked goroutine gave its P back, and
 * Go's gcWork.balance calls enlistWorker, so an idle P wakes and runs an idle mark worker that
 * takes the work. gort's scheduler has no such wake-up for published work (the coordinator
 * enlists only when no worker is busy), and over plain threads a waiting mutator's CPU is nobody's
 * (idle workers run only on Ps no registered thread holds). So, as the polling wait did, a waiter
 * leaves when work is published and assists with it, in both worlds: the flush wakes the head
 * waiter ({@link #WORK}) when the global list holds work, and a waiter does not park if it already
 * does. Measured under the scheduler without it (Go's rule): the process used ~1.2 of the 2 CPUs
 * in PauseDistributionRun and its mutators replaced 0.7 x the chains.
 *
 * <h2>Stops</h2>
 * A queued waiter counts as stopped (a thread waits inside {@code runBlocking}, BLOCKED; a parked
 * goroutine holds no P), so a stop-the-world never waits for it and the restart does not wake it.
 * A thread paid during a stop leaves its wait and then waits in runBlocking's exit for the restart.
 */
final class AssistQueue {
    /** Waiter states: queued; paid in full; woken with debt left (the wait ended); woken for published work. */
    static final int IDLE = 0;
    static final int QUEUED = 1;
    static final int PAID = 2;
    static final int ENDED = 3;
    static final int WORK = 4;

    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(AssistQueue.class, "lockWord", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One waiting assist. Reused through the free list; its fields are the lock's but {@link #state}. */
    static final class Waiter implements Runnable {
        final AssistQueue queue;
        Waiter next;
        /** Scan work still owed. */
        long debt;
        /** {@link #QUEUED} while in the queue; the waker writes the final state before it wakes. */
        volatile int state;
        Thread thread;
        G g;
        /** System.nanoTime() when it queued to park, 0 if it did not park. */
        long parkedAt;

        Waiter(AssistQueue queue) {
            this.queue = queue;
        }

        /** A platform thread's wait (runBlocking's body): enqueue, then park until no longer queued. */
        @Override
        public void run() {
            queue.parkThread(this);
        }
    }

    private final AtomicLong credit;
    private final BooleanSupplier waitGoesOn;
    private final WorkbufPool pool;
    private final boolean wakeForWork;

    @SuppressWarnings("unused")     // through LOCK
    private volatile int lockWord;
    private Waiter head;
    private Waiter tail;
    private Waiter free;
    private volatile int queued;
    /**
     * Goroutines queued or dequeued but not yet readied: the scheduler's deadlock check must not
     * fire while the collector will still ready one (GcHook.holdsParkedGoroutines). Decremented
     * only after Go.ready, when the goroutine is on a run queue the check sees.
     */
    private final java.util.concurrent.atomic.AtomicInteger goroutinesHeld = new java.util.concurrent.atomic.AtomicInteger();

    // Counts (written under the lock, read racily for statistics).
    private long waits;
    private long paidAtEnqueue;
    private long paidInQueue;
    private long wokenAtEnd;
    private long wokenForWork;
    private long refusedEnded;
    private long refusedWork;
    private long partialPayments;
    private long parkedNanos;

    /**
     * @param credit      the background scan credit (the pacer's bgScanCredit)
     * @param waitGoesOn  true while a waiter may stay queued (mark phase, collector open)
     * @param pool        the global work lists, for {@code wakeForWork}
     * @param wakeForWork wake the head waiter when work is published (see above)
     */
    AssistQueue(AtomicLong credit, BooleanSupplier waitGoesOn, WorkbufPool pool, boolean wakeForWork) {
        this.credit = credit;
        this.waitGoesOn = waitGoesOn;
        this.pool = pool;
        this.wakeForWork = wakeForWork;
    }

    private void lock() {
        SpinLock.lock(LOCK, this);
    }

    private void unlock() {
        SpinLock.unlock(LOCK, this);
    }

    /** Number of queued waiters (racy). */
    int queued() {
        return queued;
    }

    /** True while a parked goroutine waits here or is being readied (see {@link #goroutinesHeld}). */
    boolean holdsGoroutines() {
        return goroutinesHeld.get() > 0;
    }

    /**
     * Go's gcFlushBgCredit: {@code work} bytes of scan work done by a background worker become
     * credit, and pay queued assists first.
     */
    /** Waiters woken so far (written under the lock; read without it, e.g. around a flush). */
    private volatile long wakeups;

    long wakeups() {
        return wakeups;
    }

    void flush(long work) {
        if (work > 0) {
            credit.addAndGet(work);
        }
        if (queued != 0) {              // read after the add: see "No lost wake-up"
            lock();
            try {
                payLocked(null);
                if (wakeForWork && head != null && !pool.fullIsEmpty()) {
                    wakeHeadLocked(WORK);
                }
            } finally {
                unlock();
            }
        }
    }

    /** A waiter for the calling mutator, owing {@code debt} (> 0) bytes of scan work. */
    Waiter acquire(long debt) {
        Waiter w;
        lock();
        try {
            w = free;
            if (w != null) {
                free = w.next;
            }
        } finally {
            unlock();
        }
        if (w == null) {
            w = new Waiter(this);
        }
        w.next = null;
        w.debt = debt;
        w.thread = null;
        w.g = null;
        w.parkedAt = 0;
        w.state = IDLE;
        return w;
    }

    /** After the wait: the waiter back to the free list. Its debt and state were read by the caller. */
    void release(Waiter w) {
        w.thread = null;
        w.g = null;
        long parked = w.parkedAt != 0 ? System.nanoTime() - w.parkedAt : 0;
        w.parkedAt = 0;
        lock();
        try {
            parkedNanos += parked;
            w.next = free;
            free = w;
        } finally {
            unlock();
        }
    }

    /**
     * Queues {@code w} unless its wait is already over; true if the caller must now park (a
     * goroutine's park commit returns this). The final state of a waiter not queued is
     * {@link #PAID}, {@link #ENDED} or {@link #WORK}.
     */
    boolean enqueue(Waiter w) {
        lock();
        try {
            if (!waitGoesOn.getAsBoolean()) {
                w.state = ENDED;
                refusedEnded++;
                return false;
            }
            if (wakeForWork && !pool.fullIsEmpty()) {
                w.state = WORK;
                refusedWork++;
                return false;
            }
            w.state = QUEUED;
            w.next = null;
            if (tail == null) {
                head = w;
            } else {
                tail.next = w;
            }
            tail = w;
            queued = queued + 1;    // volatile write, then the credit's read below: see "No lost wake-up"
            payLocked(w);
            if (w.state == QUEUED) {
                waits++;
                w.parkedAt = System.nanoTime();
                return true;
            }
            return false;
        } finally {
            unlock();
        }
    }

    /** Lock held: pays waiters from the head out of the credit. Does not wake {@code self} (it has not parked). */
    private void payLocked(Waiter self) {
        while (head != null) {
            long c = credit.get();
            if (c <= 0) {
                return;
            }
            Waiter w = head;
            long take = Math.min(c, w.debt);
            if (!credit.compareAndSet(c, c - take)) {
                continue;
            }
            w.debt -= take;
            if (w.debt > 0) {
                // Paid in part: the credit is spent. To the back, as Go's gcFlushBgCredit does, so a
                // large debt does not hold up the small ones queued behind it.
                partialPayments++;
                if (w.next != null) {
                    head = w.next;
                    w.next = null;
                    tail.next = w;
                    tail = w;
                }
                return;
            }
            popHeadLocked();
            if (w == self) {
                paidAtEnqueue++;
                w.state = PAID;
            } else {
                paidInQueue++;
                wake(w, PAID);
            }
        }
    }

    private void popHeadLocked() {
        Waiter w = head;
        head = w.next;
        if (head == null) {
            tail = null;
        }
        w.next = null;
        queued = queued - 1;
    }

    private void wakeHeadLocked(int why) {
        Waiter w = head;
        popHeadLocked();
        wokenForWork++;
        wake(w, why);
    }

    /**
     * Gives a dequeued waiter its final state and wakes it. Under the lock (as Go's ready under the
     * queue lock): once woken the waiter may release its node, so nothing may touch it after.
     */
    private static void wake(Waiter w, int why) {
        G g = w.g;
        Thread t = w.thread;
        w.state = why;
        w.queue.wakeups++;              // under the queue lock
        if (g != null) {
            Go.ready(g);
            w.queue.goroutinesHeld.decrementAndGet();
        } else {
            LockSupport.unpark(t);
        }
    }

    /**
     * Go's gcWakeAllAssists: every queued waiter is woken with whatever debt it has left. The
     * caller has already made the wait's condition false. {@code readyGoroutines} false when the
     * scheduler exits: its parked goroutines are never run again, so they are dropped, not readied.
     */
    void wakeAll(boolean readyGoroutines) {
        lock();                     // always: orders this after a waiter inside enqueue right now
        try {
            while (head != null) {
                Waiter w = head;
                popHeadLocked();
                wokenAtEnd++;
                if (w.g != null && !readyGoroutines) {
                    w.state = ENDED;
                    goroutinesHeld.decrementAndGet();
                } else {
                    wake(w, ENDED);
                }
            }
        } finally {
            unlock();
        }
    }

    /** The platform thread's wait: queue, then park until a waker set the final state. */
    void parkThread(Waiter w) {
        w.thread = Thread.currentThread();
        if (!enqueue(w)) {
            return;
        }
        // park returns at once while the interrupt status is set: cleared for the wait and set
        // again after it, or an interrupted mutator would spin here until paid. The wait ends
        // only by a waker; the interrupt is the program's to see afterwards.
        boolean interrupted = false;
        while (w.state == QUEUED) {
            LockSupport.park(this);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The goroutine's park commit (on g0, the goroutine WAITING): queue it, or refuse the park. */
    static boolean parkCommit(G g, Object arg) {
        Waiter w = (Waiter) arg;
        w.g = g;
        AssistQueue q = w.queue;
        q.goroutinesHeld.incrementAndGet();         // before it can be seen queued: see goroutinesHeld
        boolean park = q.enqueue(w);
        if (!park) {
            q.goroutinesHeld.decrementAndGet();     // it runs on at once
        }
        return park;
    }

    /** Statistics since the collector started (racy reads). */
    AssistWaitStats stats() {
        return new AssistWaitStats(waits, paidAtEnqueue, paidInQueue, wokenAtEnd, wokenForWork, refusedEnded,
                refusedWork, partialPayments, parkedNanos);
    }

    /** Test check (quiescent queue): the links agree with {@code queued}; returns the queued debts in order. */
    long[] debtsForTest() {
        lock();
        try {
            int n = 0;
            for (Waiter w = head; w != null; w = w.next) {
                n++;
            }
            if (n != queued) {
                throw new AssertionError("assist queue holds " + n + " waiters but counts " + queued);
            }
            long[] d = new long[n];
            int i = 0;
            for (Waiter w = head; w != null; w = w.next) {
                d[i++] = w.debt;
            }
            return d;
        } finally {
            unlock();
        }
    }
}
