package dev.gort.sched;

import dev.gort.sys.CpuAffinity;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Ms of one scheduler (Go's allm, sched.midle, sched.mcount): {@link #startm} runs a P on an
 * idle M or a new one (up to {@link SchedConfig#maxThreads}), {@link #stopm} parks an M that has no
 * P on the idle list until startm hands it one, and a new M pins itself to its CPU
 * ({@code GORT_AFFINITY}) before it runs anything.
 *
 * <p>Owns the M list, the idle list and its counters, all guarded by the sched lock
 * ({@link Scheduler#lock}); the counters are also read without it, racily, by schedtrace and the
 * public getters. An M is never removed: Ms live until the scheduler exits ({@link Shutdown}
 * joins them). {@code nmidlelocked} counts Ms asleep with their locked goroutine ({@link LockedM}).
 */
final class MPool {
    private final Scheduler s;
    private M midle;
    int nmidle;
    int nmidlelocked;
    int mcount;
    private final List<M> allm = new ArrayList<>();
    private final BitSet allowedCpus;
    private final AtomicBoolean affinityWarned = new AtomicBoolean();

    MPool(Scheduler s) {
        this.s = s;
        BitSet allowed;
        try {
            allowed = CpuAffinity.mask();
        } catch (RuntimeException e) {
            allowed = new BitSet();
        }
        this.allowedCpus = allowed;
    }

    /**
     * The scheduler's constructor, before any P: refuses a GORT_AFFINITY list naming CPUs outside
     * the process's affinity mask (an M pinned there failed at start and ran unpinned, with only a
     * warning). An unreadable mask (empty) refuses nothing: pinning then warns as before.
     */
    void checkAffinity(Affinity affinity) {
        int[] bad = affinity.cpusNotAllowed(allowedCpus);
        if (bad.length > 0 && !allowedCpus.isEmpty()) {
            throw new IllegalArgumentException(Affinity.notAllowedMessage(affinity.toString(), bad, allowedCpus));
        }
    }

    /**
     * Runs pp (an idle P, or any idle P if null) on an idle or new M (Go's startm). If something
     * throws before the P is handed to an M (a new M's allocation), the P is given back
     * ({@link #giveBack}) and a spinning caller's count dropped before the error goes on: the P
     * would otherwise be IDLE on no list, run by no M and taken by no later stop, and a leaked
     * spinning count would keep every later wakep from starting an M.
     */
    void startm(P pp, boolean spinning) {
        M nmp = null;
        boolean fresh = false;
        boolean stoppedHere = false, stoppedLast = false;
        int count;
        s.lock.lock();
        try {
            if (pp == null) {
                pp = s.exiting ? null : s.pidleget();
            }
            if (pp != null && s.gcwaiting && !s.exiting) {
                // A stop is pending: the P goes to it now instead of to an M that would have to
                // wake, get a CPU and stop it (handoffp's own check comes after its startm calls,
                // as in Go). Its goroutines stay queued; the restart starts an M for them.
                pp.setStatus(PStatus.GCSTOP);
                stoppedHere = true;
                stoppedLast = s.world.pStoppedLocked();
            } else if (pp != null) {
                fault("startm");
                nmp = mget();
                if (nmp == null && mcount < s.cfg.maxThreads) {
                    nmp = new M(s, mcount);     // counted only once listed: a failure here changes nothing
                    allm.add(nmp);
                    mcount++;
                    fresh = true;
                }
                if (nmp != null) {
                    // Handed under the lock, so a stop that begins after this unlock finds the P
                    // handed (WorldStop.stopHandedLocked) and may stop it before nmp takes it.
                    nmp.spinning = spinning;
                    nmp.nextp = pp;
                    pp.handTo(nmp);
                }
            }
            count = mcount;
        } catch (Throwable t) {
            startmFailures++;       // sched lock held
            lastCountedFailure = t;
            s.wakeOwed = true;      // before giveBack makes the P idle: armSysmonWake's second look sees it
            giveBack(pp, spinning, t);
            reportFirstFailure(t);
            throw t;
        }
        s.lock.unlock();
        if (pp == null || stoppedHere) {
            if (spinning) {
                s.nmspinning.decrementAndGet();
            }
            if (stoppedLast) {
                s.world.lastPStopped(pp, StopLastP.BY_STARTM_STOPPED);    // after unlocking: see gcstopm
            }
            return;
        }
        if (nmp == null) {
            s.fatal("runtime: program exceeds " + s.cfg.maxThreads + "-thread limit\nfatal error: thread exhaustion\n"
                    + "(" + count + " Ms exist)\n", null);
            return;
        }
        if (!fresh) {
            nmp.park.wakeup();
            return;
        }
        nmp.pinnedCpu = s.cfg.affinity.cpuFor(nmp.mid, allowedCpus);
        try {
            nmp.start();
        } catch (Throwable t) {
            s.fatal("runtime: failed to create new OS thread (have " + count + " already)\nfatal error: newosproc: "
                    + t + "\n", t);
        }
    }

    /**
     * Sched lock held (released here): {@code pp}, chosen by a startm that failed before an M
     * took it, goes back: stopped if a stop is pending (it counts, as handoffp's does), else
     * idle; its goroutines to the global run queue (the idle list takes only empty Ps). A
     * failure here is added to {@code failure}. Nobody is woken for those goroutines here (an M
     * just could not be had): sysmon's rounds and the retaker thread's passes start one once they
     * can ({@link Scheduler#wakeForGlobalWork}).
     */
    private void giveBack(P pp, boolean spinning, Throwable failure) {
        boolean last = false;
        try {
            if (pp != null) {
                boolean[] inherit = giveBackInherit;    // no allocation: the failure may be the Java heap's exhaustion
                for (long ref; (ref = RunQueue.get(pp.base, inherit, true)) != 0;) {
                    s.globrunqput(ref);
                }
                if (s.gcwaiting) {
                    pp.setStatus(PStatus.GCSTOP);
                    last = s.world.pStoppedLocked();
                } else {
                    s.pidleput(pp);
                }
            }
        } catch (Throwable u) {
            if (u != failure) {
                failure.addSuppressed(u);
            }
        } finally {
            s.lock.unlock();
            Runnable held = heldBeforeSpinningDropForTest;      // the failure path only
            if (held != null) {
                held.run();
            }
            if (spinning) {
                s.nmspinning.decrementAndGet();
            }
        }
        if (last) {
            s.world.lastPStopped(pp, StopLastP.BY_STARTM_FAILED);
        }
    }

    /**
     * Tests: run by {@link #giveBack} on the failing thread after the P went back and the lock was
     * released, before a spinning failure drops its count of the spinning M (the window where the
     * flag is set, the P idle, and a wake-up still cannot be made). Read only on the failure path.
     */
    volatile Runnable heldBeforeSpinningDropForTest;

    /** {@link #giveBack}'s out-parameter for RunQueue.get, allocated once (guarded by the sched lock). */
    private final boolean[] giveBackInherit = new boolean[1];

    /**
     * startm calls that threw before an M took their P ({@link #giveBack}): written under the sched
     * lock, volatile for schedtrace ({@code startmfailures=}) and {@link Scheduler#startmFailures}.
     * gort's newm failing is not fatal as Go's is: the Java heap's exhaustion while making the M
     * object is an {@code OutOfMemoryError} that may pass, and sysmon and the retaker thread retry
     * the wake-up ({@link Scheduler#wakeForGlobalWork}); so each failure is counted, and the first
     * one reported on stderr.
     */
    volatile long startmFailures;
    /**
     * The throwable of the last failure counted in {@link #startmFailures}, as startm rethrew it
     * (written under the sched lock before the rethrow): a caller that survives a counted failure
     * ({@link Scheduler#wakeForQueuedWork}) tells it from any other throw by identity, exactly,
     * whatever other threads' failures are counted meanwhile, and reads nothing unless a throw came.
     */
    volatile Throwable lastCountedFailure;
    /** The first failure was reported. */
    private final AtomicBoolean startmFailureReported = new AtomicBoolean();

    /**
     * After a failed startm gave its P back (sched lock not held): one line on stderr for the first
     * failure of this scheduler; later ones are only counted. Best effort: under the Java heap's
     * exhaustion the line itself may fail to be built, and that must not replace the failure.
     */
    private void reportFirstFailure(Throwable t) {
        if (!startmFailureReported.getAndSet(true)) {
            try {
                System.err.println("gort: runtime: could not start an M: " + t + "; its P went back idle and its goroutines"
                        + " to the global run queue; sysmon (or the retaker thread) retries the wake-up"
                        + " (failures are counted: schedtrace's startmfailures=)");
            } catch (OutOfMemoryError ignored) {
                // the count above still records it
            }
        }
    }

    /**
     * Tests: called by {@link #startm} with "startm" once the P is chosen, before an M takes it
     * (sched lock held): stands for a failure making the M. Whatever it throws must leave the P
     * with the scheduler.
     */
    volatile java.util.function.Consumer<String> faultForTest;

    private void fault(String where) {
        java.util.function.Consumer<String> f = faultForTest;
        if (f != null) {
            f.accept(where);
        }
    }

    /**
     * Parks mp on the idle list until startm hands it a P (Go's stopm). A P that a stop took
     * before mp did ({@link WorldStop#stopHandedLocked}) is not mp's: it parks again.
     */
    void stopm(M mp) {
        if (mp.p != null) {
            throw new IllegalStateException("stopm holding P" + mp.p.id);
        }
        for (;;) {
            if (mp.spinning) {
                mp.spinning = false;
                s.nmspinning.decrementAndGet();
            }
            s.lock.lock();
            if (s.exiting) {
                s.lock.unlock();
                return;
            }
            mp.link = midle;
            midle = mp;
            nmidle++;
            boolean dead = DeadlockCheck.checkdead(s);
            s.lock.unlock();
            if (dead) {
                s.fatal(Reports.deadlock(s), null);
            }
            mp.sleepBlocked();
            if (s.exiting) {
                return;
            }
            if (takeHanded(mp)) {
                return;
            }
        }
    }

    /**
     * mp, woken or started by startm: takes the P handed in its nextp and returns true, or returns
     * false if a stop took that P first (mp then owns nothing; the restart runs the P again).
     */
    boolean takeHanded(M mp) {
        P np = mp.nextp;
        mp.nextp = null;
        if (np == null) {
            throw new IllegalStateException("M" + mp.mid + " woken without a P");
        }
        Runnable delay = handedWakeDelayForTest;
        if (delay != null) {
            delay.run();
        }
        if (!np.takeHanded(mp)) {
            handedTakenByStop.incrementAndGet();
            if (mp.spinning) {
                // Woken to spin (wakep): while mp counted as spinning, work readied elsewhere
                // woke no one, counting on mp to find it. mp stops counting and wakes a spinner if
                // a P is idle (a no-op while the world is still stopped; the restart's own wakep
                // saw mp's count and did nothing).
                mp.spinning = false;
                s.nmspinning.decrementAndGet();
                // A counted startm failure is not thrown into mp's loop (the fatal "scheduler
                // failure on M"): its P went back idle, and the work mp was woken for is queued
                // where the next wake-up finds it (review31's finding 2; sched32).
                s.wakeForQueuedWork(true);
            }
            return false;
        }
        s.acquirep(mp, np);
        return true;
    }

    /** Hand-offs whose P a stop took before the woken M did (diagnostics, tests). */
    final java.util.concurrent.atomic.AtomicLong handedTakenByStop = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Tests: run by an M woken or started by startm before it takes its handed P (no lock held), to
     * hold it there as a kernel that gives it no CPU would (HandedPStopTest).
     */
    volatile Runnable handedWakeDelayForTest;

    private M mget() {
        M m = midle;
        if (m != null) {
            midle = m.link;
            m.link = null;
            nmidle--;
        }
        return m;
    }

    /** On the new M's own thread, before it runs anything: pins it to its CPU if it has one. */
    void pinToCpu(M mp) {
        int cpu = mp.pinnedCpu;
        if (cpu < 0) {
            return;
        }
        try {
            CpuAffinity.pin(cpu);
            mp.cpuAfterPin = CpuAffinity.currentCpu();
        } catch (RuntimeException e) {
            mp.pinnedCpu = -1;
            if (affinityWarned.compareAndSet(false, true)) {
                System.err.println("gort: GORT_AFFINITY=" + s.cfg.affinity + ": cannot pin M" + mp.mid + " to CPU " + cpu
                        + " (" + e.getMessage() + "); running unpinned");
            }
        }
    }

    /** Lock held: a copy of the M list. */
    List<M> snapshotLocked() {
        return new ArrayList<>(allm);
    }

    /** A copy of the M list, taken under the sched lock. */
    List<M> snapshot() {
        s.lock.lock();
        try {
            return new ArrayList<>(allm);
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Ms that hold a P or run a goroutine that is not in a syscall: 0 while the world is stopped
     * from a thread that is not an M (the stop-the-world tests' check).
     */
    int runningMs() {
        int n = 0;
        for (M m : snapshot()) {
            G g = m.curg;
            if (m.p != null || (g != null && g.status() == GStatus.RUNNING)) {
                n++;
            }
        }
        return n;
    }

    /** CPUs the Ms were pinned to (index = M id, -1 = unpinned), and where each ran right after. */
    int[][] pinnedCpus() {
        List<M> ms = snapshot();
        int[][] r = new int[ms.size()][2];
        for (int i = 0; i < ms.size(); i++) {
            r[i][0] = ms.get(i).pinnedCpu;
            r[i][1] = ms.get(i).cpuAfterPin;
        }
        return r;
    }
}
