package dev.gort.gc;

/**
 * A platform mark worker's marking in one mark phase (ThreadWorld), split as Go's
 * gcControllerState counts its workers' time: dedicated, fractional, idle.
 *
 * <p>Go runs an idle worker only on a P with nothing else to do, and a P's fractional worker stops
 * once over its share. Over threads one fractional worker carries every P's fractional share (its
 * goal is the pacer's per-P goal x GOMAXPROCS), and while some P has no mutator it keeps marking
 * past that goal on the free P instead of stepping back: Go's idle worker, in the same thread. So
 * its marking counts as fractional up to goal x the time since its stint began, and what it marks
 * beyond that while a P no mutator holds exists counts as idle (Go's idleMarkTime: the pacer's
 * cons/mark adds it as idle utilization, GCCPUFraction leaves it out). Past its goal with every P
 * a mutator's, its time stays fractional: it took a mutator's P, and its step-back brings it back
 * to the goal. A dedicated worker's time is all dedicated, an idle-only worker's all idle.
 *
 * <p>Times are wall nanoseconds of marking (the chunks), as Go's worker stints are; the stint's
 * thread CPU is divided in the same proportion ({@link #idleCpuOf}), so background + idle CPU is
 * what the worker's thread used. One instance per worker thread, reused each mark phase, touched
 * only by that thread: no lock, no allocation.
 */
final class WorkerTimeSplit {
    static final int DEDICATED = GoroutineWorkers.DEDICATED;
    static final int FRACTIONAL = GoroutineWorkers.FRACTIONAL;
    static final int IDLE = GoroutineWorkers.IDLE;

    private int kind = DEDICATED;
    /** The fractional worker's share of one P's wall time (0 for the other kinds). */
    private double goal;
    private long startNanos;
    private long markedNanos;
    private long fractionalNanos;
    private long idleNanos;

    /** A new stint of {@code kind} starting at {@code startNanos}; {@code goal}: a fractional worker's share of a P. */
    void begin(int kind, double goal, long startNanos) {
        if (kind != DEDICATED && kind != FRACTIONAL && kind != IDLE) {
            throw new IllegalArgumentException("worker kind " + kind + ": expected DEDICATED (0), FRACTIONAL (1) or IDLE (2)");
        }
        this.kind = kind;
        this.goal = kind == FRACTIONAL ? Math.max(0, goal) : 0;
        this.startNanos = startNanos;
        markedNanos = 0;
        fractionalNanos = 0;
        idleNanos = 0;
    }

    /**
     * A stretch of marking of {@code dt} wall nanoseconds ending at {@code endNanos}; {@code idleP}:
     * some P had no mutator at its end. Returns the part of it that was idle marking; the rest is
     * the worker's own kind's.
     */
    long marked(long dt, long endNanos, boolean idleP) {
        if (dt <= 0) {
            return 0;
        }
        markedNanos += dt;
        long idle;
        if (kind == IDLE) {
            idle = dt;
        } else if (kind == DEDICATED || !idleP) {
            idle = 0;
        } else {
            long allowance = (long) (goal * (endNanos - startNanos)) - fractionalNanos;
            idle = dt - Math.max(0, Math.min(dt, allowance));
        }
        if (kind == FRACTIONAL) {
            fractionalNanos += dt - idle;
        }
        idleNanos += idle;
        return idle;
    }

    int kind() {
        return kind;
    }

    long markedNanos() {
        return markedNanos;
    }

    long idleNanos() {
        return idleNanos;
    }

    long fractionalNanos() {
        return fractionalNanos;
    }

    /**
     * The idle share of the stint's thread CPU {@code cpu}: all of an idle-only worker's, none of
     * a dedicated one's, a fractional one's in the proportion of its idle marking (its CPU outside
     * marking, the waits and the P hand-overs, shared the same way).
     */
    long idleCpuOf(long cpu) {
        if (cpu <= 0) {
            return 0;
        }
        if (kind == IDLE) {
            return cpu;
        }
        if (kind == DEDICATED || idleNanos == 0) {
            return 0;
        }
        return Math.min(cpu, (long) ((double) cpu * idleNanos / markedNanos));
    }
}
