package dev.gort.sched;

import java.util.concurrent.Callable;

/**
 * What a goroutine calls: start goroutines, yield, park, block in a syscall, lock to its thread.
 * Every method finds the current M with {@code Thread.currentThread()} and must be called on a
 * goroutine (else IllegalStateException).
 */
public final class Go {
    private Go() {
    }

    /** Starts {@code fn} as a new goroutine (Go's {@code go fn()}); it runs next on this P. */
    public static G go(Runnable fn) {
        M mp = Scheduler.currentM();
        return mp.sched.newproc(mp, fn);
    }

    /**
     * Starts a runtime-internal goroutine (a GC mark worker): scheduled like any other, but not
     * counted by {@link Scheduler#goroutines()} nor by the deadlock check, as Go's system
     * goroutines (sched.ngsys) are not.
     */
    public static G goSystem(Runnable fn) {
        M mp = Scheduler.currentM();
        return mp.sched.newproc(mp, fn, true);
    }

    /** The running goroutine. */
    public static G current() {
        G g = Scheduler.currentM().curg;
        if (g == null) {
            throw new IllegalStateException("no goroutine is running on this thread (scheduler code)");
        }
        return g;
    }

    /** The current goroutine's scheduler. */
    public static Scheduler scheduler() {
        return Scheduler.currentM().sched;
    }

    /** True if the calling thread runs a goroutine. */
    public static boolean onGoroutine() {
        return Scheduler.carrier() instanceof M m && m.curg != null;
    }

    /**
     * True if the calling thread runs a goroutine that may park through the scheduler: one that is
     * not inside {@link #syscall} (there its M holds no P, so it cannot switch goroutines; code
     * that blocks there blocks the M, as any blocking call does, and its P was left to others).
     * Blocking primitives that also serve plain threads (dev.gort.sync, net) park the thread
     * when this is false.
     */
    public static boolean canPark() {
        return Scheduler.carrier() instanceof M m && m.curg != null && m.p != null;
    }

    /**
     * The refusal of a scheduler operation inside {@link #syscall}: it needs a P, and the M holds
     * none until the call returns. Thrown before anything changed, so the goroutine and the
     * runtime stay usable (before, such a park hung or killed the scheduler: "stopm holding P").
     */
    static IllegalStateException insideSyscall(G gp, String what) {
        return new IllegalStateException(what + " inside Gort.syscall (goroutine " + (gp == null ? "none" : gp.goid())
                + "): its M holds no P until the call returns, and channel operations, select, sleep, gosched "
                + "and a nested syscall need one; accepted there: plain blocking Java calls, dev.gort.sync "
                + "types and net connections (they block the thread); do the rest after the call returns");
    }

    /** Yields the processor: the goroutine goes to the back of the global queue (Go's runtime.Gosched). */
    public static void gosched() {
        M mp = Scheduler.currentM();
        if (mp.p == null) {
            throw insideSyscall(mp.curg, "gosched");
        }
        mp.sched.gosched(mp, mp.curg, M.YIELD_GOSCHED);
    }

    /**
     * A safepoint: if preemption was requested (sysmon, stop-the-world, {@link Scheduler#preempt}),
     * yields: to the back of the global queue, or, when a stop-the-world is pending, to its own P's
     * runnext (it runs first on that P after the restart). Cheap when not requested: long loops call it.
     */
    public static void poll() {
        poll(false);
    }

    /**
     * {@link #poll}, yielding also when {@code requestSeen}: the caller read a stop's request
     * ({@link Scheduler#worldStopping}) or a ragged round its P owes, which it can see before the
     * stopper's preemption flag reaches this goroutine (see {@link #preemptPending}), or without
     * it for a while when the stopper's preemptall missed it (execute's race: flagged at the
     * stopper's next timed pass, 0.1-1.6 ms on). A collector assist that broke off for such a
     * request yields here instead of passing through its loop until the flag comes (branch
     * pace34; Go's assist breaks off on its own flag and always yields). A stopper still runs on
     * through its own stop. One method for both polls: the yield's branch keeps the profile of
     * every preempted poll, so C2 does not compile it as a trap taken on the way to a stop.
     */
    public static void poll(boolean requestSeen) {
        M mp = Scheduler.currentM();
        if (StopHolders.ON) {
            mp.polls++;
        }
        G gp = mp.curg;
        // Inside a syscall there is no P to yield; a stopper runs on through its own stop.
        if ((requestSeen | gp.preemptRequested()) && mp.p != null && !mp.sched.stopperIs(mp)) {
            mp.sched.gosched(mp, gp, M.YIELD_PREEMPTED);
        }
    }

    /**
     * True when the running goroutine's next {@link #poll} will yield: a stop-the-world, a ragged
     * round or the end of its slice asked it to. A loop may finish a step, or learn why it is asked
     * ({@link Scheduler#worldStopping}: a stop's request is visible before its preemption flags
     * are), before it polls. Call it from a goroutine only.
     */
    public static boolean preemptPending() {
        return Scheduler.currentM().curg.preemptRequested();
    }

    /**
     * A safepoint inside a runtime call. Returns the M the goroutine runs on afterwards: a
     * preempted goroutine may resume on another M, so callers must use the returned M, never the
     * one they read before. Every blocking operation passes here before it changes anything, so
     * one inside {@link #syscall} (no P) is refused here ({@link #insideSyscall}).
     */
    static M safepoint(M mp, G gp) {
        if (mp.p == null) {
            throw insideSyscall(gp, "a blocking scheduler operation");
        }
        if (StopHolders.ON) {
            mp.polls++;
        }
        if (gp.preemptRequested() && !mp.sched.stopperIs(mp)) {
            mp.sched.gosched(mp, gp, M.YIELD_PREEMPTED);
            return Scheduler.currentM();
        }
        return mp;
    }

    /** Ends the current goroutine after unwinding its frames (Go's runtime.Goexit). */
    public static void goexit() {
        Scheduler.currentM();
        throw G.GoexitSignal.INSTANCE;
    }

    /**
     * Parks the current goroutine (Go's gopark). After it is WAITING, {@code commit(g, arg)} runs
     * on the scheduler; if it returns false the goroutine resumes at once. Something must later
     * call {@link #ready(G)} (or a hook must return it).
     */
    public static void park(ParkCommit commit, Object arg, WaitReason reason) {
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        // No inside-a-syscall refusal here: callers arrive with their own state changed (a lock
        // held, a waiter queued), which a throw would leave behind. A caller that may run inside
        // Gort.syscall checks Go.canPark() before it changes anything (dev.gort.sync, net).
        mp.sched.gopark(mp, gp, commit, arg, reason);
    }

    /** Makes a parked goroutine runnable (Go's goready); callable from any thread; after its scheduler ended, does nothing. */
    public static void ready(G g) {
        // Another thread goes through the gate; once it closed, nothing: the scheduler ended and
        // freed its descriptors, the goroutine never runs again.
        NativeReaders.access(g.sched, g, 0, Go::readyNow, NativeReaders::zero);
    }

    private static long readyNow(G g, long unused) {
        g.sched.ready(g);
        return 0;
    }

    /**
     * Runs a blocking call (Go's entersyscall/exitsyscall): the P is left for another M to take if
     * the call blocks (after SchedConfig.syscallRetake, or when sysmon retakes it), so other
     * goroutines keep running. When the call returns, the goroutine gets a P back or queues itself.
     */
    public static <T> T syscall(Callable<T> call) throws Exception {
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        Scheduler s = mp.sched;
        mp = safepoint(mp, gp);
        s.entersyscall(mp, gp);
        try {
            return call.call();
        } finally {
            M now = Scheduler.currentM();
            s.exitsyscall(now, gp);
            safepoint(Scheduler.currentM(), gp);
        }
    }

    /** {@link #syscall(Callable)} for a call without a result and without checked exceptions. */
    public static void syscall(Runnable call) {
        try {
            syscall(() -> {
                call.run();
                return null;
            });
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Wires the current goroutine to its M (Go's runtime.LockOSThread); calls nest. */
    public static void lockOSThread() {
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        gp.lockedExt++;
        gp.lockedm = mp;
        mp.lockedg = gp;
    }

    /** Undoes one {@link #lockOSThread()}; extra calls are ignored as in Go. */
    public static void unlockOSThread() {
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        if (gp.lockedExt == 0) {
            return;
        }
        if (--gp.lockedExt == 0) {
            gp.lockedm = null;
            mp.lockedg = null;
        }
    }

    /** Id of the M (thread) running the current goroutine. */
    public static int mid() {
        return Scheduler.currentM().mid;
    }

    /** Id of the current P, or -1 inside a syscall. */
    public static int pid() {
        P p = Scheduler.currentM().p;
        return p == null ? -1 : p.id;
    }

    /** The current P's allocator cache, or null (no P, or none configured). */
    public static Object mcache() {
        P p = Scheduler.currentM().p;
        return p == null ? null : p.mcache;
    }

    /** The current P's arena MCache (SchedConfig.heap), or null. Two loads: M, then P. */
    public static dev.gort.arena.MCache arenaCache() {
        P p = Scheduler.currentM().p;
        return p == null ? null : (dev.gort.arena.MCache) p.mcache;
    }

    /** The current P, or null inside a syscall. */
    public static P currentP() {
        return Scheduler.currentM().p;
    }
}
