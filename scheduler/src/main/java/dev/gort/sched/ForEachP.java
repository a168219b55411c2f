package dev.gort.sched;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Go's {@code forEachP} ({@link Scheduler#forEachP}): runs a function for every P at a safe point of
 * that P, exactly once each, the world running. One job: the round's state, the per-P claim, and
 * the caller's wait.
 *
 * <p>Each P carries a safe-point word ({@link P#safePointFn}): {@link #NONE}, {@link #PENDING}
 * (this round still owes it) or {@link #RUNNING} (someone claimed it and runs the function). Exactly
 * one thread moves a P from PENDING to RUNNING (a CAS), runs the function, and sets NONE before it
 * counts the P done; so each P runs it once, and never while a goroutine is mid-way on it. Who
 * runs it for a P depends on where the P is when the round starts, and on where it goes after:
 * <ul>
 * <li>Idle (on the idle list): the caller, under the sched lock, when the round starts. A P put on
 *     the idle list later runs it in {@link IdlePs#put} (sched lock held): so a P on the idle list
 *     never owes a round, and an M that takes one later runs nothing.</li>
 * <li>In a syscall: the caller takes it (CAS SYSCALL -> IDLE, as the syscall retaker does), runs
 *     the function, and hands it off ({@link IdlePs#handoffp}); its M's exitsyscall then takes the
 *     slow path. At the round's start, and again at every timed pass of the wait (a P that entered
 *     a syscall after its M looked at the word).</li>
 * <li>Running: its goroutine is asked to yield ({@link Scheduler#preempt(int)}), and the P's M runs
 *     the function on g0 at its next scheduling point ({@code execute}, the top of
 *     {@code findRunnable}), or the goroutine's M runs it at syscall entry (before the P goes to
 *     SYSCALL) or at a syscall exit that got its P back. The flag read there is the only cost a
 *     round adds to those paths (one volatile read of a word the P's M owns the cache line of).</li>
 * <li>Handed to an M that has not taken it yet, or stopped by a stop-the-world (GCSTOP): it keeps
 *     the word; the M that runs it next runs the function first, or the restart puts it on the idle
 *     list, which runs it there.</li>
 * </ul>
 *
 * <p>GOMAXPROCS changes and stops during a round: the round covers the Ps in use at its start. A
 * P destroyed by a resize mid-round runs the function in {@link ProcResize} (world stopped) before
 * the ProcResizeHooks flush its state, or, if the round started while the hooks ran, when the
 * resize publishes the new allp (its state flushed by then); Ps a growth adds are not in the
 * round (they start with empty per-P state, as a P that ran the function does). A stop-the-world mid-round only delays
 * it (a stopped P runs nothing until the restart, which puts it idle or starts an M for it). If
 * the scheduler exits, or the caller's {@code giveUp} says true at a timed pass, the round ends
 * without the Ps that have not run it: their words go back to NONE and the call returns false
 * once no P still runs the function.
 *
 * <p>Callers: one round at a time (a lock serializes callers), from a thread outside the
 * scheduler (the collector's coordinator). A goroutine caller is refused: Go's caller runs the
 * function for its own P and waits holding worldsema, so no stop can start meanwhile; here a
 * goroutine waiting would hold its P, which a stop-the-world mid-round would wait for while the
 * round waits for the stop.
 */
final class ForEachP {
    static final int NONE = 0;
    static final int PENDING = 1;
    static final int RUNNING = 2;

    /** The wait's first timed pass (Go's 100 us) and the bound its doubling reaches. */
    static final long PASS_FIRST_NANOS = 100_000;
    static final long PASS_MAX_NANOS = 1_600_000;

    private final Scheduler s;
    /** One round at a time. */
    private final ReentrantLock callers = new ReentrantLock();
    /** The current round's function (null: no round). */
    private volatile Consumer<P> fn;
    /** Ps of the current round that have not finished the function yet. */
    private final AtomicInteger remaining = new AtomicInteger();
    /** The caller sleeps here; the P that brings {@link #remaining} to 0 wakes it. */
    private final Note note = new Note();
    /** A round is under way: a cheap global look before the per-P word ({@link Scheduler#safePointFnPendingHere}). */
    volatile boolean active;
    /**
     * The current round's first throw of the function, and the P it threw on. Caught where it ran
     * (an M's scheduling loop or syscall path, IdlePs.put under the sched lock, a resize's
     * destroyP, the caller): a throw there would kill the M, or leave a P off the idle list, or the
     * round's words set. The caller rethrows it once the round ended.
     */
    private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    private volatile int failedP = -1;
    /** This round handed off a P taken from a syscall and that startm failed (the caller's, under {@link #callers}). */
    private boolean handOffFailed;

    // Counters (the round's caller writes; tests and diagnostics read).
    private volatile long rounds;
    private volatile long byCaller;
    private volatile long syscallTakes;
    private volatile long passes;

    ForEachP(Scheduler s) {
        this.s = s;
    }

    /** See {@link Scheduler#forEachP}. */
    boolean run(Consumer<P> f, BooleanSupplier giveUp) {
        if (f == null) {
            throw new IllegalArgumentException("forEachP: the function is null; accepted: a Consumer<P> run once for every P");
        }
        if (Scheduler.carrier() instanceof M mp && mp.sched == s) {
            throw new IllegalStateException("forEachP from a goroutine (or scheduler code) of this scheduler; accepted: a thread"
                    + " outside it, such as the collector's coordinator (waiting, a goroutine would hold its P from a stop-the-world)");
        }
        boolean done;
        Throwable thrown;
        int thrownOn;
        boolean retryWake;
        callers.lock();
        try {
            failure.set(null);
            handOffFailed = false;
            try {
                done = round(f, giveUp);
            } finally {
                retryWake = handOffFailed;
                handOffFailed = false;
            }
            thrown = failure.getAndSet(null);
            thrownOn = failedP;
        } finally {
            callers.unlock();
        }
        if (retryWake) {
            // A P this round took from a syscall was handed off, and that startm failed (counted):
            // the P went back idle with its goroutines queued globally, the wake-up owed to sysmon
            // and the retaker. With neither (a scheduler used alone, syscallRetake(0)) and every P
            // idle, nothing would run them while the syscall lasts. The caller holds nothing of
            // this scheduler, so it retries, as a ready from outside does (session 34). Another
            // scheduler's M does not wait here (it holds a P of its own: review32's rule). The
            // round's giveUp ends the retry too (the collector closing: its close waits for the
            // coordinator, which must not stay here; review34b's finding 1, wakefix34).
            s.retryWakeAfterFailureOffTheScheduler(giveUp);
        }
        if (thrown != null) {
            throw new IllegalStateException("forEachP: the function threw on P" + thrownOn + " (" + thrown + "); accepted: a function that"
                    + " returns normally (the round went on: every other P still ran it once)", thrown);
        }
        return done;
    }

    private boolean round(Consumer<P> f, BooleanSupplier giveUp) {
        boolean complete = false;
        s.lock.lock();
        try {
            if (s.exiting) {
                return false;
            }
            fn = f;
            P[] ps = s.allp;                 // sched lock held: the current array (see Scheduler.allp)
            remaining.set(ps.length);
            note.clear();
            for (P p : ps) {
                p.setSafePointFn(PENDING);
            }
            active = true;
            rounds++;
            for (P p : ps) {
                s.preempt(p.id);             // running Ps: their goroutines yield at the next safepoint
            }
            // Idle Ps run it here, under the lock that guards the list: none leaves it meanwhile.
            for (P p = s.idlePs.head(); p != null; p = p.link) {
                if (runFor(p)) {
                    byCaller++;
                }
            }
        } finally {
            s.lock.unlock();
        }
        try {
            takeSyscallPs();
            long pass = PASS_FIRST_NANOS;
            for (;;) {
                if (remaining.get() == 0) {
                    complete = true;
                    return true;
                }
                if (s.exiting || (giveUp != null && giveUp.getAsBoolean())) {
                    return false;
                }
                if (note.sleep(pass)) {
                    note.clear();        // maybe a late wake-up of an earlier round: the count decides
                    continue;
                }
                // A timed pass: a goroutine started on a P before the P's M looked at its word is
                // asked again, and a P that went into a syscall since the last look is taken.
                passes++;
                for (P p : s.allpPublished) {
                    if (p.safePointFn() == PENDING) {
                        s.preempt(p.id);
                    }
                }
                takeSyscallPs();
                pass = Math.min(pass * 2, PASS_MAX_NANOS);
            }
        } finally {
            end(complete);
        }
    }

    /**
     * Takes every P of this round that sits in a syscall and still owes the function (Go's
     * forEachP's CAS _Psyscall -> _Pidle), runs it, and hands the P off as the retaker does.
     */
    private void takeSyscallPs() {
        // The caller is not an M: the P blocks it CASes and writes (status, syscalltick, the run
        // queue handoffp reads) are freed by the shutdown once every M was joined, which a round
        // does not wait for. Inside the gate the shutdown's drain waits for this pass; once the
        // gate closed (or the scheduler is exiting) nothing is taken: the round ends at its next check.
        if (!s.readers.enter()) {
            return;
        }
        try {
            for (P p : s.allpPublished) {      // not an M: the volatile copy
                if (s.exiting) {
                    return;
                }
                if (p.safePointFn() == PENDING && p.status() == PStatus.SYSCALL && p.casStatus(PStatus.SYSCALL, PStatus.IDLE)) {
                    dev.gort.sys.NativeMemory.putLongRelease(p.base + PDescriptor.SYSCALLTICK,
                            dev.gort.sys.NativeMemory.getLong(p.base + PDescriptor.SYSCALLTICK) + 1);
                    if (runFor(p)) {
                        byCaller++;
                        syscallTakes++;
                    }
                    handOffFailed |= s.idlePs.handoffp(p);     // a counted startm failure: see run
                }
            }
        } finally {
            s.readers.leave();
        }
    }

    /**
     * Runs the round's function for {@code p} if it still owes it and this thread wins the claim;
     * true if it ran here. Called by the P's owner at a safe point, by the caller for idle and
     * syscall Ps, under the sched lock by {@link IdlePs#put}, by a resize for a dying P. The function
     * must be short and must not block, park or take the sched lock.
     */
    boolean runFor(P p) {
        if (!p.casSafePointFn(PENDING, RUNNING)) {
            return false;
        }
        try {
            Consumer<P> f = fn;
            if (f != null) {
                f.accept(p);
            }
        } catch (Throwable t) {
            if (failure.compareAndSet(null, t)) {
                failedP = p.id;
            }
        } finally {
            p.setSafePointFn(NONE);
            if (remaining.decrementAndGet() == 0) {
                note.wakeup();
            }
        }
        return true;
    }

    /**
     * The round ends: Ps that did not run the function (a round given up, the scheduler exiting)
     * are let off, and a function still running on some M is waited for, so nothing of this round
     * runs after the caller returns.
     */
    private void end(boolean complete) {
        if (!complete) {
            for (P p : s.allpPublished) {
                p.casSafePointFn(PENDING, NONE);
            }
            for (P p : s.allpPublished) {
                while (p.safePointFn() == RUNNING) {
                    Thread.onSpinWait();
                    Thread.yield();
                }
            }
        }
        active = false;
        fn = null;
    }

    long rounds() {
        return rounds;
    }

    /** Ps the callers ran the function for (idle or taken from a syscall). */
    long byCaller() {
        return byCaller;
    }

    /** Ps the callers took from a syscall to run it. */
    long syscallTakes() {
        return syscallTakes;
    }

    /** Timed passes of the waits (a P late to its safe point). */
    long passes() {
        return passes;
    }
}
