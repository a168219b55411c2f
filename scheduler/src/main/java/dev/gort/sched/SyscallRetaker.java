package dev.gort.sched;

import dev.gort.sys.NativeMemory;
import java.util.concurrent.locks.LockSupport;

/**
 * Takes Ps back from Ms blocked in syscalls (Go's retake for {@code _Psyscall}): {@link #retake}
 * for sysmon, and the scheduler's own retaker thread when {@link SchedConfig#syscallRetakeNanos}
 * is set. The thread sleeps on its note while no M is in a syscall or the world is stopped;
 * entersyscall and startTheWorld wake it ({@link #wakeIfIdle}).
 *
 * <p>The thread's rounds ({@link #round}) follow Go's retake for a P in a syscall: a call at
 * least {@code syscallRetakeNanos} old goes to the hand-off rules, and so does a P whose time
 * slice (10 ms on one schedtick, timed from the round that first saw it) ended in a syscall, its G
 * flagged to yield when the call returns: entering and leaving a call does not move schedtick, so
 * a goroutine looping on short calls is one long runner, and without the slice rule it kept its P
 * (and the goroutines queued on it) for as long as the loop lasted. Running Ps it leaves alone:
 * the thread exists only where sysmon does not run (the scheduler used on its own, its tests), and
 * preempting running goroutines on their slice is sysmon's job (preemption is cooperative; such
 * tests run sysmon's rule themselves, FairnessTest).
 */
final class SyscallRetaker {
    private final Scheduler s;
    private Thread thread;
    private final Note note = new Note();
    /** Set while the thread sleeps (or is about to) on {@link #note}: a waker skips the wake-up otherwise. */
    private volatile boolean idle;
    /**
     * Passes of the thread's loop, one per wake-up (a tick, a note wake-up or timeout): written by
     * the thread only, read by tests (StopTheWorldQuietTest's message; its bound is on {@link #tickRounds}).
     */
    private volatile long loops;
    /**
     * Rounds the thread has run ({@link #round} after a tick), written by the thread only, read by
     * tests: once the thread has seen the world stopped it runs none until the restart wakes it,
     * so after a stop completed at most one more, a tick that began before the request
     * (StopTheWorldQuietTest).
     * Unlike {@link #loops} this does not count wake-ups of its note, which come from other
     * threads (entersyscall, a restart) at whatever moment a loaded machine runs them.
     */
    private volatile long tickRounds;
    /** Per P id, for the slice rule (the thread's only): the schedtick last seen in a syscall, and the round that first saw it (0: none). */
    private long[] seenSchedTick = new long[0];
    private long[] seenSchedWhen = new long[0];
    /** The GOMAXPROCS generation the records belong to: a change may reuse an id for a new or revived P. */
    private long seenProcGeneration = -1;
    /** Goroutines flagged in a syscall because their slice ended there (the thread's rounds). */
    private volatile long syscallPreempts;

    SyscallRetaker(Scheduler s) {
        this.s = s;
    }

    /** Starts the retaker thread if the configuration asks for one (run(), before any M). */
    void startThread() {
        if (s.cfg.syscallRetakeNanos > 0) {
            thread = Thread.ofPlatform().daemon().name("gort-retake").start(this::loop);
        }
    }

    /** Passes of the retaker thread's loop so far (see {@link #loops}). */
    long loops() {
        return loops;
    }

    /** Rounds the retaker thread has run so far (see {@link #tickRounds}). */
    long tickRounds() {
        return tickRounds;
    }

    /** The retaker thread, or null: shutdown joins it. */
    Thread thread() {
        return thread;
    }

    /** Wakes the thread if it sleeps (an M entered a syscall, the world started, exit). */
    void wakeIfIdle() {
        if (idle) {
            note.wakeup();
        }
    }

    /** Wakes the thread unconditionally (exit). */
    void wakeup() {
        note.wakeup();
    }

    /**
     * Retakes P {@code id} from an M blocked in a syscall and hands it to another M. Unless
     * {@code force}, leaves it if nothing waits in its own queue, another M spins or a P is idle,
     * and the call is younger than 10 ms: Go's retake. Goroutines in the global queue do not count
     * (Go's test is {@code runqempty(pp)}): whoever queued them there woke an M for an idle P
     * (wakep), so they do not need this P. Returns whether it was taken.
     */
    boolean retake(int id, boolean force) {
        P pp = s.p(id);
        if (pp.status() != PStatus.SYSCALL) {
            return false;
        }
        if (!force && RunQueue.isEmpty(pp.base) && s.nmspinning.get() + s.npidle.get() > 0
                && System.nanoTime() - pp.syscallwhen() < Scheduler.FORCE_PREEMPT_NS) {
            return false;
        }
        if (!pp.casStatus(PStatus.SYSCALL, PStatus.IDLE)) {
            return false;
        }
        NativeMemory.putLongRelease(pp.base + PDescriptor.SYSCALLTICK, NativeMemory.getLong(pp.base + PDescriptor.SYSCALLTICK) + 1);
        s.idlePs.handoffp(pp);
        return true;
    }

    private void loop() {
        long threshold = s.cfg.syscallRetakeNanos;
        long tick = Math.max(20_000, threshold / 2);
        while (!s.exiting) {
            loops = loops + 1;      // one writer
            // While the world is stopped there is nothing to retake (the stopper took every P in a
            // syscall) and a wake-up every tick takes a CPU from the stopper or a stopping M: sleep
            // until startTheWorld wakes it, as Go's sysmon sleeps on sysmonnote while gcwaiting.
            if (s.nsyscall.get() == 0 || s.gcwaiting) {
                idle = true;
                if ((s.nsyscall.get() == 0 || s.gcwaiting) && !s.exiting) {
                    note.sleep(100_000_000L);
                }
                note.clear();
                idle = false;
                continue;
            }
            LockSupport.parkNanos(tick);
            round(System.nanoTime(), threshold);
            tickRounds = tickRounds + 1;    // one writer
        }
    }

    /**
     * One round of the thread at time {@code now} (a test may run rounds itself, with no thread):
     * each P in a syscall whose slice is over has its G flagged and goes to the hand-off rules, as
     * does each whose call is at least {@code threshold} old. Returns the Ps taken. Not an M: reads
     * the volatile copy of allp; shutdown joins the thread before the P blocks are freed.
     */
    int round(long now, long threshold) {
        P[] ps = s.allpPublished;
        long gen = s.procresizeGeneration();
        if (gen != seenProcGeneration || seenSchedTick.length < ps.length) {
            seenProcGeneration = gen;
            seenSchedTick = new long[ps.length];      // only when GOMAXPROCS changed: not per round
            seenSchedWhen = new long[ps.length];
        }
        int taken = 0;
        for (P pp : ps) {
            if (pp.status() != PStatus.SYSCALL) {
                continue;        // a running P keeps its record: a syscall loop is RUNNING between calls
            }
            int id = pp.id;
            long tick = pp.schedtick();
            if (seenSchedWhen[id] == 0 || seenSchedTick[id] != tick) {
                seenSchedTick[id] = tick;     // first sight of this slice: it is timed from here, as sysmon does
                seenSchedWhen[id] = now == 0 ? 1 : now;
            } else if (now - seenSchedWhen[id] >= Scheduler.FORCE_PREEMPT_NS) {
                // Slice over in a syscall: the G yields at the safepoint after its call returns
                // (unless its P is taken meanwhile, which is its preemption), and the P goes to the
                // hand-off rules now, without waiting for a long call (Go's sysretake).
                if (s.preemptP(id)) {
                    syscallPreempts = syscallPreempts + 1;      // one writer
                }
                seenSchedWhen[id] = now == 0 ? 1 : now;    // a full slice before the next request
                if (retake(id, false)) {
                    taken++;
                }
                continue;
            }
            if (now - pp.syscallwhen() >= threshold && retake(id, false)) {
                taken++;
            }
        }
        return taken;
    }

    /** Goroutines the thread's rounds flagged in a syscall at the end of their slice (tests). */
    long syscallPreempts() {
        return syscallPreempts;
    }
}
