package dev.gort.sched;

/**
 * Ps that no M runs: the idle list (Go's sched.pidle; {@link #put}, {@link #get}), where a P
 * whose M leaves it goes ({@link #handoffp}: to an M started for it, or to the idle list), and
 * sysmon's wake-up for when a P leaves the list (Go's sched.sysmonwait).
 *
 * <p>Owns the idle list and the sysmon wake-up; the list is guarded by the sched lock
 * ({@link Scheduler#lock}). Its length stays in {@link Scheduler#npidle} (an atomic read without
 * the lock at every wakep and spinning check); put and get update it with the list.
 */
final class IdlePs {
    private final Scheduler s;
    private P pidle;
    /** sysmon's wake-up while it sleeps deeply (Go's sched.sysmonwait), or null. */
    private volatile Runnable sysmonWake;

    IdlePs(Scheduler s) {
        this.s = s;
    }

    /** Lock held. pp's run queue must be empty. */
    void put(P pp) {
        if (!RunQueue.isEmpty(pp.base)) {
            throw new IllegalStateException("pidleput: P" + pp.id + " has a non-empty run queue");
        }
        pp.setStatus(PStatus.IDLE);
        if (pp.safePointFn() != ForEachP.NONE) {
            // A forEachP round still owes this P its function: run it now, so no P on the list
            // owes one (the M that takes it later runs nothing; Go's handoffp does the same).
            s.forEachP.runFor(pp);
        }
        pp.link = pidle;
        pidle = pp;
        s.npidle.incrementAndGet();
    }

    /** Lock held: the first P of the idle list (then {@code P.link}), or null. */
    P head() {
        return pidle;
    }

    /** Lock held. An idle P, or null; ends sysmon's deep sleep if it is armed. */
    P get() {
        P pp = pidle;
        if (pp != null) {
            pidle = pp.link;
            pp.link = null;
            s.npidle.decrementAndGet();
            Runnable w = sysmonWake;
            if (w != null) {
                sysmonWake = null; // a P starts running: end sysmon's deep sleep (Go: sysmonwait + notewakeup)
                w.run();
            }
        }
        return pp;
    }

    /** See {@link Scheduler#armSysmonWake}. */
    boolean armSysmonWake(Runnable wake) {
        sysmonWake = wake;
        // Volatile write, then read npidle; get decrements npidle, then reads sysmonWake: one
        // of the two sides sees the other, so a P taken meanwhile is never missed.
        if (s.npidle.get() != s.gomaxprocsPublished) {
            sysmonWake = null;
            return false;
        }
        return true;
    }

    void disarmSysmonWake() {
        sysmonWake = null;
    }

    /**
     * Hands pp, whose M is leaving it (syscall, lock wait), to whoever can use it (Go's handoffp).
     * A startm that fails (a new M that cannot be made; counted) is survived, as every wake-up for
     * queued work is ({@link Scheduler#wakeForQueuedWork}): pp went back idle (or stopped), its
     * goroutines to the global queue, and the wake-up is owed to sysmon and the retaker
     * ({@link Scheduler#wakeOwed}). Returns true then, so a caller that can wait (a locked M
     * about to sleep) retries it; before session 33 the failure was thrown to the caller, which on
     * an M's own path was the fatal "scheduler failure on M".
     */
    boolean handoffp(P pp) {
        if (!RunQueue.isEmpty(pp.base) || s.runqsize != 0) {
            return s.startmSurvivingFailure(pp, false);
        }
        if (s.nmspinning.get() + s.npidle.get() == 0 && s.nmspinning.compareAndSet(0, 1)) {
            return s.startmSurvivingFailure(pp, true);
        }
        s.lock.lock();
        if (s.gcwaiting) {
            pp.setStatus(PStatus.GCSTOP);
            boolean last = s.world.pStoppedLocked();
            s.lock.unlock();
            if (last) {
                s.world.lastPStopped(pp, StopLastP.BY_HANDOFF);   // after unlocking: see gcstopm
            }
            return false;
        }
        if (s.runqsize != 0) {
            s.lock.unlock();
            return s.startmSurvivingFailure(pp, false);
        }
        // The last running P, and nobody waits for timers or I/O: keep an M on it.
        if (s.npidle.get() == s.gomaxprocs - 1 && !s.polling.get()
                && (pp.timers.nextWhen() != Long.MAX_VALUE || (s.netpoll != null && s.netpoll.hasWaiters()))) {
            s.lock.unlock();
            return s.startmSurvivingFailure(pp, false);
        }
        put(pp);
        s.lock.unlock();
        long when = pp.timers.nextWhen();
        return when != Long.MAX_VALUE && s.wakeNetPoller(when);
    }
}
