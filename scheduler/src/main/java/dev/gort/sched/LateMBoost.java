package dev.gort.sched;

import dev.gort.sys.RealtimeBoost;
import dev.gort.sys.TidBoost;

/**
 * The real-time stop's boost of Ms late into a stop (the collector's {@code -Dgort.gc.stopper.rtprio=N}
 * with {@code -Dgort.gc.stopper.rtmutators=true}, the default with it; installed by
 * {@link Scheduler#boostLateMsWhileStopping}): what the collector's MutatorStopBoost does for
 * registered threads, for the Ms that run goroutines.
 *
 * <p>Why: under load a stop's tail is its last P, whose M, asked to stop, waits for a CPU behind
 * other threads before its goroutine reaches a safepoint; the coordinator's own boost does not
 * shorten that. At the stop's first timed pass (0.1 ms after the request, past the usual stop),
 * a stopper that is itself raised to SCHED_FIFO switches the M of each P still RUNNING to
 * SCHED_FIFO N by its tid ({@link TidBoost}: its own attributes read first, into a buffer per P made
 * here), and marks it raised ({@link RealtimeBoost#markRaised}) so that its waits on the way to its stop park
 * instead of yielding (RtLock, the stack-scan word, the mark workers' pool lock, Sema: a SCHED_FIFO
 * yield lets no normal holder of its CPU run). The restart puts every boosted M back before it
 * releases a P ({@link WorldStop}'s start), so no goroutine runs real-time after the pause.
 *
 * <p>Threads: {@link #boostRunning} and {@link #lowerAll} run on the holder of the world's stop
 * (the stopper) only (a stop handed off to its last M, whose restart is that M's, boosts nothing:
 * see {@link WorldStop}'s wait); the P and M fields they read are racy hints: an M boosted just after it
 * stopped is parked, and is put back at the restart all the same. An M whose thread ended is never
 * touched (its tid may be another thread's by then), and one that exits between that look and the
 * call (ESRCH) is skipped. A refusal by the kernel warns once and turns the boost off. Cost: two
 * system calls per boosted M (read, switch) and one to put it back, only in stops that last past
 * the first timed pass.
 */
final class LateMBoost {
    private final Scheduler s;
    private final TidBoost boost;
    /** One target per P id: the M boosted for that P (its saved attributes, its registry slot), made up front. */
    private final TidBoost.Target[] targets;
    private volatile boolean off;
    private volatile long boosts;

    LateMBoost(Scheduler s, int priority, int maxProcs) {
        this.s = s;
        this.boost = new TidBoost(priority);       // refuses a priority outside 1..99, naming what is accepted
        this.targets = TidBoost.newTargets(maxProcs);
    }

    /**
     * Stopper, at the stop's first timed pass: the M of each P still RUNNING to SCHED_FIFO
     * ({@link TidBoost#raise}: an M whose thread ended, one already real-time, or one the full
     * registry cannot record is left as it is). Only a stopper raised itself boosts (the
     * collector's boosted stops, not its warm-up's or another caller's). Never throws: a refusal
     * warns and turns the boost off.
     */
    void boostRunning() {
        if (off || !RealtimeBoost.currentThreadRaised()) {
            return;
        }
        P[] allp = s.allp;
        for (int i = 0; i < allp.length && i < targets.length; i++) {
            P p = allp[i];
            M mp = p.m;
            int tid;
            if (p.status() != PStatus.RUNNING || mp == null || targets[i].raised() || (tid = mp.tid) == 0 || mp == Scheduler.carrier()) {
                continue;
            }
            try {
                if (boost.raise(targets[i], mp, tid) == TidBoost.Outcome.RAISED) {
                    boosts++;
                }
            } catch (Throwable e) {
                off = true;
                System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: boosting " + mp.getName() + " late into a stop failed ("
                        + e.getMessage() + "); stops go without it");
                return;
            }
        }
    }

    /** Whoever restarts the world, before it releases a P: every boosted M back to its own attributes. Never throws. */
    void lowerAll() {
        for (TidBoost.Target target : targets) {
            Thread mp = target.thread();
            if (mp == null) {
                continue;
            }
            try {
                target.lower();         // an M that ended meanwhile is not touched (its tid may name another thread now)
            } catch (Throwable e) {
                System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: " + mp.getName() + " could not be put back from SCHED_FIFO ("
                        + e.getMessage() + ")");
            }
        }
    }

    /** Ms boosted so far. */
    long boosts() {
        return boosts;
    }

    int priority() {
        return boost.priority();
    }
}
