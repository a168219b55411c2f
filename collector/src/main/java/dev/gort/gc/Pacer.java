package dev.gort.gc;

import java.util.concurrent.atomic.AtomicLong;

/**
 * When to collect and how hard to push: Go's GC pacer (mgcpacer.go, Go 1.21 form: the 1.18 cons/mark
 * redesign plus the 1.19 soft memory limit). Pure arithmetic over byte and nanosecond counts; the
 * collector feeds it and reads trigger, goal, worker counts and the assist ratio. No clock, no
 * threads, no allocation in the per-allocation methods.
 *
 * <h2>The model</h2>
 * <ol>
 *   <li><b>Goal</b> (commit, at mark termination): {@code goal = heapMarked + (heapMarked +
 *       stackScan + globalsScan) * GOGC/100}, at least {@code heapMinimum = 4 MiB * GOGC/100};
 *       GOGC=off makes it infinite. The memory limit goal (below) caps it; when not capped the goal is
 *       raised to keep 1 MiB of sweep distance and 64 KiB of runway past the trigger.</li>
 *   <li><b>Trigger</b>: start marking early enough that background workers at 25% CPU finish by the
 *       goal: {@code runway = consMark * (1-u)/u * expectedScanWork} with u = 0.25; {@code trigger =
 *       goal - runway}, clamped to [45/64, 61/64] of the way from heapMarked to the goal (the lower
 *       bound settable, {@link #DEFAULT_MIN_TRIGGER_RATIO}; the upper
 *       bound relaxed to goal - 4 MiB for big heaps).</li>
 *   <li><b>Assists</b> (revise, whenever heapLive changes during marking: the collector calls
 *       {@link #reviseDuringMark} at each span refill, as Go's update does): a mutator that allocates
 *       {@code n} bytes owes {@code n * assistWorkPerByte} bytes of scan work, where
 *       {@code assistWorkPerByte = remainingScanWork / (goal - heapLive)}. If scanning outruns the
 *       estimate the goal is extrapolated from heapLive at the cycle's start (at most to the hard goal
 *       (1+GOGC/100) x goal), and the work left counts up to the worst case, heapScan (the last
 *       cycle's heap scan work plus the scannable bytes allocated since, which the collector reads
 *       from the arena at the cycle's start); past the goal it is pushed 10% further so the ratio stays finite. The
 *       work left counts as at least {@link #MIN_REMAINING_SCAN_WORK} (Go's 1000 units), so the ratio stays
 *       finite; {@link Assists} caps the credit one assist takes at its debt or the heap left to the
 *       goal ({@link #assistRunway()}), whichever is larger, so one assist never buys more than that
 *       runway. The bound is per assist, not for the heap: several mutators whose first assists come
 *       before heapLive moves each buy the whole runway (as in Go, whose gap is wider). That is
 *       what holds the goal when a mutator outruns the workers. GOGC=off counts as 100000 here (a
 *       forced cycle: an infinite goal, ~0 work per byte). A GOGC or limit change while marking
 *       revises at once.</li>
 *   <li><b>cons/mark</b> (endCycle): the allocation rate relative to the scan rate measured in the
 *       cycle; the next runway uses the maximum of this and the last four measurements.</li>
 *   <li><b>Memory limit</b>: {@code goal = limit - (nonHeap + overage)} minus 3% (at least 1 MiB) of
 *       headroom, never below heapMarked. nonHeap counts goroutine stacks and span fragmentation; while
 *       marking it follows the stacks and the overage at each span refill, as Go's heapGoal reads
 *       them at every revise, and between cycles the collector refreshes goal and trigger
 *       ({@link #refreshLimit}) at the first span refill after stack spans moved, as Go's trigger
 *       test reads them (the fragmentation is refreshed once a cycle). With GOGC=off and a
 *       limit, collection happens only near the limit.</li>
 *   <li><b>Workers</b> (startCycle): dedicated = round(0.25 x GOMAXPROCS); if that is more than 30% off
 *       the 25% goal (GOMAXPROCS &lt;= 3 or 6), use one fewer (if rounding went up) and make up the rest
 *       with a fractional worker whose per-P utilisation goal is the remainder / GOMAXPROCS.</li>
 * </ol>
 *
 * <p>Thread-safety: commit/startCycle/endCycle run with the world stopped (or under the caller's GC
 * lock). The per-cycle work counters are atomics written by workers and assists; {@link #revise}
 * may race with itself harmlessly (Go says the same: the ratio is a heuristic).
 */
public final class Pacer {
    public static final double BACKGROUND_UTILIZATION = 0.25;
    public static final double GOAL_UTILIZATION = BACKGROUND_UTILIZATION;
    public static final long DEFAULT_HEAP_MINIMUM = 4L << 20;
    public static final int TRIGGER_RATIO_DEN = 64;
    public static final int MIN_TRIGGER_RATIO_NUM = 45;
    public static final int MAX_TRIGGER_RATIO_NUM = 61;
    /** The lowest lower trigger bound {@link #setMinTriggerRatio} accepts (16/64 = 0.25 of the way). */
    public static final int MIN_TRIGGER_RATIO_FLOOR = 16;
    /** The property that sets {@link #DEFAULT_MIN_TRIGGER_RATIO}. */
    static final String MIN_TRIGGER_RATIO_PROPERTY = "gort.gc.trigger.minratio";
    /**
     * {@code -Dgort.gc.trigger.minratio=N} (default 45, Go's {@code minTriggerRatioNum}): the
     * trigger's lower bound for new pacers, in 64ths of the way from heapMarked to the goal,
     * {@link #MIN_TRIGGER_RATIO_FLOOR}..{@link #MAX_TRIGGER_RATIO_NUM}. Read once; a value outside
     * that is refused with a warning and Go's 45 kept (TuningProperty).
     *
     * <p>Why a knob (session 36, mut36): with one mutator at GOMAXPROCS=2 the idle P's worker marks
     * full time, and binary-trees depth 21 still assists ~10 ms a 45 ms mark, because the runway
     * the pacer wants (~65 MB, 3 x cons/mark x scan work) is clamped to 0.3 of the span (~28 MB) by
     * this bound, and one worker does not scan the ~67 MB of a cycle in the time the mutator
     * allocates 28 MB. A lower bound starts the mark earlier: the worker finishes alone and the
     * assists (mutator CPU) nearly vanish, but the mutator allocates more black during the longer
     * runway, heapMarked and so the goal grow (35: goal 182 to ~213 MB), which is the RSS growth
     * Go's bound exists to prevent. Go's value stays the default; docs/performance.md has the A/B.
     */
    static final int DEFAULT_MIN_TRIGGER_RATIO = minTriggerRatioFrom(System.getProperty(MIN_TRIGGER_RATIO_PROPERTY));

    /** {@link #MIN_TRIGGER_RATIO_PROPERTY}'s value (null: unset) as a ratio; Go's 45, with a warning, when it is refused. */
    static int minTriggerRatioFrom(String value) {
        return (int) dev.gort.sys.TuningProperty.whole(MIN_TRIGGER_RATIO_PROPERTY, value,
                "64ths of the span from the marked heap to the goal", MIN_TRIGGER_RATIO_NUM, MIN_TRIGGER_RATIO_FLOOR, MAX_TRIGGER_RATIO_NUM);
    }
    public static final long MIN_RUNWAY = 64L << 10;
    /**
     * The least scan work {@link #revise} counts as left: Go's floor, 1000 units, so the ratio stays
     * finite when the work done reaches the estimate. Near the end of marking it makes the bytes per
     * unit of work (goal - heapLive) / 1000, and a 64 KiB over-assist at that ratio would buy 65
     * times the heap left to the goal (session 34, limit34: 31 MiB against a 13 MiB goal).
     * {@link Assists} caps the credit one assist takes instead (at the debt or the heap left to
     * {@link #assistGoal}, whichever is larger); limit34's 64 KiB floor did it here, and made the
     * ratio 64K/W times steeper for the whole mark of a cycle whose expected work W was under 64 KiB
     * (limitfix34).
     */
    public static final long MIN_REMAINING_SCAN_WORK = 1000;
    public static final long SWEEP_MIN_HEAP_DISTANCE = 1L << 20;
    public static final long MEMORY_LIMIT_HEADROOM_PERCENT = 3;
    public static final long MEMORY_LIMIT_MIN_HEADROOM = 1L << 20;
    public static final double MAX_UTIL_ERROR = 0.3;
    /** gcPercent value meaning GOGC=off. */
    public static final int OFF = -1;
    /** "No limit" / "infinite" (Go's ^uint64(0) and math.MaxInt64). */
    public static final long INFINITE = Long.MAX_VALUE;

    // --- settings
    private int gcPercent = 100;
    private long memoryLimit = INFINITE;
    private long heapMinimum = DEFAULT_HEAP_MINIMUM;

    // --- state carried between cycles (world stopped)
    private long heapMarked;
    private long lastHeapScan;
    private long lastStackScan;
    private long globalsScan;
    private double consMark;
    private final double[] lastConsMark = new double[4];
    private long gcPercentHeapGoal = DEFAULT_HEAP_MINIMUM;
    private long sweepDistMinTrigger;
    private long runway;
    private long trigger;
    /** Written under the collector's lock (commit, refreshLimit) and, under a memory limit, at span refills while marking. */
    private volatile long heapGoal;
    private long lastHeapGoal;
    /** heapLive when the current cycle was triggered; INFINITE outside a cycle. */
    private long triggered = INFINITE;

    // --- memory-limit inputs (from the arena's accounting)
    /**
     * Memory outside the heap's objects (stacks, span fragmentation, free pages not counted as
     * free) at the last full refresh ({@link #setMemoryStats}: a walk of every cache, once a cycle).
     */
    private volatile long nonHeapAtRefresh;
    /** Stack bytes inside {@link #nonHeapAtRefresh}. */
    private volatile long stackAtRefresh;
    /**
     * Mapped-and-ready bytes and stack bytes now: set at each full refresh and, while marking under a
     * limit, at each span refill ({@link #setLiveMemoryFigures}, cheap page counters), so that the
     * limit's goal follows stacks and an overage that grow during a cycle, as Go's
     * memoryLimitHeapGoal reads its counters at every revise (limit35).
     */
    private volatile long mappedReadyNow;
    private volatile long stackNow;

    // --- live counters
    private final AtomicLong heapLive = new AtomicLong();
    private volatile long heapScan;
    private volatile double assistWorkPerByte;
    private volatile double assistBytesPerWork;
    /**
     * The goal the last {@link #revise} paced to: the heap goal, extended when the work passed its
     * estimate, pushed 10 % further once heapLive passed it. Written after the ratio; a racing
     * revise may pair one revise's ratio with another's goal, which is harmless (a heuristic).
     */
    private volatile long assistGoal = INFINITE;

    // --- per-cycle counters (reset in startCycle)
    public final AtomicLong heapScanWork = new AtomicLong();
    public final AtomicLong stackScanWork = new AtomicLong();
    public final AtomicLong globalsScanWork = new AtomicLong();
    public final AtomicLong bgScanCredit = new AtomicLong();
    public final AtomicLong assistTime = new AtomicLong();
    public final AtomicLong dedicatedMarkTime = new AtomicLong();
    public final AtomicLong fractionalMarkTime = new AtomicLong();
    public final AtomicLong idleMarkTime = new AtomicLong();
    private long markStartTime;
    private long stackScan;
    private int procs = 1;
    public final AtomicLong dedicatedMarkWorkersNeeded = new AtomicLong();
    private double fractionalUtilizationGoal;
    /** The trigger's lower bound in 64ths of the span (see {@link #DEFAULT_MIN_TRIGGER_RATIO}); changed under the caller's GC lock. */
    private int minTriggerRatio = DEFAULT_MIN_TRIGGER_RATIO;
    private volatile boolean marking;

    public Pacer() {
        commit(true);
    }

    // ------------------------------------------------------------------ settings

    /**
     * Sets GOGC (a percentage >= 0; any negative value is {@link #OFF}, as Go's setGCPercent maps
     * it); returns the old value ({@link #OFF} when it was off). Recomputes the goal, and while
     * marking the assist ratio (Go's setGCPercent: commit, then revise).
     */
    public int setGcPercent(int percent) {
        if (percent < 0) {
            percent = OFF;
        }
        int old = gcPercent;
        gcPercent = percent;
        heapMinimum = percent < 0 ? 0 : DEFAULT_HEAP_MINIMUM * percent / 100;
        commit(sweepDistMinTrigger == 0);
        return old;
    }

    public int gcPercent() {
        return gcPercent;
    }

    /**
     * Sets the trigger's lower bound to {@code num}/64 of the way from heapMarked to the goal
     * (Go's is 45; see {@link #DEFAULT_MIN_TRIGGER_RATIO} for the trade) and recomputes the trigger;
     * returns the old value. Refuses a value outside {@link #MIN_TRIGGER_RATIO_FLOOR}..{@link #MAX_TRIGGER_RATIO_NUM},
     * the pacer unchanged. Package-private: a standalone pacer's (tests); a collector's pacer takes
     * the bound from the property at creation, since a change here would not re-arm the heap's trigger.
     */
    int setMinTriggerRatio(int num) {
        if (num < MIN_TRIGGER_RATIO_FLOOR || num > MAX_TRIGGER_RATIO_NUM) {
            throw new IllegalArgumentException("minimum trigger ratio " + num + "/64 is not valid; accepted: "
                    + MIN_TRIGGER_RATIO_FLOOR + ".." + MAX_TRIGGER_RATIO_NUM + " (64ths of the span from the marked heap to the goal; Go's "
                    + MIN_TRIGGER_RATIO_NUM + ")");
        }
        int old = minTriggerRatio;
        minTriggerRatio = num;
        commit(sweepDistMinTrigger == 0);
        return old;
    }

    public int minTriggerRatio() {
        return minTriggerRatio;
    }

    /** Sets the soft memory limit in bytes ({@link #INFINITE} = none); returns the old one. */
    public long setMemoryLimit(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("memory limit must be >= 0 bytes (or INFINITE for none), got " + limit);
        }
        long old = memoryLimit;
        memoryLimit = limit;
        return old;
    }

    public long memoryLimit() {
        return memoryLimit;
    }

    /**
     * Feeds the memory figures the limit is defined on: bytes mapped and ready (all runtime memory
     * not released to the OS, goroutine stacks included), free heap bytes among them, and allocated
     * heap bytes. The stacks are taken as part of the non-heap memory, but not followed between
     * refreshes: see the four-argument form.
     */
    public void setMemoryStats(long mappedReady, long heapFree, long heapAlloc) {
        setMemoryStats(mappedReady, heapFree, heapAlloc, 0);
    }

    /**
     * {@link #setMemoryStats(long, long, long)} with the stack bytes ({@code stackBytes}) counted in
     * {@code mappedReady}: {@link #setLiveMemoryFigures} then moves the non-heap memory by the
     * stacks' change since this refresh.
     */
    public void setMemoryStats(long mappedReady, long heapFree, long heapAlloc, long stackBytes) {
        // Four fields, no lock shared with the refill hook (setLiveMemoryFigures, which writes the
        // last two): a refresh and a refill may interleave, and one goal may then count the
        // stacks' change twice or not at all. Benign: the next refill writes stackNow and
        // mappedReadyNow again and the goal follows (review35a F3).
        this.nonHeapAtRefresh = Math.max(0, mappedReady - heapFree - heapAlloc);
        this.stackAtRefresh = stackBytes;
        this.stackNow = stackBytes;
        this.mappedReadyNow = mappedReady;
    }

    /**
     * Live figures between full refreshes (the arena's page counters, cheap): the bytes mapped and
     * ready and the stack bytes now. The limit's goal takes the non-heap memory as at the last
     * refresh plus the stacks' growth since, and the overage from {@code mappedReady} now (Go reads
     * both live in memoryLimitHeapGoal). The heap's fragmentation is not followed (it needs the
     * refresh's walk).
     */
    public void setLiveMemoryFigures(long mappedReady, long stackBytes) {
        this.mappedReadyNow = mappedReady;
        this.stackNow = stackBytes;
    }

    /** Bytes of scannable globals (the root table): part of the goal and of the expected work. */
    public void setGlobalsScan(long bytes) {
        this.globalsScan = bytes;
    }

    /** Scannable stack bytes at the last cycle (shadow stacks): part of the goal. */
    public void setLastStackScan(long bytes) {
        this.lastStackScan = bytes;
    }

    // ------------------------------------------------------------------ goal and trigger

    /**
     * Recomputes the GOGC goal and the runway from the last cycle's figures (Go's commit). Call at
     * mark termination, after {@link #resetLive}, and whenever GOGC changes.
     */
    public void commit(boolean sweepDone) {
        sweepDistMinTrigger = sweepDone ? 0 : sat(heapLive.get() + SWEEP_MIN_HEAP_DISTANCE);
        gcPercentHeapGoal = gcPercentGoal(heapMarked, lastStackScan);
        double r = (consMark * (1 - GOAL_UTILIZATION) / GOAL_UTILIZATION) * (double) (lastHeapScan + lastStackScan + globalsScan);
        runway = r >= INFINITE ? INFINITE : (long) r;
        setTriggerAndGoal();
        if (marking) {
            revise();       // GOGC changed mid-cycle: the assists pace to the new goal (Go's gcControllerCommit)
        }
    }

    /** GOGC's goal for a cycle that marked {@code marked} bytes with {@code stackBytes} of stacks, at least the minimum heap; INFINITE when GOGC=off. */
    private long gcPercentGoal(long marked, long stackBytes) {
        long goal = INFINITE;
        if (gcPercent >= 0) {
            long base = sat(sat(marked + stackBytes) + globalsScan);
            goal = sat(marked + mulDiv(base, gcPercent, 100));
        }
        return Math.max(goal, heapMinimum);
    }

    /** The goal the memory limit alone allows (Go's memoryLimitHeapGoal). */
    public long memoryLimitHeapGoal() {
        return memoryLimitHeapGoal(heapMarked);
    }

    private long memoryLimitHeapGoal(long heapMarked) {
        // The limit read once: the refill hook calls this without the collector's lock, and a
        // limit set to INFINITE between two reads gave a goal just under INFINITE (limitfix35).
        long limit = memoryLimit;
        if (limit == INFINITE) {
            return INFINITE;
        }
        long nonHeap = Math.max(0, nonHeapAtRefresh + (stackNow - stackAtRefresh));
        long overage = Math.max(0, mappedReadyNow - limit);
        if (nonHeap + overage >= limit) {
            return heapMarked;
        }
        long goal = limit - (nonHeap + overage);
        long headroom = Math.max(goal / 100 * MEMORY_LIMIT_HEADROOM_PERCENT, MEMORY_LIMIT_MIN_HEADROOM);
        if (goal < headroom || goal - headroom < headroom) {
            goal = headroom;
        } else {
            goal -= headroom;
        }
        return Math.max(goal, heapMarked);
    }

    /**
     * The goal {@link #commit} will give the cycle after one that marked {@code marked} bytes with
     * {@code stackBytes} of stacks, from the memory figures of the last refresh and without the
     * cons/mark update (which moves only the trigger): for the collector to arm in mark
     * termination's pause, as a provisional trigger, until it commits the real goal and trigger with
     * the world running. Cheap arithmetic, no state changed. GOGC=off without a limit: INFINITE.
     */
    public long provisionalGoal(long marked, long stackBytes) {
        long goal = gcPercentGoal(marked, stackBytes);
        long limitGoal = memoryLimitHeapGoal(marked);
        if (limitGoal < goal) {
            return limitGoal;
        }
        return Math.max(goal, sat(marked + SWEEP_MIN_HEAP_DISTANCE));     // commit(false)'s sweep distance
    }

    /**
     * Go's heapGoalInternal's goal, given the limit's goal {@code limitGoal} as the caller read it
     * (no allocation: {@link #reviseDuringMark} calls it at span refills). The caller reads
     * {@link #memoryLimitHeapGoal()} once and passes it on: under a limit the refill hook writes its
     * inputs while marking, without the collector's lock, so two reads may differ (review35a F1).
     */
    private long goalNow(long limitGoal) {
        long goal = gcPercentHeapGoal;
        if (limitGoal < goal) {
            goal = limitGoal;
        } else {
            if (sweepDistMinTrigger > goal) {
                goal = sweepDistMinTrigger;
            }
            if (triggered != INFINITE && goal < sat(triggered + MIN_RUNWAY)) {
                goal = sat(triggered + MIN_RUNWAY);
            }
        }
        return goal;
    }

    /**
     * Go's heapGoalInternal + trigger, written to {@link #trigger} and {@link #heapGoal}. No
     * allocation: under a memory limit the collector calls it (through {@link #refreshLimit}) at a
     * span refill between cycles when the stacks changed (limit36).
     */
    private void setTriggerAndGoal() {
        // The limit's goal is read once, for the goal and the minimum trigger both: the refill hook
        // (setLiveMemoryFigures) may move it between two reads, and a goal bound by the limit with
        // the sweep distance as minimum trigger made trigger > goal (limitfix35; review35a F1).
        long limitGoal = memoryLimitHeapGoal();
        long goal = goalNow(limitGoal);
        trigger = triggerFor(goal, limitGoal);
        heapGoal = goal;
    }

    /** Go's trigger() for {@code goal}, computed from the limit's goal {@code limitGoal} read with it. */
    private long triggerFor(long goal, long limitGoal) {
        // Go's heapGoalInternal's minTrigger: the sweep distance, unless the limit's goal is the goal.
        long minTrigger = limitGoal < gcPercentHeapGoal ? 0 : sweepDistMinTrigger;
        if (heapMarked >= goal) {
            return goal;
        }
        minTrigger = Math.max(minTrigger, heapMarked);
        long span = goal - heapMarked;
        long lower = span / TRIGGER_RATIO_DEN * minTriggerRatio + heapMarked;
        minTrigger = Math.max(minTrigger, lower);
        long maxTrigger = span / TRIGGER_RATIO_DEN * MAX_TRIGGER_RATIO_NUM + heapMarked;
        if (goal > DEFAULT_HEAP_MINIMUM && goal - DEFAULT_HEAP_MINIMUM > maxTrigger) {
            maxTrigger = goal - DEFAULT_HEAP_MINIMUM;
        }
        maxTrigger = Math.max(maxTrigger, minTrigger);
        long t = runway > goal ? minTrigger : goal - runway;
        t = Math.min(Math.max(t, minTrigger), maxTrigger);
        if (t > goal) {
            throw new IllegalStateException("pacer produced trigger " + t + " > goal " + goal);
        }
        return t;
    }

    /** heapLive at which the next cycle starts. */
    public long trigger() {
        return trigger;
    }

    /** The heap goal (Go's NextGC). {@link #INFINITE} with GOGC=off and no limit. */
    public long heapGoal() {
        return heapGoal;
    }

    /** The goal of the cycle that just ended (what gctrace prints as "goal"). */
    public long lastHeapGoal() {
        return lastHeapGoal;
    }

    /**
     * Re-evaluates goal and trigger after the memory limit or the memory figures changed; while
     * marking, the assist ratio too (Go's setMemoryLimit commits and revises mid-cycle).
     */
    public void refreshLimit() {
        setTriggerAndGoal();
        if (marking) {
            revise();
        }
    }

    /** Go's gcTrigger{kind: gcTriggerHeap}.test(). */
    public boolean shouldStart() {
        return !marking && heapLive.get() >= trigger;
    }

    // ------------------------------------------------------------------ live heap

    public long heapLive() {
        return heapLive.get();
    }

    public long heapMarked() {
        return heapMarked;
    }

    /** Adds allocated (or, negative, un-cached) bytes; revises the assist ratio while marking. */
    public void addHeapLive(long delta, long scanDelta) {
        heapLive.addAndGet(delta);
        if (!marking) {
            if (scanDelta != 0) {
                heapScan += scanDelta;
            }
        } else {
            revise();
        }
    }

    /**
     * During marking: heapLive grew to {@code live} (the arena's counter, read at a span refill
     * past the trigger), so the assist ratio follows the runway left, as Go's update -> revise on
     * every heapLive change. Without it the ratio stayed what startCycle computed: a heap running
     * past its goal (scan work over the estimate, assists skipped for a stop) was not braked by the
     * steeper ratio Go applies there (goal x 1.1, then all remaining work per byte). Outside
     * marking it does nothing: heapLive is the collector's to set then.
     */
    public void reviseDuringMark(long live) {
        if (!marking) {
            return;
        }
        heapLive.set(live);
        if (memoryLimit != INFINITE) {
            // The limit's goal from the live figures (setLiveMemoryFigures), as Go's heapGoal()
            // recomputes memoryLimitHeapGoal at every revise: stacks taken during the mark, or the
            // mapped memory passing the limit, lower the goal the assists pace to at once (limit35;
            // before, the goal was the one committed at the cycle's start until the next commit).
            // A commit or refreshLimit (a settings change, under the collector's lock) racing this
            // write may lose its goal to this one, computed from the old settings, or overwrite
            // this one: benign, the next refill (or the next commit) writes the goal again from the
            // settings and figures then (review35a F3).
            heapGoal = goalNow(memoryLimitHeapGoal());
        }
        revise();
    }

    /** Sets heapLive absolutely (start-up, or from the arena's exact counter at STW). */
    public void setHeapLive(long bytes) {
        heapLive.set(bytes);
    }

    /**
     * Sets heapScan (Go's: the scannable heap, the cycle's worst-case heap scan work), at a cycle's
     * start from the arena's count: the last cycle's heap scan work plus the scannable bytes
     * allocated since. Fixed for the cycle (Go adds scannable allocations only between cycles:
     * what is allocated while marking is black, never scanned).
     */
    public void setHeapScan(long bytes) {
        heapScan = Math.max(0, bytes);
    }

    /** The scannable heap the current (or next) cycle's revise counts as its worst case. */
    public long heapScan() {
        return heapScan;
    }

    // ------------------------------------------------------------------ cycle

    /** Starts a cycle (world stopped): resets counters, computes workers and the assist ratio. */
    public void startCycle(long markStartNanos, int gomaxprocs, boolean stopTheWorldMode) {
        if (gomaxprocs < 1) {
            throw new IllegalArgumentException("GOMAXPROCS must be >= 1, got " + gomaxprocs);
        }
        heapScanWork.set(0);
        stackScanWork.set(0);
        globalsScanWork.set(0);
        bgScanCredit.set(0);
        assistTime.set(0);
        dedicatedMarkTime.set(0);
        fractionalMarkTime.set(0);
        idleMarkTime.set(0);
        markStartTime = markStartNanos;
        procs = gomaxprocs;
        stackScan = lastStackScan;
        triggered = heapLive.get();
        refreshLimit();   // the goal now keeps MIN_RUNWAY past the trigger point (unless memory-limited)
        double total = gomaxprocs * BACKGROUND_UTILIZATION;
        long dedicated = (long) (total + 0.5);
        double err = dedicated / total - 1;
        if (err < -MAX_UTIL_ERROR || err > MAX_UTIL_ERROR) {
            if (dedicated > total) {
                dedicated--;
            }
            fractionalUtilizationGoal = (total - dedicated) / gomaxprocs;
        } else {
            fractionalUtilizationGoal = 0;
        }
        if (stopTheWorldMode) {
            dedicated = gomaxprocs;
            fractionalUtilizationGoal = 0;
        }
        dedicatedMarkWorkersNeeded.set(dedicated);
        marking = true;
        revise();
    }

    /** Dedicated workers this cycle wants (decremented as the scheduler starts them). */
    public long dedicatedWorkers() {
        return dedicatedMarkWorkersNeeded.get();
    }

    /** Fraction of wall time a fractional worker should take on each P (0 = none). */
    public double fractionalUtilizationGoal() {
        return fractionalUtilizationGoal;
    }

    /** True if a P whose fractional worker ran {@code pFractionalNanos} so far is behind its quota. */
    public boolean fractionalBehind(long pFractionalNanos, long nowNanos) {
        if (fractionalUtilizationGoal == 0) {
            return false;
        }
        long delta = nowNanos - markStartTime;
        return delta <= 0 || (double) pFractionalNanos / delta <= fractionalUtilizationGoal;
    }

    /** Go's pollFractionalWorkerExit: stop once over 1.2x the goal. */
    public boolean fractionalShouldExit(long pFractionalNanos, long nowNanos) {
        long delta = nowNanos - markStartTime;
        if (delta <= 0) {
            return true;
        }
        return (double) pFractionalNanos / delta > 1.2 * fractionalUtilizationGoal;
    }

    public boolean marking() {
        return marking;
    }

    /**
     * Go's revise: recompute the assist ratio from the work left and the heap distance left.
     * GOGC=off (a forced cycle, or the memory limit's) counts as GOGC=100000, as Go's does, so the
     * hard goal is no bound. The extended goal runs from {@link #triggered} (heapLive when this
     * cycle started, as Go's c.triggered), not from the trigger: a forced cycle starts below its
     * trigger, and at GOGC=off the trigger sits 4 MiB under an infinite goal. The goals are
     * computed in doubles and saturate at {@link #INFINITE}: with an infinite goal a long sum
     * wrapped negative and made the ratio all the work left per byte.
     */
    public void revise() {
        int pct = gcPercent < 0 ? 100000 : gcPercent;
        long live = heapLive.get();
        long scan = heapScan;
        long work = heapScanWork.get() + stackScanWork.get() + globalsScanWork.get();
        long goal = heapGoal;
        long expected = lastHeapScan + stackScan + globalsScan;
        long maxScanWork = scan + stackScan + globalsScan;
        if (work > expected) {
            // Outside a cycle (a warm-up's call) triggered is INFINITE: extend from the goal itself.
            long from = triggered == INFINITE ? goal : triggered;
            long ext = saturated((double) (goal - from) / Math.max(1, expected) * maxScanWork + from);
            expected = maxScanWork;
            long hardGoal = saturated((1.0 + pct / 100.0) * goal);
            goal = Math.min(ext, hardGoal);
        }
        if (live > goal) {
            goal = saturated(goal * 1.1);
            expected = maxScanWork;
        }
        long remaining = Math.max(expected - work, MIN_REMAINING_SCAN_WORK);     // see MIN_REMAINING_SCAN_WORK
        long heapRemaining = Math.max(goal - live, 1);
        assistWorkPerByte = (double) remaining / heapRemaining;
        assistBytesPerWork = (double) heapRemaining / remaining;
        assistGoal = goal;
    }

    /** Scan work a mutator owes for allocating {@code bytes} bytes now. */
    public double assistWorkPerByte() {
        return assistWorkPerByte;
    }

    public double assistBytesPerWork() {
        return assistBytesPerWork;
    }

    /** The goal the assist ratio paces to (see {@link #assistGoal}); INFINITE before the first revise. */
    public long assistGoal() {
        return assistGoal;
    }

    /**
     * The heap left to {@link #assistGoal()} now (heapLive read once); negative past it, and
     * saturating at INFINITE - heapLive with an infinite goal. What {@link Assists} caps one assist's
     * credit at (or the assist's debt, if larger).
     */
    public long assistRunway() {
        return assistGoal - heapLive.get();
    }

    /**
     * Ends the mark phase (world stopped): records the goal for gctrace and updates cons/mark from
     * this cycle's allocation and scan figures.
     */
    public void endCycle(long nowNanos) {
        lastHeapGoal = heapGoal;
        marking = false;
        long duration = nowNanos - markStartTime;
        double utilization = BACKGROUND_UTILIZATION;
        if (duration > 0) {
            utilization += (double) assistTime.get() / ((double) duration * procs);
        }
        long live = heapLive.get();
        if (live <= triggered || triggered == INFINITE) {
            triggered = INFINITE;
            return;
        }
        double idle = duration > 0 ? (double) idleMarkTime.get() / ((double) duration * procs) : 0;
        long scanWork = Math.max(1, heapScanWork.get() + stackScanWork.get() + globalsScanWork.get());
        double current = ((double) (live - triggered) * (utilization + idle)) / ((double) scanWork * (1 - utilization));
        if (!(current >= 0) || Double.isInfinite(current)) {
            current = 0;
        }
        double cm = current;
        for (double v : lastConsMark) {
            cm = Math.max(cm, v);
        }
        consMark = cm;
        System.arraycopy(lastConsMark, 1, lastConsMark, 0, lastConsMark.length - 1);
        lastConsMark[lastConsMark.length - 1] = current;
        triggered = INFINITE;
    }

    /** After marking: the marked bytes become the new live heap (Go's resetLive). */
    public void resetLive(long bytesMarked) {
        heapMarked = bytesMarked;
        heapLive.set(bytesMarked);
        heapScan = heapScanWork.get();
        lastHeapScan = heapScanWork.get();
    }

    public double consMark() {
        return consMark;
    }

    /** The scan work this cycle's assist ratio expects (revise's scanWorkExpected; gc debug's pacer line). */
    long expectedScanWork() {
        return lastHeapScan + stackScan + globalsScan;
    }

    /** heapLive when this cycle started ({@link #INFINITE} outside a cycle; gc debug's pacer line). */
    long triggeredAt() {
        return triggered;
    }

    /** For tests and trace: the runway commit computed. */
    public long runway() {
        return runway;
    }

    public long stackScan() {
        return stackScan;
    }

    public long globalsScan() {
        return globalsScan;
    }

    /** {@code v} as a long, at most {@link #INFINITE} (and at least 0). */
    private static long saturated(double v) {
        return v >= (double) INFINITE ? INFINITE : Math.max(0, (long) v);
    }

    private static long sat(long v) {
        return v < 0 ? INFINITE : v;
    }

    private static long mulDiv(long a, long b, long c) {
        return Math.multiplyHigh(a, b) == 0 && a * b >= 0 ? a * b / c : sat((long) ((double) a * b / c));
    }
}
