package dev.gort.gc;

import dev.gort.sys.NativeException;
import dev.gort.sys.RealtimeBoost;

/**
 * The collector's coordinator at a real-time priority from each stop request to the restart
 * ({@code -Dgort.gc.stopper.rtprio=N}, SCHED_FIFO priority 1..99; 0 = off, the default). Opt-in:
 * it needs privilege (CAP_SYS_NICE or an RLIMIT_RTPRIO of at least N), which embedders may not
 * have, and it takes a CPU from every normal thread for the length of each pause.
 *
 * <p>Why: the last mutator to stop wakes the coordinator, and a woken normal thread may wait a
 * tick or the running thread's slice for a CPU (1-4 ms here: a JIT compiler thread or another
 * process), all of it pause; inside the pause the coordinator's work can be switched out the same
 * way. A SCHED_FIFO thread preempts normal threads when it wakes and is not switched out by them.
 * Outside pauses the coordinator is normal again: what it does between pauses (sweeping the
 * previous cycle, pacing, waiting for the mark) must not take CPUs from mutators.
 *
 * <p>If the kernel refuses (at the coordinator's start, where {@link RealtimeBoost#forCurrentThread}
 * tries it once), one warning names the property, the errno and what would allow it, and the
 * coordinator runs unboosted; the collector is otherwise unchanged. Coordinator thread only.
 */
final class StopperBoost {
    static final String PROPERTY = "gort.gc.stopper.rtprio";
    /** The property as read at class initialization (malformed: warned, 0). */
    static final int PRIORITY = RealtimeBoost.priorityFromProperty(PROPERTY);
    /**
     * {@code -Dgort.gc.stopper.rtmutators=true|false} (default true): with the coordinator boosted,
     * the mutators still running 0.1 ms into a stop are boosted too until the restart
     * ({@link MutatorStopBoost} over threads; the scheduler's {@code LateMBoost} for the Ms of Ps
     * still running under it): a mutator waiting for a CPU before its safepoint is the other way
     * a stop runs late, and the commoner one under load. false keeps the coordinator's boost alone.
     */
    static final boolean MUTATORS = dev.gort.sys.TuningProperty.flag("gort.gc.stopper.rtmutators", true);
    /** What collectors made from now on use (the properties; tests set them around a construction). */
    static volatile int priorityForNewCollectors = PRIORITY;
    static volatile boolean mutatorsForNewCollectors = MUTATORS;

    private RealtimeBoost boost;
    /** The thread {@link #start} ran on: a stop or restart on any other thread (a close) is not boosted. */
    private Thread owner;
    private String refusal;
    private volatile long raises;

    /**
     * Coordinator, at its start: tries the boost at {@code priority} (0: none), and if allowed and
     * {@code boostMutators}, has the world boost its running mutators over each stop too.
     *
     * <p>Over plain threads ({@link ThreadWorld}) late mutators are {@link MutatorStopBoost}'s;
     * under gort's scheduler ({@link SchedWorld}) late Ms are the scheduler's {@code LateMBoost}
     * ({@link dev.gort.sched.Scheduler#boostLateMsWhileStopping}). There every wait the coordinator
     * reaches from its stop request to the restart parks when it waits at SCHED_FIFO (the
     * scheduler's runtime locks, {@code RtLock}; the world's stop lock and its opt-in spin,
     * {@code WorldStop}; the store gate; the rest were parks already), and so do the waits a boosted
     * M meets on its way to its stop (RtLock, a G's scan word in {@code StackScans}, the mark
     * workers' pool lock, {@code Sema}): a normal holder on their CPU runs (docs/performance.md,
     * session 24 "rtsched24").
     */
    void start(int priority, boolean boostMutators, World world) {
        if (priority == 0) {
            return;
        }
        owner = Thread.currentThread();
        if (!(world instanceof ThreadWorld) && !(world instanceof SchedWorld)) {
            refuse("only the plain-thread world (ThreadWorld) and gort's scheduler (SchedWorld) boost the coordinator");
            return;
        }
        try {
            boost = RealtimeBoost.forCurrentThread(priority);
        } catch (NativeException | UnsupportedOperationException e) {
            refuse("the kernel refused SCHED_FIFO " + priority + " (" + e.getMessage() + "); it needs CAP_SYS_NICE or an RLIMIT_RTPRIO >= "
                    + priority);
            return;
        }
        if (world instanceof ThreadWorld tw) {
            tw.inheritForRealtimeStopper(owner, priority);     // its waits for the world's lock make the owner run
            if (boostMutators) {
                tw.boostMutatorsWhileStopping(priority);
            }
        } else if (boostMutators && world instanceof SchedWorld sw) {
            sw.scheduler().boostLateMsWhileStopping(priority);
        }
    }

    /** Before the stop request. */
    void raise() {
        if (boost != null && Thread.currentThread() == owner) {
            try {
                if (boost.raise()) {
                    raises++;
                }       // else the real-time registry is full (RealtimeBoost warned): this pause runs unboosted
            } catch (NativeException e) {
                refuse("raising the coordinator failed (" + e.getMessage() + ")");
            }
        }
    }

    /** After the restart. */
    void lower() {
        if (boost != null && Thread.currentThread() == owner && boost.raised()) {
            try {
                boost.lower();
            } catch (NativeException e) {
                // Left real-time: tell, and stop switching (raise would only repeat it).
                boost = null;
                refusal = "lowering the coordinator back failed (" + e.getMessage() + ")";
                System.err.println("gort: warning: -D" + PROPERTY + ": " + refusal + "; it stays SCHED_FIFO");
            }
        }
    }

    private void refuse(String why) {
        boost = null;
        refusal = why;
        System.err.println("gort: warning: -D" + PROPERTY + ": " + why + "; the coordinator runs at normal priority");
    }

    /** Whether the coordinator is boosted over pauses (false: off, or refused). */
    boolean active() {
        return boost != null;
    }

    /** Why the boost was refused, or null. */
    String refusal() {
        return refusal;
    }

    /** Pauses boosted so far. */
    long raises() {
        return raises;
    }
}
