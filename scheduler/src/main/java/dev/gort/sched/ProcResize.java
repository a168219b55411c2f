package dev.gort.sched;

import dev.gort.sys.NativeMemory;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * GOMAXPROCS at run time (Go's runtime.GOMAXPROCS and procresize) for one scheduler, with the
 * {@link ProcResizeHook}s other modules register. A resize stops the world, so every field of the
 * scheduler it rewrites (allp, gomaxprocs, stealable) is read by Ms only after they run again.
 */
final class ProcResize {
    private final Scheduler s;
    private final List<ProcResizeHook> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** One resize at a time; a flag, not a lock: a goroutine waits for it inside a syscall (no owner thread to go stale). */
    private final AtomicBoolean resizing = new AtomicBoolean();

    ProcResize(Scheduler s) {
        this.s = s;
    }

    void addHook(ProcResizeHook hook) {
        hooks.add(java.util.Objects.requireNonNull(hook, "hook"));
    }

    void removeHook(ProcResizeHook hook) {
        hooks.remove(hook);
    }

    /** See {@link Scheduler#setGomaxprocs}. */
    int setGomaxprocs(int n) {
        if (n < 1 || n > SchedConfig.MAX_PROCS) {
            throw new IllegalArgumentException("GOMAXPROCS " + n + " out of range; accepted: 1.." + SchedConfig.MAX_PROCS
                    + " (GOMAXPROCS stays " + s.gomaxprocs() + ")");
        }
        if (!s.started() || s.exiting) {
            throw new IllegalStateException(s.exiting ? "GOMAXPROCS: the scheduler has stopped"
                    : "GOMAXPROCS: the scheduler has not started; before start use SchedConfig.gomaxprocs(" + n + ")");
        }
        Thread t = Scheduler.carrier();
        boolean onGoroutine = t instanceof M m && m.sched == s && m.curg != null;
        if (t instanceof M m && m.sched == s && m.curg == null) {
            throw new IllegalStateException("GOMAXPROCS: called from scheduler code on M" + m.mid
                    + " (a timer function or hook); call it from a goroutine or another thread");
        }
        if (n == s.gomaxprocs()) {
            return n;
        }
        if (s.world.heldByCarrier()) {
            throw s.world.secondStopRefused("GOMAXPROCS(" + n + ")");    // its stop would wait for this thread's
        }
        while (!resizing.compareAndSet(false, true)) {
            if (s.exiting) {
                throw new IllegalStateException("GOMAXPROCS: the scheduler has stopped");
            }
            if (onGoroutine) {
                Go.syscall(() -> LockSupport.parkNanos(100_000)); // do not hold the P the other resize stops
            } else {
                LockSupport.parkNanos(100_000);
            }
        }
        List<ProcResizeHook> hooksNow = List.copyOf(hooks);
        int prev = s.gomaxprocs();
        int after = prev;
        int began = 0;
        boolean retryWake = false;
        try {
            if (n == prev) {
                return prev;
            }
            for (ProcResizeHook h : hooksNow) {
                h.beforeStop();
                began++;
            }
            s.world.stop("GOMAXPROCS");
            try {
                if (!s.exiting) {
                    prev = s.gomaxprocs;
                    try {
                        procresize(n, hooksNow);
                    } finally {
                        after = s.gomaxprocs; // n, also when a hook failed (procresize completes, then rethrows)
                    }
                }
            } finally {
                s.world.start();
            }
            if (Scheduler.FAILURE_WINDOW_HOOKS) {     // a constant: false outside the scheduler's own tests
                // Between the restart and the moved timers' wake-up: a test makes the restart's M
                // go idle and a timer appear here, so the wake-up below reaches startm (flake35).
                s.failureWindowHook("GOMAXPROCS restarted");
            }
            long when = s.earliestTimer();
            // Moved timers may be earlier than a sleeping M's deadline. If that wake-up's startm
            // fails (counted, owed to sysmon and the retaker), a caller that holds no P of this
            // scheduler (a plain thread) retries while every P is idle, as addTimer's caller does;
            // a goroutine caller holds a P, whose M looks at the timers (session 34). Decided
            // here, done after the finally: the retry may last, and until the hooks' afterStart
            // ran and resizing is false the collector's start hold is held and another
            // GOMAXPROCS caller spins (review34b's finding 2; wakefix34).
            retryWake = when != Long.MAX_VALUE && s.wakeNetPoller(when) && !onGoroutine;
        } finally {
            for (int i = 0; i < began; i++) {
                hooksNow.get(i).afterStart(prev, after);
            }
            resizing.set(false);
        }
        if (retryWake) {
            s.retryWakeAfterFailureOffTheScheduler(null);
        }
        return prev;
    }

    /**
     * Go's procresize, world stopped (every P GCSTOP, the caller's own P included): Ps
     * [gomaxprocs, n) are made or revived, the caller moves to P 0 if its P goes, Ps [n,
     * gomaxprocs) are destroyed, then allp, gomaxprocs and the GOMAXPROCS=1 CAS-free run-queue
     * mode switch together under the sched lock. startTheWorld then idles or starts every GCSTOP P
     * of the new allp.
     */
    private void procresize(int n, List<ProcResizeHook> hooks) {
        int old = s.gomaxprocs;
        Thread t = Scheduler.carrier();
        M mp = t instanceof M m && m.sched == s ? m : null;
        P own = mp != null ? mp.p : null;
        P[] allp = s.allp;
        P[] next = java.util.Arrays.copyOf(allp, n);
        SchedConfig cfg = s.cfg;
        for (int i = old; i < n; i++) {
            P p = s.allpEver.get(i);
            if (p == null) {
                p = s.pinit(i);
            } else if (cfg.mcacheSource != null && p.mcache == null) {
                p.mcache = cfg.mcacheSource.newCache();
            }
            p.setStatus(PStatus.GCSTOP);
            next[i] = p;
        }
        if (own != null && own.id >= n) {
            // Go: release the current P and acquire allp[0] (stopped, so no M owns it).
            own.m = null;
            mp.p = null;
            s.acquirep(mp, next[0]);
            own = next[0];
        }
        P heir = own != null ? own : next[0];
        // A failing hook must not leave a half-destroyed P in allp (startTheWorld would skip it
        // and the next stop-the-world would wait for it forever): every dying P is destroyed and
        // the new allp published, then the first hook failure is rethrown.
        Throwable hookFailure = null;
        for (int i = n; i < old; i++) {
            Throwable f = destroyP(allp[i], heir, hooks);
            if (hookFailure == null) {
                hookFailure = f;
            } else if (f != null && f != hookFailure) {
                hookFailure.addSuppressed(f);
            }
        }
        s.lock.lock();
        s.allp = next;
        s.allpPublished = next;
        s.gomaxprocs = n;
        s.stealable = n > 1;
        s.gomaxprocsPublished = n;
        s.procresizeGen++;
        // A forEachP round whose start (which reads allp under this lock) came after destroyP's
        // look counted the dying Ps, and no later allp holds them: they run it here, their state
        // already flushed to the heir (nothing left to find, as a P that ran it).
        for (int i = n; i < old; i++) {
            if (allp[i].safePointFn() != ForEachP.NONE) {
                s.forEachP.runFor(allp[i]);
            }
        }
        s.lock.unlock();
        if (hookFailure instanceof RuntimeException re) {
            throw re;
        } else if (hookFailure instanceof Error e) {
            throw e;
        } else if (hookFailure != null) {
            throw new IllegalStateException("GOMAXPROCS: a ProcResizeHook failed", hookFailure);
        }
    }

    /**
     * Go's p.destroy, world stopped: nothing of {@code pp} is lost; its state goes to the global
     * lists or {@code heir}. Returns the first hook failure (the others suppressed in it), null if
     * none: the P is destroyed either way, so the scheduler's own state stays whole.
     */
    private Throwable destroyP(P pp, P heir, List<ProcResizeHook> hooks) {
        Throwable failure = null;
        if (pp.safePointFn() != ForEachP.NONE) {
            // A forEachP round still owes this P its function: it runs here, world stopped, before
            // the hooks flush the P's state (the round counts the Ps in use at its start).
            s.forEachP.runFor(pp);
        }
        for (ProcResizeHook h : hooks) {
            try {
                h.destroyP(pp, heir);
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else if (e != failure) {
                    failure.addSuppressed(e);
                }
            }
        }
        // Runnable goroutines (runnext first, then the ring in order) to the global queue.
        boolean[] inherit = new boolean[1];
        s.lock.lock();
        for (long ref; (ref = RunQueue.get(pp.base, inherit, true)) != 0;) {
            s.globrunqput(ref);
        }
        s.lock.unlock();
        pp.timers.moveAllTo(heir.timers);
        s.gfree.purge(pp);
        // The unused goid batch goes back if no P took a batch after it (else the ids are skipped, as in Go).
        long cache = NativeMemory.getLong(pp.base + PDescriptor.GOIDCACHE);
        long end = NativeMemory.getLong(pp.base + PDescriptor.GOIDCACHEEND);
        if (cache < end) {
            s.goidgen.compareAndSet(end - 1, cache - 1);
        }
        NativeMemory.putLong(pp.base + PDescriptor.GOIDCACHE, 0);
        NativeMemory.putLong(pp.base + PDescriptor.GOIDCACHEEND, 0);
        if (s.cfg.mcacheSource != null && pp.mcache != null) {
            s.cfg.mcacheSource.releaseCache(pp.mcache); // arena: flush its spans to the mcentrals
            pp.mcache = null;
        }
        pp.setGcState(null);
        pp.m = null;
        pp.link = null;
        pp.setStatus(PStatus.DEAD);
        return failure;
    }
}
