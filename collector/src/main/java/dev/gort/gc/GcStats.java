package dev.gort.gc;

/**
 * The collector's part of MemStats, accumulated cycle by cycle with Go's semantics (runtime.MemStats):
 * NumGC, NumForcedGC, PauseTotalNs, the 256-entry PauseNs/PauseEnd rings (most recent at
 * {@code [(NumGC+255) % 256]}), LastGC, NextGC and GCCPUFraction.
 *
 * <p>Writers: the collector at the end of each cycle (one at a time). Readers: any thread, through
 * {@link #snapshot}, which copies under the same lock so the figures are consistent with each other.
 */
public final class GcStats {
    public static final int PAUSE_RING = 256;

    private final long startNanos;
    private long numGC;
    /** Go's NumForcedGC: cycles the application forced with Gort.gc() (runtime.GC); not sysmon's time-triggered ones. */
    private long numForcedGC;
    private long pauseTotalNs;
    private final long[] pauseNs = new long[PAUSE_RING];
    private final long[] pauseEnd = new long[PAUSE_RING];
    private long lastGC;
    private long nextGC;
    private long gcCpuNanos;
    /** Go's cpuStats.GCPauseTime: every pause's stopped wall time x GOMAXPROCS, summed (in {@link #gcCpuNanos} too). */
    private long gcPauseCpuNanos;
    /**
     * Go's cpuStats.TotalTime is GOMAXPROCS integrated over time (sched.totaltime, brought up to
     * date at each procresize): the processor-nanoseconds up to {@link #procsSince}, when
     * GOMAXPROCS last changed (the start until a change).
     */
    private long procNanosBefore;
    private long procsSince;
    private double gcCpuFraction;
    private GcCycle last;

    /** @param startNanos the runtime's start on the monotonic clock (System.nanoTime) */
    public GcStats(long startNanos) {
        this.startNanos = startNanos;
        this.procsSince = startNanos;
    }

    public long startNanos() {
        return startNanos;
    }

    /**
     * The CPU fraction to print for a cycle ending now: GC CPU so far (including this cycle's,
     * excluding idle workers, as Go) over the processor time since start, GOMAXPROCS integrated
     * over time (Go's cpuStats.TotalTime): {@code procs}, GOMAXPROCS now, counts only since its
     * last change ({@link #procsChanged}).
     */
    public synchronized double cpuFractionWith(long cycleGcCpuNanos, long nowNanos, int procs) {
        double total = procNanosBefore + (double) Math.max(0, nowNanos - procsSince) * Math.max(1, procs);
        return (double) (gcCpuNanos + cycleGcCpuNanos) / Math.max(1.0, total);
    }

    /**
     * GOMAXPROCS changed at {@code nowNanos} (System.nanoTime) from {@code oldProcs}: the time since
     * the last change counts at {@code oldProcs} processors in the fraction's denominator, as Go's
     * procresize adds {@code old x (now - procresizetime)} to sched.totaltime.
     */
    public synchronized void procsChanged(long nowNanos, int oldProcs) {
        if (oldProcs < 1) {
            throw new IllegalArgumentException("GOMAXPROCS before the change must be >= 1, got " + oldProcs);
        }
        if (nowNanos > procsSince) {
            procNanosBefore += (nowNanos - procsSince) * oldProcs;
            procsSince = nowNanos;
        }
    }

    /**
     * Records a finished cycle; {@code endEpochNanos} is the wall-clock (Unix) time it ended. Its GC
     * CPU for the fraction is taken as the gctrace figures (the two termination pauses at their
     * gctrace CPU, assists, background; idle left out); the collector passes Go's exact sum with
     * {@link #record(GcCycle, long, long, long, long)}.
     */
    public synchronized void record(GcCycle c, long endEpochNanos, long nextGoal) {
        record(c, endEpochNanos, nextGoal, c.sweepTermCpu() + c.assistCpu() + c.backgroundCpu() + c.markTermCpu(),
                c.sweepTermCpu() + c.markTermCpu());
    }

    /**
     * Records a finished cycle with its GC CPU as Go's cpuStats counts it for GCCPUFraction:
     * {@code gcCpuNanos} = assists + dedicated/fractional workers + {@code pauseCpuNanos}, the
     * pauses' CPU (each pause's wall from the world stopped to just before its restart, x GOMAXPROCS:
     * Go's accumulateGCPauseTime, mark-completion pauses included); idle marking left out.
     */
    public synchronized void record(GcCycle c, long endEpochNanos, long nextGoal, long gcCpuNanos, long pauseCpuNanos) {
        if (c.num() != numGC + 1) {
            throw new IllegalStateException("GC cycle " + c.num() + " recorded after cycle " + numGC);
        }
        int i = (int) (numGC % PAUSE_RING);
        pauseNs[i] = c.pauseNanos();
        pauseEnd[i] = endEpochNanos;
        pauseTotalNs += c.pauseNanos();
        numGC = c.num();
        if (c.forced()) {
            numForcedGC++;
        }
        lastGC = endEpochNanos;
        nextGC = nextGoal;
        this.gcCpuNanos += gcCpuNanos;
        gcPauseCpuNanos += pauseCpuNanos;
        gcCpuFraction = c.cpuFraction();
        last = c;
    }

    /**
     * NextGC between cycles: the goal now (Go's ReadMemStats reads gcController.heapGoal()), set at
     * the collector's creation (the first goal) and whenever GOGC or the memory limit change it
     * (under a limit also at a refill after stacks moved between cycles).
     * {@link Pacer#INFINITE} (Long.MAX_VALUE) when there is none (GOGC=off without a limit).
     */
    public synchronized void setNextGC(long goal) {
        nextGC = goal;
    }

    /**
     * NumGC alone, without {@link #snapshot}'s copies of the two 256-entry rings (4 KiB a call): the
     * collector asks for it at least twice a cycle (the next cycle's number), which made snapshot the
     * largest per-cycle Java allocator after start-up (~1.3 MiB over a depth-21 binary-trees run).
     */
    public synchronized long numGC() {
        return numGC;
    }

    /** GC CPU so far, as GCCPUFraction's numerator (idle marking left out). */
    public synchronized long gcCpuNanos() {
        return gcCpuNanos;
    }

    /**
     * The pauses' CPU so far (Go's cpuStats.GCPauseTime, runtime/metrics
     * {@code /cpu/classes/gc/pause:cpu-seconds}): each pause's wall time from the world stopped to
     * just before its restart x GOMAXPROCS, mark-completion pauses included. Part of
     * {@link #gcCpuNanos}.
     */
    public synchronized long gcPauseCpuNanos() {
        return gcPauseCpuNanos;
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(numGC, numForcedGC, pauseTotalNs, pauseNs.clone(), pauseEnd.clone(), lastGC, nextGC, gcCpuFraction, last);
    }

    /** MemStats' GC fields, Go's names. */
    public record Snapshot(long numGC, long numForcedGC, long pauseTotalNs, long[] pauseNs, long[] pauseEnd,
                           long lastGC, long nextGC, double gcCpuFraction, GcCycle lastCycle) {
        /** The pause of the most recent cycle (0 before the first). */
        public long lastPauseNs() {
            return numGC == 0 ? 0 : pauseNs[(int) ((numGC + PAUSE_RING - 1) % PAUSE_RING)];
        }
    }
}
