package dev.gort.sched;

import dev.gort.sys.NativeMemory;
import java.util.concurrent.locks.LockSupport;

/**
 * Takes Ps back from Ms blocked in syscalls (Go's retake for {@code _Psyscall}): {@link #retake}
 * for sysmon, and the scheduler's own retaker thread when {@link SchedConfig#syscallRetakeNanos}
 * is set. The thread sleeps on its note while no M is in a syscall or the world is stopped;
 * entersyscall and startTheWorld wake it ({@link #wakeIfIdle}).
 */
final class SyscallRetaker {
    private final Scheduler s;
    private Thread thread;
    private final Note note = new Note();
    /** Set while the thread sleeps (or is about to) on {@link #note}: a waker skips the wake-up otherwise. */
    private volatile boolean idle;
    /**
     * Passes of the thread's loop, one per wake-up (a tick, a note wake-up or timeout): written by
     * the thread only, read by tests (StopTheWorldQuietTest: none while the world is stopped).
     */
    private volatile long loops;

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
     * {@code force}, leaves it if there is nothing for it to do (empty queues, another M spinning
     * or a P idle) and the call is younger than 10 ms, as Go does. Returns whether it was taken.
     */
    boolean retake(int id, boolean force) {
        P pp = s.p(id);
        if (pp.status() != PStatus.SYSCALL) {
            return false;
        }
        if (!force && RunQueue.isEmpty(pp.base) && s.runqsize == 0 && s.nmspinning.get() + s.npidle.get() > 0
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
            long now = System.nanoTime();
            for (P pp : s.allpPublished) {      // not an M: the volatile copy
                if (pp.status() == PStatus.SYSCALL && now - pp.syscallwhen() >= threshold) {
                    retake(pp.id, false);
                }
            }
        }
    }
}
