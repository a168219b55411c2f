package dev.gort.gc;

import dev.gort.sys.OwnerlessLock;

/**
 * Who asks for cycles and who waits for them: the collector's control lock {@link #ctl} and the
 * state it guards (a cycle requested, by gc() or not, running, in its tail, done, failed; GOMAXPROCS
 * changes holding cycles off), the requests (the heap trigger, sysmon, {@link Collector#gc}) and
 * the waits for a cycle's start or end. The coordinator takes the requests ({@link Coordinator});
 * the test breakpoints ({@link Stepping}) use the same lock.
 *
 * <p>{@link Collector#startPending} (a cycle requested and not started yet) stays a field of the
 * collector: the allocation fast path reads it.
 */
final class CycleControl {
    private final Collector c;
    private final World world;
    // Not a ReentrantLock: goroutines take it, and its owner check would see a stale carrier (OwnerlessLock).
    final OwnerlessLock ctl = new OwnerlessLock();
    /** The lock is its own condition: signalled on every change of the state below. */
    final OwnerlessLock ctlChanged = ctl;
    /**
     * Written under ctl; volatile for the stop path's warm-up, which reads it without the lock to
     * end at once when a cycle is asked for (gc() and runTo set this flag, not startPending).
     */
    volatile boolean cycleRequested;
    /**
     * The pending request was made by {@link Collector#gc} (Go's runtime.GC, gcTriggerCycle): its
     * cycle is user-forced ({@link GcTrigger#USER}), whatever else joined it. Guarded by ctl.
     */
    boolean userRequested;
    /**
     * The triggers behind the pending request ({@link #TRIGGER_HEAP}, {@link #TRIGGER_TIME}; 0 when
     * none is pending or only a caller that names the cycle asked, see {@link #requestAwaited}).
     * Go's gcStart re-tests its trigger under the start lock and returns without a cycle when it
     * no longer holds; the coordinator does the same before it takes a request
     * ({@link #dropRequestIfTriggerGoneLocked}). Guarded by ctl.
     */
    int pendingTriggers;
    /** Go's gcTriggerHeap: heapLive reached the armed trigger (the allocation's request). */
    static final int TRIGGER_HEAP = 1;
    /** Go's gcTriggerTime: sysmon's forced GC after its period with no cycle. */
    static final int TRIGGER_TIME = 2;
    /** Requests dropped because their trigger no longer held before the cycle started (guarded by ctl; tests, diagnostics). */
    long requestsDropped;
    /**
     * {@link #cyclesDone} when sysmon's time request last joined the pending request (guarded by
     * ctl). Go's gcTriggerTime holds while {@code t.now - lastgc > forcegcperiod}, with t.now fixed
     * at the request; sysmon tested that before it asked, so it stops holding exactly when a cycle
     * ends after the request (lastgc moves past it). A request made in a cycle's tail is so
     * satisfied by that cycle's end and dropped, not run as a second cycle right after it.
     */
    long timeRequestAtCycles;
    /**
     * Cycles started for sysmon's time request (its trigger still held at the start; guarded by ctl
     * for writes, volatile for sysmon's reads): what sysmon counts as forced GCs, rather than its
     * accepted requests, some of which are dropped before they start.
     */
    volatile long timeTriggeredStarts;
    /**
     * The pending request includes a time request that was accepted, that is sysmon was told true
     * (guarded by ctl). One that only joined a request already pending (gc()'s: it sets no
     * startPending, so sysmon's call gets past the fast path) was told false, "nothing forced": it
     * still keeps the start from being dropped, but the start is not counted as sysmon's (review30).
     */
    private boolean timeRequestAccepted;
    boolean cycleRunning;        // guarded by ctl
    long cyclesDone;             // guarded by ctl
    Throwable cycleFailure;      // guarded by ctl: a failed cycle (bad pointer, checkmark)
    /** GOMAXPROCS changes in progress: no cycle starts while > 0 (Go's GOMAXPROCS holds gcsema). Guarded by ctl. */
    int resizeHolds;
    /**
     * The requested cycle has a caller waiting for it that asked for it by name ({@link #awaitNewCycle}:
     * gc(); {@link Stepping#runTo}): the pause path's warm-up before the first cycle gives way to it
     * at once ({@link Coordinator#firstCycleWarmUpMayGoOn}). Written under ctl (set with
     * cycleRequested, cleared when the coordinator takes the request); volatile for that warm-up,
     * which reads it without the lock.
     */
    volatile boolean requestAwaited;
    /**
     * System.nanoTime() when {@link #cycleRequested} last turned true (under ctl; volatile for the
     * warm-up, as above): how long a request the warm-up holds has been owed.
     */
    volatile long requestedAtNanos;

    /** Sets {@link #cycleRequested}, with ctl held, and when it was not set, when it was asked for. */
    void markRequestedLocked() {
        if (!cycleRequested) {
            requestedAtNanos = System.nanoTime();
            cycleRequested = true;
        }
    }

    /** The running cycle has passed mark termination (phase OFF again); cleared when the next one starts. */
    volatile boolean cycleTail;
    /** Allocations waiting for the cycle start are to be woken at the next restart (coordinator only). */
    private boolean wakeStartWaiters;
    volatile long lastCycleEndNanos;

    CycleControl(Collector c) {
        this.c = c;
        this.world = c.world;
        Boolean forced = triggerGivesP;
        // Under the scheduler only with sweep termination's hand-off (see triggerGivesP).
        this.givesP = forced != null ? forced : !(world instanceof SchedWorld) || Coordinator.sweepTermHandOffForNewCollectors;
    }

    /**
     * The mutator whose allocation made the pending request and has not woken the coordinator yet
     * (null: none, or the coordinator was woken). Go's allocating goroutine runs gcStart itself;
     * here the heap trigger (inside the arena's refill, where nothing may wait: the object being
     * allocated is only in a Java local) records the request without waking the coordinator, and
     * the mutator's next allocation ({@link #takeStartOwed}, before it allocates) enters
     * runBlocking (its P counts as stopped) and only then wakes it ({@link #wakeAndAwaitCycleStart}).
     * So the coordinator runs on that mutator's CPU and its stop never waits for that mutator.
     * Woken at the trigger, the coordinator preempted the very mutator that woke it (the kernel's
     * wake-up preemption), stopped the world, and then slept until that mutator got its CPU back
     * and reached its safepoint (a ThreadWorld test saw the trigger still at the refill's trigger
     * step when the stop was asked). Written under ctl; cleared in sweep termination's pause.
     */
    private volatile Mutator startOwedBy;
    /** When {@link #startOwedBy} was set (System.nanoTime()). */
    private volatile long startOwedSince;

    /**
     * How long another mutator's allocation lets an owed start wait before it wakes the
     * coordinator itself ({@link #takeStartOwed}): the owner may have stopped allocating (its
     * goroutine ended, its thread unregistered or went on without allocating).
     */
    static final long OWED_START_GRACE_NANOS = 1_000_000;

    /**
     * {@code -Dgort.gc.trigger.givesp=true|false}: whether the mutator that reaches the heap trigger
     * gives its CPU to the cycle's start ({@link #startOwedBy}) or, false, wakes the coordinator at
     * once and allocates on (the behaviour before session 16). Unset (null): over ThreadWorld yes,
     * under the scheduler when sweep termination's stopped steps are handed to the M that stops
     * the last P ({@link Coordinator#sweepTermHandOffForNewCollectors}, default on). Session 16's
     * A/B (docs/performance.md, branch gcstart): over threads binary-trees' slow pauses halved;
     * under the scheduler the other P still had to stop and the coordinator, asleep for it on the
     * CPU the trigger left idle, was woken later (the sweep termination's median +17 us, the tail
     * unchanged within noise). With the hand-off that M runs the steps on its own CPU and nobody is
     * woken (session 18, branch gworld: fewer slow sweep terminations). Read once per collector
     * (tests set it before constructing one). A value other than true or false is refused with a
     * warning and leaves each world's default.
     */
    static volatile Boolean triggerGivesP = dev.gort.sys.TuningProperty.flagOrContextDefault("gort.gc.trigger.givesp",
            "on over ThreadWorld, off under the scheduler");
    /** This collector's choice ({@link #triggerGivesP}, or its world's default). */
    private final boolean givesP;

    /**
     * The heap trigger's request, from an allocation: as {@link #requestCycle}, but if this call
     * made the request the coordinator is left asleep and the calling mutator owes the cycle its
     * start ({@link #startOwedBy}).
     */
    boolean requestCycleFromAllocation() {
        if (c.startPending || c.phase != Collector.OFF) {
            return false;               // the fast path below's: no world.current() per refill
        }
        Mutator m = givesP ? world.current() : null;    // once a cycle: the request succeeds at most once per start
        return requestCycle(false, m);
    }

    /**
     * At an allocation while a start is pending (allocChecks, before anything is allocated): true
     * once for the mutator that owes the start, which must then wait in runBlocking through
     * {@link #wakeAndAwaitCycleStart}. Another mutator finding the owed start older than
     * {@link #OWED_START_GRACE_NANOS} wakes the coordinator itself.
     */
    boolean takeStartOwed(Mutator m) {
        Mutator owner = startOwedBy;
        if (owner == null) {
            return false;
        }
        if (owner == m) {
            startOwedBy = null;          // only the owner clears it so, and only once per request
            startsOwed.incrementAndGet();
            return true;
        }
        if (System.nanoTime() - startOwedSince > OWED_START_GRACE_NANOS) {
            wakeOwedStart();
        }
        return false;
    }

    /** The owner's wait (inside runBlocking: it counts as stopped): wakes the coordinator, then waits for sweep termination. */
    void wakeAndAwaitCycleStart() {
        ctl.lock();
        try {
            ctlChanged.signalAll();
            awaitCycleStartLocked();
        } finally {
            ctl.unlock();
        }
    }

    /**
     * {@code m} leaves the world or starts a wait (ThreadWorld's hook): a start it owes is woken
     * now, since its next allocation, which would have woken it, may never come.
     */
    void mutatorPausing(Mutator m) {
        if (startOwedBy == m) {
            wakeOwedStart();
        }
    }

    /** Holds back the start of any cycle until {@link #releaseStartHold} (a GOMAXPROCS change; tests). */
    void holdStarts() {
        ctl.lock();
        try {
            resizeHolds++;
        } finally {
            ctl.unlock();
        }
    }

    /** Ends one {@link #holdStarts} (or ProcResize's hold): a request made meanwhile may start now. */
    void releaseStartHold() {
        ctl.lock();
        try {
            resizeHolds--;
            ctlChanged.signalAll();
        } finally {
            ctl.unlock();
        }
    }

    /** Wakes the coordinator for a start still owed (someone else needs the cycle now). */
    void wakeOwedStart() {
        if (startOwedBy == null) {
            return;
        }
        ctl.lock();
        try {
            wakeOwedStartLocked();
        } finally {
            ctl.unlock();
        }
    }

    /** {@link #wakeOwedStart} with ctl held. */
    void wakeOwedStartLocked() {
        if (startOwedBy != null) {
            startOwedBy = null;
            ctlChanged.signalAll();
        }
    }

    /**
     * How often the coordinator, asleep with no cycle requested, looks whether a start has been
     * owed for longer than {@link #OWED_START_GRACE_NANOS} ({@link #idleWaitNanos}). The owed
     * request does not wake it (that wake-up is what the hand-off avoids), so without a look of
     * its own an owner that computes without allocating or blocking, or whose thread ended
     * registered, would hold the start until some other thread allocated for a grace or called
     * gc(), awaitIdle or cycles(). Only where the trigger gives its CPU ({@link #givesP}): without
     * the hand-off nothing is ever owed and the coordinator sleeps until signalled, as before.
     * 100 ms: an idle coordinator polling every 10 ms took ~1 % of a CPU (98 ms of CPU and ~940
     * wake-ups in 10 s idle, at load ~12; none without the poll); at 100 ms 21 ms and 100 wake-ups, and
     * such an owner holds its start 0.1 s at most, where it held it without end.
     */
    static final long OWED_START_POLL_NANOS = 100_000_000;

    /**
     * The coordinator's idle wait, with {@link #ctl} held: how long it may sleep before it must
     * look at an owed start again (negative: until signalled). A start owed for less than the grace
     * is the owner's to hand over: the wait ends when its grace does, not before.
     */
    long idleWaitNanos() {
        if (!givesP || resizeHolds > 0) {
            return -1;      // a hold's end signals (releaseStartHold); an overdue owed start cannot start before it
        }
        if (startOwedBy != null) {
            return Math.max(1, startOwedSince + OWED_START_GRACE_NANOS - System.nanoTime());
        }
        return OWED_START_POLL_NANOS;
    }

    /**
     * Coordinator, with {@link #ctl} held, a cycle requested: whether the start is still its owner's
     * to hand over (owed for less than the grace), so the coordinator should not start it yet. A
     * coordinator woken early (by its poll, or by anything else that signals) would otherwise
     * start the cycle while its owner still runs on the CPU it is about to give.
     */
    boolean owedStartInGrace() {
        return startOwedBy != null && System.nanoTime() - startOwedSince < OWED_START_GRACE_NANOS;
    }

    /**
     * Coordinator, with {@link #ctl} held, about to start a requested cycle: a start still owed past
     * its grace is taken from its owner (counted), who then owes nothing.
     */
    void takeOverdueOwedStart() {
        if (startOwedBy != null) {
            startOwedBy = null;
            owedStartsTaken++;
        }
    }

    /** Owed starts the coordinator took after the grace, the owner not having handed them over (guarded by ctl). */
    long owedStartsTaken;

    /** Allocations that waited for a cycle's start because they had requested it (tests, diagnostics). */
    final java.util.concurrent.atomic.AtomicLong startsOwed = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Asks for a cycle (the heap trigger, or sysmon's 2-minute forced GC); returns at once: true if
     * a cycle was requested, false if one is already requested or running. A start still owed by
     * an allocation is woken now.
     */
    boolean requestCycle(boolean timeTriggered) {
        wakeOwedStart();
        return requestCycle(timeTriggered, null);
    }

    private boolean requestCycle(boolean timeTriggered, Mutator requester) {
        // Fast path without the lock: the heap trigger calls this from allocation until the cycle
        // starts, and a mutator waiting for the collector's lock cannot reach its safepoint (seen
        // holding up a stop-the-world). startPending implies cycleRequested, phase != OFF implies
        // cycleRunning: the locked check would say false too.
        if (c.startPending || c.phase != Collector.OFF) {
            return false;
        }
        ctl.lock();
        try {
            // During a cycle's tail (mark termination done, the coordinator still reporting and
            // waiting for its workers) the heap can already be past the new trigger: the request
            // counts, and allocations past the goal wait for the next cycle's start, instead of
            // running on unchecked until the tail ends (seen at load 12: 52 MiB under a 40 MiB
            // limit, the peak outside marking).
            int kind = timeTriggered ? TRIGGER_TIME : TRIGGER_HEAP;
            // Go's mallocgc and sysmon test the trigger before gcStart: GOGC may have been turned off
            // (or raised) since the arena read the trigger it armed, or since sysmon looked.
            if (timeTriggered) {
                timeRequestAtCycles = cyclesDone;   // sysmon looked at the last cycle's end just now
            }
            if (!triggerHoldsLocked(kind)) {
                return false;
            }
            if (cycleRequested) {
                pendingTriggers |= kind;        // one more reason for the pending start (not a new request)
            }
            if (!cycleRequested && (!cycleRunning || cycleTail) && !c.closed && !world.exiting()) {
                c.setStartPending(true);
                markRequestedLocked();
                pendingTriggers = kind;
                timeRequestAccepted = timeTriggered;
                if (requester != null) {
                    startOwedSince = System.nanoTime();
                    startOwedBy = requester;    // the requester wakes the coordinator from runBlocking
                } else {
                    ctlChanged.signalAll();
                }
                return true;
            }
            return false;
        } finally {
            ctl.unlock();
        }
    }

    /**
     * Go's gcTrigger.test() for the trigger kinds in {@code kinds}, with ctl held: true if any holds.
     * A heap trigger holds while heapLive is at or past the trigger the allocator has armed (GOGC's,
     * or the memory limit's: with GOGC off and a limit set it is the limit's, so it still fires);
     * a time trigger (sysmon's forced GC) holds while GOGC is on and no cycle ended since the
     * request ({@link #timeRequestAtCycles}), as Go's gcTriggerTime (sysmon tested its period).
     */
    private boolean triggerHoldsLocked(int kinds) {
        if ((kinds & TRIGGER_TIME) != 0 && timeTriggerHoldsLocked()) {
            return true;
        }
        return (kinds & TRIGGER_HEAP) != 0 && c.gcs.heapLive() >= c.gcs.trigger();
    }

    /** Go's gcTriggerTime.test() for sysmon's pending request, with ctl held: GOGC on, and no cycle ended since the request. */
    boolean timeTriggerHoldsLocked() {
        return c.pacer.gcPercent() >= 0 && cyclesDone == timeRequestAtCycles;
    }

    /**
     * Coordinator, with ctl held, taking the pending request (not dropped): what starts this cycle.
     * <ul>
     * <li>{@link GcTrigger#USER} when gc() asked for it ({@link #userRequested}), even if sysmon's
     *     time request or the heap trigger joined it. Go's runtime.GC and forcegchelper both call
     *     gcStart and the first through work.startSema decides the cycle's kind; a start still
     *     pending here is one neither has made, and gort lets gc()'s go first: its caller waits for
     *     this very cycle, and Go then has forcegchelper's gcStart find a cycle running and start
     *     nothing. So sysmon's time request, though accepted, is not counted as its forced GC.
     *     (A gc() that finds a time-triggered cycle already running waits for the next full one,
     *     as runtime.GC does: {@link #awaitNewCycle}.)</li>
     * <li>{@link GcTrigger#TIME} when sysmon's time request was accepted ({@link #timeRequestAccepted}),
     *     is among the pending triggers and still holds: counted ({@link #timeTriggeredStarts}).
     *     A time request that only joined another's pending start was told "nothing forced".</li>
     * <li>{@link GcTrigger#HEAP} otherwise: the heap trigger (GOGC's or the memory limit's), or a
     *     time request a cycle ending since satisfied while the heap trigger still holds, or the
     *     test stepping's runTo.</li>
     * </ul>
     */
    GcTrigger takeTriggerLocked() {
        boolean accepted = timeRequestAccepted;
        timeRequestAccepted = false;        // taken with the request
        if (userRequested) {
            return GcTrigger.USER;
        }
        if (!accepted || (pendingTriggers & TRIGGER_TIME) == 0 || !timeTriggerHoldsLocked()) {
            return GcTrigger.HEAP;
        }
        timeTriggeredStarts = timeTriggeredStarts + 1;     // writers hold ctl
        return GcTrigger.TIME;
    }

    /**
     * With ctl held: if a cycle is requested and not started, and what asked for it no longer holds
     * (Go's gcStart: "Re-check transition condition under transition lock"), withdraws the request
     * and returns true. A request that a caller waits for by name ({@link #requestAwaited}: gc(),
     * runTo; Go's gcTriggerCycle) always holds, as does one of unknown origin. Called by the
     * coordinator before it takes a request, and by the setters that move the trigger (GOGC, the
     * memory limit), so the allocation gate is cleared at once rather than when the coordinator
     * next gets a CPU.
     *
     * <p>Every waiter on the withdrawn start is released by the signal below: an allocation past the
     * goal or the owner of the start ({@link #awaitCycleStartLocked} waits while startPending),
     * {@link Stepping#awaitIdle} (while cycleRequested), a gc() caller (it re-requests, by name,
     * once no cycle runs). The owner that has not reached its next allocation owes nothing
     * ({@link #startOwedBy} cleared). Not after a close (startPending stays set for good: every
     * allocation is refused) or a collector failure (it stays set so allocations past the goal throw).
     */
    boolean dropRequestIfTriggerGoneLocked() {
        if (!cycleRequested || requestAwaited || pendingTriggers == 0 || triggerHoldsLocked(pendingTriggers)
                || cycleFailure != null || c.closed) {
            return false;
        }
        cycleRequested = false;
        pendingTriggers = 0;
        userRequested = false;
        timeRequestAccepted = false;
        startOwedBy = null;
        requestsDropped++;
        if (c.startPending) {
            c.setStartPending(false);       // the gate too: allocations take the fast path again
            if (c.closed) {
                c.setStartPending(true);    // a close racing us (see clearStartPending)
            }
        }
        ctlChanged.signalAll();
        return true;
    }

    /**
     * Waits for a whole new cycle (then the caller sweeps). {@code goroutine}: the caller is a
     * mutator waiting in runBlocking; at the world's exit it returns (it stops at its next
     * safepoint and never runs on). A plain thread would run on believing a collection happened:
     * it is told.
     */
    void awaitNewCycle(boolean goroutine) {
        ctl.lock();
        try {
            // A cycle already running may have missed our garbage: wait for a whole new one.
            long target = cyclesDone + (cycleRunning ? 2 : 1);
            while (cyclesDone < target) {
                checkOpen();
                if (world.exiting()) {
                    if (goroutine) {
                        return;     // no cycle will finish; the goroutine stops at its next safepoint
                    }
                    throw exitedError("gc()");
                }
                // Request only while no cycle runs: every wake-up during one (its breakpoints, a
                // spurious one) re-requested, which left a request behind that started another
                // cycle right after ours, at heapLive = the live heap (HeapBoundsTest's memory-limit
                // case: that cycle spanned the whole first churn, marked all of it black, and the
                // next goal rose to it: 47 MiB peak under a 40 MiB limit).
                if (!cycleRunning) {
                    markRequestedLocked();
                    userRequested = true;
                    requestAwaited = true;      // a caller waits for it: no warm-up holds it back
                }
                wakeOwedStartLocked();      // this caller waits for the cycle now: the owner's hand-off is not awaited
                ctlChanged.signalAll();
                ctlChanged.awaitUninterruptibly();
                rethrowFailure();
            }
        } finally {
            ctl.unlock();
        }
    }

    /**
     * Go's gcWaitOnMark(work.cycles), for GOGC turned off: if a cycle runs, waits until it ended
     * (its mark included), so no collection runs when the caller returns; none running, returns at
     * once. No cycle is requested. Returns also when the collector closed or the world exited (no
     * cycle ends then; a goroutine stops at its next safepoint).
     */
    void awaitRunningCycle(boolean goroutine) {
        ctl.lock();
        try {
            long target = cyclesDone + 1;
            while (cycleRunning && cyclesDone < target && !c.closed && !world.exiting()) {
                rethrowFailure();
                // Timed: the checks above change also where nothing signals this lock.
                ctlChanged.awaitNanos(100_000_000L);
            }
            rethrowFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the running cycle to end (GOGC off)", e);
        } finally {
            ctl.unlock();
        }
    }

    /**
     * Called with the world stopped: the flag is cleared now (no mutator runs to read it), the
     * allocations waiting for it are woken by the next restart ({@link #wakeStartWaitersIfDue}).
     * Waking them here made them runnable inside the pause: on two cores they took the CPU from
     * the coordinator and then stopped again at their safepoint (sweep termination's "setup" step
     * measured 0.5-1.1 ms wall for 0.03 ms of CPU). A waiter that checked the flag before this
     * write is in await by the time the restart signals under the lock, so none sleeps past it.
     */
    void clearStartPending() {
        startOwedBy = null;                 // the start is here: a mutator that did not get to its next allocation owes nothing
        if (c.startPending) {
            c.setStartPending(false);
            // A close racing this cycle start set the flag for good (allocation refused from then
            // on): read after the write, so either this sees closed or close's own write of the
            // flag comes after ours (both volatile).
            if (c.closed) {
                c.setStartPending(true);
            }
            wakeStartWaiters = true;
        }
    }

    /** After a restart (coordinator): wakes the allocations that waited for the cycle start, if any. */
    void wakeStartWaitersIfDue() {
        if (wakeStartWaiters) {
            wakeStartWaiters = false;
            signalAll();
        }
    }

    /** An allocation past the goal waits here for the requested cycle's sweep termination. */
    void awaitCycleStart() {
        ctl.lock();
        try {
            wakeOwedStartLocked();          // the owner has not woken the coordinator yet: this wait needs it now
            awaitCycleStartLocked();
        } finally {
            ctl.unlock();
        }
    }

    private void awaitCycleStartLocked() {
        while (c.startPending && !c.closed && cycleFailure == null && !world.exiting()) {
            ctlChanged.awaitUninterruptibly();
        }
    }

    void signalAll() {
        ctl.lock();
        try {
            ctlChanged.signalAll();
        } finally {
            ctl.unlock();
        }
    }

    long cycles() {
        ctl.lock();
        try {
            wakeOwedStartLocked();          // a caller polling the count may be waiting for the owed cycle
            return cyclesDone;
        } finally {
            ctl.unlock();
        }
    }

    void rethrowFailure() {
        if (cycleFailure != null) {
            Throwable f = cycleFailure;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("GC cycle failed", f);
        }
    }

    /** The world's scheduler has exited: its coordinator left and no cycle can stop that world again. */
    IllegalStateException exitedError(String what) {
        return new IllegalStateException(what + " on " + Thread.currentThread().getName()
                + ": the scheduler this collector runs on has exited, so no collection can run; "
                + "collect before the program's main returns");
    }

    private void checkOpen() {
        if (c.closed) {
            throw new IllegalStateException("collector is closed");
        }
        rethrowFailure();
    }
}
