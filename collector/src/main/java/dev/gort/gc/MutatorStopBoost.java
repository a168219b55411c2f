package dev.gort.gc;

import dev.gort.sys.NativeException;
import dev.gort.sys.TidBoost;

/**
 * {@link ThreadWorld}'s mutators at a real-time priority while a stop waits for them (opt-in:
 * {@code -Dgort.gc.stopper.rtmutators=true} with {@code -Dgort.gc.stopper.rtprio=N}; the collector
 * turns it on once its coordinator was allowed SCHED_FIFO, see {@link StopperBoost}).
 *
 * <p>A stop runs late when a mutator, asked to stop, waits for a CPU behind other threads before
 * it reaches its safepoint: under load the commonest slow stop of binary-trees. A mutator still
 * RUNNING {@link #GRACE_NANOS} after the request is switched to SCHED_FIFO N by the stopper
 * ({@link TidBoost}: by thread id, its own attributes read first into its {@link Mutator#rtTarget},
 * made at register; recorded raised so its SpinLock waits park), so it preempts the normal thread
 * holding its CPU and reaches its safepoint; the restart puts each one back, under the world's
 * lock, before any is released. A mutator cannot leave the world while it is stopped (unregister
 * waits for the restart), so none stays boosted. TidBoost's rules hold: a mutator whose thread
 * ended is skipped, one already real-time left alone, a full registry leaves it unboosted, a
 * refusal warns and turns the boost off. The cost: a mutator that runs long without a safepoint
 * holds its CPU at that priority until it reaches one (the world waits for it anyway; other
 * processes pay), and each boost is two system calls and an inter-processor interrupt, which is
 * why the usual stop, over within the grace, is left alone.
 */
final class MutatorStopBoost {
    /**
     * How long a stop waits before it boosts the mutators still running. Boosting every running
     * mutator at the request took binary-trees' median stop from 0.09 to 0.33 ms on this VM
     * (system calls and interrupts on the path of every stop); its mutators usually stop within
     * 0.06 ms (p50), so a boost after 0.1 ms reaches the late ones only.
     */
    static final long GRACE_NANOS = 100_000;

    private final TidBoost boost;
    private volatile long boosts;

    MutatorStopBoost(int priority) {
        boost = new TidBoost(priority);
    }

    /**
     * World's lock held, stop under way: {@code m} to SCHED_FIFO ({@link TidBoost#raise}). Returns
     * false (with a warning) if the kernel refused: the caller stops boosting. A mutator whose
     * thread ended (skipped: its tid may name an unrelated thread by now), one already real-time,
     * or one the full registry cannot record is left as it is, and true returned.
     */
    boolean raise(Mutator m) {
        if (m.rtTarget == null) {
            return true;        // no tid kept (not Linux)
        }
        try {
            if (boost.raise(m.rtTarget, m.owner, (int) m.tid) == TidBoost.Outcome.RAISED) {
                m.rtBoosted = true;
                boosts++;
            }
            return true;
        } catch (NativeException e) {
            System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: boosting mutator " + m.owner.getName() + " failed ("
                    + e.getMessage() + "); stops go without it");
            return false;
        }
    }

    /**
     * World's lock held, restart: {@code m} (boosted) back to its own attributes and out of the
     * registry. A thread that ended meanwhile is not touched: the kernel may have given its tid
     * to another thread.
     */
    static void lower(Mutator m) {
        m.rtBoosted = false;
        try {
            m.rtTarget.lower();
        } catch (NativeException e) {
            System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: mutator " + m.owner.getName()
                    + " could not be put back from SCHED_FIFO (" + e.getMessage() + ")");
        }
    }

    /** Mutators boosted so far. */
    long boosts() {
        return boosts;
    }
}
