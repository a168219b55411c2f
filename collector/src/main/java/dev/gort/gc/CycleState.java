package dev.gort.gc;

/**
 * What one collection cycle carries from phase to phase ({@link Coordinator}'s runCycle:
 * sweep termination, the mark phase, mark termination, the tail after it, the accounting): its
 * settings read once at its start, and the times and counts a later phase or the cycle's record
 * needs. Made at the start of each cycle, before the first pause, and used only by the coordinator
 * thread, so nothing here is shared or synchronized; nothing is allocated inside a pause.
 */
final class CycleState {
    /** What started this cycle (only {@link GcTrigger#USER} is forced in Go's sense). */
    final GcTrigger trigger;
    final GcOptions opt;
    /** GOMAXPROCS at the cycle's start (the mark workers' count, the CPU figures). */
    final int procs;
    /** {@link GcOptions#gcstoptheworld()}: 0 concurrent, 1 or 2 one pause for the whole cycle. */
    final int stwMode;
    /** This cycle's number (the pauses' label). */
    final long cycle;
    final PauseTimer pt;

    /** Stacks are scanned during the mark phase (under the scheduler, concurrent mode). */
    boolean concurrentStacks;
    long stackBytes;
    long heap0;
    long heap1;
    long bytesMarked;
    long scanWork;
    /** Pause time so far this cycle (the sum of its pauses; in the gcstoptheworld modes the one pause). */
    long pauseNs;
    // System.nanoTime() at: sweep termination's start (world stopped), the mark phase's start,
    // mark termination's start, the end of mark termination's work, and the end of its last step
    // before the restart (Go's tEnd, its "now" in gcMarkTermination: the pause's end as PauseNs,
    // the clock and LastGC count it).
    long tSweepTerm;
    long tMark;
    long tMarkTerm;
    long tMarkTermWork;
    long tEnd;
    /**
     * The wall clock (Unix ns) read in the pause right after {@link #tEnd}, before the restart
     * (Go's {@code unixNow} in gcMarkTermination): LastGC and the PauseEnd entry.
     */
    long tEndEpochNanos;
    // The bounds of the cycle's phases as Go's gctrace clock has them (System.nanoTime()): the
    // sweep-termination stop request (Go's tSweepTerm, "@T"), the mark phase's start (that pause's
    // restart; in the gcstoptheworld modes tMark), mark termination's stop request (tMarkTerm in
    // those modes) and its end before the restart (Go's tEnd, = tEnd). Taken from the pause timer,
    // so the first and third clock figures are exactly the pauses PauseNs sums.
    long clockStart;
    long clockMark;
    long clockMarkTerm;
    long clockEnd;
    /**
     * The cycle's pauses' wall time with the world stopped (each from "stop"'s end to before its
     * restart: Go's nanotime() - stw.finishedStopping at each accumulateGCPauseTime), mark-completion
     * pauses included; in the gcstoptheworld modes the mark inside the one pause left out (the
     * coordinator's mark CPU is the background figure). x GOMAXPROCS: the pauses' CPU in GCCPUFraction.
     */
    long pauseStoppedNs;
    /** The coordinator's thread CPU at the mark phase's start (the gcstoptheworld modes' mark CPU). */
    long cpuStart;

    CycleState(GcTrigger trigger, GcOptions opt, int procs, int stwMode, long cycle, PauseTimer pt) {
        this.trigger = trigger;
        this.opt = opt;
        this.procs = procs;
        this.stwMode = stwMode;
        this.cycle = cycle;
        this.pt = pt;
    }
}
