package dev.gort.sysmon;

import java.util.ArrayList;
import java.util.List;

/**
 * A tiny reference model of the scheduler's P table, for testing sysmon's policy in isolation
 * with an injected clock (the real scheduler is exercised by the runtime's integration tests).
 */
class ModelScheduler implements SchedulerPort {
    final int[] status;
    final long[] schedTick;
    final long[] schedWhen;
    final long[] syscallTick;
    final boolean[] localWork;
    boolean spinningOrIdle;
    boolean syscallReturnsFirst;
    /** False: preempt finds no G on the P (its M between goroutines) and flags nothing. */
    boolean preemptFindsG = true;
    final List<Integer> preempted = new ArrayList<>();
    final List<Integer> retaken = new ArrayList<>();

    ModelScheduler(int procs) {
        status = new int[procs];
        schedTick = new long[procs];
        schedWhen = new long[procs];
        syscallTick = new long[procs];
        localWork = new boolean[procs];
    }

    @Override
    public int procCount() {
        return status.length;
    }

    @Override
    public int procStatus(int p) {
        return status[p];
    }

    @Override
    public long schedTick(int p) {
        return schedTick[p];
    }

    @Override
    public long schedWhen(int p) {
        return schedWhen[p];
    }

    @Override
    public long syscallTick(int p) {
        return syscallTick[p];
    }

    @Override
    public boolean hasLocalWork(int p) {
        return localWork[p];
    }

    @Override
    public boolean spinningOrIdleProcs() {
        return spinningOrIdle;
    }

    @Override
    public synchronized boolean retakeFromSyscall(int p) {
        if (syscallReturnsFirst || status[p] != P_SYSCALL) {
            return false;
        }
        status[p] = P_IDLE;
        syscallTick[p]++;
        retaken.add(p);
        return true;
    }

    /** Goroutines wait in the global queue with a P idle and no M spinning (a failed startm left them). */
    volatile boolean globalWorkStranded;
    /** Calls of {@link #wakeForGlobalWork}, and those that found work to wake an M for. */
    volatile int wakeChecks;       // one writer (sysmon's round); volatile for a test reading them from another thread
    volatile int wakeups;
    /** Thrown by the next wakeForGlobalWork (its startm failing again), then cleared: a RuntimeException or an Error. */
    volatile Throwable wakeFailure;

    @Override
    public boolean wakeForGlobalWork() {
        wakeChecks++;
        if (!globalWorkStranded) {
            return false;
        }
        Throwable f = wakeFailure;
        if (f != null) {
            wakeFailure = null;
            if (f instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) f;
        }
        wakeups++;
        globalWorkStranded = false;
        return true;
    }

    int schedtraces;
    /** Every P idle (for sysmon's deep sleep); {@link #startP} ends it and runs the armed wake-up. */
    volatile boolean allIdle;
    private volatile Runnable armedWake;

    @Override
    public boolean armIdleWake(Runnable wake) {
        armedWake = wake;
        if (!allIdle) {
            armedWake = null;
            return false;
        }
        return true;
    }

    @Override
    public void disarmIdleWake() {
        armedWake = null;
    }

    /** A P leaves the idle list (the scheduler's pidleget): ends sysmon's deep sleep. */
    void startP(int p) {
        status[p] = P_RUNNING;
        allIdle = false;
        Runnable w = armedWake;
        armedWake = null;
        if (w != null) {
            w.run();
        }
    }

    @Override
    public String schedtrace(boolean detailed) {
        schedtraces++;
        return "SCHED " + schedtraces + (detailed ? " detailed" : "") + "\n";
    }

    /** P ids of the preempt requests that found the P in a syscall (their G flagged in the call). */
    final List<Integer> preemptedInSyscall = new ArrayList<>();

    @Override
    public synchronized boolean preempt(int p) {
        preempted.add(p);
        if (status[p] == P_SYSCALL && preemptFindsG) {
            preemptedInSyscall.add(p);
        }
        return preemptFindsG;
    }

    /** P p enters a syscall (G keeps the P until sysmon takes it). */
    void enterSyscall(int p) {
        status[p] = P_SYSCALL;
    }

    /**
     * P p's syscall returns to its P (exitsyscall's fast path): the P runs again, syscalltick
     * moves, schedtick does not (the same G runs on in the same slice, as in Go).
     */
    void exitSyscall(int p) {
        status[p] = P_RUNNING;
        syscallTick[p]++;
    }

    /** One more short syscall of the G on P p since sysmon's last look: syscalltick moved, still (again) in a syscall. */
    void nextSyscall(int p) {
        exitSyscall(p);
        enterSyscall(p);
    }
}
