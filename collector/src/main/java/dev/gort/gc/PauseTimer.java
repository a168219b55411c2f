package dev.gort.gc;

import dev.gort.sys.CpuClock;

import java.util.ArrayList;
import java.util.List;

/**
 * Times the steps of one stop-the-world pause (one thread at a time: the coordinator; from
 * {@link #stopped} to {@link #restarted} of a mark termination handed to a mutator over
 * ThreadWorld, that mutator, see {@link StopHandOff}). {@link #begin} is called
 * just before the stop request, {@link #step} after each piece of work, {@link #end} after the
 * world restarted; each step's time is the time since the previous mark, so the steps add up to the
 * whole pause. The coordinator's CPU over the work (from the world stopped to its restart) is
 * recorded too, and per step with {@code -Dgort.gc.pausetrace.cpu=true}: on a loaded machine the
 * wall time of a step includes waiting for a CPU, its CPU time is the work itself.
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

    void begin() {
        beganOn = Thread.currentThread();
        n = 0;
        restartCpu = 0;
        lastCpu = STEP_CPU ? CpuClock.threadCpuNanos() : 0;
        start = System.nanoTime();
        last = start;
    }

    /**
     * Ends the step {@code name} now (a constant string: nothing is allocated). Its CPU is read
     * only with {@code -Dgort.gc.pausetrace.cpu=true}: the thread CPU clock is a system call
     * (clock_gettime(CLOCK_THREAD_CPUTIME_ID) is not in the vDSO), measured at 2-4 us warm and
     * 5-10 us cold on the shared 2-core machine, and a pause of ten steps read it ten times,
     * inside the pause, lengthening what it measured by 30-50 us. Without it a step records 0
     * CPU and the work's CPU is read twice: when the world stopped ({@link #stopped}) and when it
     * restarted (the "start" step carries it all), so {@link StwPause#workCpuNanos} is unchanged.
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
     * Before {@link #stopped}: the stop was requested at {@code nanos} (System.nanoTime()) by
     * another thread than the one that called {@link #begin} (a mutator asked to make it at its
     * safepoint): the pause starts there, since no mutator was stopped before. Ignored unless it
     * is after the begin and no step was recorded yet.
     */
    void requestedAt(long nanos) {
        if (n == 0 && nanos - start > 0 && System.nanoTime() - nanos >= 0) {
            start = nanos;
            last = nanos;
        }
    }

    /** Ends the "stop" step (the world is stopped): from here the CPU is the pause's work. */
    void stopped() {
        long now = System.nanoTime();
        long cpu = CpuClock.threadCpuNanos();
        // A mark termination handed to a mutator (StopHandOff) ends its stop on another thread than
        // begin() read: two threads' CPU clocks do not subtract, so that "stop" records none.
        record("stop", now - last, STEP_CPU && Thread.currentThread() == beganOn ? cpu - lastCpu : 0);
        lastCpu = cpu;
        last = now;
        fault("stop");
    }

    /** {@code -Dgort.gc.pausetrace.cpu=true}: every step's CPU (two clock reads more per step, inside the pause). */
    static final boolean STEP_CPU = dev.gort.sys.TuningProperty.flag("gort.gc.pausetrace.cpu", false);

    private void record(String name, long wall, long cpu) {
        if (n == names.length) {       // more steps than ever seen (a new debug step): grow once
            names = java.util.Arrays.copyOf(names, n * 2);
            nanos = java.util.Arrays.copyOf(nanos, n * 2);
            cpus = java.util.Arrays.copyOf(cpus, n * 2);
        }
        names[n] = name;
        nanos[n] = wall;
        cpus[n] = cpu;
        n++;
    }

    /** System.nanoTime() of the last {@link #begin}: the stop request. */
    long startNanos() {
        return start;
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
        last = at;
    }

    /**
     * The stopper's CPU clock when the world's restart call returned ({@link #restarted}), 0 when
     * not taken: the "start" step's CPU ends there. What the collector does after that (waking
     * its workers and sweeper, committing the JFR event) runs with the mutators going again and
     * is not pause work; it used to be counted in the step's CPU (40-130 us of it measured).
     */
    private long restartCpu;

    /** Called right after the world's startTheWorld returned. */
    void restarted() {
        restartCpu = CpuClock.threadCpuNanos();
    }

    private StwPause build(long cycle, StwPause.Kind kind) {
        List<StwPause.Step> steps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            steps.add(new StwPause.Step(names[i], nanos[i], cpus[i]));
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

    /**
     * Warm-up rounds per built record (see {@link #warmUp}): the warm-up's 30,000 rounds and the
     * top-ups' 65,536 still build ~6,400, past C2's threshold (5000) for end, build and the
     * record's constructors. Odd, so the built rounds see both sides of the restart test.
     */
    static final int WARMUP_BUILD_EVERY = 15;
}
