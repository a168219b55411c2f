package dev.gort.sysmon;

/** What sysmon needs from the collector: when the last cycle ran, and a way to start one. */
public interface GcPort {
    /** Monotonic time (same clock as sysmon's) at which the last GC cycle ended, or 0 if none ran yet. */
    long lastGcNanos();

    /** Completed GC cycles (MemStats.NumGC); sysmon notices a new cycle by this changing. */
    long numGc();

    /** Whether the collector runs at all (false with GOGC=off: no forced GC either, as Go's gcTrigger.test). */
    boolean enabled();

    /** The heap goal of the current cycle in bytes, or 0 if unknown. */
    long heapGoal();

    /**
     * Starts a GC cycle in the background (Go: sysmon readies the forcegc helper goroutine; sysmon
     * itself has no P and cannot collect). Returns false if a cycle is already running, so the
     * request was not needed. A request accepted may still not start: the collector re-tests its
     * trigger before the start (Go's gcStart) and drops it when GOGC was turned off, or when a
     * cycle ended after the request, or a gc() call joined it before its start (that cycle is
     * gc()'s); {@link #forcedCyclesStarted} counts those that started as sysmon's.
     */
    boolean requestForcedGc();

    /**
     * Cycles started so far for these requests (Go's gcTriggerTime cycles), a count that only
     * grows: sysmon's {@code forcedGcs} and its ForcedGc JFR events follow it. These cycles are
     * sysmon's "forced GC" only: Go's work.userForced is not set for them, so the collector prints
     * no {@code (forced)} on their gctrace line and leaves them out of MemStats.NumForcedGC.
     */
    long forcedCyclesStarted();
}
