package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.Scheduler;
import dev.gort.sched.WaitReason;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The background sweeper as a system goroutine (Go's {@code bgsweep}), used under
 * {@link SchedWorld}; {@link ThreadWorld} keeps its platform thread ({@code ThreadSweeper}).
 *
 * <h2>Life</h2>
 * <ol>
 *   <li>Started once, as a system goroutine (not counted by {@code goroutines()} nor by the
 *       deadlock check), by the first goroutine that gets a P's collector state (Go starts it in
 *       gcenable; only a goroutine can start goroutines here).</li>
 *   <li>It sweeps: {@link GcSupport#sweepOne} (one batch: up to 8 spans of one mcentral, or one
 *       set-aside mcache span) until it returns 0, crediting each batch to the proportional sweep
 *       ({@link SweepCredit}).</li>
 *   <li>After every batch, {@link #goschedIfBusy}: yield if preemption was asked (a
 *       stop-the-world, a mark worker wanted), or if no P is idle, so a runnable goroutine never
 *       waits for the sweep; with an idle P it keeps sweeping (Go's goschedIfBusy).</li>
 *   <li>When sweepOne finds nothing it parks ({@code GC sweep wait}). Mark termination's end
 *       ({@link #wake}, on the coordinator, world running) readies it if it is parked (Go's
 *       gcSweep: {@code if sweep.parked { ready(sweep.g) }}).</li>
 *   <li>{@link #close} (the collector closes) wakes it and it returns; close waits for a batch
 *       in progress, so after it no sweep of this goroutine touches the heap (an embedder may
 *       unmap it next).</li>
 * </ol>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Its only safepoints are {@code Go.poll}/{@code Go.gosched} between batches and the park:
 *       a stop-the-world finds it parked or yielded, never holding a claimed span (sweepOne does
 *       not poll). So it is never a cycle late, unlike the platform thread session 9 had to
 *       guard against (arena package-info, "A sweeper may be a cycle late").</li>
 *   <li>The park and the wake agree through {@link #state} and {@link #requests}, without a lock:
 *       the park's commit (on g0, the goroutine already WAITING) sets PARKED, then looks for a
 *       request it has not seen; the waker counts a request, then looks for PARKED. Both take
 *       PARKED -> RUNNING by CAS: the winner resumes it (commit refused) or readies it, exactly
 *       once.</li>
 *   <li>A batch and {@link #close} agree through {@link #inBatch} and {@link #closed}, both
 *       volatile: the goroutine sets inBatch and then reads closed, close sets closed and then
 *       reads inBatch, so either the goroutine sees the close and sweeps nothing more, or close
 *       sees the batch and waits for its end.</li>
 * </ul>
 *
 * <p>Rejected: readying it from the mark termination pause (Go readies it with the world stopped):
 * here the coordinator is a platform thread and a ready is a run-queue insert plus perhaps an M
 * wake-up, which the pause does not need; it is done right after the restart, as the thread
 * sweeper was signalled.
 */
final class SweeperGoroutine {
    private static final int RUNNING = 0;
    private static final int PARKED = 1;

    private final GcSupport gcs;
    private final SweepCredit credit;
    private final Scheduler sched;
    private final AtomicBoolean spawned = new AtomicBoolean();
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    /** Sweeps asked for (one per cycle); the goroutine parks only once it has seen the latest. */
    private final AtomicLong requests = new AtomicLong();
    /** The requests count the goroutine read before its last sweep (its own field; read by the commit on g0). */
    private volatile long seen;
    private volatile G g;
    private volatile boolean closed;
    private volatile boolean exited;
    /** Set from before the goroutine's look at {@link #closed} until its batch is swept and credited. */
    private volatile boolean inBatch;
    /** How long {@link #close} waits for a batch in progress (a batch is at most 8 spans: microseconds, unless its M gets no CPU). */
    static final long CLOSE_WAIT_NANOS = 10_000_000_000L;

    /** Pages this goroutine swept, batches, yields (goschedIfBusy), parks: over the collector's life. */
    final AtomicLong pagesSwept = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong yields = new AtomicLong();
    final AtomicLong parks = new AtomicLong();

    SweeperGoroutine(GcSupport gcs, SweepCredit credit, Scheduler sched) {
        this.gcs = gcs;
        this.credit = credit;
        this.sched = sched;
    }

    /** On a goroutine with a P (SchedWorld.current, first per-P state): starts the sweeper once. */
    void spawnIfNeeded() {
        if (!spawned.get() && !closed && spawned.compareAndSet(false, true)) {
            Go.goSystem(this::loop);
        }
    }

    /** The sweeper's G once it has started (null before; tests). */
    G goroutine() {
        return g;
    }

    /** True once the goroutine returned (after {@link #close}). */
    boolean exited() {
        return exited;
    }

    /**
     * A new sweep cycle began (after mark termination's restart; any thread): ready the sweeper if
     * it is parked, else it sees the request before it parks. Must not be called once the
     * scheduler exited (its G memory may be freed): the caller checks.
     */
    void wake() {
        requests.incrementAndGet();
        G gp = g;
        if (gp != null && state.compareAndSet(PARKED, RUNNING)) {
            Go.ready(gp);
        }
    }

    /**
     * The collector closes: the goroutine returns at its next look (readied if parked, unless the
     * scheduler exited). Returns once no batch is in progress, so nothing of the sweeper touches
     * the heap afterwards (before session 11 a batch under way could sweep a heap the embedder
     * unmapped right after the close); gives up after {@link #CLOSE_WAIT_NANOS} with a warning
     * (an M that gets no CPU). Any thread, a goroutine included: a batch needs no P of the caller's.
     */
    void close(boolean schedulerRunning) {
        closed = true;
        if (schedulerRunning) {
            wake();
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (inBatch) {
            if (System.nanoTime() - deadline > 0) {
                System.err.println("gort: warning: the collector closed while its sweeper goroutine was still in a sweep batch after 10 s");
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    /** True while a sweep batch is in progress (tests). */
    boolean inBatch() {
        return inBatch;
    }

    private void loop() {
        g = Go.current();
        try {
            while (!closed && !sched.exiting()) {
                seen = requests.get();
                sweepUntilNothingLeft();
                if (closed || sched.exiting()) {
                    break;
                }
                parks.incrementAndGet();
                Go.park(SweeperGoroutine::parkCommit, this, WaitReason.GC_SWEEP_WAIT);
            }
        } finally {
            exited = true;
        }
    }

    private void sweepUntilNothingLeft() {
        for (;;) {
            long n;
            inBatch = true;                   // before the look at closed (see close)
            try {
                if (closed || sched.exiting()) {
                    return;
                }
                long tag = credit.tag();      // before the sweep: a later pacing refuses the credit
                n = gcs.sweepOne();           // no safepoint inside: never stopped holding a claimed span
                if (n == 0) {
                    return;
                }
                credit.credit(tag, n);
            } finally {
                inBatch = false;
            }
            pagesSwept.addAndGet(n);
            batches.incrementAndGet();
            goschedIfBusy();
        }
    }

    /**
     * Go's goschedIfBusy: keep the P while another P is idle and nobody asked for this one; else
     * yield (to the back of the global queue), so a runnable goroutine, a mark worker or a
     * stop-the-world gets it within one batch.
     */
    private void goschedIfBusy() {
        if (sched.idleProcs() > 0) {
            Go.poll();                        // a stop or a preempt asked for this P: yield to it
            return;
        }
        yields.incrementAndGet();
        Go.gosched();
    }

    /** On g0, the sweeper already WAITING: park unless a request came in meanwhile (then resume at once). */
    private static boolean parkCommit(G gp, Object arg) {
        SweeperGoroutine s = (SweeperGoroutine) arg;
        s.state.set(PARKED);
        if (s.requests.get() != s.seen || s.closed) {
            // Resume unless the waker already took PARKED and readied it (then it is RUNNABLE in a run queue).
            return !s.state.compareAndSet(PARKED, RUNNING);
        }
        return true;
    }
}
