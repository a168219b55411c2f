package dev.gort.gc;

import dev.gort.sys.CpuClock;

import java.util.ArrayList;
import java.util.List;

/**
 * Times the steps of one stop-the-world pause (coordinator thread only). {@link #begin} is called
 * just before the stop request, {@link #step} after each piece of work, {@link #end} after the
 * world restarted; each step's time is the time since the previous mark, so the steps add up to the
 * whole pause. Each step also records the coordinator's CPU time in it: on a loaded machine the
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

    void begin() {
        n = 0;
        restartCpu = 0;
        lastCpu = CpuClock.threadCpuNanos();
        start = System.nanoTime();
        last = start;
    }

    /** Ends the step {@code name} now (a constant string: nothing is allocated). */
    void step(String name) {
        long now = System.nanoTime();
        long cpu = CpuClock.threadCpuNanos();
        record(name, now - last, cpu - lastCpu);
        last = now;
        lastCpu = cpu;
    }

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
        step("start");
        return build(cycle, kind);
    }

    /**
     * {@link #end(long, StwPause.Kind)} with the instant the world released its mutators
     * ({@link World#lastRestartNanos}, 0 = unknown: now): the "start" step ends there, so a
     * stopper descheduled by the threads it just woke does not lengthen the pause it reports.
     */
    StwPause end(long cycle, StwPause.Kind kind, long restartNanos) {
        long now = System.nanoTime();
        long at = restartNanos > last && restartNanos <= now ? restartNanos : now;
        long cpu = restartCpu != 0 ? restartCpu : CpuClock.threadCpuNanos();
        restartCpu = 0;
        record("start", at - last, cpu - lastCpu);
        last = at;
        return build(cycle, kind);
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
     * Runs begin/step/end {@code rounds} times (world running, before the first cycle), so the
     * JIT compiles them: the pause path runs a few times per cycle and would otherwise stay
     * interpreted, where each step's two clock reads (one a native call) cost microseconds.
     */
    static void warmUp(int rounds) {
        PauseTimer t = new PauseTimer();
        for (int i = 0; i < rounds; i++) {
            t.begin();
            t.step("stop");
            t.step("work");
            t.end(0, StwPause.Kind.SWEEP_TERMINATION, 0).stepNanos("stop");
        }
    }
}
