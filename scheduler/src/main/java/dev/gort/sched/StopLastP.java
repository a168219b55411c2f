package dev.gort.sched;

import java.util.Locale;

/**
 * How a stop-the-world's last P stopped: a diagnostic of {@link WorldStop}, on under
 * {@code -Dgort.sched.stoptrace.last=true} (a static final: every hook folds away otherwise). Where
 * {@link StopHolders} samples the Ps only at the timed re-preempt passes (none in a stop whose
 * stopper slept past its first 0.1 ms turn, the commonest shape of a slow goroutine-world stop),
 * this records, for every stop: which P stopped last and by which path (its M at a safepoint,
 * a syscall's entry, a hand-off, a failed startm), which M stopped it and whether that M ran the
 * P at the request, the checks that M made meanwhile, how long it waited on a run queue
 * (schedstat) within the request-to-stop wall (the rest it ran, slept, or lost its CPU to the
 * host, which this VM books as running), and the stopper's own run-queue wait over the stop.
 *
 * <p>Cost while on: at the request the stopper reads the schedstat of its own thread and of each
 * running P's M (a seek and a read each, about 7 us: {@link ThreadProcStat}), before it sleeps;
 * after the stop it reads the last M's and its own again. Off by default since those reads come
 * between the request and the stopper's sleep, inside every pause pausetrace times.
 *
 * <p>Threads: {@link #atRequest} and {@link #atSeen} run on the stopper; {@link #lastStopped} on
 * whoever stopped the last P (after the sched lock, before it wakes the stopper).
 */
final class StopLastP {
    static final boolean ON = dev.gort.sys.TuningProperty.flag("gort.sched.stoptrace.last", false);

    /** How the last P stopped (see {@link #HOW}). */
    static final int BY_GCSTOPM = 1;
    static final int BY_SYSCALL = 2;
    static final int BY_HANDOFF = 3;
    static final int BY_STARTM_FAILED = 4;
    /** A startm during a pending stop: the P stopped instead of going to an M (MPool.startm). */
    static final int BY_STARTM_STOPPED = 5;
    /** Its M at a safepoint, which also stopped the Ps handed to Ms not yet running (a stop whose steps go to its last M). */
    static final int BY_GCSTOPM_HANDED = 6;
    private static final String[] HOW = {"?", "its M at a safepoint (gcstopm)", "a syscall's entry", "a hand-off (handoffp)",
            "a failed startm", "a startm during the stop", "its M at a safepoint (gcstopm), which also stopped the Ps handed to Ms not yet running"};

    // At the request, per P (index = P id): the M running it (null: not running), its goroutine, checks and schedstat.
    private M[] reqM = new M[0];
    private long[] reqGoid = new long[0];
    private long[] reqPolls = new long[0];
    private long[] reqRun = new long[0];
    private long[] reqWait = new long[0];
    private long stopperRun0 = -1;
    private long stopperWait0 = -1;
    private ThreadProcStat stopperStat;

    // The last P (written by its stopper-side caller before the stopper's wake-up; volatile: another thread reads it).
    private volatile int lastP = -1;
    private volatile int lastHow;
    private volatile M lastBy;
    private volatile long lastPolls;

    // After the stop: the last M's and the stopper's schedstat.
    private long lastRun1 = -1;
    private long lastWait1 = -1;
    private long stopperRun1 = -1;
    private long stopperWait1 = -1;

    StopLastP() {
        // Warm the reads (as StopHolders does): a stop makes few of them, and their compiles must not land inside one.
        ThreadProcStat self = ThreadProcStat.open((int) dev.gort.sys.CpuAffinity.threadId());
        if (self != null) {
            for (int i = 0; i < StopHolders.WARMUP_READS; i++) {
                self.readSchedstat();
            }
            self.close();
        }
    }

    /** Stopper, before it raises the stop's flag: forgets the last stop's last P. */
    void reset() {
        lastP = -1;
        lastHow = 0;
        lastBy = null;
        lastRun1 = lastWait1 = stopperRun1 = stopperWait1 = -1;
    }

    /** Stopper, after the request's pass (sched lock free): what each still-running P runs, and the schedstats. */
    void atRequest(Scheduler s) {
        try {
            P[] allp = s.allp;
            if (reqM.length < allp.length) {
                reqM = new M[allp.length];
                reqGoid = new long[allp.length];
                reqPolls = new long[allp.length];
                reqRun = new long[allp.length];
                reqWait = new long[allp.length];
            }
            ThreadProcStat self = selfStat();
            boolean read = self != null && self.readSchedstat();
            stopperRun0 = read ? self.runNanos : -1;
            stopperWait0 = read ? self.waitNanos : -1;
            for (int i = 0; i < allp.length; i++) {
                P p = allp[i];
                M mp = p.status() == PStatus.GCSTOP ? null : p.m;
                reqM[i] = mp;
                reqRun[i] = -1;
                if (mp == null) {
                    continue;
                }
                G gp = mp.curg;
                reqGoid[i] = gp == null ? 0 : gp.goid();
                reqPolls[i] = mp.polls;
                ThreadProcStat ps = mp.procStat;
                if (ps != null && ps.readSchedstat()) {
                    reqRun[i] = ps.runNanos;
                    reqWait[i] = ps.waitNanos;
                }
            }
        } catch (RuntimeException e) {
            // racy reads of a diagnostic: this stop says less
        }
    }

    /** Whoever stopped the last P, before it wakes the stopper. */
    void lastStopped(P pp, int how) {
        M by = Scheduler.carrier() instanceof M mp && mp.sched == pp.sched ? mp : null;
        lastBy = by;
        lastPolls = by == null ? 0 : by.polls;
        lastHow = how;
        lastP = pp.id;
    }

    /** Stopper, once it saw every P stopped: the last M's and its own schedstat. */
    void atSeen() {
        try {
            int i = lastP;
            if (i >= 0 && i < reqM.length && reqM[i] != null) {
                ThreadProcStat ps = reqM[i].procStat;
                if (ps != null && ps.readSchedstat()) {
                    lastRun1 = ps.runNanos;
                    lastWait1 = ps.waitNanos;
                }
            }
            ThreadProcStat self = selfStat();
            if (self != null && self.readSchedstat()) {
                stopperRun1 = self.runNanos;
                stopperWait1 = self.waitNanos;
            }
        } catch (RuntimeException e) {
            // as atRequest
        }
    }

    /**
     * After the stop (allocates): e.g. {@code "; last P1 by its M at a safepoint (gcstopm), M2, which
     * ran it at the request (goroutine 6): 1 checks; M2 request to stop (3.067 ms): waited 3.030 ms
     * on a run queue; stopper over the stop waited 0.000 ms on a run queue"}; empty if no P had to stop.
     */
    String describe(long requestToLastNanos) {
        // Any thread, after the stop, while the next stop's stopper may reset and fill these fields
        // (atRequest may even replace the arrays, one by one): each is read once, and each array
        // index checked against that array. Mixed stops' values are a hint; an exception is not.
        int i = lastP;
        int how = lastHow;
        M by = lastBy;
        long polls = lastPolls;
        M[] reqMs = reqM;
        long[] goids = reqGoid;
        long[] reqPollsAt = reqPolls;
        long[] runs = reqRun;
        long[] waits = reqWait;
        long lastWait = lastWait1;
        long lastRun = lastRun1;
        long stopperRun = stopperRun0;
        long stopperWait = stopperWait0;
        long stopperRunAfter = stopperRun1;
        long stopperWaitAfter = stopperWait1;
        if (i < 0) {
            return "";
        }
        StringBuilder b = new StringBuilder("; last P").append(i).append(" by ").append(how >= 0 && how < HOW.length ? HOW[how] : "?");
        M req = i < reqMs.length ? reqMs[i] : null;
        long goid = i < goids.length ? goids[i] : 0;
        if (by != null) {
            b.append(", M").append(by.mid);
        }
        if (req == null) {
            b.append(", not running at the request");
        } else if (req == by) {
            b.append(", which ran it at the request (goroutine ").append(goid).append(')')
                    .append(": ").append(polls - (i < reqPollsAt.length ? reqPollsAt[i] : 0)).append(" checks");
        } else {
            b.append("; M").append(req.mid).append(" ran it at the request (goroutine ").append(goid).append(')');
        }
        // Only the waits: schedstat's run time of a thread on a CPU is the kernel's figure as of its
        // last tick or switch (up to a tick stale: seen "ran 10 ms" in 2 ms of wall), while a wait is
        // added when it ends, so a finished one is exact.
        if (req != null && i < runs.length && runs[i] >= 0 && i < waits.length && lastRun >= 0) {
            b.append(String.format(Locale.ROOT, "; M%d request to stop (%.3f ms): waited %.3f ms on a run queue", req.mid,
                    requestToLastNanos / 1e6, (lastWait - waits[i]) / 1e6));
        }
        if (stopperRun >= 0 && stopperRunAfter >= 0) {
            b.append(String.format(Locale.ROOT, "; stopper over the stop waited %.3f ms on a run queue", (stopperWaitAfter - stopperWait) / 1e6));
        }
        return b.toString();
    }

    /** The stopper thread's files, opened at its first stop and again if another thread stops. */
    private ThreadProcStat selfStat() {
        int tid = (int) dev.gort.sys.CpuAffinity.threadId();
        ThreadProcStat ps = stopperStat;
        if (ps == null || ps.tid != tid || !ps.isOpen()) {
            if (ps != null) {
                ps.close();
            }
            ps = ThreadProcStat.open(tid);
            stopperStat = ps;
        }
        return ps;
    }
}
