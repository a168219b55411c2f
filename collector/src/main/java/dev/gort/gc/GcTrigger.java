package dev.gort.gc;

/**
 * What started a GC cycle: Go's gcTrigger kinds as gort's cycles know them. Only {@link #USER}
 * is "forced" in Go's sense (work.userForced): it alone gets gctrace's {@code (forced)} suffix and
 * counts in MemStats.NumForcedGC. sysmon's 2-minute cycle ({@link #TIME}) is an ordinary cycle
 * there; gctrace's {@code GC forced} line printed before its start is all that marks it.
 */
public enum GcTrigger {
    /**
     * Go's gcTriggerHeap: heapLive reached the armed trigger. The memory limit (GOMEMLIMIT) only
     * lowers that trigger, as in Go, so its cycles are heap cycles too. Also a cycle of no known
     * origin (the test stepping's runTo).
     */
    HEAP,
    /** Go's gcTriggerTime: sysmon's forced GC after its period with no cycle (forcegchelper). */
    TIME,
    /** Go's gcTriggerCycle from runtime.GC: {@code Gort.gc()} / {@link Collector#gc()}; work.userForced. */
    USER;

    /** Whether Go counts such a cycle as forced (work.userForced: the gctrace suffix, NumForcedGC). */
    public boolean userForced() {
        return this == USER;
    }
}
