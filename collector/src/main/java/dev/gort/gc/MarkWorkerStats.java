package dev.gort.gc;

/**
 * Background mark worker figures since the collector started (see {@link Collector#markWorkerStats()}).
 * Arrays are indexed by mode: 0 dedicated, 1 fractional, 2 idle (Go's gcMarkWorkerMode).
 *
 * @param goroutines true when the workers are goroutines chosen by the scheduler (SchedWorld)
 * @param workers    worker goroutines started (GOMAXPROCS once the first P allocated), 0 over threads
 * @param stints     times a worker was scheduled in each mode
 * @param nanos      wall nanoseconds spent marking in each mode
 * @param scanWork   bytes of scan work done in each mode
 */
public record MarkWorkerStats(boolean goroutines, int workers, long[] stints, long[] nanos, long[] scanWork) {
    public static final int DEDICATED = GoroutineWorkers.DEDICATED;
    public static final int FRACTIONAL = GoroutineWorkers.FRACTIONAL;
    public static final int IDLE = GoroutineWorkers.IDLE;

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(goroutines ? "goroutine workers=" + workers : "thread workers");
        for (int i = 0; i < 3; i++) {
            b.append(' ').append(GoroutineWorkers.MODE_NAMES[i]).append('=').append(stints[i]).append('/')
                    .append(nanos[i] / 1_000_000).append("ms/").append(scanWork[i] >> 10).append("KiB");
        }
        return b.toString();
    }
}
