package dev.gort.gc;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Where the collector's stop-the-world pauses go once measured: the pause listeners (benchmarks'
 * pause distributions, the per-step breakdown), the JFR pause event, SchedTrace and the
 * {@code -Dgort.gc.pausetrace} lines printed after each cycle. Owns the {@link PauseTimer} the
 * coordinator steps through each pause.
 *
 * <p>Coordinator thread only, except the listener setters (volatile fields, read once per pause).
 */
final class PauseReporter {
    static final boolean PAUSE_TRACE = dev.gort.sys.TuningProperty.flag("gort.gc.pausetrace", false);
    /**
     * Enough begin/step/end rounds for C2 (its invocation threshold is 5000 by default, scaled up
     * while the compile queue is long, as at start-up: with 12,000 rounds PauseTimer.step's C2
     * request still came at its 12,487th call, inside binary-trees' gc 55 at load 6-8).
     */
    static final int PAUSE_TIMER_WARMUP_ROUNDS = 30_000;
    private static volatile boolean pauseTimerWarm;

    /**
     * The rounds of {@link PauseTimer#warmUp} the calling coordinator is to run, in steps of its
     * warm-up: {@link #PAUSE_TIMER_WARMUP_ROUNDS} for the first collector of this JVM, 0 for the
     * others (compiled code is shared by every collector). A collector closed before it ran them
     * leaves the rest undone for this JVM; the top-ups run the same rounds after each early cycle.
     */
    static synchronized int claimPauseTimerWarmUp() {
        if (pauseTimerWarm) {
            return 0;
        }
        pauseTimerWarm = true;
        return PAUSE_TIMER_WARMUP_ROUNDS;
    }

    final PauseTimer timer = new PauseTimer();
    private final World world;
    private final GcStats stats;
    private final BackgroundThreads background;
    /** The coordinator's store gate: the pause line names a storer it found holding it. */
    private final StoreGate storeGate;
    private final SchedTrace schedTrace = SchedTrace.ENABLED ? new SchedTrace() : null;
    private final List<StwPause> cyclePauses = new ArrayList<>();
    private final List<String> cycleSched = new ArrayList<>();        // SchedTrace lines beside cyclePauses (null: none)
    private final List<Long> cycleStarts = new ArrayList<>();         // each pause's stop request, System.nanoTime()
    private GcPauseEvent pauseEvent;
    private volatile LongConsumer pauseListener;
    private volatile Consumer<StwPause> pauseBreakdownListener;

    PauseReporter(World world, GcStats stats, BackgroundThreads background, StoreGate storeGate) {
        this.world = world;
        this.storeGate = storeGate;
        this.stats = stats;
        this.background = background;
    }

    void setPauseListener(LongConsumer l) {
        pauseListener = l;
    }

    void setPauseBreakdownListener(Consumer<StwPause> l) {
        pauseBreakdownListener = l;
    }

    /**
     * Runs the pause bookkeeping once before the first cycle (world running, nothing stopped): the
     * first execution of a code path loads and links its classes, which would otherwise land inside
     * the first cycle's pauses (milliseconds, measured).
     */
    void warmUp() {
        PauseTimer t = new PauseTimer();
        t.begin();
        t.stopped();
        StwPause p = t.end(0, StwPause.Kind.SWEEP_TERMINATION);
        p.stepNanos("stop");
        new GcPauseEvent().isEnabled();
        cyclePauses.clear();
        cycleSched.clear();
    }

    /**
     * {@code n} pause and cycle events made and asked whether they are on, as {@link #beforeStop}
     * and the cycle's end do (nothing is committed: an event not begun or asked is dropped). Three
     * or four events a cycle took jdk.jfr.Event's constructor past C1's threshold (200 calls) at a
     * fixed cycle, just before a stop (gc 85 of the 1 GiB goroutine world), so its compile ran
     * beside that pause; called by the coordinator's top-ups, world running.
     */
    static void warmUpEvents(int n) {
        for (int i = 0, k = claimEventWarmUp(n); i < k; i++) {
            new GcPauseEvent().isEnabled();
            new GcCycleEvent().shouldCommit();
        }
    }

    /**
     * Calls of {@link #warmUpEvents}' pair this JVM makes in all: past C1's threshold (200) by far
     * and C2's (5000) when the compile queue is short. The event objects are Java garbage (~170 B
     * a pair), so the top-ups' later rounds make none: before this bound their 65,536 pairs were
     * 11 MiB of it, more host JVM collections inside the run (session 24, hostgc24).
     */
    static final int EVENT_WARMUP_CALLS = 6_000;
    private static int eventWarmUpsClaimed;

    /** How many of {@code n} event pairs the caller is to make ({@link #EVENT_WARMUP_CALLS} in all per JVM). */
    private static synchronized int claimEventWarmUp(int n) {
        int k = Math.max(0, Math.min(n, EVENT_WARMUP_CALLS - eventWarmUpsClaimed));
        eventWarmUpsClaimed += k;
        return k;
    }

    /**
     * Just before the stop request: the JFR event is prepared (the first event object loads JFR's
     * classes, which can take long: the mutators still run meanwhile, so it is not part of the
     * pause); the caller then begins {@link #timer}, the pause's start.
     */
    void beforeStop(String reason) {
        GcPauseEvent e = new GcPauseEvent();
        if (e.isEnabled()) {
            e.phase = reason;
            e.gcNumber = stats.numGC() + 1;
            e.begin();
            pauseEvent = e;
        }
        if (SchedTrace.ENABLED) {
            schedTrace.begin();
        }
    }

    /** The world restarted and its wake-ups are done: the JFR pause event ends. */
    void commitPauseEvent() {
        GcPauseEvent e = pauseEvent;
        if (e != null) {
            pauseEvent = null;
            e.commit();
        }
    }

    /** Hands a finished pause to the listeners and the pausetrace (after the restart). */
    void report(StwPause p) {
        String sched = SchedTrace.ENABLED ? schedTrace.end(p.totalNanos()) : null;
        if (PAUSE_TRACE || pauseBreakdownListener != null) {
            // after the restart: formatting is slow the first time
            p = p.withStopDetail(world.describeLastStop() + background.describeAside(timer.startNanos())
                    + storeGate.describeLastAcquire());
        }
        LongConsumer l = pauseListener;
        if (l != null) {
            l.accept(p.totalNanos());
        }
        Consumer<StwPause> b = pauseBreakdownListener;
        if (b != null) {
            b.accept(p);
        }
        if (PAUSE_TRACE) {
            cyclePauses.add(p);
            cycleSched.add(sched);
            cycleStarts.add(timer.startNanos());
        }
    }

    /** The cycle ended: prints its pauses under pausetrace and forgets them. */
    void endCycle(PrintStream traceOut) {
        if (PAUSE_TRACE) {
            for (int i = 0; i < cyclePauses.size(); i++) {
                // @tn: System.nanoTime() of the stop request, the JVM's -Xlog "tn" decorator
                // (safepoints, GC), so a pause can be matched with what the JVM did meanwhile.
                traceOut.println(cyclePauses.get(i) + " @tn " + cycleStarts.get(i));
                if (cycleSched.get(i) != null) {
                    traceOut.println(cycleSched.get(i));
                }
            }
        }
        cyclePauses.clear();
        cycleSched.clear();
        cycleStarts.clear();
    }
}
