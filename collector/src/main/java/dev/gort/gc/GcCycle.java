package dev.gort.gc;

/**
 * The figures of one finished GC cycle: what gctrace prints, what the JFR cycle event carries and
 * what MemStats accumulates. Times in nanoseconds, sizes in bytes.
 *
 * @param num             NumGC after this cycle (1 for the first)
 * @param sinceStartNanos sweep termination time minus runtime start ("@T s")
 * @param cpuFraction     GC CPU / available CPU since start (GCCPUFraction, "P%")
 * @param sweepTermWall   wall time of the sweep-termination STW
 * @param markWall        wall time of concurrent mark
 * @param markTermWall    wall time of the mark-termination STW
 * @param sweepTermCpu    CPU of the sweep-termination STW (wall x procs, as Go)
 * @param assistCpu       CPU in mutator assists
 * @param backgroundCpu   CPU in dedicated + fractional workers
 * @param idleCpu         CPU in idle workers
 * @param markTermCpu     CPU of the mark-termination STW (wall x procs)
 * @param heap0           heapLive at the start of the cycle
 * @param heap1           heapLive at mark termination
 * @param heap2           bytes marked live
 * @param goal            the heap goal of this cycle
 * @param stacks          scannable stack bytes
 * @param globals         scannable global bytes
 * @param procs           GOMAXPROCS
 * @param trigger         what started the cycle; {@link #forced} only for {@link GcTrigger#USER}
 */
public record GcCycle(long num, long sinceStartNanos, double cpuFraction,
                      long sweepTermWall, long markWall, long markTermWall,
                      long sweepTermCpu, long assistCpu, long backgroundCpu, long idleCpu, long markTermCpu,
                      long heap0, long heap1, long heap2, long goal, long stacks, long globals,
                      int procs, GcTrigger trigger) {

    /**
     * Go's work.userForced: started by Gort.gc() (runtime.GC). What gctrace's {@code (forced)} and
     * NumForcedGC count; sysmon's time-triggered cycle is not forced in this sense.
     */
    public boolean forced() {
        return trigger.userForced();
    }

    /** Total stop-the-world pause of the cycle (what PauseNs records). */
    public long pauseNanos() {
        return sweepTermWall + markTermWall;
    }
}
