package dev.gort.gc;

import dev.gort.sys.CpuClock;

import java.util.ArrayList;
import java.util.List;

/**
 * Times the steps of one stop-the-world pause (one thread at a time: the coordinator; from
 * {@link #stopped} to {@link #restarted} of a mark termination handed to a mutator over
 * ThreadWorld, that mutator, see {@link StopHandOff}). {@link #begin} is called
 * just before the stop request (the pause's start then moves to the world's own instant of the
 * request, {@link #requestedAt}), {@link #step} after each piece of work, {@link #end} after the
 * world restarted; each step's time is the time since the previous mark, so the steps add up to the
 * whole pause. The CPU of the thread that ran the steps is recorded too (see {@link #stopped} for
 * over what), and per step with {@code -Dgort.gc.pausetrace.cpu=true}: on a loaded machine the
 * wall time of a step includes waiting for a CPU, its CPU time is the work itself.
 *
 * <p><b>No thread CPU clock read inside the pause by default.</b> clock_gettime of a thread's CPU
 * clock makes Linux bring the thread's run time up to date, and when that finds its time slice
 * spent with another thread queued on its CPU, the thread is switched out on the way back from the
 * call, at once, instead of at the next 4 ms tick (measured here, kernel 6.18: 457 of 594
 * switch-outs of a thread sharing a CPU with a spinner fell across that call, 1 of 416 across a
 * getppid; {@code docs/performance.md}, session 27, gate27). A read at the world's stop made the
 * step after it ({@code gate}, the store gate's acquire) the default run's longest pause, 1-4 ms of
 * wall for 0.02-0.2 ms of CPU, a JIT compiler thread of this JVM running meanwhile. So the CPU is
 * read before the stop request (where a spent slice costs the mutators nothing: they still run, and
 * the thread then enters the pause with a fresh one) and after the restart.
 */
final class PauseTimer {
    private long start;
    private long last;
    private long lastCpu;
    // The steps of the pause in progress, in preallocated arrays: step() runs with the world
    // stopped and must not allocate (a Java allocation there can be the one that triggers a JVM
    // collection, a safepoint that stops the stopper for milliseconds). The StwPause is built by
    // end(), after the restart.
    private String[] names = new String[16];
    private long[] nanos = new long[16];
    private long[] cpus = new long[16];
    private int n;

    /** The thread that called {@link #begin}: the stopper. */
    private Thread beganOn;
    /**
     * The thread whose CPU clock {@link #lastCpu} holds, read before the pause: the stopper, or the
     * mutator that made the request for it ({@link #requesterCpu}).
     */
    private Thread cpuReadBefore;
    /** {@code -Dgort.gc.pausetrace.switches}: the stepping thread's context switches at the last mark (packed, CpuClock.threadSwitches). */
    private long lastSwitches;
    private int[] voluntary = new int[16];
    private int[] involuntary = new int[16];
    /** {@code -Dgort.gc.pausetrace.switches}: the stepping thread's minor faults at the last mark, and per step. */
    private long lastFaults;
    private int[] faults = new int[16];

    void begin() {
        beganOn = Thread.currentThread();
        n = 0;
        restartCpu = 0;
        restartSwitches = 0;
        lastCpu = CpuClock.threadCpuNanos();        // before the request: see the class comment
        cpuReadBefore = beganOn;
        lastSwitches = STEP_SWITCHES ? CpuClock.threadSwitches() : 0;
        lastFaults = STEP_SWITCHES ? CpuClock.threadMinorFaults() : 0;
        start = System.nanoTime();
        last = start;
    }

    /**
     * Before {@link #stopped}: {@code requester}'s CPU clock ({@code cpu}) was read just before this
     * stop's request: by itself, the mutator that made the request for the stopper at its safepoint
     * ({@link ThreadWorld}'s deferred request), or by the scheduler's stopper for the M that then
     * claimed the steps ({@link SchedWorld#cpuReadBeforeStopRequest}); if it is the thread that
     * runs the stopped steps, the pause's CPU counts from there and {@link #stopped} reads no clock.
     * Ignored when {@code cpu} is 0 (not read) or a step was recorded already.
     */
    void requesterCpu(Thread requester, long cpu) {
        if (n == 0 && requester != null && cpu != 0) {
            cpuReadBefore = requester;
            lastCpu = cpu;
        }
    }

    /**
     * Ends the step {@code name} now (a constant string: nothing is allocated). Its CPU is read
     * only with {@code -Dgort.gc.pausetrace.cpu=true}: the thread CPU clock is a system call
     * (clock_gettime(CLOCK_THREAD_CPUTIME_ID) is not in the vDSO), measured at 2-4 us warm and
     * 5-10 us cold on the shared 2-core machine, and a pause of ten steps read it ten times,
     * inside the pause, lengthening what it measured by 30-50 us; each read is also a point where
     * the kernel may switch the thread out (the class comment). Without it a step records 0 CPU
     * and the pause's CPU is read before the request and after the restart (the "start" step
     * carries it all, see {@link #stopped}).
     */
    void step(String name) {
        long now = System.nanoTime();
        if (STEP_CPU) {
            long cpu = CpuClock.threadCpuNanos();
            record(name, now - last, cpu - lastCpu);
            lastCpu = cpu;
        } else {
            record(name, now - last, 0);
        }
        if (STEP_SWITCHES) {
            recordSwitches(CpuClock.threadSwitches(), CpuClock.threadMinorFaults());
        }
        last = now;
        fault(name);
    }

    /**
     * Tests: called after each step of a pause ("stop", then the step names) with the world
     * stopped; whatever it throws must end in an abandoned cycle with the world running again.
     */
    volatile java.util.function.Consumer<String> faultForTest;

    private void fault(String step) {
        java.util.function.Consumer<String> f = faultForTest;
        if (f != null) {
            f.accept(step);
        }
    }

    /**
     * Before {@link #stopped}: the stop was requested at {@code nanos} (System.nanoTime()): by the
     * world after the stopper's work before its request (the world's lock, the scheduler's reads
     * of the running Ms' CPU clocks: {@code Coordinator.noteStopRequest}), or by another thread
     * than the one that called {@link #begin} (a mutator asked to make it at its safepoint). The
     * pause starts there, since no mutator was stopped before. Ignored unless it is after the
     * begin and no step was recorded yet (0, a value already taken, a past stop's).
     */
    void requestedAt(long nanos) {
        if (n == 0 && nanos - start > 0 && System.nanoTime() - nanos >= 0) {
            start = nanos;
            last = nanos;
        }
    }

    /**
     * Ends the "stop" step (the world is stopped). Without {@code -Dgort.gc.pausetrace.cpu} no CPU
     * clock is read here when this thread read its clock before the request (the stopper in
     * {@link #begin}, or the requesting mutator, {@link #requesterCpu}): "stop" records no CPU and
     * the pause's CPU ("start" carries it) counts from that read, so it holds this thread's CPU in
     * the stop as well as the work; the same for an M of the scheduler's hand-off whose clock the
     * stopper read before the request. A thread that read none (a claimant other than the
     * requester, an M that took its P after the stopper's reads) reads it here, inside the pause:
     * then the CPU is the work's alone, and the read is a point where the kernel may switch it out
     * (see the class comment).
     */
    void stopped() {
        long now = System.nanoTime();
        Thread self = Thread.currentThread();
        long sw = STEP_SWITCHES ? CpuClock.threadSwitches() : 0;
        long pf = STEP_SWITCHES ? CpuClock.threadMinorFaults() : 0;
        if (STEP_CPU) {
            long cpu = CpuClock.threadCpuNanos();
            // A mark termination handed to a mutator (StopHandOff) ends its stop on another thread than
            // begin() read: two threads' CPU clocks do not subtract, so that "stop" records none.
            record("stop", now - last, self == beganOn ? cpu - lastCpu : 0);
            lastCpu = cpu;
        } else {
            record("stop", now - last, 0);
            if (self != cpuReadBefore) {
                lastCpu = CpuClock.threadCpuNanos();
            }
        }
        if (STEP_SWITCHES) {
            if (self == beganOn) {
                recordSwitches(sw, pf);
            } else {
                lastSwitches = sw;      // another thread's counts: "stop" records none
                lastFaults = pf;
            }
        }
        cpuReadBefore = self;
        last = now;
        fault("stop");
    }

    /** {@code -Dgort.gc.pausetrace.cpu=true}: every step's CPU (two clock reads more per step, inside the pause). */
    static final boolean STEP_CPU = dev.gort.sys.TuningProperty.flag("gort.gc.pausetrace.cpu", false);

    /**
     * {@code -Dgort.gc.pausetrace.switches=true}: each step's voluntary and involuntary context
     * switches of the thread running it, and its minor page faults (getrusage(RUSAGE_THREAD), two
     * calls per step inside the pause, ~1 us each; not a preemption point, see
     * {@link CpuClock#threadSwitches}). A step whose CPU is far above its usual, with faults: it
     * touched pages for the first time (~1.2 us each here). An
     * involuntary switch in a step whose wall is far above its CPU: the kernel took the thread's CPU
     * (and pausetrace.sched names who ran); a voluntary one: it blocked (a lock, a park).
     */
    static final boolean STEP_SWITCHES = dev.gort.sys.TuningProperty.flag("gort.gc.pausetrace.switches", false);

    private void record(String name, long wall, long cpu) {
        if (n == names.length) {       // more steps than ever seen (a new debug step): grow once
            names = java.util.Arrays.copyOf(names, n * 2);
            nanos = java.util.Arrays.copyOf(nanos, n * 2);
            cpus = java.util.Arrays.copyOf(cpus, n * 2);
            voluntary = java.util.Arrays.copyOf(voluntary, n * 2);
            involuntary = java.util.Arrays.copyOf(involuntary, n * 2);
            faults = java.util.Arrays.copyOf(faults, n * 2);
        }
        names[n] = name;
        nanos[n] = wall;
        cpus[n] = cpu;
        voluntary[n] = 0;
        involuntary[n] = 0;
        faults[n] = 0;
        n++;
    }

    /** The step just recorded gets the switches and faults since the last mark ({@code now}: CpuClock.threadSwitches(), {@code faultsNow}: threadMinorFaults()). */
    private void recordSwitches(long now, long faultsNow) {
        long d = now - lastSwitches;
        voluntary[n - 1] = CpuClock.voluntary(d);
        involuntary[n - 1] = CpuClock.involuntary(d);
        faults[n - 1] = (int) (faultsNow - lastFaults);
        lastSwitches = now;
        lastFaults = faultsNow;
    }

    /** System.nanoTime() of the last {@link #begin}: the stop request. */
    long startNanos() {
        return start;
    }

    /**
     * System.nanoTime() where the last ended pause ended ({@link #end}: the world's restart), valid
     * from that end until the next {@link #begin}; with {@link #startNanos} the pause's bounds,
     * which the cycle's gctrace clock and PauseNs are made of.
     */
    long endNanos() {
        return last;
    }

    /**
     * System.nanoTime() of the last step's end while the pause runs (the world still stopped):
     * mark termination's end as Go times it, its {@code now} taken before startTheWorldWithSema
     * (gcMarkTermination), so the restart is not in PauseNs, the clock or LastGC.
     */
    long lastStepNanos() {
        return last;
    }

    long elapsed() {
        return System.nanoTime() - start;
    }

    /** Ends the last step ("start": restarting the world) and returns the pause. */
    StwPause end(long cycle, StwPause.Kind kind) {
        return end(cycle, kind, 0);
    }

    /**
     * {@link #end(long, StwPause.Kind)} with the instant the world released its mutators
     * ({@link World#lastRestartNanos}, 0 = unknown: now): the "start" step ends there, so a
     * stopper descheduled by the threads it just woke does not lengthen the pause it reports.
     */
    StwPause end(long cycle, StwPause.Kind kind, long restartNanos) {
        finish(restartNanos);
        return build(cycle, kind);
    }

    /**
     * {@link #end}'s timed part: ends the "start" step at {@code restartNanos} (0 = unknown: now).
     * Allocates nothing; {@link #build} then makes the record. Apart so that the warm-up can run
     * it every round and build a record on a few ({@link #warmUp}).
     */
    private void finish(long restartNanos) {
        long now = System.nanoTime();
        long at = restartNanos > last && restartNanos <= now ? restartNanos : now;
        long cpu = restartCpu != 0 ? restartCpu : CpuClock.threadCpuNanos();
        restartCpu = 0;
        record("start", at - last, cpu - lastCpu);
        if (STEP_SWITCHES) {
            recordSwitches(restartSwitches != 0 ? restartSwitches : CpuClock.threadSwitches(),
                    restartSwitches != 0 ? restartFaults : CpuClock.threadMinorFaults());
            restartSwitches = 0;
        }
        last = at;
    }

    /**
     * The stopper's CPU clock when the world's restart call returned ({@link #restarted}), 0 when
     * not taken: the "start" step's CPU ends there. What the collector does after that (waking
     * its workers and sweeper, committing the JFR event) runs with the mutators going again and
     * is not pause work; it used to be counted in the step's CPU (40-130 us of it measured).
     */
    private long restartCpu;

    /** {@link #restartCpu}'s switches and faults ({@code -Dgort.gc.pausetrace.switches}), 0 when not taken. */
    private long restartSwitches;
    private long restartFaults;

    /** Called right after the world's startTheWorld returned. */
    void restarted() {
        restartCpu = CpuClock.threadCpuNanos();
        if (STEP_SWITCHES) {
            restartSwitches = CpuClock.threadSwitches();
            restartFaults = CpuClock.threadMinorFaults();
        }
    }

    private StwPause build(long cycle, StwPause.Kind kind) {
        List<StwPause.Step> steps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            steps.add(new StwPause.Step(names[i], nanos[i], cpus[i], voluntary[i], involuntary[i], faults[i]));
        }
        return new StwPause(cycle, kind, last - start, steps);
    }

    /**
     * Runs begin/step/end {@code rounds} times (world running, between cycles), so the
     * JIT compiles them: the pause path runs a few times per cycle and would otherwise stay
     * interpreted, where each step's two clock reads (one a native call) cost microseconds.
     * Most rounds end as a real pause does (a restart instant, the CPU read at the restart), some
     * without: a profile of only the latter had C2 compile the former as a trap, and {@code end}
     * was deoptimized inside gc 1's pause (-Xlog:deoptimization, session 15, jitpause).
     *
     * <p>One round in {@link #WARMUP_BUILD_EVERY} calls {@link #end} and builds the record; the
     * others end with {@link #finish}, the same timed code without the record. The record (a
     * StwPause, its step list and steps, ~250 B) is built after the restart, outside the pause,
     * and every round building one was half of the top-ups' Java garbage (~480 B a round, 30 MiB
     * over binary-trees 21's first 4 s, 5-6 host JVM collections: safepoints that stop the mutator;
     * session 23, rss23) and 7 MiB of the first warm-up's.
     * The timer's own steps (begin, stopped, step, restarted, finish) still run every round.
     */
    static void warmUp(int rounds) {
        PauseTimer t = new PauseTimer();
        for (int i = 0; i < rounds; i++) {
            t.begin();
            if (i % 7 == 3) {
                // As a pause whose steps run on another thread than the stopper's, which read no
                // clock before the request (a claimant that did not request it, an M that took its
                // P after the scheduler's reads): stopped() then reads the clock (and, with the
                // diagnostics, takes the other-thread branches). Rounds that never did had C2
                // compile those branches as traps, and the first such real pause deoptimized
                // stopped() inside it (-Xlog:deoptimization: trap_bci 92, and 48/113 with .cpu or
                // .switches, in gc 2-39 of depth-21 runs; session 28, pausecpu28).
                t.beganOn = WARMUP_OTHER_THREAD;
                t.cpuReadBefore = WARMUP_OTHER_THREAD;
            }
            // As a pause's start moved to the world's request (Coordinator.noteStopRequest), and, one
            // round in five, as a second call for the same request or a world that does not know
            // (ignored): both sides of its test are taken in real pauses, so neither is a trap.
            t.requestedAt(i % 5 == 2 ? 0 : System.nanoTime());
            t.stopped();
            t.step("work");
            boolean asAPause = (i & 3) != 0;
            if (asAPause) {
                t.restarted();
            }
            long restartNanos = asAPause ? System.nanoTime() : 0;
            if (i % WARMUP_BUILD_EVERY == WARMUP_BUILD_EVERY - 1) {
                t.end(0, StwPause.Kind.SWEEP_TERMINATION, restartNanos).stepNanos("stop");
            } else {
                t.finish(restartNanos);
            }
        }
    }

    /** A thread that never runs: the warm-up's stand-in for a stopper other than the thread running the steps. */
    private static final Thread WARMUP_OTHER_THREAD = Thread.ofPlatform().name("gort-pausetimer-warmup-other").unstarted(() -> { });

    /**
     * Warm-up rounds per built record (see {@link #warmUp}): the warm-up's 30,000 rounds and the
     * top-ups' 65,536 still build ~6,400, past C2's threshold (5000) for end, build and the
     * record's constructors. Odd, so the built rounds see both sides of the restart test.
     */
    static final int WARMUP_BUILD_EVERY = 15;
}
