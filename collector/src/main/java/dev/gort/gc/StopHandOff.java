package dev.gort.gc;

/**
 * The stopped steps of a stop that its stopper hands to whichever thread first sees every mutator
 * stopped ({@link ThreadWorld#stopTheWorldAndRun}): usually the last mutator to reach its
 * safepoint, which runs them on the CPU it already holds instead of waking the stopper (Go runs
 * gcMarkDone and the stop on the goroutine that found no mark work; here the stopper is a third
 * thread on two CPUs, and its wake-up waited 2-4 ms on a run queue in binary-trees 21's slow mark
 * terminations, session 17). The steps end with the world restarted.
 *
 * <p>One object per stopper, reused by each of its stops: {@link #arm} before the request, the
 * claim under the world's lock (one claimant), {@link #finish} by the claimant, and {@link #done}
 * read by the stopper publishes everything the steps wrote.
 */
final class StopHandOff {
    /** Run with the world stopped by the claimant; must end with the world started again (or throw). */
    final Runnable steps;
    /** The thread that asked for the stop (woken by a claimant that is not it). */
    private Thread stopper;
    /** Who runs the steps: null until claimed (guarded by the world's lock). */
    Thread runner;
    private Throwable failure;
    private volatile boolean done;
    /**
     * When a running mutator made this stop's request for the stopper at its safepoint
     * ({@code ThreadWorld.stopTheWorldAndRun} with a deferral), System.nanoTime(); 0 when the
     * stopper made it (guarded by the world's lock). The pause starts there, not at the stopper's post.
     */
    long requestedAt;
    /**
     * The mutator that made the request ({@link #requestedAt} != 0) and its CPU clock read just
     * before it did (guarded by the world's lock): the pause's CPU counts from there if it runs the
     * steps (PauseTimer.requesterCpu), without a clock read inside the pause.
     */
    Thread requester;
    long requesterCpu;

    StopHandOff(Runnable steps) {
        this.steps = steps;
    }

    /** The stopper, before its stop request: unclaimed, not done. */
    void arm() {
        stopper = Thread.currentThread();
        runner = null;
        failure = null;
        requestedAt = 0;
        requester = null;
        requesterCpu = 0;
        done = false;
    }

    Thread stopper() {
        return stopper;
    }

    /** Claimant, world restarted (or the stop abandoned): publishes the outcome and wakes the stopper if it is another thread. */
    void finish(Throwable failure) {
        this.failure = failure;
        done = true;
        if (runner != stopper) {
            java.util.concurrent.locks.LockSupport.unpark(stopper);
        }
    }

    boolean done() {
        return done;
    }

    /** The steps' failure (after {@link #done}), or null. */
    Throwable failure() {
        return failure;
    }
}
