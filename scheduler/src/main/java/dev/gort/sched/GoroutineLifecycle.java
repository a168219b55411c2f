package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * A goroutine's start and end: newproc (a G from the free lists or a new one, its goid from the
 * P's goid cache, into runnext of the P), and goexit0 (the G dead and cleared, back on its P's
 * free list; main's end ends the scheduler). Runs on the M that owns the P: the per-P goid cache,
 * free list and created/exited counters are written with plain stores by that owner only.
 *
 * <p>Owns no state: the free lists ({@link GFreeList}), the G table and {@code ngsys} stay with the
 * scheduler. Static, taking the scheduler as its first argument, so that every call site
 * (execute, adoptNext, newproc's callers) has the same bytecode as the instance methods these
 * were: one spawn+exit is a few hundred ns and a switch path, and must not pay an indirection.
 */
final class GoroutineLifecycle {
    private GoroutineLifecycle() {
    }

    /**
     * Go's newproc: a new runnable goroutine in runnext of mp's P. A {@code system} goroutine (GC
     * worker) is left out of goroutines() and checkdead (Go's ngsys).
     */
    static G newproc(Scheduler s, M mp, Runnable fn, boolean system) {
        P pp = mp.p;
        if (pp == null) {
            throw new IllegalStateException("go: M" + mp.mid + " has no P (called inside a syscall?)");
        }
        G cur = mp.curg;
        G g = newG(s, pp, fn, cur == null ? 0 : cur.goid());
        if (system) {
            g.system = true;           // before it can run (and exit) anywhere
            s.ngsys.incrementAndGet();
        }
        RunQueue.put(pp.base, g.ref, true, pp.batch, s.overflow, s.stealable);
        if (s.mainStarted) {
            s.wakepForQueuedGoroutine();    // g is queued: a failed wake-up is counted, not thrown (no duplicate go)
        }
        return g;
    }


    /** A G (reused from the free lists, or new) set up to run {@code fn}, RUNNABLE, in no queue yet. */
    static G newG(Scheduler s, P pp, Runnable fn, long parentGoid) {
        if (fn == null) {
            throw new NullPointerException("go: function is null");
        }
        G g = s.gfree.get(pp);
        if (g == null) {
            g = s.gtable.allocate(s);
        }
        long d = g.desc;
        long goid = NativeMemory.getLong(pp.base + PDescriptor.GOIDCACHE);
        if (goid == NativeMemory.getLong(pp.base + PDescriptor.GOIDCACHEEND)) {
            // Go's goidcache: take a batch of 16 from the global counter.
            goid = s.goidgen.addAndGet(16) - 15;
            NativeMemory.putLong(pp.base + PDescriptor.GOIDCACHEEND, goid + 16);
        }
        NativeMemory.putLong(pp.base + PDescriptor.GOIDCACHE, goid + 1);
        NativeMemory.putLong(d + GDescriptor.GOID, goid);
        NativeMemory.putInt(d + GDescriptor.WAIT_REASON, 0);
        NativeMemory.putInt(d + GDescriptor.PREEMPT, 0); // a request may have reached the G as it ended
        // Left as they must be by the G's last end or its allocation, so not stored again: MID -1
        // (execute / adoptNext before goexit0), schedlink 0 (gfget), and in the G param, lockedm,
        // lockedExt (goexit0) and frameDepth (ShadowStack.reset).
        g.parentGoid = parentGoid;
        // The one barriered store of a spawn (the G is old). No continuation yet: execute makes
        // one when the G first runs, unless a runner adopts it (G.run, adoptNext).
        g.fn = fn;
        // No volatile stores here (each is a full fence): select resets selectDone before use,
        // and pinnedReason is normally null already.
        if (g.pinnedReason != null) {
            g.pinnedReason = null;
        }
        // Counted per P with plain stores (the owner's), summed by readers: two atomic
        // increments were a fifth of a spawn+exit.
        NativeMemory.putLongRelease(pp.base + PDescriptor.GCREATED, NativeMemory.getLong(pp.base + PDescriptor.GCREATED) + 1);
        GDescriptor.setStatus(d, GStatus.RUNNABLE);
        return g;
    }

    /** gp's continuation finished: Go's goexit0. False if gp was main and the scheduler now exits. */
    static boolean goexit0(Scheduler s, M mp, G gp) {
        GDescriptor.setStatus(gp.desc, GStatus.DEAD);
        if (gp.cont != null) {
            gp.cont = null; // a G that never yielded has none (its function was cleared at its start)
        }
        // gp.m stays (an M is a long-lived thread; nothing reads a dead G's m): a reused G that
        // runs on the same M again then stores nothing there, and each store would be a G1
        // write barrier with a StoreLoad fence.
        gp.param = null;
        Sudog cs = gp.chanSudog;
        if (cs.c != null) {
            cs.c = null; // the last channel: not retained by a dead G
        }
        if (gp.lockedm != null) {
            gp.lockedm = null;
            mp.lockedg = null;
        }
        gp.lockedExt = 0;
        ShadowStack.reset(gp, s.cfg);
        if (gp.system) {
            gp.system = false;
            s.ngsys.decrementAndGet();
        }
        P pp = mp.p;
        NativeMemory.putLongRelease(pp.base + PDescriptor.GEXITED, NativeMemory.getLong(pp.base + PDescriptor.GEXITED) + 1);
        if (gp == s.mainG && !s.mainGoexited) {
            s.exit();
            return false;
        }
        s.gfree.put(pp, gp);
        return true;
    }
}
