package dev.gort.gc;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeException;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.RealtimeBoost;
import dev.gort.sys.SchedAttr;

import java.lang.foreign.Arena;

/**
 * {@link ThreadWorld}'s mutators at a real-time priority while a stop waits for them (opt-in:
 * {@code -Dgort.gc.stopper.rtmutators=true} with {@code -Dgort.gc.stopper.rtprio=N}; the collector
 * turns it on once its coordinator was allowed SCHED_FIFO, see {@link StopperBoost}).
 *
 * <p>A stop runs late when a mutator, asked to stop, waits for a CPU behind other threads before
 * it reaches its safepoint: under load the commonest slow stop of binary-trees. A mutator still
 * RUNNING {@link #GRACE_NANOS} after the request is switched to SCHED_FIFO N by the stopper
 * (sched_setattr by thread id, its own attributes read first into a buffer of its own), so it
 * preempts the normal thread holding its CPU and reaches its safepoint; the restart puts each one
 * back, under the world's lock, before any is released. A mutator cannot leave the world while
 * it is stopped (unregister waits for the restart), so none stays boosted. The cost: a mutator
 * that runs long without a safepoint holds its CPU at that priority until it reaches one (the
 * world waits for it anyway; other processes pay), and each boost is two system calls and an
 * inter-processor interrupt, which is why the usual stop, over within the grace, is left alone.
 */
final class MutatorStopBoost {
    /**
     * How long a stop waits before it boosts the mutators still running. Boosting every running
     * mutator at the request took binary-trees' median stop from 0.09 to 0.33 ms on this VM
     * (system calls and interrupts on the path of every stop); its mutators usually stop within
     * 0.06 ms (p50), so a boost after 0.1 ms reaches the late ones only.
     */
    static final long GRACE_NANOS = 100_000;
    private static final int ESRCH = dev.gort.sys.Errno.value("ESRCH");

    /** sched_attr: SCHED_FIFO at the priority (native, read-only after construction; the segment keeps it alive). */
    private final java.lang.foreign.MemorySegment fifo;
    private final long fifoAttr;
    private volatile long boosts;

    MutatorStopBoost(int priority) {
        if (priority < RealtimeBoost.MIN_PRIORITY || priority > RealtimeBoost.MAX_PRIORITY) {
            throw new IllegalArgumentException("real-time priority " + priority + ": accepted " + RealtimeBoost.MIN_PRIORITY + ".."
                    + RealtimeBoost.MAX_PRIORITY);
        }
        fifo = Arena.ofAuto().allocate(SchedAttr.LAYOUT);
        fifoAttr = fifo.address();
        NativeMemory.putInt(fifoAttr + SchedAttr.SIZE, (int) SchedAttr.LAYOUT.byteSize());
        NativeMemory.putLong(fifoAttr + SchedAttr.SCHED_FLAGS, RealtimeBoost.SCHED_FLAG_RESET_ON_FORK);   // a thread it starts is not real-time
        NativeMemory.putInt(fifoAttr + SchedAttr.SCHED_POLICY, RealtimeBoost.SCHED_FIFO);
        NativeMemory.putInt(fifoAttr + SchedAttr.SCHED_PRIORITY, priority);
    }

    /**
     * World's lock held, stop under way: {@code m} to SCHED_FIFO, its own attributes kept for
     * {@link #lower}. A thread already real-time (its owner's choice) is left alone. Returns false
     * (with a warning) if the kernel refused: the caller stops boosting. A mutator whose thread
     * ended while registered is skipped: its tid may name an unrelated thread by now.
     */
    boolean raise(Mutator m) {
        if (m.savedSchedAttr == null || !m.owner.isAlive()) {
            return true;        // no tid kept (not Linux), or its thread ended still registered: its tid may be another thread's now
        }
        int size = (int) SchedAttr.LAYOUT.byteSize();
        long saved = m.savedSchedAttr.address();
        try {
            LibC.sched_getattr((int) m.tid, saved, size, 0);
            NativeMemory.putInt(saved + SchedAttr.SIZE, size);
            NativeMemory.putLong(saved + SchedAttr.SCHED_FLAGS, 0);
            if (NativeMemory.getInt(saved + SchedAttr.SCHED_POLICY) == RealtimeBoost.SCHED_FIFO) {
                return true;
            }
            // Recorded raised before the switch, so that its waits (SpinLock) park from their first
            // turn past the spins (a SCHED_FIFO yield lets no normal holder of its CPU run). A full
            // registry (warned there) leaves it boosted unregistered, as every boost was before
            // the registry: SpinLock's waits still sleep after their yields, and the world's lock
            // goes by rtBoosted.
            m.rtRaisedSlot = RealtimeBoost.markRaised(m.owner);
            LibC.sched_setattr((int) m.tid, fifoAttr, 0);
            m.rtBoosted = true;
            boosts++;
            return true;
        } catch (NativeException e) {
            RealtimeBoost.unmarkRaised(m.rtRaisedSlot, m.owner);
            m.rtRaisedSlot = -1;
            if (e.errno() == ESRCH) {
                return true;        // its thread exited after the look above: not a refusal, the others are boosted
            }
            System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: boosting mutator " + m.owner.getName() + " failed ("
                    + e.getMessage() + "); stops go without it");
            return false;
        }
    }

    /**
     * World's lock held, restart: {@code m} (boosted) back to its own attributes. A thread that
     * ended meanwhile is not touched: the kernel may have given its tid to another thread.
     */
    static void lower(Mutator m) {
        m.rtBoosted = false;
        try {
            if (m.owner.isAlive()) {
                RealtimeBoost.restore((int) m.tid, m.savedSchedAttr.address());
            }
        } catch (NativeException e) {
            System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: mutator " + m.owner.getName()
                    + " could not be put back from SCHED_FIFO (" + e.getMessage() + ")");
        } finally {
            RealtimeBoost.unmarkRaised(m.rtRaisedSlot, m.owner);     // after the switch back; an ended thread's slot: nothing to end
            m.rtRaisedSlot = -1;
        }
    }

    /**
     * The buffer a mutator's own attributes are kept in while it is boosted: made at register
     * (native, kept alive by the mutator), so a stop allocates nothing when it boosts it.
     */
    static java.lang.foreign.MemorySegment newSavedAttr() {
        return Arena.ofAuto().allocate(SchedAttr.LAYOUT);
    }

    /** Mutators boosted so far. */
    long boosts() {
        return boosts;
    }
}
