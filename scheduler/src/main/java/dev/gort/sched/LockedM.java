package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * A goroutine that must stay on its M: locked with {@link Go#lockOSThread}, or for one switch
 * because its continuation cannot yield (pinned by a native frame or a critical section). Its
 * park, gosched and exitsyscall happen on the M itself (Go's stoplockedm): the M gives its P away
 * and sleeps with the goroutine until {@link #startlockedm} hands it a P back, and the goroutine
 * resumes there, not in execute.
 *
 * <p>Owns no state: it uses the G's and M's lock fields ({@code G.lockedm}, {@code M.lockedg},
 * {@code G.lockedExt}), the M's park note and {@code nextp}, and {@link MPool#nmidlelocked} under
 * the sched lock. Static, taking the scheduler, so that the call sites on the switch path
 * (schedule, execute, switchOut) have the same bytecode as the private methods these were.
 */
final class LockedM {
    private LockedM() {
    }

    /** Hands mp's P to the M that gp is locked to, then parks mp (Go's startlockedm). */
    static void startlockedm(Scheduler s, M mp, G gp) {
        M locked = gp.lockedm;
        P pp = s.releasep(mp);
        locked.nextp = pp;
        // The locked M stops counting as idle now, before mp parks: else checkdead could see
        // every M idle in between and report a false deadlock (Go does the same here).
        s.lock.lock();
        s.mpool.nmidlelocked--;
        s.lock.unlock();
        locked.park.wakeup();
        s.stopm(mp);
    }

    /**
     * Runs on a locked (or pinned) goroutine's own M while it cannot run: gives the P away and sleeps
     * until startlockedm hands a P back (Go's stoplockedm).
     */
    static void stoplockedm(Scheduler s, M mp) {
        P pp = s.releasep(mp);
        if (s.idlePs.handoffp(pp)) {
            // The hand-off's startm failed (counted; pp went back idle, its goroutines to the
            // global queue). This M holds nothing and is about to sleep: it retries the wake-up
            // while every P is idle, as a ready from outside does, so a scheduler without sysmon
            // or retaker does not strand the work (session 33).
            s.retryWakeWhileEveryPIsIdle();
        }
        s.lock.lock();
        s.mpool.nmidlelocked++;
        boolean dead = DeadlockCheck.checkdead(s);
        s.lock.unlock();
        sleepUntilHandedP(s, mp, dead);
    }

    /**
     * The locked M's wait, after it counted itself in nmidlelocked under the sched lock (and let
     * go of it): reports the deadlock that count made {@code dead}, sleeps until startlockedm
     * hands it a P in {@code nextp}, and takes that P. The scheduler's exit ends the goroutine
     * instead (its M leaves with it).
     */
    private static void sleepUntilHandedP(Scheduler s, M mp, boolean dead) {
        if (dead) {
            s.fatal(Reports.deadlock(s), null);
        }
        mp.sleepBlocked();
        if (s.exiting) {
            throw G.GoexitSignal.INSTANCE;
        }
        P np = mp.nextp;
        mp.nextp = null;
        s.acquirep(mp, np);
    }

    /** switchOut's action for a G that keeps its M. */
    static void onLockedM(Scheduler s, M mp, G gp, int action, ParkCommit commit, Object arg) {
        switch (action) {
            case M.YIELD_PARK -> parkLocked(s, mp, gp, commit, arg);
            case M.YIELD_PARK_CHAN -> parkLocked(s, mp, gp, Chan.UNLOCK, gp.chanSudog.c.lock);
            case M.YIELD_EXITSYSCALL -> exitsyscallLocked(s, mp, gp);
            default -> goschedLocked(s, mp, gp);
        }
    }

    /** Ends a temporary lock (a pinned switch) unless the goroutine holds lockOSThread. */
    static void unlockTemp(G gp) {
        if (gp.lockedExt == 0) {
            M m = gp.lockedm;
            gp.lockedm = null;
            if (m != null) {
                m.lockedg = null;
            }
        }
    }

    /** Park for a G that must stay on its M: the M waits with it (stoplockedm). */
    private static void parkLocked(Scheduler s, M mp, G gp, ParkCommit commit, Object arg) {
        GDescriptor.setStatus(gp.desc, GStatus.WAITING);
        if (commit != null && !commit.commit(gp, arg)) {
            if (s.stackScanGen != 0) {
                StackScans.beforeRun(s, mp, gp);    // it was WAITING: a scanner may hold its frames
            }
            GDescriptor.setStatus(gp.desc, GStatus.RUNNING);
            return;
        }
        stoplockedm(s, mp);
        resumeLocked(s, mp, gp);
    }

    private static void resumeLocked(Scheduler s, M mp, G gp) {
        if (s.stackScanGen != 0) {
            StackScans.beforeRun(s, mp, gp);        // a locked G resumes here, not in execute
        }
        P pp = mp.p;
        if (pp.safePointFn() != ForEachP.NONE) {
            s.forEachP.runFor(pp);        // the locked G resumes here, not in execute: the P's safe point is here
        }
        GDescriptor.setStatus(gp.desc, GStatus.RUNNING);
        NativeMemory.putLongRelease(pp.base + PDescriptor.SCHEDTICK, NativeMemory.getLong(pp.base + PDescriptor.SCHEDTICK) + 1);
    }

    private static void goschedLocked(Scheduler s, M mp, G gp) {
        GDescriptor.setStatus(gp.desc, GStatus.RUNNABLE);
        s.lock.lock();
        s.globrunqput(gp.ref);
        s.lock.unlock();
        stoplockedm(s, mp);
        resumeLocked(s, mp, gp);
    }

    private static void exitsyscallLocked(Scheduler s, M mp, G gp) {
        if (Scheduler.FAILURE_WINDOW_HOOKS) {       // a constant: false outside the scheduler's own tests
            s.failureWindowHook("exitsyscallLocked");
        }
        s.lock.lock();
        s.world.awaitStartLocked(mp);
        gp.setPreempt(false);        // its P was taken: that was its preemption (as exitsyscall0 in execute)
        GDescriptor.setStatus(gp.desc, GStatus.RUNNABLE);
        s.globrunqput(gp.ref);
        s.mpool.nmidlelocked++;
        boolean dead = DeadlockCheck.checkdead(s);
        s.lock.unlock();
        // gp is queued for good: a counted startm failure is not thrown into this M's path (the
        // fatal "scheduler failure on M"); this M holds nothing and retries while every P is idle.
        if (s.npidle.get() > 0 && s.wakeForQueuedWork(false)) {
            s.retryWakeWhileEveryPIsIdle();
        }
        sleepUntilHandedP(s, mp, dead);
        resumeLocked(s, mp, gp);
    }
}
