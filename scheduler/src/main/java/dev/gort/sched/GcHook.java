package dev.gort.sched;

/**
 * The collector as the scheduler sees it (installed with {@link Scheduler#setGcHook}). GC worker
 * goroutines are system goroutines the collector starts with {@link Go#goSystem} (not counted by
 * {@link Scheduler#goroutines()} nor by the deadlock check) and parks with {@link Go#park} (wait
 * reason {@link WaitReason#GC_WORKER_IDLE}); findrunnable asks the hook for one to run, in Go's
 * places:
 * <ul>
 * <li>{@link #findRunnableGCWorker}: right after timers, before any run queue
 *     (Go's findRunnableGCWorker: dedicated and fractional mark workers).</li>
 * <li>{@link #findIdleGCWorker}: when the P found nothing else to do, before it goes idle (idle
 *     mark workers).</li>
 * </ul>
 * A returned G must be parked (WAITING); the scheduler makes it runnable and runs it on that P.
 * Stop-the-world is {@link Scheduler#stopTheWorld(String)} / {@link Scheduler#startTheWorld()}.
 * Work the run queues do not show (mark work) is announced with {@link Scheduler#wakeIdleP()} and
 * {@link Scheduler#preempt(int)} (Go's enlistWorker).
 * Both methods run on an M's scheduler loop: short, non-blocking.
 *
 * <p>The clock: both are asked on every scheduling decision, and {@code System.nanoTime()} costs
 * about as much as the rest of a decision's checks, while a collector needs the time only for a
 * fractional worker's quota while it marks. So {@code nowNanos} is the time the scheduler already
 * read for its timers, or {@code 0} when it did not read the clock; a hook that needs the time and
 * gets 0 reads {@code System.nanoTime()} itself, after its own cheap "not marking" early return.
 */
public interface GcHook {
    /**
     * Dedicated or fractional mark worker for p, or null. {@code nowNanos}: the scheduler's
     * {@code System.nanoTime()} if it read it for timers, else 0 (read it yourself if needed).
     */
    G findRunnableGCWorker(P p, long nowNanos);

    /** Idle-mode mark worker for p about to go idle, or null; {@code nowNanos} as above. */
    G findIdleGCWorker(P p, long nowNanos);

    /**
     * Called once when the scheduler stops for good, on the thread that ran {@link Scheduler#run}
     * (or closed it), after {@link Scheduler#exiting()} became true and before the scheduler joins
     * its Ms and frees its P and G memory. The collector ends what it does on Ms (mark worker
     * stints, assists, waits in syscalls) and on its own threads with the scheduler (a cycle in
     * progress is abandoned), and returns once none of it will touch the scheduler again, so
     * {@code run()} returns only after every M is out of collector code.
     */
    default void schedulerExiting() {
    }

    /**
     * True while the collector holds goroutines parked that it will ready itself without any
     * goroutine's help (assists waiting in its assist queue: the collector's coordinator, a
     * platform thread, wakes them at the end of the mark phase at the latest). The deadlock check
     * does not fire then: in Go a cycle in progress always has an M (a mark worker, or the
     * goroutine finishing the mark), so a goroutine in gcParkAssist is never the last one asleep.
     * Called under the scheduler's lock: a volatile read, nothing more.
     */
    default boolean holdsParkedGoroutines() {
        return false;
    }

    /**
     * What the collector calls {@code g} if it is one of its goroutines (e.g. {@code "mark worker,
     * dedicated"}, {@code "background sweeper"}), else null. Diagnostics: a stopper that waits for a
     * P names what runs there ({@code StopHolders}); it must not block and should not allocate.
     */
    default String describeGoroutine(G g) {
        return null;
    }
}
