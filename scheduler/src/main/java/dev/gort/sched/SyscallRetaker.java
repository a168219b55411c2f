package dev.gort.sched;

import dev.gort.sys.NativeMemory;
import java.util.concurrent.locks.LockSupport;

/**
 * Takes Ps back from Ms blocked in syscalls (Go's retake for {@code _Psyscall}): {@link #retake}
 * for sysmon, and the scheduler's own retaker thread when {@link SchedConfig#syscallRetakeNanos}
 * is set. The thread sleeps on its note while no M is in a syscall or the world is stopped;
 * entersyscall and startTheWorld wake it ({@link #wakeIfIdle}).
 *
 * <p>The thread's rounds ({@link #round}) follow Go's retake for a P in a syscall. A call is aged
 * from the first round that saw it (its syscalltick), not from its entry, as Go's
 * {@code pd.syscallwhen}: that round only records it; once a round finds the same call at least
 * {@code syscallRetakeNanos} after that (Go: one sysmon tick) it goes to the hand-off rules, which
 * keep the P while its own queue is empty, an M spins or a P is idle, and the call was first seen
 * less than 10 ms ago. A P whose time slice (10 ms on one schedtick, also timed from the round that
 * first saw it) ended in a syscall goes to the hand-off rules at once (Go's sysretake), its G
 * flagged to yield when the call returns, with the age of the last call a round recorded (none
 * recorded since the P last ran idle or was taken: old, as Go's stale {@code pd.syscallwhen}):
 * entering and leaving a call does not move schedtick, so a goroutine looping on short calls is
 * one long runner, and without the slice rule it kept its P (and the goroutines queued on it) for
 * as long as the loop lasted. Running Ps it leaves alone:
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
    /**
     * Per P id, the call's age (Go's pd.syscalltick and pd.syscallwhen): the syscalltick a round last
     * recorded and that round's time (0: none since the P was last idle, stopped or taken).
     */
    private long[] seenSyscallTick = new long[0];
    private long[] seenSyscallWhen = new long[0];
    /** The GOMAXPROCS generation the records belong to: a change may reuse an id for a new or revived P. */
    private long seenProcGeneration = -1;
    /** Goroutines flagged in a syscall because their slice ended there (the thread's rounds). */
    private volatile long syscallPreempts;
    /** Steps of the thread's passes that threw ({@link #failed}). */
    private volatile long failures;

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
     * Retakes P {@code id} from an M blocked in a syscall and hands it to another M, in one call
     * (sysmon's port, which applied Go's rules with its own rounds, passes {@code force}; the public
     * {@link Scheduler#retake}). Unless {@code force}, the hand-off rules of {@link #handOff}, with
     * the call's age from its entry: a single call has no earlier round that saw the call, so it
     * cannot age it from a first sight as the rounds do. Returns whether it was taken.
     */
    boolean retake(int id, boolean force) {
        P pp = s.p(id);
        if (pp.status() != PStatus.SYSCALL) {
            return false;
        }
        return handOff(pp, force, System.nanoTime() - pp.syscallwhen());
    }

    /**
     * Takes pp, in a syscall, from its M and hands it to another. Unless {@code force}, leaves it if
     * nothing waits in its own queue, another M spins or a P is idle, and the call's {@code age} is
     * under 10 ms: Go's retake. Goroutines in the global queue do not count (Go's test is
     * {@code runqempty(pp)}): whoever queued them there woke an M for an idle P (wakep), so they do
     * not need this P. Returns whether it was taken.
     */
    private boolean handOff(P pp, boolean force, long age) {
        if (!force && RunQueue.isEmpty(pp.base) && s.nmspinning.get() + s.npidle.get() > 0
                && age < Scheduler.FORCE_PREEMPT_NS) {
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
            try {
                s.wakeForGlobalWork();      // goroutines a failed startm left in the global queue
            } catch (RuntimeException | Error e) {
                failed("wake-up", e);
            }
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
            try {
                round(System.nanoTime(), threshold);
            } catch (RuntimeException | Error e) {
                failed("retake", e);      // a hand-off's startm threw: its P and goroutines went back (MPool.giveBack)
            }
            tickRounds = tickRounds + 1;    // one writer
        }
    }

    /**
     * A pass's step threw (a startm that could not make an M, through handoffp or wakep): the
     * thread goes on, as sysmon does with a failed duty, so the goroutines that failure left in the
     * global queue still get an M once one can be made. Reports the first failure and every 1000th.
     * An {@link OutOfMemoryError} (the Java heap exhausted while making an M) is such a failure
     * too ({@link Scheduler#isResourceExhaustion}): the thread that retries must survive it. Any
     * other Error but an AssertionError is a bug and ends the thread, as it ends sysmon.
     */
    private void failed(String step, Throwable e) {
        long n = failures + 1;
        failures = n;      // one writer
        if (n == 1 || n % 1000 == 0) {
            try {
                System.err.println("gort: syscall retaker: " + step + " failed: " + e + (n > 1 ? " (" + n + " failures so far)" : ""));
            } catch (OutOfMemoryError ignored) {
                // the line is best effort under the Java heap's exhaustion; the count above stands
            }
        }
        if (e instanceof Error err && !(e instanceof AssertionError) && !Scheduler.isResourceExhaustion(e)) {
            throw err;
        }
    }

    /** Steps of the thread's passes that threw and were reported (tests). */
    long failures() {
        return failures;
    }

    /**
     * One round of the thread at time {@code now} (a test may run rounds itself, with no thread):
     * a call seen for the first time is recorded and left (Go: "more than 1 sysmon tick"); one
     * first seen at least {@code threshold} before goes to the hand-off rules with its age from that
     * first sight; a P whose slice is over has its G flagged and goes to them at once. Returns the
     * Ps taken. Not an M: reads the volatile copy of allp; shutdown joins the thread before the P
     * blocks are freed.
     */
    int round(long now, long threshold) {
        P[] ps = s.allpPublished;
        long gen = s.procresizeGeneration();
        if (gen != seenProcGeneration || seenSchedTick.length < ps.length) {
            seenProcGeneration = gen;
            seenSchedTick = new long[ps.length];      // only when GOMAXPROCS changed: not per round
            seenSchedWhen = new long[ps.length];
            seenSyscallTick = new long[ps.length];
            seenSyscallWhen = new long[ps.length];
        }
        long stamp = now == 0 ? 1 : now;       // 0 means "no record"
        int taken = 0;
        for (P pp : ps) {
            int id = pp.id;
            int status = pp.status();
            if (status != PStatus.SYSCALL) {
                if (status != PStatus.RUNNING) {
                    seenSyscallWhen[id] = 0;     // idle or stopped: its next call is a new one (its tick moves too)
                }
                continue;        // a running P keeps its records: a syscall loop is RUNNING between calls
            }
            boolean sliceOver = false;
            long tick = pp.schedtick();
            if (seenSchedWhen[id] == 0 || seenSchedTick[id] != tick) {
                seenSchedTick[id] = tick;     // first sight of this slice: it is timed from here, as sysmon does
                seenSchedWhen[id] = stamp;
            } else if (now - seenSchedWhen[id] >= Scheduler.FORCE_PREEMPT_NS) {
                // Slice over in a syscall: the G yields at the safepoint after its call returns
                // (unless its P is taken meanwhile, which is its preemption), and the P goes to the
                // hand-off rules now, without the wait for a call seen across rounds (Go's sysretake).
                if (s.preemptP(id)) {
                    syscallPreempts = syscallPreempts + 1;      // one writer
                }
                seenSchedWhen[id] = stamp;    // a full slice before the next request
                sliceOver = true;
            }
            long syscallTick = pp.syscalltick();
            if (!sliceOver && (seenSyscallWhen[id] == 0 || seenSyscallTick[id] != syscallTick)) {
                seenSyscallTick[id] = syscallTick;     // first sight of this call: aged from here
                seenSyscallWhen[id] = stamp;
                continue;
            }
            // With the slice over, the call's age is that of the last call a round recorded, as Go
            // leaves pd.syscallwhen then: a loop of short calls has been off its P since, but for
            // moments. No record (none since the P last ran idle or was taken): old.
            long age = seenSyscallWhen[id] == 0 ? Long.MAX_VALUE : now - seenSyscallWhen[id];
            if (!sliceOver && age < threshold) {
                continue;
            }
            if (handOff(pp, false, age)) {
                seenSyscallWhen[id] = 0;
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
