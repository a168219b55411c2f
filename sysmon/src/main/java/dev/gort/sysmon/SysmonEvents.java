package dev.gort.sysmon;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR events sysmon emits, so JDK Mission Control shows gort's monitor at work. Each is committed
 * only when recording is on ({@code shouldCommit}); the rare duties they describe (a retake, a
 * preemption request, a scavenger pass) allocate one small event object then.
 */
final class SysmonEvents {
    private SysmonEvents() {
    }

    /**
     * Whether JFR runs in this JVM. The first instance of an event class makes JFR parse its
     * annotations and register it, which took over a second under load; sysmon must not stall a
     * round on that when nobody records, so no event object is made until JFR is initialized.
     */
    static boolean jfrInitialized() {
        return jdk.jfr.FlightRecorder.isInitialized();
    }

    /** Registers the event classes now (sysmon calls it before its first round when JFR runs). */
    static void warmUp() {
        new Retake();
        new Preempt();
        new Scavenge();
        new ForcedGc();
    }

    @Name("dev.gort.SysmonRetake")
    @Label("gort sysmon retake")
    @Category({"gort", "Scheduler"})
    @Description("sysmon took a P from an M blocked in a syscall and handed it to another M")
    @StackTrace(false)
    static final class Retake extends Event {
        @Label("P")
        int p;
        @Label("Time in syscall")
        @Timespan(Timespan.NANOSECONDS)
        long inSyscall;
        @Label("Local work waiting")
        boolean hadLocalWork;
    }

    @Name("dev.gort.SysmonPreempt")
    @Label("gort sysmon preemption request")
    @Category({"gort", "Scheduler"})
    @Description("sysmon asked the goroutine running on a P for too long to yield at its next safepoint")
    @StackTrace(false)
    static final class Preempt extends Event {
        @Label("P")
        int p;
        @Label("Goroutine")
        long goid;
        @Label("Running for")
        @Timespan(Timespan.NANOSECONDS)
        long runningFor;
        @Label("In a syscall")
        @Description("the slice ended while the goroutine was in a syscall: it yields when the call returns")
        boolean inSyscall;
    }

    @Name("dev.gort.Scavenge")
    @Label("gort scavenger pass")
    @Category({"gort", "Memory"})
    @Description("free heap pages returned to the OS with madvise, driven by sysmon")
    @StackTrace(false)
    static final class Scavenge extends Event {
        @Label("Reason")
        String reason;
        @Label("Released")
        @DataAmount
        long released;
        @Label("Heap released after")
        @DataAmount
        long heapReleased;
        @Label("Heap retained after")
        @DataAmount
        long heapRetained;
    }

    @Name("dev.gort.ForcedGc")
    @Label("gort forced GC request")
    @Category({"gort", "GC"})
    @Description("sysmon started a GC because none ran for the forced-GC period (a time-triggered cycle; not forced in MemStats' NumForcedGC sense)")
    @StackTrace(false)
    static final class ForcedGc extends Event {
        @Label("Since last GC")
        @Timespan(Timespan.NANOSECONDS)
        long sinceLastGc;
    }
}
