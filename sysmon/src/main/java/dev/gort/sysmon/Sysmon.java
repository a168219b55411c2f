package dev.gort.sysmon;

import java.io.PrintStream;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The system monitor: one platform thread that owns no P and watches the runtime (Go's
 * {@code runtime.sysmon}). Each round it
 * <ol>
 * <li>polls the network if nobody did for {@code netpollMaxAge} and injects the ready goroutines;</li>
 * <li>retakes Ps: a P running or in a syscall whose schedtick has not moved for
 *     {@code forcePreempt} gets its G's preempt flag set; a P in a syscall across at least one
 *     sysmon round, or whose slice is over, is taken from its M and handed to another when there
 *     is work for it, when nobody is spinning or idle, or after {@code syscallRetake} anyway;</li>
 * <li>starts a spinning M when goroutines wait in the global queue while a P is idle and no M
 *     spins: a startm that failed (no M could be made) leaves that state, and nothing else would
 *     look at the queue until the next {@code go} or wake-up (gort rethrows that failure where Go's
 *     newm dies; {@link SchedulerPort#wakeForGlobalWork});</li>
 * <li>starts a GC if none ran for {@code forceGcPeriod} (unless GOGC=off);</li>
 * <li>drives the scavenger: every {@code scavengePeriod} it releases free page runs idle for
 *     {@code scavengeIdle}; each GC cycle sets the retain target (heap goal + retainExtra %) and
 *     releases what is free down to it at once; the retain work then runs paced as Go's
 *     background scavenger (at least 1 ms of 64 KiB releases, then a sleep that keeps it at 1 %
 *     of GOMAXPROCS CPUs) for as long as the retained heap is above the target, so it releases
 *     what the sweep frees after mark termination too; whenever a memory limit is set it keeps
 *     the retained heap at or below 95 % of it;</li>
 * <li>with schedtrace on, prints the scheduler's SCHED line every {@code schedtrace} (Go prints
 *     it from sysmon too).</li>
 * </ol>
 * Between rounds it sleeps {@code minSleep} (20 us), doubling each round once
 * {@code idleRoundsBeforeBackoff} (50) rounds in a row retook nothing, up to {@code maxSleep}
 * (10 ms); {@link #wake()} cuts a sleep short and resets it to the minimum. While every P is idle
 * it sleeps deeply instead (Go's sysmonwait), until the scheduler wakes it as a P starts running
 * or its next timed duty is due.
 *
 * <p>Thread-safety: {@link #round(long)} and all per-P bookkeeping belong to the sysmon thread (or
 * to a test calling {@code round} directly with an injected clock, with no thread started). The
 * counters are written by that one thread and read by anyone through {@link #stats()}.
 */
public final class Sysmon {
    private final SysmonConfig config;
    private final SysmonClock clock;
    private final SchedulerPort sched;
    private final GcPort gc;
    private final ScavengerPort scavenger;
    private final NetpollPort netpoll;
    private final LongSupplier memoryLimit;
    private final PrintStream trace;

    // Per-P observations (Go's sysmontick), indexed by P id; grown when procCount grows.
    private long[] seenSchedTick = new long[0];
    private long[] seenSchedWhen = new long[0];
    private long[] seenSyscallTick = new long[0];
    private long[] seenSyscallWhen = new long[0];
    /** The scheduler's procresize generation these observations belong to. */
    private long seenProcGeneration;

    private final long startNanos;
    private long lastForcedGcRequest;
    /** The collector's count of forced cycles started, as last seen ({@link GcPort#forcedCyclesStarted}). */
    private long lastSeenForcedStarts;
    /** Time since the last GC when the last accepted forced request was made: the JFR event's figure. */
    private long forcedRequestSinceLastGc;
    private long lastScavengeAgePass;
    private long lastSeenNumGc;
    /** The retain target set by the last GC cycle (heap goal + retainExtra %); MAX_VALUE: none. */
    private long retainTarget = Long.MAX_VALUE;
    /** When the paced retain work may next run (sysmon's clock). */
    private long retainWorkAt;
    /** The last retain look found the retained heap above the target: the deep sleep must wake for the next. */
    private boolean retainPending;
    private long releasedSinceTrace;
    private long lastSchedtrace;
    private boolean schedtracePrinted;

    /** Earliest end of a running G's slice seen in the last round (sysmon thread only). */
    private long preemptDeadline = Long.MAX_VALUE;

    // sleep policy state (sysmon thread only)
    private int idleRounds;
    private long delayNanos;

    // counters: single writer (the sysmon thread), volatile for readers
    private volatile long rounds;
    private volatile long retakes;
    private volatile long preemptRequests;
    private volatile long syscallPreempts;
    private volatile long forcedGcs;
    private volatile long netpollInjected;
    private volatile long scavengePasses;
    private volatile long scavengedBytes;
    private volatile long failures;
    private volatile long deepSleeps;

    private volatile boolean running;
    private volatile boolean wakeRequested;
    private volatile Thread thread;
    /** {@link #wake()} as the deep sleep's armed wake-up, made once: the loop allocates nothing to arm it. */
    private final Runnable wakeAction = this::wake;

    /** Where a disabled duty's port is absent: pass null for gc, scavenger or netpoll. */
    public Sysmon(SysmonConfig config, SysmonClock clock, SchedulerPort sched, GcPort gc, ScavengerPort scavenger,
                  NetpollPort netpoll, LongSupplier memoryLimit, PrintStream trace) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sched = Objects.requireNonNull(sched, "sched (sysmon needs the scheduler)");
        this.gc = gc;
        this.scavenger = scavenger;
        this.netpoll = netpoll;
        this.memoryLimit = memoryLimit == null ? () -> Long.MAX_VALUE : memoryLimit;
        this.trace = trace == null ? System.err : trace;
        this.startNanos = clock.nanoTime();
        this.lastForcedGcRequest = startNanos;
        this.lastScavengeAgePass = startNanos;
        this.lastSeenNumGc = gc == null ? 0 : gc.numGc();
        this.lastSeenForcedStarts = gc == null ? 0 : gc.forcedCyclesStarted();
        this.delayNanos = config.minSleepNanos();
    }

    public SysmonConfig config() {
        return config;
    }

    /** Starts the monitor thread ("gort-sysmon", a daemon: it must never keep the JVM alive). */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("sysmon already started");
        }
        running = true;
        Thread t = new Thread(this::loop, "gort-sysmon");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Stops the monitor thread and waits for it to end. Idempotent. */
    public synchronized void stop() {
        Thread t = thread;
        if (t == null) {
            return;
        }
        running = false;
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        thread = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the monitor thread is running. */
    public boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** The monitor thread, or null when not started (for tests and thread dumps). */
    public Thread thread() {
        return thread;
    }

    /**
     * Cuts the current sleep short and restarts the sleep at its minimum (Go: sysmonwake). The
     * scheduler calls it when a P enters a syscall that is known to block, for example.
     */
    public void wake() {
        wakeRequested = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void loop() {
        if (SysmonEvents.jfrInitialized()) {
            SysmonEvents.warmUp(); // pay JFR's one-time registration before the first round
        }
        while (running) {
            if (deepSleep()) {
                if (!running) {
                    break;
                }
                round(clock.nanoTime());
                continue;
            }
            long delay = nextDelayNanos();
            // Wake when the longest-running G's slice ends rather than up to a whole sleep later,
            // so preemption lands within one slice plus the minimum sleep (Go: slice + up to 10 ms).
            long untilSliceEnd = preemptDeadline - clock.nanoTime();
            if (untilSliceEnd < delay) {
                delay = Math.max(untilSliceEnd, config.minSleepNanos());
            }
            LockSupport.parkNanos(this, delay);
            if (!running) {
                break;
            }
            round(clock.nanoTime());
        }
    }

    /**
     * Go's deep sleep: while every P is idle nothing can hog a P or sit in a syscall holding one,
     * so sysmon parks until a P starts running (the scheduler runs the armed wake-up when a P
     * leaves its idle list) or its next timed duty is due: a forced GC (it sleeps at most half the
     * forced-GC period, as Go) or the scavenger's age pass. Not with schedtrace on (Go neither).
     * Returns true if it slept.
     */
    private boolean deepSleep() {
        if (config.schedtraceNanos() != SysmonConfig.OFF || !sched.armIdleWake(wakeAction)) {
            return false;
        }
        long now = clock.nanoTime();
        long sleep = deepSleepNanos(now);
        deepSleeps = deepSleeps + 1;
        LockSupport.parkNanos(this, sleep);
        sched.disarmIdleWake();
        return true;
    }

    /** How long a deep sleep may last at {@code now}: until the earlier of half the forced-GC period and the next scavenger age pass. */
    long deepSleepNanos(long now) {
        long sleep = config.forceGcPeriodNanos() == SysmonConfig.OFF ? SysmonConfig.defaults().forceGcPeriodNanos() / 2
                : config.forceGcPeriodNanos() / 2;
        if (scavenger != null && config.scavengePeriodNanos() != SysmonConfig.OFF) {
            sleep = Math.min(sleep, Math.max(config.minSleepNanos(), lastScavengeAgePass + config.scavengePeriodNanos() - now));
        }
        if (retainPending) {
            sleep = Math.min(sleep, Math.max(config.minSleepNanos(), retainWorkAt - now));
        }
        return Math.max(sleep, config.minSleepNanos());
    }

    /**
     * The sleep before the next round (Go: 20 us while busy; after 50 idle rounds doubling each
     * round; capped at 10 ms). Consumes a pending {@link #wake()}.
     */
    long nextDelayNanos() {
        if (wakeRequested) {
            wakeRequested = false;
            idleRounds = 0;
        }
        if (idleRounds == 0) {
            delayNanos = config.minSleepNanos();
        } else if (idleRounds > config.idleRoundsBeforeBackoff()) {
            delayNanos = Math.min(delayNanos * 2, config.maxSleepNanos());
        }
        return Math.min(delayNanos, config.maxSleepNanos());
    }

    /**
     * One monitor round at time {@code now}. Returns the number of Ps retaken from syscalls (a
     * round that retook something counts as busy for the sleep policy, as in Go). Each duty is
     * isolated: one that throws is reported and the others still run.
     */
    public int round(long now) {
        int retook = 0;
        if (netpoll != null) {
            try {
                pollNetwork(now);
            } catch (RuntimeException | Error e) {
                fail("netpoll", e);
            }
        }
        try {
            retook = retake(now);
        } catch (RuntimeException | Error e) {
            fail("retake", e);
        }
        try {
            sched.wakeForGlobalWork();     // goroutines a failed startm left in the global queue
        } catch (RuntimeException | Error e) {
            fail("wake-up", e);
        }
        if (gc != null) {
            try {
                forceGcIfDue(now);
            } catch (RuntimeException | Error e) {
                fail("forced GC", e);
            }
        }
        if (scavenger != null) {
            try {
                scavenge(now);
            } catch (RuntimeException | Error e) {
                fail("scavenge", e);
            }
        }
        if (config.schedtraceNanos() != SysmonConfig.OFF) {
            try {
                schedtrace(now);
            } catch (RuntimeException | Error e) {
                fail("schedtrace", e);
            }
        }
        idleRounds = retook != 0 ? 0 : idleRounds + 1;
        rounds = rounds + 1;
        return retook;
    }

    private void pollNetwork(long now) {
        long last = netpoll.lastPollNanos();
        if (last != 0 && now - last > config.netpollMaxAgeNanos()) {
            int n = netpoll.pollAndInject();
            if (n > 0) {
                netpollInjected = netpollInjected + n;
            }
        }
    }

    /**
     * Go's retake: preempt long-running Gs, take Ps from Ms stuck in syscalls. As in Go, a P's time
     * slice is checked whether the P is running or in a syscall ({@code _Prunning || _Psyscall}):
     * entering and leaving a syscall does not move schedtick, so a goroutine looping on short
     * syscalls runs one long slice. When that slice is over in a syscall, its G is flagged (it
     * yields at the safepoint after the call returns: gort's stand-in for Go's async preemption of
     * the G once it runs again) and the P goes straight to the hand-off rules, without the
     * one-round wait for an unchanged syscalltick (Go's {@code sysretake}).
     */
    private int retake(long now) {
        long gen = sched.procResizeGeneration();
        if (gen != seenProcGeneration) {
            // GOMAXPROCS changed: a P id may name a new or revived P; start its slices and syscalls afresh.
            seenProcGeneration = gen;
            java.util.Arrays.fill(seenSchedTick, 0);
            java.util.Arrays.fill(seenSchedWhen, 0);
            java.util.Arrays.fill(seenSyscallTick, 0);
            java.util.Arrays.fill(seenSyscallWhen, 0);
        }
        int n = sched.procCount();
        ensureCapacity(n);
        int retook = 0;
        preemptDeadline = Long.MAX_VALUE;
        for (int p = 0; p < n; p++) {
            int status = sched.procStatus(p);
            boolean sliceOver = false;
            if (status == SchedulerPort.P_RUNNING || status == SchedulerPort.P_SYSCALL) {
                long tick = sched.schedTick(p);
                if (seenSchedTick[p] != tick || seenSchedWhen[p] == 0) {
                    // First sight of this G's slice: its start as the scheduler recorded it, else now.
                    seenSchedTick[p] = tick;
                    long when = sched.schedWhen(p);
                    seenSchedWhen[p] = when != 0 && when <= now ? when : (now == 0 ? 1 : now);
                }
                if (now - seenSchedWhen[p] >= config.forcePreemptNanos()) {
                    sliceOver = true;
                    requestPreempt(p, now, status == SchedulerPort.P_SYSCALL);
                }
                preemptDeadline = Math.min(preemptDeadline, seenSchedWhen[p] + config.forcePreemptNanos());
            }
            if (status == SchedulerPort.P_SYSCALL) {
                long tick = sched.syscallTick(p);
                if (!sliceOver && (seenSyscallWhen[p] == 0 || seenSyscallTick[p] != tick)) {
                    // First sight of this syscall: its age counts from now, and it gets one sysmon
                    // tick before retaking (Go: "more than 1 sysmon tick").
                    seenSyscallTick[p] = tick;
                    seenSyscallWhen[p] = now == 0 ? 1 : now;
                    continue;
                }
                // With the slice over, the age is that of the syscall sysmon last saw begin (Go
                // leaves pd.syscallwhen as it was too): a loop of short calls has been off its P
                // since then, but for moments. None seen since the P last ran idle or was taken:
                // old, as Go's pd.syscallwhen is then (from an earlier call, before the slice).
                long inSyscall = seenSyscallWhen[p] == 0 ? Long.MAX_VALUE : now - seenSyscallWhen[p];
                boolean localWork = sched.hasLocalWork(p);
                if (!localWork && sched.spinningOrIdleProcs() && inSyscall < config.syscallRetakeNanos()) {
                    continue; // nobody needs this P yet, and the syscall is still short
                }
                if (sched.retakeFromSyscall(p)) {
                    retook++;
                    retakes = retakes + 1;
                    seenSyscallWhen[p] = 0;
                    SysmonEvents.Retake e = SysmonEvents.jfrInitialized() ? new SysmonEvents.Retake() : null;
                    if (e != null && e.shouldCommit()) {
                        e.p = p;
                        e.inSyscall = inSyscall;
                        e.hadLocalWork = localWork;
                        e.commit();
                    }
                }
            } else if (status != SchedulerPort.P_RUNNING) {
                seenSyscallWhen[p] = 0;
            }
        }
        return retook;
    }

    /**
     * Flags the G of P {@code p}, whose slice is over: the running G, or with {@code inSyscall}
     * the G in the P's syscall (the scheduler's port finds it). Counts a request only when a G was
     * flagged, and then restarts the slice: the flag stays set until the G yields, which moves
     * schedtick, so asking again within the slice would add nothing.
     */
    private void requestPreempt(int p, long now, boolean inSyscall) {
        long runningFor = now - seenSchedWhen[p];
        if (!sched.preempt(p)) {
            // No G on the P at this instant: its M was between goroutines, as a pair handing off
            // through runnext (one inherited slice) often is, or the syscall just returned. Ask
            // again next round, as Go's retake does, instead of a whole slice later: restarting the
            // slice here let such a pair starve the global queue for hundreds of ms
            // (RunnextStarvationTest).
            return;
        }
        preemptRequests = preemptRequests + 1;
        if (inSyscall) {
            syscallPreempts = syscallPreempts + 1;
        }
        // Restart the slice: ask again only after another full slice without a reschedule.
        seenSchedWhen[p] = now;
        SysmonEvents.Preempt e = SysmonEvents.jfrInitialized() ? new SysmonEvents.Preempt() : null;
        if (e != null && e.shouldCommit()) {
            e.p = p;
            e.goid = sched.currentGoid(p);
            e.runningFor = runningFor;
            e.inSyscall = inSyscall;
            e.commit();
        }
    }

    /** The earliest end of a running or in-syscall G's slice seen in the last round: the loop wakes then (tests). */
    long preemptDeadline() {
        return preemptDeadline;
    }

    private void ensureCapacity(int n) {
        if (seenSchedTick.length < n) {
            seenSchedTick = java.util.Arrays.copyOf(seenSchedTick, n);
            seenSchedWhen = java.util.Arrays.copyOf(seenSchedWhen, n);
            seenSyscallTick = java.util.Arrays.copyOf(seenSyscallTick, n);
            seenSyscallWhen = java.util.Arrays.copyOf(seenSyscallWhen, n);
        }
    }

    /**
     * Go's gcTrigger{kind: gcTriggerTime}: a cycle if none ended for forceGcPeriod. A forced GC is
     * counted (and its JFR event committed) when the collector started it, not when it accepted the
     * request: one accepted is dropped before its start if GOGC is turned off meanwhile or a cycle
     * ends after it (Go's gcStart re-tests the trigger). The gctrace "GC forced" line stays at the
     * request (SysmonPorts), where Go's forcegchelper prints it, before gcStart.
     */
    private void forceGcIfDue(long now) {
        noteForcedStarts();
        long period = config.forceGcPeriodNanos();
        if (period == SysmonConfig.OFF || !gc.enabled()) {
            return;
        }
        long lastGc = gc.lastGcNanos();
        long since = now - Math.max(lastGc == 0 ? startNanos : lastGc, lastForcedGcRequest);
        if (since > period) {
            lastForcedGcRequest = now;
            if (gc.requestForcedGc()) {
                forcedRequestSinceLastGc = now - (lastGc == 0 ? startNanos : lastGc);
                noteForcedStarts();     // a collector that started it already (else a later round counts it)
            }
        }
    }

    /** Counts the forced cycles the collector started since the last look, and commits a ForcedGc event for them. */
    private void noteForcedStarts() {
        long started = gc.forcedCyclesStarted();
        if (started == lastSeenForcedStarts) {
            return;
        }
        forcedGcs = forcedGcs + (started - lastSeenForcedStarts);
        lastSeenForcedStarts = started;
        SysmonEvents.ForcedGc e = SysmonEvents.jfrInitialized() ? new SysmonEvents.ForcedGc() : null;
        if (e != null && e.shouldCommit()) {
            e.sinceLastGc = forcedRequestSinceLastGc;
            e.commit();
        }
    }

    private void scavenge(long now) {
        long period = config.scavengePeriodNanos();
        if (period != SysmonConfig.OFF && now - lastScavengeAgePass >= period) {
            lastScavengeAgePass = now;
            released("idle", scavenger.releaseIdle(now, config.scavengeIdleNanos()));
        }
        long numGc = gc == null ? 0 : gc.numGc();
        boolean newCycle = numGc != lastSeenNumGc;
        if (newCycle) {
            lastSeenNumGc = numGc;
            long goal = gc.heapGoal();
            long target = Long.MAX_VALUE; // heap goal + retainExtra %, saturating: with GOGC=off the goal is "infinite"
            if (goal > 0) {
                try {
                    target = Math.addExact(goal, Math.multiplyExact(goal / 100, (long) config.retainExtraPercent()));
                } catch (ArithmeticException overflow) {
                    target = Long.MAX_VALUE;
                }
            }
            retainTarget = target;
            retainWorkAt = now;     // Go wakes its scavenger with each cycle's new goal
            if (target != Long.MAX_VALUE && scavenger.heapRetained() > target) {
                // What is free at the cycle's end goes at once, unpaced (gort's pass before session
                // 27; Go has none): with cycles tens of milliseconds apart the paced work alone fell
                // behind it (ScavengeRun, docs/performance.md session 27 scav27). The paced work
                // below then releases what the sweep frees after it.
                released("retain", scavenger.releaseDownTo(target, Long.MAX_VALUE));
            }
        }
        if (retainTarget != Long.MAX_VALUE && now - retainWorkAt >= 0) {
            retainWork();
        }
        long limit = memoryLimit.getAsLong();
        if (limit != Long.MAX_VALUE) {
            long target = limit / 100 * 95; // Go: retainedGoal for the memory limit, 95 % of it
            if (scavenger.heapRetained() > target) {
                released("memory limit", scavenger.releaseDownTo(target, Long.MAX_VALUE));
            }
        }
        if (config.scavtrace() && newCycle) {
            printScavTrace(false);
        }
    }

    /** Go's scavengeQuantum: the retain work asks the heap for this much per call. */
    static final long SCAVENGE_QUANTUM = 64 << 10;
    /** Go's minScavWorkTime: a batch of retain work lasts at least this long (or is counted as if it did). */
    static final long MIN_SCAVENGE_WORK_NANOS = 1_000_000;
    /** Go's scavengePercent: the retain work's share of GOMAXPROCS CPUs. */
    static final int SCAVENGE_PERCENT = 1;

    /**
     * One batch of the paced retain work (Go's bgscavenge): while the retained heap is above the
     * target, release 64 KiB at a time, highest address first, for at least {@link
     * #MIN_SCAVENGE_WORK_NANOS} of this thread's CPU time; then wait so the work stays at {@link
     * #SCAVENGE_PERCENT} % of GOMAXPROCS CPUs (a batch credited with less than the minimum waits
     * as if it took it, as Go). Go times the work by the wall clock; on a loaded machine that
     * counts the time the thread was switched out as work, so here the work is the thread's CPU
     * time (1 % of the CPUs is CPU time). Looking costs one read of the retained figure, so a heap at its target
     * is looked at again at the same pace: pages the sweep frees later in the cycle are found by a
     * later batch, which is the release after the sweep that a once-per-cycle pass at mark
     * termination missed.
     */
    private void retainWork() {
        long startCpu = clock.threadCpuNanos();
        long released = 0;
        retainPending = scavenger.heapRetained() > retainTarget;
        while (retainPending) {
            long r = scavenger.releaseDownTo(retainTarget, SCAVENGE_QUANTUM);
            released += r;
            if (r < SCAVENGE_QUANTUM) {
                retainPending = r > 0 && scavenger.heapRetained() > retainTarget;
                break;      // at the target, or nothing free to release now
            }
            if (clock.threadCpuNanos() - startCpu >= MIN_SCAVENGE_WORK_NANOS) {
                break;
            }
        }
        long end = clock.nanoTime();
        long worked = Math.max(clock.threadCpuNanos() - startCpu, MIN_SCAVENGE_WORK_NANOS);
        long procs = Math.max(1, sched.procCount());
        // Go: worked / ((slept + worked) * GOMAXPROCS) = scavengePercent / 100.
        long sleep = Math.max(0, worked * 100 / (SCAVENGE_PERCENT * procs) - worked);
        retainWorkAt = end + sleep;
        released("retain", released);
    }

    private void released(String reason, long bytes) {
        if (bytes <= 0) {
            return;
        }
        scavengePasses = scavengePasses + 1;
        scavengedBytes = scavengedBytes + bytes;
        releasedSinceTrace += bytes;
        SysmonEvents.Scavenge e = SysmonEvents.jfrInitialized() ? new SysmonEvents.Scavenge() : null;
        if (e != null && e.shouldCommit()) {
            e.reason = reason;
            e.released = bytes;
            e.heapReleased = scavenger.heapReleased();
            e.heapRetained = scavenger.heapRetained();
            e.commit();
        }
        if (config.scavtrace() && !reason.equals("retain")) {
            printScavTrace(false); // age and limit passes are not tied to a GC cycle: report them as they happen
        }
    }

    /** Go's sysmon: {@code if debug.schedtrace > 0 && lasttrace+schedtrace*1e6 <= now { schedtrace(...) }}; the first round prints at once. */
    private void schedtrace(long now) {
        if (schedtracePrinted && now - lastSchedtrace < config.schedtraceNanos()) {
            return;
        }
        schedtracePrinted = true;
        lastSchedtrace = now;
        String lines = sched.schedtrace(config.scheddetail());
        if (lines != null) {
            trace.print(lines);
            trace.flush();
        }
    }

    private void printScavTrace(boolean forced) {
        trace.println(ScavTrace.line(releasedSinceTrace, 0, scavenger.heapReleased(), scavenger.heapInUse(),
                scavenger.heapRetained(), forced));
        releasedSinceTrace = 0;
    }

    /**
     * A duty threw: counted, the first failure and every 1000th reported, and the next round tries
     * again. An {@link OutOfMemoryError} is such a failure too: the Java heap's exhaustion (a
     * hand-off or wake-up whose startm could not make its M, a report's allocation) may pass, and
     * sysmon is the thread that retries the wake-up of the goroutines a failed startm left queued,
     * so it must not end on it. Any other Error but an AssertionError is a bug: rethrown, it ends
     * the thread loudly.
     */
    private void fail(String duty, Throwable e) {
        failures = failures + 1;
        // Report the first failure and then every 1000th: a duty failing each round must not flood stderr.
        if (failures == 1 || failures % 1000 == 0) {
            try {
                trace.println("gort: sysmon: " + duty + " failed: " + e + (failures > 1 ? " (" + failures + " failures so far)" : ""));
            } catch (OutOfMemoryError ignored) {
                // best effort under the Java heap's exhaustion: the count above stands
            }
        }
        if (e instanceof Error err && !(e instanceof AssertionError) && !(e instanceof OutOfMemoryError)) {
            throw err;
        }
    }

    /** The counters now. */
    public SysmonStats stats() {
        return new SysmonStats(rounds, retakes, preemptRequests, syscallPreempts, forcedGcs, netpollInjected, scavengePasses, scavengedBytes,
                failures, deepSleeps);
    }

    /** Deep sleeps taken so far (every P idle: parked until a P runs or a timed duty is due). */
    public long deepSleeps() {
        return deepSleeps;
    }
}
