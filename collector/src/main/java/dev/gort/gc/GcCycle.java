package dev.gort.gc;

/**
 * The figures of one finished GC cycle: what gctrace prints, what the JFR cycle event carries and
 * what MemStats accumulates. Times in nanoseconds, sizes in bytes. Each figure's meaning against
 * Go's is tabled in docs/performance.md (session 32, fields32).
 *
 * @param num             NumGC after this cycle (1 for the first)
 * @param sinceStartNanos sweep termination's stop request minus the runtime's start ("@T s", Go's tSweepTerm)
 * @param cpuFraction     GCCPUFraction after this cycle ("P%"): GC CPU since start, idle marking
 *                        excluded, over wall time since start x GOMAXPROCS
 * @param sweepTermWall   the sweep-termination pause: stop request to restart
 * @param markWall        the mark phase: that restart to mark termination's stop request
 *                        (mark-completion pauses fall inside it)
 * @param markTermWall    the mark-termination pause: stop request to restart
 * @param sweepTermCpu    CPU of the sweep-termination pause: its wall time x GOMAXPROCS capped at
 *                        the CPUs there are (Go's stwprocs)
 * @param assistCpu       CPU in mutator assists
 * @param backgroundCpu   CPU of the dedicated and fractional workers (and the coordinator's own marking)
 * @param idleCpu         CPU of the idle workers (not in {@code cpuFraction}, as Go); over threads also
 *                        the fractional worker's share past its goal on a P no mutator holds (WorkerTimeSplit)
 * @param markTermCpu     CPU of the mark-termination pause (wall x GOMAXPROCS capped at the CPUs)
 * @param heap0           heapLive at the start of the cycle (in sweep termination)
 * @param heap1           heapLive at mark termination
 * @param heap2           bytes marked live
 * @param goal            the heap goal of this cycle
 * @param stacks          scannable stack bytes this cycle scanned
 * @param globals         scannable global bytes
 * @param procs           GOMAXPROCS
 * @param trigger         what started the cycle; {@link #forced} only for {@link GcTrigger#USER}
 * @param pauseNanos      all of the cycle's stop-the-world pauses, each from its stop request to its
 *                        restart (PauseNs's entry): sweep termination + mark termination + any
 *                        mark-completion pause; in the gcstoptheworld modes the one pause
 */
public record GcCycle(long num, long sinceStartNanos, double cpuFraction,
                      long sweepTermWall, long markWall, long markTermWall,
                      long sweepTermCpu, long assistCpu, long backgroundCpu, long idleCpu, long markTermCpu,
                      long heap0, long heap1, long heap2, long goal, long stacks, long globals,
                      int procs, GcTrigger trigger, long pauseNanos) {

    /**
     * Session 31's form (no {@code pauseNanos}): the pauses are taken as the two termination
     * pauses, {@code sweepTermWall + markTermWall} (exact for a cycle without a mark-completion
     * pause in the concurrent mode).
     */
    public GcCycle(long num, long sinceStartNanos, double cpuFraction,
                   long sweepTermWall, long markWall, long markTermWall,
                   long sweepTermCpu, long assistCpu, long backgroundCpu, long idleCpu, long markTermCpu,
                   long heap0, long heap1, long heap2, long goal, long stacks, long globals,
                   int procs, GcTrigger trigger) {
        this(num, sinceStartNanos, cpuFraction, sweepTermWall, markWall, markTermWall, sweepTermCpu, assistCpu,
                backgroundCpu, idleCpu, markTermCpu, heap0, heap1, heap2, goal, stacks, globals, procs, trigger,
                sweepTermWall + markTermWall);
    }

    /**
     * The form before session 31 ({@code boolean forced} where the trigger is now), kept so that
     * code that builds cycles (tests, replay tools) still compiles: {@code forced} becomes
     * {@link GcTrigger#USER} (Gort.gc()), otherwise {@link GcTrigger#HEAP}; a time-triggered cycle
     * cannot be told this way. Pauses as in the form without {@code pauseNanos}.
     *
     * @deprecated pass the {@link GcTrigger} (and {@code pauseNanos}) instead
     */
    @Deprecated(since = "session 31")
    public GcCycle(long num, long sinceStartNanos, double cpuFraction,
                   long sweepTermWall, long markWall, long markTermWall,
                   long sweepTermCpu, long assistCpu, long backgroundCpu, long idleCpu, long markTermCpu,
                   long heap0, long heap1, long heap2, long goal, long stacks, long globals,
                   int procs, boolean forced) {
        this(num, sinceStartNanos, cpuFraction, sweepTermWall, markWall, markTermWall, sweepTermCpu, assistCpu,
                backgroundCpu, idleCpu, markTermCpu, heap0, heap1, heap2, goal, stacks, globals, procs,
                forced ? GcTrigger.USER : GcTrigger.HEAP);
    }

    /** Refuses a cycle without a trigger: {@link #forced()} and the JFR event read it. */
    public GcCycle {
        java.util.Objects.requireNonNull(trigger, "a GcCycle needs its trigger (HEAP, TIME or USER)");
    }

    /**
     * Go's work.userForced: started by Gort.gc() (runtime.GC). What gctrace's {@code (forced)} and
     * NumForcedGC count; sysmon's time-triggered cycle is not forced in this sense.
     */
    public boolean forced() {
        return trigger.userForced();
    }
}
