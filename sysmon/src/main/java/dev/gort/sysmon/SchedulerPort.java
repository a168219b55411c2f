package dev.gort.sysmon;

/**
 * What sysmon reads from and asks of the scheduler. The runtime's bootstrap installs an adapter
 * over the real scheduler; sysmon never touches P structures itself, so all state changes (the CAS
 * of a P out of _Psyscall, the preempt flag) stay the scheduler's.
 *
 * <p>Every method is called from the sysmon thread only, which holds no P, so implementations
 * must not block on anything a P holder may hold for long (Go: sysmon runs without a P and takes
 * only short locks).
 */
public interface SchedulerPort {
    /** P status values, Go's numbering (runtime2.go). */
    int P_IDLE = 0;
    int P_RUNNING = 1;
    int P_SYSCALL = 2;
    int P_GCSTOP = 3;
    int P_DEAD = 4;

    /** The number of Ps now (GOMAXPROCS); may change between rounds (procresize). */
    int procCount();

    /**
     * Changes whenever the set of Ps changed (GOMAXPROCS set at run time): sysmon then forgets its
     * per-P observations, since a P id may now name a new or revived P. Default: never changes.
     */
    default long procResizeGeneration() {
        return 0;
    }

    /** P {@code p}'s status, one of the P_ constants. */
    int procStatus(int p);

    /** Incremented by the scheduler each time P {@code p} starts running a G (Go: p.schedtick). */
    long schedTick(int p);

    /**
     * Monotonic time at which P {@code p} last started running a G (with {@link #schedTick}), or 0
     * when the scheduler does not record it; sysmon then times the slice from its own first sight
     * of the tick, as Go does (which can add up to one sysmon sleep to the slice).
     */
    default long schedWhen(int p) {
        return 0;
    }

    /** Incremented on each syscall exit on P {@code p} (Go: p.syscalltick). */
    long syscallTick(int p);

    /**
     * Whether P {@code p} has Gs waiting: its local run queue or its runnext slot (Go's
     * {@code !runqempty(pp)}; a G readied just before the syscall sits in runnext). Not the global
     * queue (as in Go's retake): whoever queued there woke an M for an idle P.
     */
    boolean hasLocalWork(int p);

    /** Whether any M spins looking for work or any P is idle (Go: nmspinning + npidle > 0). */
    boolean spinningOrIdleProcs();

    /**
     * Takes P {@code p} from its M blocked in a syscall and hands it to another M (Go: CAS
     * _Psyscall -> _Pidle, then handoffp). Returns false when the syscall returned first (the CAS
     * failed): nothing was taken.
     */
    boolean retakeFromSyscall(int p);

    /**
     * Requests cooperative preemption of the G on P {@code p} (Go: preemptone); it yields at its
     * next safepoint. For a running P that is the G running on it; for a P in a syscall, the G in
     * that syscall, which yields at the safepoint after the call returns (Go's preemptone finds no
     * M on such a P and relies on async preemption once the G runs again; gort has none). Returns
     * false if no G was flagged: the P's M was between goroutines (in g0) at that instant, which a
     * chain of goroutines handing off through runnext often is, or the P left the status.
     */
    boolean preempt(int p);

    /**
     * Every round: starts a spinning M if goroutines wait in the global queue while a P is idle
     * and no M spins (Go's wakep conditions), and returns whether it tried. The scheduler's paths
     * that queue globally wake an M themselves; a startm that failed to make an M leaves its P idle
     * and its goroutines queued, with the error thrown to its caller, and only a later wake-up runs
     * them; the same for a wake-up such a startm owed for a timer or network waiter, which the
     * global queue does not show (gort's scheduler remembers it). May throw what startm throws
     * (the round reports it). The default does nothing.
     */
    default boolean wakeForGlobalWork() {
        return false;
    }

    /**
     * sysmon's deep sleep (Go's sched.sysmonwait): if every P is idle now, nothing waits in
     * the global queue and no failed wake-up is owed (else the rounds must go on: {@link #wakeForGlobalWork}), arms {@code wake}
     * to run once when a P next leaves the idle list and returns true; else returns false. The
     * default never sleeps deeply.
     */
    default boolean armIdleWake(Runnable wake) {
        return false;
    }

    /** Disarms {@link #armIdleWake} after a deep sleep that ended by its timeout. */
    default void disarmIdleWake() {
    }

    /**
     * The scheduler's SCHED line (with {@code detailed}, also the P, M and G lines) as Go's
     * schedtrace prints it, or null when the scheduler cannot report (sysmon then prints nothing).
     */
    default String schedtrace(boolean detailed) {
        return null;
    }

    /** Goroutine id running on P {@code p}, or 0 if none (for events and traces). */
    default long currentGoid(int p) {
        return 0;
    }
}
