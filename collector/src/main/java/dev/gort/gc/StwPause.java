package dev.gort.gc;

import java.util.List;

/**
 * One stop-the-world pause of the collector, broken down by step: how long the world took to stop
 * (time to safepoint: the mutators must reach an allocation or a poll), each piece of work done
 * while it was stopped, and restarting it. Delivered to
 * {@link Collector#setPauseBreakdownListener} and, with {@code -Dgort.gc.pausetrace=true}, printed
 * after the gctrace line as
 * {@code pause gc 3 mark termination 0.210 ms: stop 0.040, flush 0.012, ... (work cpu 0.150 ms)}.
 *
 * @param cycle      the cycle's number (NumGC once it ends)
 * @param kind       which pause
 * @param totalNanos from the stop request until the world runs again (what PauseNs counts)
 * @param steps      the parts, in order; they add up to {@code totalNanos}
 * @param stopDetail the slowest mutator to stop and where it was when asked, or null if unknown
 */
public record StwPause(long cycle, Kind kind, long totalNanos, List<Step> steps, String stopDetail) {
    /** Go's three kinds of collector pause (gcstoptheworld modes mark inside the first). */
    public enum Kind {
        SWEEP_TERMINATION("sweep termination"),
        MARK_COMPLETION("mark completion (late work, marking resumed)"),
        MARK_TERMINATION("mark termination");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One step: its name ("stop", "finishsweep", "stacks", "start", ...), its wall time and the
     * CPU time the collector's thread spent in it (less than the wall time when that thread waited:
     * for the mutators to stop, or for a CPU on a loaded machine). The CPU is per step only with
     * {@code -Dgort.gc.pausetrace.cpu=true}; otherwise the steps between the stop and the restart
     * carry 0 and "start" carries the pause's whole CPU (see PauseTimer.stopped for over what).
     * The context switches of the thread running the step, voluntary and involuntary, and its minor
     * page faults are counted only with {@code -Dgort.gc.pausetrace.switches=true} (0 otherwise).
     */
    public record Step(String name, long nanos, long cpuNanos, int voluntarySwitches, int involuntarySwitches, int minorFaults) {
        public Step(String name, long nanos, long cpuNanos) {
            this(name, nanos, cpuNanos, 0, 0, 0);
        }

        public Step(String name, long nanos, long cpuNanos, int voluntarySwitches, int involuntarySwitches) {
            this(name, nanos, cpuNanos, voluntarySwitches, involuntarySwitches, 0);
        }
    }

    public StwPause {
        steps = List.copyOf(steps);
    }

    public StwPause(long cycle, Kind kind, long totalNanos, List<Step> steps) {
        this(cycle, kind, totalNanos, steps, null);
    }

    /** This pause with {@code detail} as its stop detail (built after the restart, outside the pause). */
    public StwPause withStopDetail(String detail) {
        return new StwPause(cycle, kind, totalNanos, steps, detail);
    }

    /** The duration of step {@code name}, 0 if this pause has no such step. */
    public long stepNanos(String name) {
        long t = 0;
        for (Step s : steps) {
            if (s.name.equals(name)) {
                t += s.nanos;
            }
        }
        return t;
    }

    /**
     * CPU time of the thread that ran the pause's steps, "stop" excluded: the work done while
     * stopped; without {@code -Dgort.gc.pausetrace.cpu=true}, when that thread read its CPU clock
     * before the stop request (the stopper, or the mutator that made the request and then ran the
     * steps), its CPU from there, the stop's included (no clock is read inside the pause then,
     * see PauseTimer).
     */
    public long workCpuNanos() {
        long t = 0;
        for (Step s : steps) {
            if (!s.name.equals("stop")) {
                t += s.cpuNanos;
            }
        }
        return t;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("pause gc ").append(cycle).append(' ').append(kind.label()).append(' ')
                .append(ms(totalNanos)).append(" ms:");
        String sep = " ";
        for (Step s : steps) {
            b.append(sep).append(s.name).append(' ').append(ms(s.nanos));
            if (STEP_CPU) {
                b.append('/').append(ms(s.cpuNanos));
            }
            if (s.voluntarySwitches != 0 || s.involuntarySwitches != 0) {
                b.append(" sw ").append(s.voluntarySwitches).append('v').append(s.involuntarySwitches).append('i');
            }
            if (s.minorFaults != 0) {
                b.append(" pf ").append(s.minorFaults);
            }
            sep = ", ";
        }
        b.append(" (work cpu ").append(ms(workCpuNanos())).append(" ms)");
        if (stopDetail != null) {
            b.append(" [").append(stopDetail).append(']');
        }
        return b.toString();
    }

    /**
     * {@code -Dgort.gc.pausetrace.cpu=true}: each step prints as {@code name wall/cpu} (the
     * collector thread's CPU in it), to tell waiting for a CPU or a lock from work.
     */
    private static final boolean STEP_CPU = PauseTimer.STEP_CPU;

    private static String ms(long ns) {
        return Millis.of(ns);
    }
}
