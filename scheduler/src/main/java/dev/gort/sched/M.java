package dev.gort.sched;

/**
 * A machine (Go's {@code m}): a platform thread that runs goroutines while it owns a P. Its
 * {@link #run()} is the scheduling loop, Go's g0: it resumes a goroutine's continuation, and when
 * the continuation yields it performs the action the goroutine asked for (park, requeue, exit).
 * Because M is the Thread, the carrier of a goroutine's continuation is the M, and from it the P
 * and the mcache are two loads. (The lookup goes through {@code Scheduler.currentM()}, kept out of
 * line on purpose: see there.)
 */
final class M extends Thread {
    // What g0 does after the running goroutine's continuation yields.
    static final int YIELD_NONE = 0;
    static final int YIELD_GOSCHED = 1;
    static final int YIELD_PREEMPTED = 2;
    static final int YIELD_PARK = 3;
    static final int YIELD_EXITSYSCALL = 4;
    /** Parked in a plain channel operation: g0 unlocks {@code curg.chanSudog.c.lock}. */
    static final int YIELD_PARK_CHAN = 5;

    /**
     * {@code -Dgort.sched.mslice.us=N} (0, the default: the kernel's slice; else 100..100000): the
     * EEVDF slice every M asks for when it starts ({@link dev.gort.sys.ThreadSlice}, Linux 6.12+,
     * no privilege). Why: in the 1 GiB goroutine run's slow stops (session 30, branch fault30) the
     * late M was not faulting pages in (0 minor faults between the stop's passes) but waiting for a
     * CPU: a JIT compiler thread woken at the stop request preempted it, or a thread of another
     * process held the CPU it was queued on, until the next 4 ms tick. A woken or running thread
     * with a shorter slice has an earlier virtual deadline, so the kernel picks it before those
     * threads and lets it preempt them on wake-up. Fair in the long run: the share does not change.
     */
    static final long SLICE_NANOS = slice();

    /** The property read now (the class reads it once, into {@link #SLICE_NANOS}; tests call it again). */
    static long slice() {
        return dev.gort.sys.ThreadSlice.fromProperty("gort.sched.mslice.us", "the kernel's slice");
    }

    final Scheduler sched;
    final int mid;
    /** The P it owns, or null. */
    volatile P p;
    /** The P handed to it by startm / startlockedm before waking it. */
    volatile P nextp;
    /** The P it had when it entered a syscall. */
    P oldp;
    /**
     * The goroutine it runs, or null on g0. Plain: written only by this M around each switch;
     * other threads (preempt, schedtrace) read it as a hint, and a goroutine that resumes here sees
     * it through the run-queue hand-off that brought it.
     */
    G curg;
    /** The goroutine locked to it, or null. */
    volatile G lockedg;
    volatile boolean spinning;
    /** Parked on its note (idle, or waiting for its locked G). */
    volatile boolean blocked;
    /** Next in the idle-M list (sched lock). */
    M link;
    final Note park = new Note();

    /** Sleeps on {@link #park} with {@link #blocked} set for the wait (idle M, locked M waiting for its P), then clears the note for the next wait. */
    void sleepBlocked() {
        blocked = true;
        park.sleep();
        park.clear();
        blocked = false;
    }
    /** Where it waits, without a P, for a stop-the-world to end (leaving a syscall). */
    final Note stwNote = new Note();
    /** Next in the scheduler's list of Ms waiting for the world to start (sched lock). */
    M stwLink;

    /**
     * A G its running goroutine's runner took from the P's queue but could not adopt (not fresh),
     * or the GC hook's worker: g0 runs it next (Scheduler.adoptNext). Null otherwise.
     */
    G runnerNext;
    int yieldAction;
    ParkCommit parkCommit;
    Object parkArg;
    /** runqget's inherit-time result. */
    final boolean[] inheritTime = new boolean[1];
    /**
     * Preemption checks this M's goroutines made, counted only under {@link StopHolders#ON}
     * (plain: written by this M only, read by a stopper as a hint).
     */
    long polls;
    /**
     * Its kernel thread id, recorded at start on Linux (0 elsewhere): StopHolders' /proc reads, and
     * the real-time stop's boost of an M late into a stop ({@link LateMBoost}).
     */
    volatile int tid;
    /**
     * This M's thread CPU clock as a stopper read it before its stop request (stopAndRun, for the
     * hand-off's claimant: {@link Scheduler#cpuReadBeforeStopRequest}), and which stop that was
     * ({@code WorldStop}'s request count). Written by the stopper before the request, read by
     * this M after it claimed the steps under the sched lock, which orders the two.
     */
    long cpuBeforeStop;
    long cpuBeforeStopFor;
    /**
     * Its /proc files (StopHolders): opened by this M at its start under {@link StopHolders#ON}, so
     * no stop pays for the open; read only by a stopper (the world lock's holder), which opens them
     * itself if they are missing.
     */
    volatile ThreadProcStat procStat;
    /** CPU this M is pinned to (GORT_AFFINITY), or -1. */
    volatile int pinnedCpu = -1;
    /** CPU it actually ran on right after pinning (sched_getcpu), or -1. */
    volatile int cpuAfterPin = -1;
    private long rand;

    M(Scheduler sched, int mid) {
        super(null, null, "gort-M" + mid, 0, false);
        this.sched = sched;
        this.mid = mid;
        this.rand = 0x9E3779B97F4A7C15L * (mid + 1) ^ System.nanoTime();
        setDaemon(true);
    }

    /** Go's cheaprand: xorshift64*. */
    int fastrand() {
        long x = rand;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        rand = x;
        return (int) ((x * 0x2545F4914F6CDD1DL) >>> 32);
    }

    /** Uniform in [0, n). */
    int fastrandn(int n) {
        return (int) (((fastrand() & 0xFFFFFFFFL) * n) >>> 32);
    }

    @Override
    public void run() {
        if (dev.gort.sys.Platform.current().isLinux() || StopHolders.ON) {
            tid = (int) dev.gort.sys.CpuAffinity.threadId();      // one gettid per M
        }
        if (StopHolders.ON) {
            procStat = ThreadProcStat.open(tid);
        }
        if (SLICE_NANOS != 0) {
            dev.gort.sys.ThreadSlice.request(SLICE_NANOS);     // false where unsupported: the kernel's slice stays
        }
        try {
            sched.mstart(this);
        } finally {
            ThreadProcStat ps = procStat;
            if (ps != null) {
                ps.close();         // no descriptor outlives its thread (a stopper reading it meanwhile sees "unknown")
            }
        }
    }
}
