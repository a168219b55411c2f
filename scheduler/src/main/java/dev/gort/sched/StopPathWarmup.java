package dev.gort.sched;

/**
 * Stop-the-world pairs run once before a collector's first pause, so that the stop path is
 * compiled before it is timed.
 *
 * <p>Why: the code of a stop runs only inside stops (the stopper's request, wait and restart in
 * {@link WorldStop}; an M's {@code gcstopm}, {@code releasep}, {@code stopm}; the restart's
 * {@code pidleput}, {@code startm}, {@code acquirep}), a few times a cycle, so it stays in the
 * interpreter for a minute or more and crosses the JIT's invocation threshold (C1 at about 200
 * calls) in the middle of a pause. The compile request then wakes a compiler thread, which on two
 * cores takes the CPU the stopper or the last M needs: in the 1 GiB goroutine run (session 15,
 * branch {@code gp99}; -Xlog:jit+compilation with System.nanoTime stamps) {@code releasep},
 * {@code stopm}, {@code startm}, {@code acquirep}, {@code pidleget} and {@code pidleput} were
 * compiled 60-90 s into the run, at or within 2 ms after a pause, and one 0.96 ms sweep
 * termination had C1 on one CPU for 0.58 ms of it, compiling {@code releasep} (perf sched_switch).
 *
 * <p>What it does: up to {@link #ROUNDS} stop and start pairs, back to back, on the thread that
 * calls it (the collector's coordinator, before its first cycle). Each is a real stop: Ps running
 * goroutines stop at their next safepoint, so the Ms' side is warmed too when the program already
 * runs goroutines (idle Ps are taken by the stopper alone). A stop still waiting after
 * {@link #GIVE_UP_NANOS} is given up (world restarted) and counts against
 * {@link #MAX_GIVEN_UP}; the warm-up ends after that many, or after {@link #BUDGET_NANOS} in all:
 * a program whose goroutine runs long without a safepoint, or blocks outside {@code Go.syscall},
 * must not be held by stops nobody asked for, and on a loaded machine, where a stop that waits for
 * a CPU takes milliseconds, the warm-up must not take the program's first second. Cost, quiet:
 * {@code ROUNDS} stops of tens of microseconds each, once per collector.
 */
final class StopPathWarmup {
    static final String PROPERTY = "gort.sched.stopwarmup";
    static final String UNIT = "stop and start pairs (0: no warm-up)";
    /**
     * {@code -Dgort.sched.stopwarmup=N} (0..100000, default 1000; 0: none): pairs run. C1's
     * threshold is 200 calls, but looked at only every 128 calls and scaled up while the compile
     * queue is long, as at a program's start: in a child JVM at load 11, 300 pairs left
     * {@code stopHeld} and {@code startHeld} interpreted ({@code StopPathWarmupTest}).
     */
    static final int ROUNDS = rounds(System.getProperty(PROPERTY));
    static final int DEFAULT_ROUNDS = 1000;
    static final int MAX_ROUNDS = 100_000;
    /** A warm-up stop that waits longer than this is given up (at its first timed turn after it: 0.1-1.6 ms later). */
    static final long GIVE_UP_NANOS = 2_000_000;
    /** Stops given up after which the warm-up ends. */
    static final int MAX_GIVEN_UP = 5;
    /** Wall time after which the warm-up ends, whatever it has done. */
    static final long BUDGET_NANOS = 500_000_000;

    private StopPathWarmup() {
    }

    /** The property's value as a count, or the default with a warning naming what is accepted (read once, in a class initializer). */
    static int rounds(String value) {
        return (int) dev.gort.sys.TuningProperty.whole(PROPERTY, value, UNIT, DEFAULT_ROUNDS, 0, MAX_ROUNDS);
    }

    /** {@code value} (null: unset) as a count in 0..{@link #MAX_ROUNDS}, or an error naming what is accepted. */
    static int parseRounds(String value) {
        return (int) dev.gort.sys.TuningProperty.parseWhole(PROPERTY, value, UNIT, DEFAULT_ROUNDS, 0, MAX_ROUNDS);
    }

    /**
     * Runs up to {@code rounds} stop and start pairs on {@code s} from the calling thread (not a
     * goroutine of {@code s}: its own P would not stop, and its M's side would not be warmed).
     * Returns the pairs completed: fewer when {@link #MAX_GIVEN_UP} stops were given up or the
     * {@link #BUDGET_NANOS} is spent (see the class comment), when {@code keepGoing} said false
     * before a pair, or when the scheduler exits. The world runs when it returns.
     */
    static int run(Scheduler s, int rounds, java.util.function.BooleanSupplier keepGoing) {
        if (rounds < 0) {
            throw new IllegalArgumentException("stop path warm-up of " + rounds + " rounds: accepted 0 or more");
        }
        if (Scheduler.carrier() instanceof M mp && mp.sched == s) {
            throw new IllegalStateException("stop path warm-up called on a goroutine of the scheduler it would stop; call it from another thread");
        }
        long[] started = new long[1];
        java.util.function.BooleanSupplier giveUp = () -> System.nanoTime() - started[0] > GIVE_UP_NANOS;
        // Every other pair is a stop that hands its steps (here only the restart) to the M that
        // stops the last P, as the collector's pauses do (stopTheWorldAndRun): the claim and the
        // stopper's wait for it are warmed too when goroutines run.
        Runnable restart = s::startTheWorld;
        long t0 = System.nanoTime();
        // The pairs come back to back: a stop's timed pass would stop the Ps the previous restart
        // handed to Ms not yet on a CPU (WorldStop.stopHandedLocked), and on a loaded machine the
        // Ms' side of a stop (gcstopm, stopm, the claim), which this warms, would never run
        // (StopPathWarmupTest failed so). The warm-up's stops wait for those Ms, as before.
        s.world.stopHandedPs = false;
        try {
            return pairs(s, rounds, keepGoing, giveUp, started, restart, t0);
        } finally {
            s.world.stopHandedPs = true;
        }
    }

    /**
     * Pairs of {@link #rehearseForJit}: the JIT's tier-4 (C2) request for a method comes after about
     * 5000 calls (Tier4InvocationThreshold, raised while the C2 queue is long: Tier4LoadFeedback), and
     * the warm-up's {@link #DEFAULT_ROUNDS} real pairs give C1 only.
     */
    static final int JIT_REHEARSAL_PAIRS = 30_000;
    /** Wall time after which one {@link #rehearseForJit} call ends, whatever it has done (the next call goes on). */
    static final long JIT_REHEARSAL_BUDGET_NANOS = 200_000_000;

    /**
     * The stopper's side of a stop ({@link WorldStop}'s request, wait, hand-off and restart) run
     * {@code pairs} more times on a scheduler of the same GOMAXPROCS that runs nothing, so that the
     * JIT's C2 requests for those methods come here, from the caller, with the world running,
     * rather than inside a real stop thousands of cycles later (docs/performance.md, sessions 29
     * flake29 and 30 jvm30). A C2 request resolves every String constant of the method's class on
     * the requesting thread (HotSpot's CompileBroker::compile_method) and wakes a compiler thread
     * for milliseconds of CPU: inside a pause, that is the pause's. Nothing of {@code s} is stopped:
     * the dormant scheduler's Ps are all idle, so each stop takes them at its request and each
     * restart puts them back. Call it only after the real pairs ({@link #run}): C2 compiles with the
     * profile collected so far, and a branch no stop has taken yet (the wait for a running P) would
     * be compiled as a trap that deoptimizes inside a later pause. The Ms' side of a stop
     * ({@code gcstopm}, {@code stopm}) is not rehearsed (no M runs here). Returns the pairs made:
     * fewer when {@code keepGoing} said false before a pair or {@link #JIT_REHEARSAL_BUDGET_NANOS}
     * was spent. Cost, quiet: a few microseconds of the caller's CPU a pair (no system call: the
     * dormant scheduler parks no thread). The pairs are added to this JVM's count
     * ({@link #JIT_REHEARSAL_PAIRS_MADE}), which the collector's calls ({@link #rehearseRestForJit}) go by.
     */
    static int rehearseForJit(Scheduler s, int pairs, java.util.function.BooleanSupplier keepGoing) {
        if (pairs < 0) {
            throw new IllegalArgumentException("stop path JIT rehearsal of " + pairs + " pairs: accepted 0 or more");
        }
        return rehearse(s, pairs, JIT_REHEARSAL_PAIRS_MADE, Integer.MAX_VALUE, keepGoing);
    }

    /**
     * {@link #rehearseForJit} for this JVM's pairs still to make: until {@link #JIT_REHEARSAL_PAIRS}
     * have been made in this JVM, by any runtime (what the pairs warm, C2's code, is the JVM's: a
     * second runtime skips what the first did). Several runtimes may rehearse at once: each
     * looks at the JVM's count before each pair, so together they make at most one pair each
     * beyond it. Returns the pairs this call made.
     */
    static int rehearseRestForJit(Scheduler s, java.util.function.BooleanSupplier keepGoing) {
        return rehearse(s, Integer.MAX_VALUE, JIT_REHEARSAL_PAIRS_MADE, JIT_REHEARSAL_PAIRS, keepGoing);
    }

    /** Pairs of the rehearsal this JVM still wants ({@link #rehearseRestForJit}): 0 once {@link #JIT_REHEARSAL_PAIRS} were made. */
    static int jitRehearsalPairsLeft() {
        return Math.max(0, JIT_REHEARSAL_PAIRS - JIT_REHEARSAL_PAIRS_MADE.get());
    }

    /**
     * Stop and start pairs of the rehearsal made in this JVM, by every runtime and every call
     * (made: counted after the pair, so a runtime closed mid-rehearsal leaves it true).
     */
    static final java.util.concurrent.atomic.AtomicInteger JIT_REHEARSAL_PAIRS_MADE = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Up to {@code pairs} pairs, and only while {@code made} (a JVM-wide count, added to after each
     * pair) is below {@code madeTarget}, within {@link #JIT_REHEARSAL_BUDGET_NANOS}. Tests pass a count of their own.
     */
    static int rehearse(Scheduler s, int pairs, java.util.concurrent.atomic.AtomicInteger made, int madeTarget,
            java.util.function.BooleanSupplier keepGoing) {
        return rehearse(s, pairs, made, madeTarget, JIT_REHEARSAL_BUDGET_NANOS, keepGoing);
    }

    /**
     * As {@link #rehearse(Scheduler, int, java.util.concurrent.atomic.AtomicInteger, int, java.util.function.BooleanSupplier)}
     * with a wall-time budget of the caller's: tests that count exact pairs pass none
     * ({@code Long.MAX_VALUE}), since under load one pair can take longer than the default budget.
     */
    static int rehearse(Scheduler s, int pairs, java.util.concurrent.atomic.AtomicInteger made, int madeTarget,
            long budgetNanos, java.util.function.BooleanSupplier keepGoing) {
        if (pairs == 0 || made.get() >= madeTarget || s.exiting || !keepGoing.getAsBoolean()) {
            // No pair can be made: build no dormant scheduler (GOMAXPROCS P blocks made and freed)
            // for nothing. The collector calls this at each cycle's end, and a cycle is often
            // requested by then; the next start must not wait for that work (review30).
            return 0;
        }
        // A new SchedConfig, not s's: no mcache source (each P would take a cache of the real
        // heap), no affinity, no handlers; only the P count, so that the loops over allp run as often.
        Scheduler dormant = Scheduler.create(SchedConfig.defaults().gomaxprocs(s.gomaxprocs()));
        DORMANT_SCHEDULERS_MADE.incrementAndGet();
        try {
            dormant.lock.lock();
            try {
                dormant.pidleput(dormant.allp[0]);     // P0 waits for a main goroutine that never comes: idle too
            } finally {
                dormant.lock.unlock();
            }
            Runnable restart = dormant::startTheWorld;
            long t0 = System.nanoTime();
            int done = 0;
            while (done < pairs && made.get() < madeTarget && System.nanoTime() - t0 < budgetNanos
                    && !s.exiting && keepGoing.getAsBoolean()) {
                // The same entries, with a give-up test, as the real pairs: the profile the JIT
                // reads is theirs plus these stops' no-wait path.
                if ((done & 1) == 0) {
                    dormant.stopTheWorld("stop path JIT rehearsal", NEVER_GIVE_UP);
                    dormant.startTheWorld();
                } else {
                    dormant.stopTheWorldAndRun("stop path JIT rehearsal", NEVER_GIVE_UP, restart);
                }
                done++;
                made.incrementAndGet();         // after the pair: the count is of pairs made, whatever ends the call
            }
            return done;
        } finally {
            dormant.close();
        }
    }

    /** Dormant schedulers {@link #rehearseForJit} has built in this JVM (tests, diagnostics). */
    static final java.util.concurrent.atomic.AtomicLong DORMANT_SCHEDULERS_MADE = new java.util.concurrent.atomic.AtomicLong();

    /** A give-up test that never gives up (every rehearsal stop completes at its request). */
    private static final java.util.function.BooleanSupplier NEVER_GIVE_UP = () -> false;

    private static int pairs(Scheduler s, int rounds, java.util.function.BooleanSupplier keepGoing,
            java.util.function.BooleanSupplier giveUp, long[] started, Runnable restart, long t0) {
        int done = 0, givenUp = 0;
        while (done < rounds && givenUp < MAX_GIVEN_UP && System.nanoTime() - t0 < BUDGET_NANOS && !s.exiting
                && keepGoing.getAsBoolean()) {
            started[0] = System.nanoTime();
            try {
                if ((done & 1) == 0) {
                    s.stopTheWorld("stop path warm-up", giveUp);
                    s.startTheWorld();
                } else {
                    s.world.stopAndRun("stop path warm-up", giveUp, restart);
                }
            } catch (StopGivenUpException e) {
                givenUp++;         // a goroutine slow to stop: the world runs again, and so does it
                s.warmUpStopsGivenUp++;     // the caller's thread only (one warm-up at a time per scheduler)
                continue;
            }
            done++;
        }
        return done;
    }
}
