package dev.gort.gc;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/** JFR event for one finished GC cycle: the gctrace figures, committed at mark termination. */
@Name("dev.gort.GcCycle")
@Label("gort GC Cycle")
@Category({"gort", "GC"})
@Description("One gort collection: phases, CPU, heap sizes and goal (the figures of a gctrace line)")
public final class GcCycleEvent extends Event {
    @Label("GC Number") public long gcNumber;
    /** Go's work.userForced: started by Gort.gc() only (not sysmon's time-triggered cycle; see {@link #trigger}). */
    @Label("Forced") @Description("Started by Gort.gc() (Go's runtime.GC); sysmon's 2-minute cycle is not forced")
    public boolean forced;
    /** What started the cycle: HEAP, TIME (sysmon's 2-minute forced GC) or USER (Gort.gc()); {@link GcTrigger}. */
    @Label("Trigger") @Description("HEAP (heap trigger, GOGC or the memory limit), TIME (sysmon's 2-minute forced GC) or USER (Gort.gc())")
    public String trigger;
    @Label("Sweep Termination") @Timespan(Timespan.NANOSECONDS) public long sweepTermination;
    @Label("Concurrent Mark") @Timespan(Timespan.NANOSECONDS) public long concurrentMark;
    @Label("Mark Termination") @Timespan(Timespan.NANOSECONDS) public long markTermination;
    @Label("Pauses") @Description("All of the cycle's stop-the-world pauses, stop request to restart: MemStats' PauseNs entry")
    @Timespan(Timespan.NANOSECONDS) public long pauses;
    @Label("Sweep Termination CPU") @Timespan(Timespan.NANOSECONDS) public long sweepTerminationCpu;
    @Label("Mark Termination CPU") @Timespan(Timespan.NANOSECONDS) public long markTerminationCpu;
    @Label("Assist CPU") @Timespan(Timespan.NANOSECONDS) public long assistCpu;
    @Label("Background CPU") @Timespan(Timespan.NANOSECONDS) public long backgroundCpu;
    @Label("Idle CPU") @Description("Idle mark workers (not in the GC CPU fraction, as Go)") @Timespan(Timespan.NANOSECONDS) public long idleCpu;
    @Label("Heap At Start") @DataAmount public long heapStart;
    @Label("Heap At Mark Termination") @DataAmount public long heapEnd;
    @Label("Heap Marked") @DataAmount public long heapMarked;
    @Label("Heap Goal") @DataAmount public long heapGoal;
    @Label("Stacks Scanned") @DataAmount public long stacks;
    @Label("Globals Scanned") @DataAmount public long globals;
    @Label("GOMAXPROCS") public int procs;
    @Label("GC CPU Fraction") public double cpuFraction;

    /** Fills the event from a cycle's figures. */
    public void set(GcCycle c) {
        gcNumber = c.num();
        forced = c.forced();
        trigger = c.trigger().name();
        sweepTermination = c.sweepTermWall();
        concurrentMark = c.markWall();
        markTermination = c.markTermWall();
        pauses = c.pauseNanos();
        sweepTerminationCpu = c.sweepTermCpu();
        markTerminationCpu = c.markTermCpu();
        assistCpu = c.assistCpu();
        backgroundCpu = c.backgroundCpu();
        idleCpu = c.idleCpu();
        heapStart = c.heap0();
        heapEnd = c.heap1();
        heapMarked = c.heap2();
        heapGoal = c.goal();
        stacks = c.stacks();
        globals = c.globals();
        procs = c.procs();
        cpuFraction = c.cpuFraction();
    }
}
