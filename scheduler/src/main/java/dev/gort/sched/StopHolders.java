package dev.gort.sched;

import java.util.Locale;

/**
 * Who held a stop-the-world up: a diagnostic of {@link WorldStop}, on under
 * {@code -Dgort.gc.pausetrace=true} or {@code -Dgort.sched.stoptrace=true}, a constant false
 * otherwise (every hook below is behind {@link #ON}, a static final the JIT folds away).
 *
 * <p>What it costs while on: each M counts its preemption checks in a plain field of its own
 * ({@link M#polls}: {@link Go#poll}, the runtime's safepoints, and every look at
 * {@link Scheduler#worldStopping()}, which the collector's mark workers, assists and sweeps use as
 * their check); no clock is read on those paths. Only a stop that is still waiting at its first
 * timed re-preempt pass (0.1 ms) pays more: at each pass the stopper samples every P that has not
 * stopped (its M, the goroutine on it, that goroutine's status and kind as the GC hook names it,
 * the M's check count and the P's schedtick) and reads the M's state and {@code schedstat} (two
 * /proc files kept open per M, {@link ThreadProcStat}: a seek and a read each, no allocation,
 * while the stopper waits anyway; the stop's description prints what the sampling cost). A stop
 * that ends before 0.1 ms samples nothing.
 *
 * <p>How to read the result ({@link #describe}): the Ps still running at the last pass are the
 * ones the stop waited for. An unchanged check count between two passes means the goroutine did
 * not reach a preemption check in that interval (a check with the preempt flag set would have
 * stopped it). The M's state at each pass says whether it was running or runnable (R) or
 * asleep (S: blocked in a lock, a park or a system call); schedstat between the first and the last
 * pass splits the R time into ran and waited, with a caveat: the kernel adds a run-queue wait when
 * it ends and run time at ticks and switches, so a thread still waiting at the last pass shows
 * little of either. Runnable throughout with no check is a loop that does not poll (or a machine
 * that gives it no CPU: then schedstat's wait, or the pausetrace.sched line, says so); asleep is a
 * wait that is not the scheduler's; a holder asleep at two passes in a row, or (with
 * {@link #RUNNING_STACKS}) running with no check since the previous pass, also has its stack
 * taken (an M on g0 too: scheduler code, or a GcHook call from it; once per stop and P) and printed, so the description names the wait or the path. A blocked thread's stack is read without waiting
 * for it; a running one's takes a JVM handshake, and the time it took is printed with it: a
 * thread in a loop answers within microseconds, one that has no CPU (the kernel's run queue, or
 * a vCPU the host took away, which the guest still counts as running) answers when it gets one.
 *
 * <p>Threads: {@link #reset} and {@link #sample} run on the stopper (the holder of the world's
 * lock) only; the fields they read from Ms and Gs are racy hints, as in schedtrace.
 * {@link #describe} runs after the stop on whichever thread asks, possibly while the next stop
 * samples: it reads each field once (see there).
 */
final class StopHolders {
    static final boolean ON = dev.gort.sys.TuningProperty.flag("gort.sched.stoptrace", false) || dev.gort.sys.TuningProperty.flag("gort.gc.pausetrace", false)
            || StopLastP.ON;
    /**
     * {@code -Dgort.sched.stoptrace.runningstacks=true}: also take the stack of a holder that is
     * running with no check since the previous pass. Off by default, since the stopper waits for
     * the JVM's handshake with that thread (5.7 ms once at load 80: the thread had no CPU), and a
     * stop whose last P stops meanwhile is seen that much later, which pausetrace's own figures
     * would then include.
     */
    static final boolean RUNNING_STACKS = dev.gort.sys.TuningProperty.flag("gort.sched.stoptrace.runningstacks", false);

    /** What the stopper saw of one P across the passes of the current stop. */
    private static final class Slot implements Cloneable {
        /** ns after the request of the first and of the latest pass that saw this P unstopped (-1: none). */
        long firstAt = -1;
        long lastAt = -1;
        /** The pass before the latest one that found the check count changed (-1: unchanged since the first). */
        long checkSeenAfter = -1;
        long checkSeenBy = -1;
        int pstatus;
        M m;
        G g;
        long goid;
        int gstatus;
        String kind;
        long firstPolls;
        long lastPolls;
        long firstTick;
        long lastTick;
        /** The M's schedstat (run ns, wait ns) at its first and at its latest sample; -1 if unreadable. */
        long run0 = -1;
        long wait0 = -1;
        long run1 = -1;
        long wait1 = -1;
        /** The M's minor page faults (stat's minflt) at its first and at its latest sample; -1 if unreadable. */
        long faults0 = -1;
        long faults1 = -1;
        /** The CPU the M last ran on (stat's processor) at its first and at its latest sample; -1 if unreadable. */
        int cpu0 = -1;
        int cpu1 = -1;
        /** Passes that found the M running or runnable ('R' in /proc/.../stat), and that read its state at all. */
        int runnablePasses;
        int statePasses;
        /** Passes in a row that found the M asleep; its stack, taken at the second such pass (null: none). */
        int asleepInRow;
        StackTraceElement[] stack;
        /** Whether the M was running or runnable when its stack was taken, when (ns after the request) and how long the JVM took. */
        boolean stackRunning;
        long stackAt;
        long stackNanos;

        /**
         * A copy, each field read once: what {@link #describe} formats. describe runs after its
         * stop on whichever thread asks, while the next stop's stopper may reset and sample this
         * slot; a field read twice (a null check, then a use) could see two stops' values, and a
         * null the second time (session 33: "sl.m is null"). Racy fields of the copy may still
         * mix two stops: a diagnostic's hint, never an exception.
         */
        Slot snapshot() {
            try {
                return (Slot) clone();          // a field-by-field copy: each field read once
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);    // Slot is Cloneable
            }
        }
    }

    /**
     * Tests: run by {@link #describe} for each slot it reports, after its look at the slot's M: the
     * seam at which StopHoldersDescribeRaceTest rewrites the slot as the next stop would.
     */
    static volatile Runnable describeHookForTest;

    /** Frames of an asleep holder's stack printed. */
    static final int STACK_FRAMES = 18;

    private Slot[] slots = new Slot[0];
    /** Timed passes that found a P not stopped, and the latest of them (ns after the request; -1: none). */
    private int passes;
    private long lastPassAt;
    /**
     * Timed passes that found every P stopped: the last P stopped between the stopper's timeout
     * and its pass. Not counted in {@link #passes} and not the "last pass", so they do not hide
     * what the passes before them saw (a stopper that gets its CPU late makes such passes).
     */
    private int emptyPasses;
    /** Timed passes of this stop so far, empty ones included. */
    private int timedPasses;
    /**
     * How late the first timed pass came (ns after it was due; -1: not late, or no pass), and when
     * the immediate second pass it caused was made (ns after the request; -1: none).
     */
    private long firstPassLateBy;
    private long secondPassAt;
    private boolean secondPassFoundHolder;

    /**
     * A first timed pass later than this after it was due gets an immediate second pass (below):
     * the stop's target (0.5 ms), so every stop that can miss it because the stopper or the Ms got
     * no CPU is caught.
     */
    static final long LATE_PASS_NANOS = 500_000;
    /**
     * Wall time (ns) the stopper spent sampling in the current stop: the diagnostic's own cost,
     * paid inside the stop (no CPU clock: CpuClock allocates until the JIT has compiled it, and a
     * pass allocates nothing).
     */
    private long sampleWallNanos;

    /**
     * Rounds of /proc reads run when the diagnostic is created: past C1's invocation threshold, so
     * the reads a timed pass makes run compiled from the first stop (a pass is rare: about 20 in a
     * two-minute run, too few for the JIT) and none of their compile requests lands inside a stop.
     */
    static final int WARMUP_READS = 1000;

    /** Diagnostic mode only (WorldStop makes one under {@link #ON}): warms the reads on this thread's own files. */
    StopHolders() {
        ThreadProcStat self = ThreadProcStat.open((int) dev.gort.sys.CpuAffinity.threadId());
        if (self != null) {
            for (int i = 0; i < WARMUP_READS; i++) {
                self.state();
                self.readSchedstat();
            }
            self.close();
        }
    }

    /** At each stop request (stopper): forget the previous stop's samples. */
    void reset() {
        passes = 0;
        lastPassAt = -1;
        emptyPasses = 0;
        timedPasses = 0;
        firstPassLateBy = -1;
        secondPassAt = -1;
        secondPassFoundHolder = false;
        sampleWallNanos = 0;
        for (Slot s : slots) {
            s.firstAt = -1;
            s.lastAt = -1;
            s.m = null;
            s.g = null;
            s.kind = null;
        }
    }

    /**
     * At a timed re-preempt pass of the stop requested at {@code requestNanos}, due at
     * {@code dueNanos} (both System.nanoTime): samples every P not stopped. A first pass that came
     * over {@link #LATE_PASS_NANOS} late is followed at once by a second one. Why: such a stop is
     * one that misses the target, and its stopper (or the Ms) got no CPU for that long; if the last
     * P stops soon after, the stop has one pass and one sample of each holder, so no check count to
     * compare and, under {@link #RUNNING_STACKS}, no stack (session 31's 3-9 ms stops). The second
     * pass gives both: a holder still running with no check has its stack taken, and the JVM's
     * handshake time says whether its thread was getting a CPU. {@code handOff}: the stop, if its
     * steps are handed to the last M (else null): no second pass once an M claimed them (the world
     * may run again). Never throws (see {@link #sample}).
     */
    void timedPass(Scheduler s, long requestNanos, long dueNanos, WorldStop handOff) {
        long now = System.nanoTime();
        timedPasses++;
        sample(s, now - requestNanos);
        if (timedPasses == 1 && now - dueNanos > LATE_PASS_NANOS && passes == 1 && (handOff == null || !handOff.handOffClaimedHint())) {
            firstPassLateBy = now - dueNanos;
            int before = passes;
            secondPassAt = System.nanoTime() - requestNanos;
            sample(s, secondPassAt);
            secondPassFoundHolder = passes > before;
        }
    }

    /**
     * At a timed re-preempt pass, {@code at} ns after the request: samples every P not stopped.
     * Never throws: what it reads races with the Ms (a P between owners, a G between statuses),
     * and a diagnostic must not fail the stop; a failed sample is skipped.
     */
    void sample(Scheduler s, long at) {
        long w0 = System.nanoTime();
        try {
            sampleAll(s, at);
        } catch (RuntimeException e) {
            // a racy read went wrong (see above): this pass says nothing
        }
        sampleWallNanos += System.nanoTime() - w0;
    }

    private void sampleAll(Scheduler s, long at) {
        P[] allp = s.allp;
        if (slots.length < allp.length) {
            Slot[] n = java.util.Arrays.copyOf(slots, allp.length);
            for (int i = slots.length; i < n.length; i++) {
                n[i] = new Slot();
            }
            slots = n;
        }
        int passesBefore = passes;
        long lastPassBefore = lastPassAt;
        passes++;
        lastPassAt = at;
        int found = 0;
        GcHook hook = s.gcHook;
        for (int i = 0; i < allp.length; i++) {
            P p = allp[i];
            int st = p.status();
            if (st == PStatus.GCSTOP || st == PStatus.DEAD) {
                continue;
            }
            Slot sl = slots[i];
            found++;
            M mp = p.m;
            G gp = mp == null ? null : mp.curg;
            // Read with curg, before the /proc reads below (10-40 us): read after them, a goroutine
            // that yielded for this stop in between showed as "runnable" on the M it had just
            // left (the likely reading of session 12's 27 ms stop, whose holder stopped its P
            // 56 us after that pass).
            int gstatus = gp == null ? -1 : gp.status();
            long polls = mp == null ? 0 : mp.polls;
            long tick = p.schedtick();
            ThreadProcStat ps = procOf(mp);
            boolean same = sl.lastAt >= 0 && sl.m == mp && sl.g == gp && sl.lastTick == tick;
            if (!same) {
                // A new holder on this P (first sight, or another M or goroutine since the last pass).
                sl.firstAt = at;
                sl.checkSeenAfter = -1;
                sl.checkSeenBy = -1;
                sl.m = mp;
                sl.g = gp;
                sl.goid = gp == null ? 0 : gp.goid();
                sl.kind = gp == null ? null : kindOf(hook, gp);
                sl.firstPolls = polls;
                sl.firstTick = tick;
                boolean read = ps != null && ps.readSchedstat();
                sl.run0 = read ? ps.runNanos : -1;
                sl.wait0 = read ? ps.waitNanos : -1;
                sl.run1 = sl.run0;
                sl.wait1 = sl.wait0;
                sl.runnablePasses = 0;
                sl.statePasses = 0;
                sl.asleepInRow = 0;
                sl.stack = null;
            } else {
                if (polls != sl.lastPolls) {
                    sl.checkSeenAfter = sl.lastAt;
                    sl.checkSeenBy = at;
                }
                boolean read = ps != null && ps.readSchedstat();
                sl.run1 = read ? ps.runNanos : -1;
                sl.wait1 = read ? ps.waitNanos : -1;
            }
            char state = ps == null ? '?' : ps.state();
            long faults = state == '?' ? -1 : ps.minorFaults;
            int cpu = state == '?' ? -1 : ps.lastCpu;
            if (!same) {
                sl.faults0 = faults;
                sl.cpu0 = cpu;
            }
            sl.faults1 = faults;
            sl.cpu1 = cpu;
            if (state != '?') {
                sl.statePasses++;
                if (state == 'R') {
                    sl.runnablePasses++;
                }
            }
            sl.asleepInRow = state == 'S' || state == 'D' ? sl.asleepInRow + 1 : 0;
            if (sl.stack == null && (sl.asleepInRow == 2 || (RUNNING_STACKS && same && polls == sl.lastPolls && state == 'R'))) {
                // Asleep at two passes in a row while it holds a P: a wait the scheduler does not
                // know about; or running with no check since the last pass: a path without a
                // preemption check. Its stack says which (once per stop and P). An M on g0 (no
                // goroutine: scheduler code, or a GcHook call from it) too: its scheduler code
                // looks at the stop flag without counting a check, so only the stack tells a
                // long stretch of scheduler code from an M that had no CPU (session 31). A
                // blocked M's stack is read without waiting for it; a running M's takes a JVM
                // handshake, which waits until the thread reaches a JVM safepoint poll: how long
                // that took is kept, since an M that does not run (no CPU for it, or a CPU the
                // host took away) answers late, and an M in a loop answers at once.
                long t0 = System.nanoTime();
                sl.stack = mp.getStackTrace();
                sl.stackNanos = System.nanoTime() - t0;
                sl.stackRunning = state == 'R';
                sl.stackAt = at;
            }
            sl.pstatus = st;
            sl.gstatus = gstatus;
            sl.lastPolls = polls;
            sl.lastTick = tick;
            sl.lastAt = at;
        }
        if (found == 0) {
            // Every P had stopped: not the last pass that saw a holder (see emptyPasses).
            passes = passesBefore;
            lastPassAt = lastPassBefore;
            emptyPasses++;
        }
    }

    /** The goroutine's kind: what the GC hook calls it (a mark worker, the sweeper), else system or user. */
    private static String kindOf(GcHook hook, G gp) {
        String k = hook == null ? null : hook.describeGoroutine(gp);
        if (k != null) {
            return k;
        }
        if (gp.sched.isMain(gp)) {
            return "main goroutine";
        }
        return gp.system ? "system goroutine" : "user goroutine";
    }

    /**
     * After the stop (allocates): for each P still running at the last pass, what ran there; empty
     * if the stop made no timed pass. The M's run and wait are schedstat's between the first and the
     * last pass that saw it holding the P (none with a single pass): the stopper's own view, so a
     * stopper that waited for a CPU itself sees late passes, never wrong figures.
     *
     * <p>Any thread, after the stop: the next stop's stopper may meanwhile reset and sample the same
     * fields and slots (world lock held: it does not wait for this), so each is read once, into a
     * local or a {@link Slot#snapshot}. A diagnostic must not throw: session 33's NullPointerException
     * was a slot's M read non-null, then null.
     */
    String describe() {
        int passes = this.passes;
        long lastPassAt = this.lastPassAt;
        int emptyPasses = this.emptyPasses;
        long firstPassLateBy = this.firstPassLateBy;
        long secondPassAt = this.secondPassAt;
        boolean secondPassFoundHolder = this.secondPassFoundHolder;
        long sampleWallNanos = this.sampleWallNanos;
        Slot[] slots = this.slots;
        if (passes == 0) {
            return emptyPasses == 0 ? "" : String.format(Locale.ROOT, "; %d timed pass(es), every P stopped at each", emptyPasses);
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "; held at the last of %d timed passes (%.3f ms) by", passes, lastPassAt / 1e6));
        boolean any = false;
        for (int i = 0; i < slots.length; i++) {
            Slot sl = slots[i].snapshot();
            if (sl.lastAt != lastPassAt || sl.lastAt < 0) {
                continue;
            }
            any = true;
            b.append(" P").append(i).append(": ");
            if (sl.m == null) {
                b.append("no M, P status ").append(sl.pstatus);
                continue;
            }
            Runnable hook = describeHookForTest;
            if (hook != null) {
                hook.run();
            }
            b.append('M').append(sl.m.mid);
            if (sl.g == null) {
                b.append(" on g0 (scheduler code, no goroutine)");
            } else {
                b.append(" running goroutine ").append(sl.goid).append(" (").append(sl.kind).append(", ")
                        .append(GStatus.name(sl.gstatus)).append(')');
            }
            b.append(String.format(Locale.ROOT, " at every pass from %.3f ms", sl.firstAt / 1e6));
            if (sl.checkSeenBy < 0) {
                b.append(String.format(Locale.ROOT, "; no preemption check from %.3f to %.3f ms", sl.firstAt / 1e6, sl.lastAt / 1e6));
            } else {
                b.append(String.format(Locale.ROOT, "; last preemption check between %.3f and %.3f ms", sl.checkSeenAfter / 1e6,
                        sl.checkSeenBy / 1e6));
            }
            b.append(" (checks ").append(sl.lastPolls - sl.firstPolls).append(" in that time)");
            if (sl.statePasses > 0) {
                b.append("; M").append(sl.m.mid).append(" running or runnable at ").append(sl.runnablePasses).append(" of ")
                        .append(sl.statePasses).append(" passes");
            }
            long span = sl.lastAt - sl.firstAt;
            if (sl.run0 >= 0 && sl.run1 >= 0 && span > 0) {
                long ran = sl.run1 - sl.run0;
                b.append(String.format(Locale.ROOT, ", schedstat between the passes at %.3f and %.3f ms: ran %.3f ms, waited %.3f ms",
                        sl.firstAt / 1e6, sl.lastAt / 1e6, ran / 1e6, (sl.wait1 - sl.wait0) / 1e6));
                b.append(verdict(sl, ran, span));
            }
            if (sl.faults0 >= 0 && sl.faults1 >= 0 && span > 0) {
                // Fresh memory's first touches are minor faults: many here mean the holder was
                // faulting pages in (a stretch of first touches without a check) rather than waiting.
                b.append(", minor faults between those passes ").append(sl.faults1 - sl.faults0);
            }
            if (sl.cpu1 >= 0) {
                // stat's processor: the CPU it last ran on, or whose run queue it waits on.
                b.append(sl.cpu0 == sl.cpu1 || sl.cpu0 < 0 ? String.format(Locale.ROOT, "; on CPU %d", sl.cpu1)
                        : String.format(Locale.ROOT, "; on CPU %d at the first pass and %d at the last", sl.cpu0, sl.cpu1));
            }
            if (sl.stack != null) {
                if (sl.stackRunning) {
                    b.append(String.format(Locale.ROOT, "; its stack when running without a check (at %.3f ms, read in %.3f ms):",
                            sl.stackAt / 1e6, sl.stackNanos / 1e6));
                } else {
                    b.append("; its stack when asleep:");
                }
                for (int k = 0; k < Math.min(STACK_FRAMES, sl.stack.length); k++) {
                    StackTraceElement e = sl.stack[k];
                    String cls = e.getClassName();
                    b.append(k == 0 ? " " : " <- ").append(cls.substring(cls.lastIndexOf('.') + 1)).append('.')
                            .append(e.getMethodName()).append(':').append(e.getLineNumber());
                }
            }
        }
        if (!any) {
            b.append(" none (every P stopped or was taken at that pass)");
        }
        if (firstPassLateBy >= 0) {
            b.append(String.format(Locale.ROOT, "; the first timed pass came %.3f ms late, so a second was made at once (%.3f ms)%s",
                    firstPassLateBy / 1e6, secondPassAt / 1e6, secondPassFoundHolder ? "" : ": every P had stopped by then"));
        }
        if (emptyPasses > 0) {
            b.append("; later passes that found every P stopped ").append(emptyPasses);
        }
        b.append(String.format(Locale.ROOT, "; sampling took %.3f ms", sampleWallNanos / 1e6));
        return b.toString();
    }

    /**
     * The reading in a few words, for the common shapes only (else nothing): a goroutine without a
     * check that held a CPU most of the interval runs a loop that does not poll; one runnable at
     * every pass that ran little waited for a CPU; one asleep at most passes waits on something
     * that is not the scheduler (a lock, a park, a blocking call outside {@code Go.syscall}).
     */
    private static String verdict(Slot sl, long ran, long span) {
        if (sl.statePasses < 2) {
            return "";
        }
        boolean noCheck = sl.checkSeenBy < 0 && sl.g != null;
        if (sl.runnablePasses == sl.statePasses && noCheck && ran * 2 >= span) {
            return " (on a CPU without a preemption check: a loop that does not poll)";
        }
        if (sl.runnablePasses == sl.statePasses && ran * 10 < span) {
            return " (waiting for a CPU)";
        }
        if (sl.runnablePasses * 2 < sl.statePasses) {
            return " (asleep: a wait that is not the scheduler's)";
        }
        return "";
    }

    /** Counts a preemption check of the calling M (see the class comment); any thread. */
    static void countCheck() {
        if (Scheduler.carrier() instanceof M mp) {
            mp.polls++;
        }
    }

    /**
     * The M's /proc files, opened at its first sample and kept on the M (stopper only); null if
     * its tid is unknown or its files cannot be opened (then tried again at the next sample).
     */
    private static ThreadProcStat procOf(M mp) {
        if (mp == null) {
            return null;
        }
        ThreadProcStat ps = mp.procStat;
        if (ps == null || ps.tid != mp.tid) {
            ps = ThreadProcStat.open(mp.tid);
            mp.procStat = ps;
        }
        return ps;
    }
}
