package dev.gort.sched;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.RealtimeBoost;
import dev.gort.sys.SchedAttr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

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
 * SCHED_FIFO N by its tid (its own attributes read first, into a buffer per P made here), and
 * marks it raised ({@link RealtimeBoost#markRaised}) so that its waits on the way to its stop park
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
    private static final int ESRCH = dev.gort.sys.Errno.value("ESRCH");
    private final Scheduler s;
    private final int priority;
    /** sched_attr for SCHED_FIFO at the priority, then one saved-attributes buffer per P id (native, kept alive by the segment). */
    private final MemorySegment attrs;
    private final long fifoAttr;
    private final long attrSize;
    /** The boosted M of each P id (null: none), and its raised-registry slot. */
    private final M[] boosted;
    private final int[] raisedSlot;
    private volatile boolean off;
    private volatile long boosts;

    LateMBoost(Scheduler s, int priority, int maxProcs) {
        if (priority < RealtimeBoost.MIN_PRIORITY || priority > RealtimeBoost.MAX_PRIORITY) {
            throw new IllegalArgumentException("real-time priority " + priority + ": accepted " + RealtimeBoost.MIN_PRIORITY + ".."
                    + RealtimeBoost.MAX_PRIORITY);
        }
        this.s = s;
        this.priority = priority;
        attrSize = SchedAttr.LAYOUT.byteSize();
        attrs = Arena.ofAuto().allocate(attrSize * (maxProcs + 1), 8);
        fifoAttr = attrs.address();
        NativeMemory.putInt(fifoAttr + SchedAttr.SIZE, (int) attrSize);
        NativeMemory.putLong(fifoAttr + SchedAttr.SCHED_FLAGS, RealtimeBoost.SCHED_FLAG_RESET_ON_FORK);   // a thread it starts is not real-time
        NativeMemory.putInt(fifoAttr + SchedAttr.SCHED_POLICY, RealtimeBoost.SCHED_FIFO);
        NativeMemory.putInt(fifoAttr + SchedAttr.SCHED_PRIORITY, priority);
        boosted = new M[maxProcs];
        raisedSlot = new int[maxProcs];
        java.util.Arrays.fill(raisedSlot, -1);
    }

    private long savedAttr(int pid) {
        return fifoAttr + attrSize * (pid + 1);
    }

    /**
     * Stopper, at the stop's first timed pass: the M of each P still RUNNING to SCHED_FIFO. Only
     * a stopper raised itself boosts (the collector's boosted stops, not its warm-up's or another
     * caller's). Never throws: a refusal warns and turns the boost off.
     */
    void boostRunning() {
        if (off || !RealtimeBoost.currentThreadRaised()) {
            return;
        }
        P[] allp = s.allp;
        int size = (int) attrSize;
        for (int i = 0; i < allp.length && i < boosted.length; i++) {
            P p = allp[i];
            M mp = p.m;
            if (p.status() != PStatus.RUNNING || mp == null || boosted[i] != null || mp.tid == 0 || !mp.isAlive()
                    || mp == Scheduler.carrier()) {
                continue;
            }
            long saved = savedAttr(i);
            try {
                LibC.sched_getattr(mp.tid, saved, size, 0);
                NativeMemory.putInt(saved + SchedAttr.SIZE, size);
                NativeMemory.putLong(saved + SchedAttr.SCHED_FLAGS, 0);
                if (NativeMemory.getInt(saved + SchedAttr.SCHED_POLICY) == RealtimeBoost.SCHED_FIFO) {
                    continue;          // real-time already (its owner's choice): left alone, never "put back"
                }
                raisedSlot[i] = RealtimeBoost.markRaised(mp);     // before the switch: its first wait may follow at once
                if (raisedSlot[i] < 0) {
                    continue;          // the registry is full (warned there): not raised, since unrecorded its waits would yield at SCHED_FIFO
                }
                LibC.sched_setattr(mp.tid, fifoAttr, 0);
                boosted[i] = mp;
                boosts++;
            } catch (Throwable e) {
                if (boosted[i] == null && raisedSlot[i] >= 0) {
                    RealtimeBoost.unmarkRaised(raisedSlot[i], mp);
                    raisedSlot[i] = -1;
                }
                if (e instanceof dev.gort.sys.NativeException ne && ne.errno() == ESRCH) {
                    continue;          // its thread exited after the look above: not a refusal, the others are boosted
                }
                off = true;
                System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: boosting " + mp.getName() + " late into a stop failed ("
                        + e.getMessage() + "); stops go without it");
                return;
            }
        }
    }

    /** Whoever restarts the world, before it releases a P: every boosted M back to its own attributes. Never throws. */
    void lowerAll() {
        for (int i = 0; i < boosted.length; i++) {
            M mp = boosted[i];
            if (mp == null) {
                continue;
            }
            boosted[i] = null;
            // Marked raised until it is back: unmarked first, a real-time M would yield in its
            // waits (RtLock, Sema...) in between, keeping a normal holder on its CPU from running.
            try {
                if (mp.isAlive()) {        // else ended meanwhile: its tid may name another thread now
                    RealtimeBoost.restore(mp.tid, savedAttr(i));
                }
            } catch (Throwable e) {
                System.err.println("gort: warning: -Dgort.gc.stopper.rtmutators: " + mp.getName() + " could not be put back from SCHED_FIFO ("
                        + e.getMessage() + ")");
            } finally {
                RealtimeBoost.unmarkRaised(raisedSlot[i], mp);    // an M that ended meanwhile: its slot may be another's, nothing to end
                raisedSlot[i] = -1;
            }
        }
    }

    /** Ms boosted so far. */
    long boosts() {
        return boosts;
    }

    int priority() {
        return priority;
    }
}
