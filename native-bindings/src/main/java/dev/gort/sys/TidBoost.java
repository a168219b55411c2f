package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Another thread, named by its Linux tid, raised to SCHED_FIFO at a priority and put back later:
 * the real-time stop's boosts of threads it waits for (the collector's late mutators over plain
 * threads, the scheduler's late Ms, the world lock's owner while a real-time thread waits for it).
 * {@link RealtimeBoost} is the calling thread's own switch; this is the by-tid one, with one set
 * of rules for all its callers:
 *
 * <ul>
 * <li><b>What is kept</b>: the thread's own sched_attr (policy, nice, EEVDF slice) is read into its
 *     {@link Target}'s native buffer just before the switch, and {@link Target#lower} writes it
 *     back ({@link RealtimeBoost#restore}: with SCHED_FLAG_RESET_ON_FORK kept if clearing it is
 *     refused). A thread already at a real-time policy (SCHED_FIFO, SCHED_RR, SCHED_DEADLINE: its
 *     owner's choice) is left alone and never "put back": {@link Outcome#ALREADY_REALTIME}.</li>
 * <li><b>The registry</b>: the thread is marked raised in {@link RealtimeBoost}'s registry before
 *     the switch and unmarked after the switch back (or after a switch that failed), so its own
 *     waits park from the switch on instead of yielding (a SCHED_FIFO yield lets no normal holder
 *     of its CPU run). A full registry ({@link RealtimeBoost#RAISED_SLOTS} live raised threads,
 *     warned once there) means no switch: {@link Outcome#REGISTRY_FULL}, the thread left as it was.</li>
 * <li><b>A thread that ended</b>: one whose Java thread is not alive is never touched (its tid may
 *     be another thread's by now); one that exits between that look and the call gets ESRCH from
 *     the kernel: {@link Outcome#ENDED}, nothing recorded. Either way not a refusal: the caller
 *     goes on boosting the others. Lowering an ended thread only frees its registry slot.</li>
 * <li><b>A refusal</b> (EPERM: no CAP_SYS_NICE and an RLIMIT_RTPRIO below the priority; any errno
 *     but ESRCH) throws the {@link NativeException}, the thread unchanged and unrecorded: the caller
 *     warns and stops boosting (a repeat would be refused the same way on every stop).</li>
 * </ul>
 *
 * <p>No allocation per switch: the SCHED_FIFO attributes are prepared at construction, each
 * target's buffer when the target is made. A Target is used by one thread at a time (its caller's
 * lock or role says which: the world's lock, the stopper, the world lock's {@code inheriting}
 * flag). The tid-reuse window between the alive look and the call (microseconds, against a kernel
 * that hands tids out in increasing order up to pid_max) is not closed. Linux only.
 */
public final class TidBoost {
    /** What {@link #raise} did. */
    public enum Outcome {
        /** Switched to SCHED_FIFO and recorded raised; {@link Target#lower} puts it back. */
        RAISED,
        /** Already at a real-time policy: left alone. */
        ALREADY_REALTIME,
        /** Its thread has ended (not alive, or ESRCH): nothing done. */
        ENDED,
        /** The raised-thread registry is full: not switched (a real-time thread its waits did not know about would yield in them). */
        REGISTRY_FULL
    }

    private static final int ESRCH = Errno.value("ESRCH");
    private static final int SCHED_BATCH = 3, SCHED_IDLE = 5;
    private static final int ATTR_SIZE = (int) SchedAttr.LAYOUT.byteSize();

    private final int priority;
    /** sched_attr for SCHED_FIFO at the priority (native, read-only after construction; the segment keeps it alive). */
    @SuppressWarnings("unused")
    private final MemorySegment fifo;
    private final long fifoAttr;

    /** Boosts to SCHED_FIFO {@code priority} (1..99, else IllegalArgumentException naming what is accepted). */
    public TidBoost(int priority) {
        if (priority < RealtimeBoost.MIN_PRIORITY || priority > RealtimeBoost.MAX_PRIORITY) {
            throw new IllegalArgumentException("real-time priority " + priority + ": accepted " + RealtimeBoost.MIN_PRIORITY + ".."
                    + RealtimeBoost.MAX_PRIORITY);
        }
        this.priority = priority;
        fifo = Arena.ofAuto().allocate(SchedAttr.LAYOUT);
        fifoAttr = fifo.address();
        NativeMemory.putInt(fifoAttr + SchedAttr.SIZE, ATTR_SIZE);
        NativeMemory.putLong(fifoAttr + SchedAttr.SCHED_FLAGS, RealtimeBoost.SCHED_FLAG_RESET_ON_FORK);   // a thread it starts is not real-time
        NativeMemory.putInt(fifoAttr + SchedAttr.SCHED_POLICY, RealtimeBoost.SCHED_FIFO);
        NativeMemory.putInt(fifoAttr + SchedAttr.SCHED_PRIORITY, priority);
    }

    public int priority() {
        return priority;
    }

    /**
     * {@code thread}, whose Linux tid is {@code tid} (> 0: tid 0 would name the caller), to
     * SCHED_FIFO at this boost's priority, its own attributes kept in {@code target} (which must
     * not hold a raised thread). See the class comment for the outcomes; throws the kernel's
     * {@link NativeException} on a refusal other than ESRCH, the thread unchanged and unrecorded.
     * Two system calls; no allocation but the exception's.
     */
    public Outcome raise(Target target, Thread thread, int tid) {
        if (target.thread != null) {
            throw new IllegalStateException("TidBoost.raise: the target still holds " + target.thread.getName()
                    + " raised; accepted: a target lowered (or never raised) first");
        }
        if (thread == null || tid <= 0) {
            throw new IllegalArgumentException("TidBoost.raise(" + thread + ", tid " + tid + "): accepted: a thread and its Linux tid > 0"
                    + " (tid 0 names the caller: RealtimeBoost is the calling thread's own switch)");
        }
        if (!thread.isAlive()) {
            return Outcome.ENDED;           // its tid may be another thread's by now
        }
        long saved = target.savedAttr;
        try {
            LibC.sched_getattr(tid, saved, ATTR_SIZE, 0);
        } catch (NativeException e) {
            if (e.errno() == ESRCH) {
                return Outcome.ENDED;
            }
            throw e;
        }
        NativeMemory.putInt(saved + SchedAttr.SIZE, ATTR_SIZE);
        NativeMemory.putLong(saved + SchedAttr.SCHED_FLAGS, 0);
        int policy = NativeMemory.getInt(saved + SchedAttr.SCHED_POLICY);
        if (policy != SchedAttr.SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE) {
            return Outcome.ALREADY_REALTIME;
        }
        int slot = RealtimeBoost.markRaised(thread);       // before the switch: its first wait may follow at once
        if (slot < 0) {
            return Outcome.REGISTRY_FULL;
        }
        try {
            LibC.sched_setattr(tid, fifoAttr, 0);
        } catch (NativeException e) {
            RealtimeBoost.unmarkRaised(slot, thread);
            if (e.errno() == ESRCH) {
                return Outcome.ENDED;
            }
            throw e;
        } catch (RuntimeException | Error e) {
            RealtimeBoost.unmarkRaised(slot, thread);
            throw e;
        }
        target.thread = thread;
        target.tid = tid;
        target.slot = slot;
        return Outcome.RAISED;
    }

    /** A buffer for one raised thread's own attributes, and what it was raised as (see {@link TidBoost}). */
    public static Target newTarget() {
        return new Target(Arena.ofAuto().allocate(SchedAttr.LAYOUT));
    }

    /** {@code n} targets sharing one native allocation (one per P, say), made up front. */
    public static Target[] newTargets(int n) {
        MemorySegment all = Arena.ofAuto().allocate(SchedAttr.LAYOUT.byteSize() * n, 8);
        Target[] targets = new Target[n];
        for (int i = 0; i < n; i++) {
            targets[i] = new Target(all.asSlice(SchedAttr.LAYOUT.byteSize() * i, SchedAttr.LAYOUT.byteSize()));
        }
        return targets;
    }

    /** One thread raised by a {@link TidBoost}: its saved attributes (native) and its registry slot. */
    public static final class Target {
        @SuppressWarnings("unused")
        private final MemorySegment buffer;       // keeps the native buffer alive
        private final long savedAttr;
        private Thread thread;
        private int tid;
        private int slot = -1;

        private Target(MemorySegment buffer) {
            this.buffer = buffer;
            this.savedAttr = buffer.address();
        }

        /** Whether a thread is raised through this target now (between RAISED and {@link #lower}). */
        public boolean raised() {
            return thread != null;
        }

        /** The thread raised through this target now, or null. */
        public Thread thread() {
            return thread;
        }

        /** Its slot in the raised-thread registry while raised, or -1. */
        public int registrySlot() {
            return slot;
        }

        /** The address of the saved attributes (tests: a thread's own sched_attr as read at the raise). */
        public long savedAttrAddress() {
            return savedAttr;
        }

        /**
         * The raised thread back to the attributes it had, then unmarked (nothing raised: nothing
         * done). A thread that ended meanwhile is not touched (its tid may name another thread; an
         * exit after the alive look is ESRCH, taken as the same). A refusal other than ESRCH throws
         * its {@link NativeException} after the unmark and with the target emptied: the thread
         * may stay real-time, and the caller tells. No allocation but the exception's.
         */
        public void lower() {
            Thread t = thread;
            if (t == null) {
                return;
            }
            int id = tid, s = slot;
            thread = null;
            tid = 0;
            slot = -1;
            try {
                if (t.isAlive()) {
                    RealtimeBoost.restore(id, savedAttr);
                }
            } catch (NativeException e) {
                if (e.errno() != ESRCH) {
                    throw e;
                }
            } finally {
                RealtimeBoost.unmarkRaised(s, t);     // after the switch back; an ended thread's slot: nothing to end
            }
        }
    }
}
