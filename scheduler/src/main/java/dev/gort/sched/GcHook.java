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
 */
public interface GcHook {
    G findRunnableGCWorker(P p, long nowNanos);

    G findIdleGCWorker(P p, long nowNanos);
}
