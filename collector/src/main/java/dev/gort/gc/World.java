package dev.gort.gc;

/**
 * The mutators as the collector sees them: how to stop and start them, how to find their roots and
 * their per-mutator state. Implemented over the scheduler (Ps and goroutines) and by
 * {@link ThreadWorld} (plain threads that poll safepoints), so the cycle is written once.
 */
public interface World {
    /** GOMAXPROCS: what the pacer sizes workers by. */
    int gomaxprocs();

    /**
     * Stops every mutator at a safepoint; returns when none runs mutator code. If it throws (a
     * failure inside it, or the collector closed while it waited: ClosedMidCycle), the world runs
     * again: nothing it stopped stays stopped, and no startTheWorld is owed.
     */
    void stopTheWorld(String reason);

    void startTheWorld();

    /** The calling thread's mutator state, or null if it is not a mutator. */
    Mutator current();

    /** Every mutator (call with the world stopped). */
    Iterable<Mutator> mutators();

    /**
     * With the world stopped (the set of mutators does not change): the number of mutator slots,
     * for {@link #mutatorAt}. The pause walks mutators this way, without allocating an iterator
     * or a copy while the world is stopped.
     */
    default int mutatorSlots() {
        int n = 0;
        for (Mutator ignored : mutators()) {
            n++;
        }
        return n;
    }

    /** With the world stopped: the mutator in slot {@code i} ({@code 0 <= i < mutatorSlots()}), or null if the slot is empty. */
    default Mutator mutatorAt(int i) {
        int k = 0;
        for (Mutator m : mutators()) {
            if (k++ == i) {
                return m;
            }
        }
        return null;
    }

    /**
     * Root visitor: {@code n} pointer slots at {@code address}, held by {@code owner} {@code id}
     * (e.g. "goroutine", 17): error messages say "held by goroutine 17 slot 3".
     */
    interface RootSink {
        void slots(long address, long n, String owner, long id);

        /** One mutator's stack starts (before its slots; called even when it has none): the cycle's stack-scan audit counts it. */
        default void stackStarted(String owner, long id) {
        }
    }

    /** Visits every mutator's stack roots (world stopped); returns the scannable bytes. */
    long scanStacks(RootSink sink);

    /** True while a stop-the-world is requested or in effect: long mutator-side work (assists) yields. */
    boolean stopRequested();

    /**
     * True once the mutators' world ended for good (SchedWorld: the scheduler exited). Collector
     * code on a mutator's thread leaves at once (stopRequested is true too), waits in
     * {@link #runBlocking} end, and the coordinator abandons its cycle.
     */
    default boolean exiting() {
        return false;
    }

    /**
     * True while something waits for the mutators' next safepoint: a stop-the-world or a
     * {@link #forEachMutatorAtSafepoint} round. Assists yield to it, as Go's yield to gp.preempt.
     */
    default boolean preemptRequested() {
        return stopRequested();
    }

    /**
     * True when the calling thread is the stopper of the stop now in effect or pending (ThreadWorld:
     * the thread that requested it, or the mutator that claimed its steps; SchedWorld: the
     * goroutine's M holding the scheduler's world lock, a goroutine stopper that keeps its P). Its
     * own safepoints pass, so collector work that waits for a stop to be answered must not wait for
     * it: an assist returns in debt (Go's gcAssistAlloc returns while preemption is off, which a
     * stop-the-world sets). Read off the hot paths only.
     */
    default boolean stoppedByCaller() {
        return false;
    }

    /**
     * Go's forEachP: runs {@code fn} once for every mutator, each at a safepoint of its own, without
     * stopping the world. A running mutator runs it at its next safepoint (an allocation or a poll);
     * one that is stopped, waiting ({@link #runBlocking}) or is the caller has it run on its behalf,
     * while it cannot touch its state. {@code fn} must be short and must not block. Returns true
     * when the round ran, false at once if this world cannot run one (the caller then stops the
     * world instead). ThreadWorld's rounds are complete; SchedWorld's are partial (only Ps whose
     * goroutine allocates answer), so a caller must not conclude anything about the others.
     */
    default boolean forEachMutatorAtSafepoint(java.util.function.Consumer<Mutator> fn) {
        return false;
    }

    /** A safepoint: blocks while the world is stopped. Called on allocation. */
    void safepoint(Mutator m);

    /**
     * {@link #safepoint} then {@link #current()}: the allocation path's safepoint. A world whose
     * mutator never changes across a safepoint (a ThreadWorld thread keeps its own) returns
     * {@code m} without a second lookup.
     */
    default Mutator safepointThenCurrent(Mutator m) {
        safepoint(m);
        return current();
    }

    /**
     * The safepoint an assist takes after each pass ({@link Assists#alloc}): as
     * {@link #safepointThenCurrent}, and it also answers what {@link #preemptRequested} reports
     * now, which the pass may have broken off for before this mutator was asked to yield. Under the
     * scheduler a stop's request is visible before the stopper's preemption flag reaches the
     * goroutine (and without it for a while when the stopper's preemptall missed it), and the plain
     * safepoint yields on the flag only: the assist then passed through its loop, no work done,
     * until the flag came (branch pace34). A world whose safepoint already answers every request it
     * reports (ThreadWorld: it parks on {@code stopping} itself) keeps this default.
     */
    default Mutator assistSafepointThenCurrent(Mutator m) {
        return safepointThenCurrent(m);
    }

    /**
     * Runs {@code wait} (which waits for the collector) with the calling mutator counting as stopped,
     * so a stop-the-world never waits for it. Under the scheduler this is a syscall: the goroutine
     * may come back on another P, so callers re-read {@link #current()} afterwards.
     *
     * <p>The contract of {@code wait}: it only waits (locks, conditions, parking, plain memory
     * reads and writes). It must not store heap pointers through the write barrier
     * ({@link Mem#storePtr}, {@link Mem#copyPtrs}, CAS of pointers), allocate, or poll: while the
     * mutator counts as stopped, the collector may run rounds on its behalf and flush or dispose
     * its gcWork and mcache, so a shade could land in a gcWork being disposed; and a poll would
     * park and then reset the BLOCKED state to running, so later stops would wait for a mutator
     * that never comes to a safepoint. ThreadWorld refuses a barriered store (while marking), an
     * allocation while marking, and a safepoint that would park or run a round with an
     * IllegalStateException naming this rule; the fast paths do not check.
     */
    void runBlocking(Mutator m, Runnable wait);

    /**
     * After a stop-the-world: which mutator was the last to stop, how long it took and where it was
     * when asked, or null if this world does not know. Called by the stopper after the restart.
     */
    default String describeLastStop() {
        return null;
    }

    /**
     * System.nanoTime() at which the last stop-the-world was requested (the mutators asked to
     * stop), or 0 if this world does not know. Called with the world stopped. The pause starts
     * there, not where the stopper began its timer: what it did in between (waiting for the world's
     * lock, the scheduler's reads of the running Ms' CPU clocks, a wait for a mutator to make the
     * request that ended with none) stopped nothing. Go's stopTheWorldWithSema likewise starts its
     * clock once worldsema is held.
     */
    default long lastStopRequestNanos() {
        return 0;
    }

    /**
     * System.nanoTime() at which the last {@link #startTheWorld} released the mutators (before it
     * woke them), or 0 if this world does not know: a pause ends there, as Go's pauseNS does; how
     * long a woken thread then waits for a CPU is the kernel's, not the pause's.
     */
    default long lastRestartNanos() {
        return 0;
    }

    /**
     * The collector's coordinator, between cycles: {@code rounds} real stop and start pairs if this
     * world's stop path needs them to be compiled before it is timed (the scheduler's does:
     * {@code Scheduler.warmUpStopPath}); {@code keepGoing} is asked before each. Returns the pairs
     * run (fewer when stops were slow or keepGoing said false). The world runs when it returns.
     */
    default int warmUpStopPath(int rounds, java.util.function.BooleanSupplier keepGoing) {
        return 0;
    }

    /** Pairs of {@link #warmUpStopPath} this world wants in all (0: none). */
    default int stopPathWarmUpRounds() {
        return 0;
    }

    /** Stops of {@link #warmUpStopPath} given up so far (each held the program for a few milliseconds). */
    default long stopPathWarmUpStopsGivenUp() {
        return 0;
    }

    /**
     * The collector's coordinator, between cycles, after every pair of {@link #warmUpStopPath}:
     * stops of a world that runs nothing, so that the stopper's side of a stop reaches the JIT's
     * C2 outside any pause (the scheduler's: {@code Scheduler.rehearseStopPathForJit}), until this
     * JVM has made its pairs ({@link #stopPathJitRehearsalPairsLeft}; what they warm is the JVM's);
     * {@code keepGoing} is asked before each. Returns the pairs this call made. Nothing of this world stops.
     */
    default int rehearseStopPathForJit(java.util.function.BooleanSupplier keepGoing) {
        return 0;
    }

    /** Pairs of {@link #rehearseStopPathForJit} this JVM still wants, whichever runtime made the others (0: none). */
    default int stopPathJitRehearsalPairsLeft() {
        return 0;
    }
}
