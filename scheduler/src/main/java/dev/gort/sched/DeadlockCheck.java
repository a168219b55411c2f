package dev.gort.sched;

/**
 * Go's checkdead: whether no M can ever run anything again, a deadlock that is reported as a fatal
 * error ({@link Reports#deadlock}). Called with the sched lock held by an M about to sleep (stopm,
 * stoplockedm, a locked M leaving a syscall) after it counted itself idle, so the M counts it reads
 * ({@link MPool}) are exact; the goroutine count is exact too then (every M idle has published its
 * last per-P update through that lock). Owns nothing; reads only.
 */
final class DeadlockCheck {
    private DeadlockCheck() {
    }

    /**
     * Lock held. True if every M is idle or locked and waiting, no timer is pending, nobody waits
     * on I/O or in a syscall, and yet goroutines exist (or main called Go.goexit and all the rest
     * ended).
     */
    static boolean checkdead(Scheduler s) {
        // A stop-the-world from a thread that is not an M parks every M while goroutines are
        // runnable: not a deadlock (this fired in the collector's tests and the scheduler exited
        // under a running GC). Runnable work anywhere is never one either.
        if (s.exiting || !s.mainStarted || s.gcwaiting || s.runqsize > 0) {
            return false;
        }
        GcHook gch = s.gcHook;
        if (gch != null && gch.holdsParkedGoroutines()) {
            return false;       // parked assists: the collector readies them (GcHook.holdsParkedGoroutines)
        }
        for (P p : s.allp) {
            if (!RunQueue.isEmpty(p.base)) {
                return false;
            }
        }
        MPool ms = s.mpool;
        int run = ms.mcount - ms.nmidle - ms.nmidlelocked;
        if (run > 0) {
            return false;
        }
        if (s.nsyscall.get() > 0) {
            return false;
        }
        NetpollHook np = s.netpoll;
        if (np != null && np.hasWaiters()) {
            return false;
        }
        for (P p : s.allp) {
            if (p.timers.nextWhen() != Long.MAX_VALUE) {
                return false;
            }
        }
        // Goroutines exist and none can ever run; or main called Go.goexit and all the rest ended.
        return s.liveGoroutines() > 0 || s.mainGoexited;
    }
}
