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
    private final List<StwPause.Step> steps = new ArrayList<>();

    void begin() {
        steps.clear();
        lastCpu = CpuClock.threadCpuNanos();
        start = System.nanoTime();
        last = start;
    }

    /** Ends the step {@code name} now. */
    void step(String name) {
        long now = System.nanoTime();
        long cpu = CpuClock.threadCpuNanos();
        steps.add(new StwPause.Step(name, now - last, cpu - lastCpu));
        last = now;
        lastCpu = cpu;
    }

    long elapsed() {
        return System.nanoTime() - start;
    }

    /** Ends the last step ("start": restarting the world) and returns the pause. */
    StwPause end(long cycle, StwPause.Kind kind) {
        step("start");
        return new StwPause(cycle, kind, last - start, steps);
    }

    /**
     * {@link #end(long, StwPause.Kind)} with the instant the world released its mutators
     * ({@link World#lastRestartNanos}, 0 = unknown: now): the "start" step ends there, so a
     * stopper descheduled by the threads it just woke does not lengthen the pause it reports.
     */
    StwPause end(long cycle, StwPause.Kind kind, long restartNanos) {
        long now = System.nanoTime();
        long at = restartNanos > last && restartNanos <= now ? restartNanos : now;
        steps.add(new StwPause.Step("start", at - last, CpuClock.threadCpuNanos() - lastCpu));
        last = at;
        return new StwPause(cycle, kind, last - start, steps);
    }
}
