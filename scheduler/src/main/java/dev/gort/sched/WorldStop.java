package dev.gort.sched;

/**
 * One scheduler's stop-the-world (Go's stopTheWorld / startTheWorld and the state they share):
 * the count of Ps still to stop, the stopper's note, the Ms that wait for the world to start
 * again, and the last stop's timeline. The flag every M checks, {@link Scheduler#gcwaiting}, stays
 * in the scheduler (read at every scheduling point).
 *
 * <p>Threads and locks: {@link #stop} and {@link #start} run on one thread at a time, the holder
 * of {@link #worldLock}; {@link #stopwait} and {@link #stwWaiters} are under the sched lock; the
 * M that stops the last P calls {@link #lastPStopped} after releasing that lock.
 */
final class WorldStop {
    /** stop's first re-preempt interval (Go's 100 us) and the bound its doubling reaches. */
    static final long REPREEMPT_FIRST_NANOS = 100_000;
    static final long REPREEMPT_MAX_NANOS = 1_600_000;
    /**
     * How long {@link #stop} spins (yielding its CPU on each turn), waiting for the last P,
     * before it sleeps on its note (nanoseconds; {@code -Dgort.sched.stopspin.us}, default 0:
     * sleep at once). Off by default: it lost its A/B on the 2-core machine (StopLatencyRun
     * goroutines, 2 goroutines at GOMAXPROCS=2, load 6-8, 4 alternated runs of 1000 stops: p50 64
     * vs 89 us but p90 2.05 vs 0.79 ms), since a spinning stopper holds a CPU the goroutine it
     * waits for may need. It can pay where a CPU is spare and the woken stopper's wait for one is
     * the last step of a stop.
     */
    static final long STOP_SPIN_NANOS = dev.gort.sys.TuningProperty.microsAsNanos("gort.sched.stopspin.us", 0, 0, 1_000_000);
    /**
     * {@code -Dgort.sched.debugstop=true}: a stop still waiting 5 ms after its request prints, once,
     * every P's status and the stack of every thread of this process whose name starts with "gort"
     * (diagnostics: it allocates and takes a JVM safepoint), to tell which M holds the stop up and
     * what the others do meanwhile.
     */
    private static final boolean DEBUG_STOP = dev.gort.sys.TuningProperty.flag("gort.sched.debugstop", false);

    private final Scheduler s;
    /** Ps not yet stopped by the pending stop (sched lock). */
    private int stopwait;
    /** The stopper sleeps here; package-private for StopTheWorldStaleWakeupTest. */
    final Note stopNote = new Note();
    /**
     * Held by the stopper from before its request to the restart, and by Shutdown while it frees the
     * P blocks. Owned by the carrier read out of line, as {@link #startOwner} is (see CarrierLock:
     * a ReentrantLock's owner, set by an inlined Thread.currentThread(), could be an M a goroutine
     * stopper had left, and its restart then left the lock held for good).
     */
    private final CarrierLock worldLock = new CarrierLock("the world lock");
    /**
     * The reason of the stop that holds {@link #worldLock}: written by its holder right after
     * taking it and read only by that holder ({@link #lockWorld}'s refusal of a second stop), so a
     * stale value after the release is never read.
     */
    private String heldFor;

    /**
     * True if {@code t} holds the world lock (a stopper in its pause, the collector's coordinator in
     * a stop). {@code t} is the caller's carrier read out of line ({@link Scheduler#carrier}), not
     * an inlined Thread.currentThread() a goroutine's compiled frame may keep stale.
     */
    boolean heldBy(Thread t) {
        return worldLock.heldBy(t);
    }

    /** This scheduler's spin bound (tests change it). */
    volatile long stopSpinNanos = STOP_SPIN_NANOS;
    /** Re-preempt passes made by stop after its timed sleeps (worldLock holder writes; tests read). */
    volatile long stopRepreempts;
    /** Timed re-preempt passes of the current or last stop (worldLock holder writes; diagnostics read). */
    private volatile int stopPasses;
    /** Who held the stop up ({@link StopHolders#ON} only, else null). */
    private final StopHolders holders = StopHolders.ON ? new StopHolders() : null;
    /** How the last P stopped ({@link StopLastP#ON} only, else null). */
    private final StopLastP lastTrace = StopLastP.ON ? new StopLastP() : null;
    private boolean stopDumped;
    private volatile String stwReason;

    // The last stop's timeline (System.nanoTime(); diagnostics): the request, the last P to stop
    // (0: none had to, every P was idle, in a syscall or the stopper's own), the stopper seeing it.
    private volatile long stopRequestNanos;
    private volatile long lastPStoppedNanos;
    private volatile long stopSeenNanos;
    private volatile boolean stopSpun;

    // The hand-off (stopAndRun): the stopped steps of the current stop, run by the M that stops its
    // last P at a safepoint (gcstopm) instead of waking the stopper. handOffSteps and handOffClaimed
    // are under the sched lock; the claimant publishes its outcome through handOffDone.
    private Runnable handOffSteps;
    /** Volatile for the stopper's unlocked look at a timed turn (a hint: decisions re-read it under the lock). */
    private volatile boolean handOffClaimed;
    private volatile boolean handOffDone;
    private Throwable handOffFailure;
    /** The M that ran the last stop's steps (null: the stopper ran them, or no hand-off); when it claimed them. */
    private volatile M handOffRunner;
    private volatile long handOffClaimNanos;
    /** Stops whose steps an M ran (claimant writes under the sched lock; tests read). */
    private volatile long stopsHandedOff;
    /**
     * The thread that may call {@link #start} for the current stop: the stopper, or the M that
     * claimed its steps. The world lock stays the stopper's (released by its holder only): a
     * claimant's start leaves it held, and the stopper releases it once the steps are done.
     * Written and compared with {@link Scheduler#carrier()}, never an inlined Thread.currentThread(): a
     * goroutine's compiled frame can keep the latter stale across a yield, and its start then found
     * another thread here ("startTheWorld without stopTheWorld on this thread", review35b, seen once).
     */
    private volatile Thread startOwner;

    /** The real-time stop's boost of Ms late into a stop (null: off; {@link Scheduler#boostLateMsWhileStopping}). */
    volatile LateMBoost lateBoost;
    /**
     * The boost the current stop switched Ms with (null: none yet), which its restart lowers: not
     * {@link #lateBoost} read again then, since {@link Scheduler#boostLateMsWhileStopping} may
     * have replaced it mid-stop, and the Ms the old one raised stayed SCHED_FIFO for good (the
     * new one had boosted nothing; RealtimeStopperTest). Stopper only (the world lock's holder).
     */
    private LateMBoost stopBoost;

    private volatile long worldStartedNanos;
    /** start's list of Ps to start (sched lock; worldLock holder only), kept between pauses. */
    private P[] restartPs;
    /** Ms parked in awaitStartLocked, linked through M.stwLink (sched lock). */
    private M stwWaiters;

    WorldStop(Scheduler s, int nprocs) {
        this.s = s;
        this.restartPs = new P[nprocs];
    }

    /**
     * Stops every P at a safepoint (Go's stopTheWorld). Idle Ps and Ps in syscalls are taken at once;
     * running goroutines are asked to yield and their Ms stop at the next scheduling point. Called
     * from a goroutine, its own P counts as stopped and it keeps running; callable from any other
     * thread too. Goroutines that never reach a safepoint delay it (preemption is cooperative).
     */
    void stop(String reason) {
        stop(reason, null);
    }

    /**
     * {@link #stop(String)} that gives up when {@code giveUp} (null: never) says true at a timed
     * turn of its wait (100 us doubling to 1.6 ms: no wake-up needed): the world is restarted and
     * {@link StopGivenUpException} thrown, naming the Ps it still waited for.
     */
    void stop(String reason, java.util.function.BooleanSupplier giveUp) {
        lockWorld("stopTheWorld", reason);
        heldFor = reason;
        try {
            startOwner = Scheduler.carrier();
            stopHeld(reason, giveUp, null);
        } catch (Throwable t) {
            // Whatever failed between the request and the end of the wait (a diagnostic, an
            // out-of-memory error), the world must not stay stopped with the world lock held by a
            // thread that has gone on: Ps stopped so far run again and the caller gets the error.
            abandon(t);
            throw t;
        }
    }

    /**
     * Stops the world and runs {@code steps}, which must end by restarting it ({@link #start}), on
     * whichever thread first sees every P stopped: the M that stops the last P at its safepoint
     * ({@link #gcstopm}: it keeps that P, runs the steps on the CPU it holds and goes on with its
     * goroutines after the restart), or this thread if every P was stopped at the request, or the
     * last stopped by another path (a syscall's entry, a hand-off) or the scheduler exits. The
     * stopper is then not on the path from the last P's stop to the restart: its wake-up (a thread
     * asleep on a note, woken onto a CPU behind whatever runs there) leaves the pause (Go runs
     * gcMarkDone, the stop and gcMarkTermination on the goroutine that found no mark work). Returns
     * once the steps ran; their failure is thrown here with the world running again (the claimant
     * restarts it if they did not); {@code giveUp} is asked until a claim, as in {@link #stop(String,
     * java.util.function.BooleanSupplier)}.
     */
    void stopAndRun(String reason, java.util.function.BooleanSupplier giveUp, Runnable steps) {
        lockWorld("stopTheWorldAndRun", reason);
        heldFor = reason;
        boolean claimed;
        try {
            startOwner = Scheduler.carrier();
            readRunningMsCpu();
            stopHeld(reason, giveUp, steps);
            claimed = disarmHandOff();
        } catch (Throwable t) {
            if (disarmHandOff()) {
                // Claimed before this thread failed (a fault hook, a diagnostic): the claimant
                // restarts the world; the error is the caller's once it has.
                awaitHandOffDone();
                worldLock.unlock();
                Throwable f = handOffFailure;
                handOffFailure = null;
                if (f != null && f != t) {
                    t.addSuppressed(f);
                }
                throw t;
            }
            abandon(t);
            throw t;
        }
        Throwable failure;
        if (claimed) {
            awaitHandOffDone();
            failure = handOffFailure;
            handOffFailure = null;
        } else {
            failure = runSteps(steps);
        }
        if (worldLock.isHeldByCarrier()) {
            worldLock.unlock();          // a claimant's start leaves it held (see startOwner)
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        } else if (failure instanceof Error e) {
            throw e;
        } else if (failure != null) {
            throw new IllegalStateException("the stopped steps of \"" + reason + "\" failed", failure);
        }
    }

    /** stopAndRun's requests so far (world lock holder writes): which stop an M's {@link M#cpuBeforeStop} was read for. */
    private long handOffRequests;
    /**
     * Whether the last claimant's clock was read before its stop's request (the claim writes it
     * under the sched lock; {@link #describeLastStop} says which). False when the P it stopped
     * changed hands after the read, e.g. its goroutine yielded at a preemption and another M took
     * it up before the request: that M's steps count their CPU from its own read at its stop, so
     * CPU it spent before (on its way to the stop) is not the pause's.
     */
    private volatile boolean handOffRunnerCpuRead;

    /**
     * World lock held, before stopAndRun's request, the world running: reads the thread CPU clock
     * of the M of each running P (another thread's clock: CpuClock.threadCpuNanosOf), so that the
     * M that stops the last P and runs the steps can count their CPU from there
     * ({@link Scheduler#cpuReadBeforeStopRequest}) instead of reading its own clock inside the
     * pause: that read lets Linux switch a thread whose slice is spent out at once, on the way back
     * from the call (docs/performance.md, session 27, gate27), and this M holds the only CPU the
     * steps run on. Here the read costs nothing: no pause yet (a collector's pause starts at the
     * request, {@link #stopRequestNanos}, after these reads; before session 29 it began before
     * them and they were timed as its "stop" step). A P that changes hands meanwhile
     * leaves its new M without a read for this stop (it then reads at its stop, as before). The
     * P list is stable under the world lock (procresize holds it); P.m and the status are read
     * without the sched lock, as hints.
     */
    private void readRunningMsCpu() {
        long request = ++handOffRequests;
        if (!READ_CPU_BEFORE_REQUEST || s.readers.closed()) {
            return;
        }
        Thread self = Scheduler.carrier();
        for (P p : s.allp) {
            M mp = p.m;
            int tid;
            if (mp == null || mp == self || p.status() != PStatus.RUNNING || (tid = mp.tid) == 0) {
                continue;
            }
            long cpu = dev.gort.sys.CpuClock.threadCpuNanosOf(tid);
            if (cpu != 0) {
                mp.cpuBeforeStop = cpu;
                mp.cpuBeforeStopFor = request;
            }
            Runnable hook = cpuReadHookForTest;
            if (hook != null) {
                hook.run();
            }
        }
    }

    /**
     * Tests: run by the stopper after each of {@link #readRunningMsCpu}'s reads of another M's
     * clock (world lock held, before the request): a read made slow, or its instant recorded.
     */
    volatile Runnable cpuReadHookForTest;

    /**
     * {@code -Dgort.sched.stop.cpubefore=true|false} (default true): {@link #readRunningMsCpu}
     * (false: no read before the request; the claimant reads its clock at its stop, as before
     * session 28). A value other than true or false is refused with a warning and the default kept.
     */
    static final boolean READ_CPU_BEFORE_REQUEST = dev.gort.sys.TuningProperty.flag("gort.sched.stop.cpubefore", true);

    /**
     * On the claimant of the current stopAndRun, inside its steps: its CPU clock as read before the
     * request ({@link #readRunningMsCpu}), or 0 (another thread, no read for this stop).
     */
    long cpuReadBeforeRequest(Thread t) {
        if (t instanceof M mp && mp == handOffRunner && mp.cpuBeforeStopFor == handOffRequests) {
            return mp.cpuBeforeStop;
        }
        return 0;
    }

    /**
     * Takes {@link #worldLock} (held by another stop, e.g. a GOMAXPROCS change, for its whole
     * pause). A caller raised to SCHED_FIFO ({@link dev.gort.sys.RealtimeBoost#currentThreadRaised}:
     * the collector's coordinator with the opt-in real-time stop) tries it and parks between tries
     * as {@link RtLock} does. That path was made for the ReentrantLock this lock was until session
     * 36, whose acquire spun without parking while a neighbouring node was half-linked (a real-time
     * thread spinning there kept a preempted normal thread on its CPU from the step it waited for:
     * docs/performance.md, session 12 "pinv"); CarrierLock's waits park without spinning, but the
     * raised path is kept as it was measured. Other callers park in the lock until its release.
     * A stop by the thread that holds the lock already (the lock is not reentrant: it would wait
     * for the Ps its own stop holds) is refused naming both stops; {@code call} and {@code reason}
     * name the refused one.
     */
    private void lockWorld(String call, String reason) {
        if (worldLock.isHeldByCarrier()) {
            throw secondStopRefused(call + "(\"" + reason + "\")");
        }
        if (worldLock.tryLock()) {
            return;
        }
        if (Scheduler.carrier() instanceof M mp && mp.curg != null && mp.p != null) {
            lockWorldOnGoroutine();
            return;
        }
        if (!dev.gort.sys.RealtimeBoost.currentThreadRaised()) {
            worldLock.lock();
            return;
        }
        long park = dev.gort.sys.RealtimeBoost.PARK_FIRST_NANOS;
        while (!worldLock.tryLock()) {
            park = dev.gort.sys.RealtimeBoost.parkRaised(park);
        }
    }

    /**
     * {@link #lockWorld} on a goroutine that holds a P, the lock held by another: it waits for the
     * lock's release inside a syscall, so its P is taken by the holder's stop like any P in a
     * syscall (waiting inside the lock it stayed running, and that stop waited for it forever:
     * WorldLockGoroutineWaitTest), and tries again once the syscall returned, on whichever M it then
     * runs: taken inside the syscall, the lock would belong to an M the goroutine may leave at the
     * syscall's exit. Go's stopTheWorld waits for worldsema as a parked goroutine.
     */
    private void lockWorldOnGoroutine() {
        do {
            try {
                Go.syscall(awaitWorldLockFree);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);    // unreachable: awaitFree throws no checked exception
            }
        } while (!worldLock.tryLock());
    }

    /**
     * The refusal of {@code call} (a stop or a GOMAXPROCS change) by the thread whose stop holds
     * the world; the world stays stopped by that stop.
     */
    IllegalStateException secondStopRefused(String call) {
        return new IllegalStateException(call + " while this thread's stop \"" + heldFor
                + "\" holds the world; accepted: startTheWorld first");
    }

    /** Whether the calling thread's stop holds the world (its lock). */
    boolean heldByCarrier() {
        return worldLock.isHeldByCarrier();
    }

    /** {@link #lockWorldOnGoroutine}'s syscall, made once (no allocation on the wait). */
    private final java.util.concurrent.Callable<Void> awaitWorldLockFree = () -> {
        worldLock.awaitFree();
        return null;
    };

    /**
     * Shutdown: takes the world lock (waiting at most {@code timeoutNanos} for a stop in progress
     * to end) so that the P blocks are freed between stops; true if taken.
     */
    boolean lockWorldForShutdown(long timeoutNanos) {
        try {
            if (!worldLock.tryLock(timeoutNanos)) {
                return false;
            }
            heldFor = "the scheduler's shutdown";
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void unlockWorldForShutdown() {
        worldLock.unlock();
    }

    /** An unlocked look: whether an M claimed the current stop's steps (a hint, for StopHolders' passes). */
    boolean handOffClaimedHint() {
        return handOffClaimed;
    }

    /** Stopper: no claim from now on; true if an M claimed the current steps already (sched lock). */
    private boolean disarmHandOff() {
        s.lock.lock();
        try {
            handOffSteps = null;
            return handOffClaimed;
        } finally {
            s.lock.unlock();
        }
    }

    /** Stopper, after a claim: until the claimant has run the steps (it wakes the note when done). */
    private void awaitHandOffDone() {
        while (!handOffDone) {
            stopNote.sleep(REPREEMPT_MAX_NANOS);    // a bound, not a poll: the claimant wakes it
        }
    }

    /**
     * Runs the stopped steps on this thread (the stopper or the claimant, {@link #startOwner});
     * returns their failure, after restarting the world if they left it stopped. The thread's
     * interrupt flag is cleared for them and set again after: a goroutine's interrupt of its carrier,
     * or the stopper's own, must not end a wait inside the steps early.
     */
    private Throwable runSteps(Runnable steps) {
        boolean interrupted = Thread.interrupted();
        Throwable failure = null;
        try {
            steps.run();
            if (startOwner == Scheduler.carrier()) {
                throw new IllegalStateException("the stopped steps returned without startTheWorld (accepted: steps that end by"
                        + " restarting the world); the world was restarted for them");
            }
        } catch (Throwable t) {
            failure = t;
            if (startOwner == Scheduler.carrier()) {
                try {
                    startOwner = null;     // still set: the steps did not restart the world, which must not stay stopped
                    startHeld();
                } catch (Throwable u) {
                    if (u != t) {
                        t.addSuppressed(u);
                    }
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return failure;
    }

    /**
     * Sched lock held, {@code pp} (mp's, released) the last P to stop: claims the current stop's
     * steps if there are any. mp keeps pp, stopped (as a goroutine stopper keeps its own): the
     * restart runs it again and mp goes on with its goroutines. Returns the steps if claimed (the
     * caller then calls {@link #runClaimed} after unlocking), else null.
     */
    Runnable claimLocked(M mp, P pp) {
        Runnable steps = handOffSteps;
        if (steps == null || handOffClaimed) {
            return null;
        }
        // The times under the lock: the stopper reads them once it saw the claim under it.
        long now = System.nanoTime();
        lastPStoppedNanos = now;
        handOffClaimNanos = now;
        handOffClaimed = true;
        handOffRunner = mp;
        startOwner = mp;
        mp.p = pp;
        pp.m = mp;
        stopsHandedOff++;
        handOffRunnerCpuRead = mp.cpuBeforeStopFor == handOffRequests;
        return steps;
    }

    /** The claimant, sched lock free: runs the steps it claimed (they restart the world), then wakes the stopper. */
    void runClaimed(P pp, Runnable steps, int how) {
        if (StopLastP.ON) {
            lastTrace.lastStopped(pp, how);
        }
        handOffFailure = runSteps(steps);
        handOffDone = true;
        stopNote.wakeup();
    }

    long stopsHandedOffForTest() {
        return stopsHandedOff;
    }

    /** The thread that ran the last stopAndRun's steps, if an M did (null: the stopper). */
    Thread lastHandOffRunner() {
        return handOffRunner;
    }

    /**
     * A stop that cannot finish: restarts what it stopped ({@link #start} treats the Ps still
     * running as it treats the caller's: they go on) and releases the world lock. An M that saw
     * the flag before the restart and has not given its P yet keeps it ({@link #gcstopm} looks at
     * the flag again under the sched lock). A failure of the restart is added to {@code cause}.
     */
    private void abandon(Throwable cause) {
        try {
            if (startOwner == Scheduler.carrier()) {
                start();
            }
        } catch (Throwable t) {
            if (t != cause) {
                cause.addSuppressed(t);
            }
        } finally {
            if (worldLock.isHeldByCarrier()) {
                worldLock.unlock();
            }
        }
    }

    /**
     * Tests: called at the stop's fault points ("request": flag raised, sched lock free; "wait":
     * each timed turn of the wait; "stopped": every P stopped, before the return; "release": the
     * restart, sched lock held, after each stopped P it released; "start": the restart, Ps
     * released, before Ms are started for them); whatever it throws must leave the world running.
     */
    volatile java.util.function.Consumer<String> faultForTest;

    private void fault(String where) {
        java.util.function.Consumer<String> f = faultForTest;
        if (f != null) {
            f.accept(where);
        }
    }

    private void stopHeld(String reason, java.util.function.BooleanSupplier giveUp, Runnable steps) {
        if (s.readers.closed()) {
            return;     // the scheduler ended and freed its P blocks (Shutdown, under this lock): nothing to stop
        }
        stopRequestNanos = System.nanoTime();
        stopDumped = false;
        stopPasses = 0;
        if (StopHolders.ON) {
            holders.reset();
        }
        lastPStoppedNanos = 0;
        stopSpun = false;
        if (StopLastP.ON) {
            lastTrace.reset();      // before the flag: a P may stop as soon as it is raised
        }
        Thread t = Scheduler.carrier();
        P own = t instanceof M mp && mp.sched == s ? mp.p : null;
        boolean wait;
        s.lock.lock();
        try {
            stopwait = s.gomaxprocs;
            s.gcwaiting = true;
            stopNote.clear();
            preemptall();
            if (own != null) {
                own.setStatus(PStatus.GCSTOP);
                stopwait--;
                // preemptall flagged the stopper's own goroutine too. Its flag stays (a late
                // unlocked preempt, sysmon's, could set it again after any clear here): the
                // stopper's polls pass while it holds the stop (Go.poll, Go.safepoint:
                // Scheduler.stopperIs, Go's preemptoff) and it yields at its first poll after the
                // restart, as Go's releasem makes it.
            }
            for (P p : s.allp) {
                if (p.status() == PStatus.SYSCALL && p.casStatus(PStatus.SYSCALL, PStatus.GCSTOP)) {
                    stopwait--;
                }
            }
            P p;
            while ((p = s.pidleget()) != null) {
                p.setStatus(PStatus.GCSTOP);
                stopwait--;
            }
            // A P handed to an M that has not taken it yet is not stopped here but from the first
            // timed pass on (stopHandedLocked), or, in any stop, by the M that stops the last
            // P but those (gcstopm, flake35; hand-off stops only before): an M woken a moment
            // ago takes it and stops it at its first look within microseconds, and stopped here it would never run the M's side of
            // a stop (back-to-back stops, such as StopPathWarmup's, then left gcstopm and stopm
            // uncompiled: StopPathWarmupTest).
            wait = stopwait > 0;
            // Armed only if some P is still to stop: otherwise this thread runs the steps.
            handOffSteps = wait ? steps : null;
            handOffClaimed = false;
            handOffDone = false;
            handOffRunner = null;
        } finally {
            s.lock.unlock();
        }
        if (StopLastP.ON && wait) {
            lastTrace.atRequest(s);
        }
        fault("request");
        if (wait && stopSpinNanos > 0 && !dev.gort.sys.RealtimeBoost.currentThreadRaised()) {
            // Spin first if asked (see STOP_SPIN_NANOS): a running goroutine reaches its safepoint
            // in microseconds, and the last M's wake-up then finds this thread runnable instead of
            // asleep. The note is only a hint here as below: the loop checks stopwait under the lock.
            // Never at SCHED_FIFO: its yields would keep the goroutine it waits for off this CPU,
            // and a real-time stopper is woken at once anyway.
            long deadline = System.nanoTime() + stopSpinNanos;
            do {
                Thread.yield();
                if (stopNote.isSet()) {
                    stopSpun = true;
                    break;
                }
            } while (System.nanoTime() - deadline < 0 && !s.exiting);
        }
        long backoff = REPREEMPT_FIRST_NANOS;
        boolean claimed = false;
        while (wait && !s.exiting) {
            // A wakeup is a hint, checked under the lock: the last M wakes the note after unlocking,
            // so a wakeup meant for an earlier stop whose stopper saw stopwait == 0 by itself can
            // arrive during this one.
            // When this pass is due (stop trace only: StopHolders.timedPass tells a late first pass).
            long passDue = StopHolders.ON ? System.nanoTime() + backoff : 0;
            boolean woken = stopNote.sleep(backoff);
            if (!woken && steps != null && handOffClaimed) {
                // Claimed while this thread slept: the world is the claimant's now (maybe running
                // again), so no re-preempt pass; the loop ends on stopwait 0 below.
            } else if (!woken) {
                fault("wait");
                // Disarmed before giving up, so no M claims the steps of a stop that is abandoned;
                // one that claimed them already ends this stop itself (the loop sees stopwait 0).
                if (giveUp != null && giveUp.getAsBoolean() && !(steps != null && disarmHandOff())) {
                    throw new StopGivenUpException(String.format(java.util.Locale.ROOT,
                            "stopTheWorld(\"%s\") given up by its caller after %.3f ms, %d P(s) not stopped; the world runs again",
                            reason, (System.nanoTime() - stopRequestNanos) / 1e6, stopwait));
                }
                // Re-preempt (a goroutine that started after the first pass), backing off: the
                // preempt flags stay set and the last M wakes this note, so a timeout means a
                // mutator is still on its way or off-CPU, and every wake-up here takes a CPU slice
                // that mutator may be waiting for (2 cores: 100 us polls cost the stopper 10-17% of
                // a stop's wall time as CPU, measured). 100 us doubling to 1.6 ms, as a bound.
                preemptall();
                stopRepreempts++;
                stopPasses++;
                // Not in a stop handed off to its last M (steps != null): that M may claim the steps
                // and restart the world while this thread is still on its way here, and an M boosted
                // after the restart would run goroutines at SCHED_FIFO until the next stop's restart
                // (RealtimeStopperTest). The collector hands no stop off under the real-time stop.
                LateMBoost lb = lateBoost;
                if (lb != null && stopPasses == 1 && steps == null) {
                    stopBoost = lb;         // before the switch: whatever throws from here on, the restart lowers it
                    lb.boostRunning();      // 0.1 ms on, a raised stopper only: the Ms still running, to SCHED_FIFO
                }
                // Not once an M claimed the steps: the claim may have come while this thread was on its
                // way here from the claimed check above (a stopper late for a CPU, the very stops the
                // trace is for), and the claimant may have restarted the world, whose running Ps are
                // no holders of this stop (session 32: a trace named a goroutine running after the
                // restart). Re-read here, and again before StopHolders' second pass: a hint that
                // narrows the race to the sampling itself.
                if (StopHolders.ON && !(steps != null && handOffClaimed)) {
                    holders.timedPass(s, stopRequestNanos, passDue, steps != null ? this : null);   // never throws (a diagnostic)
                }
                backoff = Math.min(backoff * 2, REPREEMPT_MAX_NANOS);
                if (DEBUG_STOP && !stopDumped && System.nanoTime() - stopRequestNanos > 5_000_000) {
                    stopDumped = true;
                    dumpSlowStop();
                }
            }
            s.lock.lock();
            try {
                claimed = handOffClaimed;
                if (claimed) {
                    // The claimant stopped the last P and owns the stop: it may have restarted the
                    // world already, and a P that entered a syscall since is not this stop's to take
                    // (taken here it stayed GCSTOP after the restart, and the next stop waited for it
                    // forever: seen as a hang with every P GCSTOP and stopwait 1).
                    break;
                }
                // As Go's loop does: a P that entered a syscall after the first pass is taken now.
                boolean waited = stopwait > 0;
                for (P sp : s.allp) {
                    if (sp.status() == PStatus.SYSCALL && sp.casStatus(PStatus.SYSCALL, PStatus.GCSTOP)) {
                        stopwait--;
                    }
                }
                // And a P handed to an M that has still not taken it (its M late for a CPU).
                stopwait -= stopHandedLocked();
                wait = stopwait > 0;
                if (waited && !wait && lastPStoppedNanos == 0) {
                    lastPStoppedNanos = System.nanoTime();     // this pass stopped the last P itself
                }
                if (wait && woken) {
                    stopNote.clear();       // stale (see above); the real last wakeup follows a later decrement
                }
            } finally {
                s.lock.unlock();
            }
        }
        if (wait) {
            // Left because the scheduler exits, with Ps still running: their Ms run their
            // goroutines on to their way out, so none of them stays real-time meanwhile (a caller
            // that gives up on the stop may never restart it; a restart later lowers nothing twice).
            lowerStopBoost();
        }
        if (claimed) {
            // The claimant runs the steps and the restart (this thread's stwReason write could
            // land after its start cleared it); the stop was "seen" at its claim.
            stopSeenNanos = handOffClaimNanos;
        } else {
            stwReason = reason;
            stopSeenNanos = System.nanoTime();
        }
        if (StopLastP.ON && lastPStoppedNanos != 0) {
            lastTrace.atSeen();
        }
        fault("stopped");
    }

    /**
     * Stopper (the stop's or a claimant's restart, which in a handed-off stop finds nothing
     * boosted): every M the current stop boosted back to its own attributes. Never throws.
     */
    private void lowerStopBoost() {
        LateMBoost lb = stopBoost;
        if (lb != null) {
            stopBoost = null;
            lb.lowerAll();
        }
    }

    /**
     * Sched lock held, at a timed pass of a stop, or in {@link #gcstopm} of an M that stopped its
     * own P while others are left (any stop not yet claimed): stops every P that startm handed to an M which has still not taken it
     * ({@link P#stopHanded}); returns how many. Such an M was woken (or
     * created) 0.1 ms or more ago and may wait milliseconds for a CPU on a loaded machine; Go's
     * stopTheWorld waits for it (its P is neither idle nor in a syscall), which was the pause's
     * whole wait when it was the last P ("no M, P status 0" in the stop's trace). Nothing runs on
     * the P until the M takes it, so the stopper may stop it in its place; the M, when it runs,
     * finds it gone and parks again.
     */
    private int stopHandedLocked() {
        // No P handed (the count, read under the sched lock that every handTo holds, is never
        // low): no scan. In a hand-off stop every M that stops a non-last P comes here, so the
        // scan of allp was O(P) per M, O(P^2) per stop, under the lock (review34b's finding 3).
        if (!stopHandedPs || s.handedPs.get() == 0) {
            return 0;
        }
        int n = 0;
        for (P p : s.allp) {
            if (p.stopHanded()) {
                n++;
                handedStopped++;
            }
        }
        return n;
    }

    /** Whether timed passes stop handed Ps ({@link #stopHandedLocked}); false during StopPathWarmup's pairs. */
    volatile boolean stopHandedPs = true;

    /** Ps stopped by {@link #stopHandedLocked} (sched lock holder writes; tests read). */
    private volatile long handedStopped;

    long handedStoppedForTest() {
        return handedStopped;
    }

    private void preemptall() {
        for (P p : s.allp) {
            s.preempt(p.id);
        }
    }

    private void dumpSlowStop() {
        StringBuilder b = new StringBuilder("stop slow: ")
                .append(String.format(java.util.Locale.ROOT, "%.3f ms after the request;", (System.nanoTime() - stopRequestNanos) / 1e6));
        for (P p : s.allp) {
            M pm = p.m;
            b.append(" P").append(p.id).append(' ').append(p.status()).append(" m=").append(pm == null ? -1 : pm.mid)
                    .append(" runq=").append(RunQueue.isEmpty(p.base) ? 0 : 1);
        }
        b.append(" stopwait=").append(stopwait).append(" claimed=").append(handOffClaimed).append(" steps=").append(handOffSteps != null);
        for (M m : s.allmSnapshot()) {
            // Each racing field once (the Ms run meanwhile): a null check and a second read could
            // see a P or goroutine go, and this dump runs inside the stop's wait, which must not throw.
            P mp = m.p;
            P nextp = m.nextp;
            P oldp = m.oldp;
            G curg = m.curg;
            b.append("\n  M").append(m.mid).append(" p=").append(mp == null ? -1 : mp.id).append(" nextp=")
                    .append(nextp == null ? -1 : nextp.id).append(" oldp=").append(oldp == null ? -1 : oldp.id)
                    .append(" curg=").append(curg == null ? -1 : curg.goid()).append(" blocked=").append(m.blocked)
                    .append(" spinning=").append(m.spinning);
        }
        b.append('\n');
        for (java.util.Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (!e.getKey().getName().startsWith("gort")) {
                continue;
            }
            b.append("  ").append(e.getKey().getName()).append(' ').append(e.getKey().getState()).append('\n');
            StackTraceElement[] st = e.getValue();
            for (int i = 0; i < Math.min(st.length, 12); i++) {
                b.append("      at ").append(st[i]).append('\n');
            }
        }
        System.err.print(b);
    }

    /**
     * Sched lock held: {@code pp}, whose status the caller set to GCSTOP, counts as stopped. True
     * if it was the last; the caller then calls {@link #lastPStopped} after unlocking.
     */
    boolean pStoppedLocked() {
        return --stopwait == 0;
    }

    /**
     * By whoever made stopwait reach 0 by stopping {@code pp}, after unlocking: records when (and,
     * under {@link StopLastP#ON}, how: a {@code StopLastP.BY_*}), then wakes the stopper.
     */
    void lastPStopped(P pp, int how) {
        if (StopLastP.ON) {
            lastTrace.lastStopped(pp, how);
        }
        lastPStoppedNanos = System.nanoTime();
        stopNote.wakeup();
    }

    /**
     * Tests: run by {@link #gcstopm} between the M's look at gcwaiting and its sched lock, the
     * window in which an abandoned stop can restart the world (GcstopmRecheckTest).
     */
    volatile Runnable gcstopmDelayForTest;

    /** On g0: mp gives its P to the pending stop-the-world and parks (Go's gcstopm). */
    void gcstopm(M mp) {
        if (mp.spinning) {
            mp.spinning = false;
            s.nmspinning.decrementAndGet();
        }
        P pp = s.releasep(mp);
        Runnable delay = gcstopmDelayForTest;
        if (delay != null) {
            delay.run();
        }
        s.lock.lock();
        if (!s.gcwaiting) {
            // The stop was abandoned (its stopper failed and restarted the world) after this M's
            // look at the flag: a P stopped now would never be started again. Keep it.
            s.lock.unlock();
            s.acquirep(mp, pp);
            return;
        }
        pp.setStatus(PStatus.GCSTOP);
        boolean last = pStoppedLocked();
        int how = StopLastP.BY_GCSTOPM;
        if (!last && !handOffClaimed) {
            // The Ps still to stop may be handed to Ms that have not taken them (woken, but no
            // CPU yet: one goroutine's yield wakes an M for an idle P, Go's goschedImpl). The
            // stopper's timed pass would stop them in those Ms' place (stopHandedLocked) and then
            // run a hand-off stop's steps itself, late: its pass comes 0.1 ms
            // after the request at best, 1-2 ms at load, and it must be woken onto a CPU, the
            // very wait the hand-off keeps out of the pause (session 34: SchedStopHandOffTest's
            // "ran on the coordinator" failures, last P stopped by that pass at 0.27-2.2 ms).
            // This M is on a CPU and holds the sched lock: it stops them here, as that pass
            // would, and if that was the rest it claims the steps, or in a plain stop wakes the
            // stopper (flake35: before, a plain stop waited for that pass). StopPathWarmup's pairs
            // keep handed Ps for their Ms (stopHandedPs), as at the timed pass.
            int handed = stopHandedLocked();
            if (handed > 0) {
                stopwait -= handed;
                last = stopwait == 0;
                how = StopLastP.BY_GCSTOPM_HANDED;
            }
        }
        Runnable steps = last ? claimLocked(mp, pp) : null;
        s.lock.unlock();
        if (steps != null) {
            runClaimed(pp, steps, how);      // on g0, holding nothing: the world runs again after, and mp keeps pp
            return;
        }
        // Wake the stopper only after unlocking: the woken stopper tends to take this M's CPU at
        // once (2 cores), and an M preempted inside the sched lock made the stopper's
        // start wait for the lock for the whole pause plus milliseconds (measured: the
        // "start" step of collector pauses, 0.4-7 ms at load, owner an M in gcstopm).
        if (last) {
            lastPStopped(pp, how);
        }
        s.stopm(mp);
    }

    /**
     * After a stop-the-world (diagnostics, allocates): when the last P stopped and when the stopper
     * saw it, relative to the request, whether it saw it spinning or woken, and the re-preempt
     * passes of this stop and of all stops so far; e.g. {@code "last P stopped at 0.041 ms; stopper saw it at
     * 0.043 ms, spinning (re-preempt passes 0, 12 so far)"}; a stop handed off names the M that ran
     * its steps and whether that M's CPU clock was read before the request ({@link #handOffRunnerCpuRead}).
     * Under {@link StopHolders#ON} a stop
     * that made timed passes also names what ran on the Ps it waited for ({@link StopHolders#describe}).
     */
    String describeLastStop() {
        long req = stopRequestNanos;
        long last = lastPStoppedNanos;
        long seen = stopSeenNanos;
        String lastPart = last == 0 ? "no P had to stop" : String.format(java.util.Locale.ROOT, "last P stopped at %.3f ms", (last - req) / 1e6);
        String held = (StopHolders.ON ? holders.describe() : "") + (StopLastP.ON && last != 0 ? lastTrace.describe(last - req) : "");
        M runner = handOffRunner;
        if (runner != null) {
            return String.format(java.util.Locale.ROOT, "%s; M%d ran the stopped steps from %.3f ms (hand-off) (its CPU %s before the request) (re-preempt passes %d, %d so far)%s",
                    lastPart, runner.mid, (seen - req) / 1e6, handOffRunnerCpuRead ? "read" : "not read", stopPasses, stopRepreempts, held);
        }
        return String.format(java.util.Locale.ROOT, "%s; stopper saw it at %.3f ms, %s (re-preempt passes %d, %d so far)%s",
                lastPart, (seen - req) / 1e6, last == 0 ? "at once" : stopSpun ? "spinning" : "woken", stopPasses, stopRepreempts, held);
    }

    /**
     * Restarts the world stopped by {@link #stop}; must be called by the same thread. Whatever
     * throws inside it (the restart's own work, an M that cannot be made), the world lock and the
     * sched lock are released, no P stays stopped and every goroutine of a stopped P is on some
     * run queue an M can reach; the error reaches the caller.
     */
    void start() {
        if (startOwner != Scheduler.carrier()) {
            throw new IllegalStateException("startTheWorld without stopTheWorld on this thread");
        }
        startOwner = null;
        try {
            startHeld();
        } finally {
            if (worldLock.isHeldByCarrier()) {
                worldLock.unlock();      // the stopper's; a claimant's start leaves it to the stopper (stopAndRun)
            }
        }
    }

    private void startHeld() {
        lowerStopBoost();           // before any P is released: no goroutine runs real-time after the pause (never throws)
        if (s.readers.closed()) {
            return;     // the scheduler ended and freed its P blocks (see stopHeld): nothing to release
        }
        Thread t = Scheduler.carrier();
        P own = t instanceof M mp && mp.sched == s ? mp.p : null;
        // allp changes only under a stop, by this thread (procresize), so it is read here before
        // the sched lock, and the list grown before it: nothing allocates under that lock.
        P[] allp = s.allp;
        if (restartPs.length < allp.length) {
            restartPs = new P[allp.length];          // only after a GOMAXPROCS growth
        }
        int nstart = 0;
        M waiters = null;
        s.lock.lock();
        try {
            s.gcwaiting = false;
            worldStartedNanos = System.nanoTime();     // the release; waking Ms follows
            stwReason = null;
            waiters = takeStwWaiters();
            for (P p : allp) {
                if (p == own) {
                    p.setStatus(PStatus.RUNNING);
                } else if (p.status() == PStatus.GCSTOP) {
                    if (RunQueue.isEmpty(p.base)) {
                        s.pidleput(p);
                    } else {
                        p.setStatus(PStatus.IDLE);
                        restartPs[nstart++] = p;     // no Java allocation inside the pause
                    }
                    fault("release");
                }
            }
        } catch (Throwable failure) {
            // Sched lock still held, gcwaiting already false: the Ps this loop did not reach
            // would stay GCSTOP, run by no M and taken by no later stop. They go idle as a
            // failed hand-off's do (below); the ones it reached are idle or in restartPs.
            try {
                if (own != null) {
                    own.setStatus(PStatus.RUNNING);      // the caller's M goes on with it
                }
                for (P p : allp) {
                    if (p != own && p.status() == PStatus.GCSTOP) {
                        idleWithGoroutinesQueuedLocked(p);
                    }
                }
            } catch (Throwable u) {
                if (u != failure) {
                    failure.addSuppressed(u);
                }
            } finally {
                s.lock.unlock();
            }
            afterFailedStart(waiters, 0, nstart, failure);
            throw failure;
        }
        s.lock.unlock();
        int started = 0;
        try {
            wakeStwWaiters(waiters);
            waiters = null;
            fault("start");
            for (; started < nstart; started++) {
                P p = restartPs[started];
                restartPs[started] = null;
                s.startm(p, false);      // a startm that throws gives its P back itself (MPool)
            }
            s.wakep();
            s.retaker.wakeIfIdle();      // it sleeps while the world is stopped (see SyscallRetaker)
        } catch (Throwable failure) {
            afterFailedStart(waiters, started, nstart, failure);
            throw failure;
        }
    }

    /**
     * A restart that failed (sched lock not held): the Ps in {@code restartPs[from, to)} not yet
     * started go idle with their goroutines queued globally, Ms waiting for the start are woken
     * (null: none, or woken already), an M is asked for the queued goroutines and the retaker woken.
     * Failures here are added to {@code failure}.
     */
    private void afterFailedStart(M waiters, int from, int to, Throwable failure) {
        try {
            idleUnstarted(from, to);
        } catch (Throwable u) {
            if (u != failure) {
                failure.addSuppressed(u);
            }
        }
        try {
            wakeStwWaiters(waiters);   // takeStwWaiters emptied the list: these are woken here or nowhere
        } catch (Throwable u) {
            if (u != failure) {
                failure.addSuppressed(u);
            }
        }
        try {
            s.wakep();               // an M for the goroutines moved to the global queue, if one can be had
            s.retaker.wakeIfIdle();
        } catch (Throwable u) {
            if (u != failure) {
                failure.addSuppressed(u);
            }
        }
    }

    /**
     * A restart that failed before it started an M for every P with work (an out-of-memory error
     * making a thread): the rest go on the idle list, where the next wakep or a spinning M finds
     * them, instead of staying IDLE on no list, lost to the scheduler.
     */
    private void idleUnstarted(int from, int to) {
        s.lock.lock();
        try {
            for (int i = from; i < to; i++) {
                P p = restartPs[i];
                restartPs[i] = null;
                if (p != null && p.m == null && p.status() == PStatus.IDLE) {
                    idleWithGoroutinesQueuedLocked(p);
                }
            }
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Sched lock held: {@code p}, run by no M and on no list, goes on the idle list. Its
     * goroutines go to the global run queue first (the idle list takes only empty Ps), as a
     * destroyed P's do; the CAS-taking get, since other Ms may steal from its queue meanwhile.
     */
    void idleWithGoroutinesQueuedLocked(P p) {
        boolean[] inherit = new boolean[1];
        for (long ref; (ref = RunQueue.get(p.base, inherit, true)) != 0;) {
            s.globrunqput(ref);
        }
        s.pidleput(p);
    }

    /**
     * System.nanoTime() at which the last stop was requested (the flag about to be raised: after
     * the world lock was taken and, for stopAndRun, after {@link #readRunningMsCpu}), 0 before the
     * first: where a collector's pause starts, as Go's stopTheWorldWithSema starts its clock once
     * worldsema is held.
     */
    long stopRequestNanos() {
        return stopRequestNanos;
    }

    /**
     * System.nanoTime() at which the last {@link #start} released the Ps (before it started
     * or woke Ms for them), 0 before the first: where a collector's pause ends, as Go's pauseNS.
     */
    long lastStartNanos() {
        return worldStartedNanos;
    }

    /**
     * Sched lock held (and held again on return). An M without a P that is about to change a G
     * (leaving a syscall: status, run queue) waits here while a stop-the-world is pending or in
     * effect, so a stopped world means no G moves, not only that no P runs (the collector scans
     * frames and statuses meanwhile). start or exit wakes it. Go lets exitsyscall0 queue
     * the G during a stop; here the stop's stronger promise is cheap: such Ms hold nothing.
     */
    void awaitStartLocked(M mp) {
        while (s.gcwaiting && !s.exiting) {
            mp.stwNote.clear();
            mp.stwLink = stwWaiters;
            stwWaiters = mp;
            s.lock.unlock();
            mp.stwNote.sleep();
            s.lock.lock();
        }
    }

    /** Sched lock held: detaches the waiters; wake them with {@link #wakeStwWaiters} after unlocking. */
    private M takeStwWaiters() {
        M w = stwWaiters;
        stwWaiters = null;
        return w;
    }

    private static void wakeStwWaiters(M w) {
        while (w != null) {
            M next = w.stwLink;
            w.stwLink = null;
            w.stwNote.wakeup();
            w = next;
        }
    }

    String stwReason() {
        return stwReason;
    }

    /** Ps still to stop (diagnostics: a racy read without the sched lock). */
    int stopwait() {
        return stopwait;
    }
}
