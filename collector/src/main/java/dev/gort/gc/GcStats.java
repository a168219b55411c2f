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
    private double gcCpuFraction;
    private GcCycle last;

    /** @param startNanos the runtime's start on the monotonic clock (System.nanoTime) */
    public GcStats(long startNanos) {
        this.startNanos = startNanos;
    }

    public long startNanos() {
        return startNanos;
    }

    /**
     * The CPU fraction to print for a cycle ending now: GC CPU so far (including this cycle's,
     * excluding idle workers, as Go) over wall time since start x GOMAXPROCS.
     */
    public synchronized double cpuFractionWith(long cycleGcCpuNanos, long nowNanos, int procs) {
        long wall = Math.max(1, nowNanos - startNanos);
        return (double) (gcCpuNanos + cycleGcCpuNanos) / ((double) wall * Math.max(1, procs));
    }

    /** Records a finished cycle; {@code endEpochNanos} is the wall-clock (Unix) time it ended. */
    public synchronized void record(GcCycle c, long endEpochNanos, long nextGoal) {
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
        gcCpuNanos += c.sweepTermCpu() + c.assistCpu() + c.backgroundCpu() + c.markTermCpu();
        gcCpuFraction = c.cpuFraction();
        last = c;
    }

    /**
     * NextGC between cycles: the goal now (Go's ReadMemStats reads gcController.heapGoal()), set at
     * the collector's creation (the first goal) and whenever GOGC or the memory limit change it.
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
