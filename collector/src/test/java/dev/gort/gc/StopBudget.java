package dev.gort.gc;

/**
 * How many stops a stop/restart stress test runs. A quiet machine runs all {@code full} of them in
 * about a second; a loaded one pays a scheduling delay or two per stop (the stopper waits for
 * mutators that wait for a CPU), and 3000 stops took 153 s at load ~20 in session 12, far past a
 * test's ~20 s. So by default a test stops early once {@link #MILLIS} have passed and at least
 * {@code min} stops were made: every stop still checks the whole property, a loaded machine just
 * makes fewer of them (and interleaves them less predictably). {@code -Dgort.stress.stopRounds=K}
 * (long local runs) makes it K x {@code full} stops with no time limit.
 */
final class StopBudget {
    static final String ROUNDS_PROPERTY = "gort.stress.stopRounds";
    /** The time after which a default run stops early (once past its minimum). */
    static final long MILLIS = Long.getLong("gort.test.stopBudgetMillis", 4_000);

    private final int full;
    private final int min;
    private final boolean timed;
    private final long deadline;

    private StopBudget(int full, int min, boolean timed) {
        this.full = full;
        this.min = min;
        this.timed = timed;
        this.deadline = System.nanoTime() + MILLIS * 1_000_000L;
    }

    /** {@code full} stops, or fewer (at least {@code min}) once {@link #MILLIS} passed, unless the rounds property is set. */
    static StopBudget of(int full, int min) {
        String rounds = System.getProperty(ROUNDS_PROPERTY);
        if (rounds == null) {
            return new StopBudget(full, min, true);
        }
        int k;
        try {
            k = Integer.parseInt(rounds.trim());
        } catch (NumberFormatException e) {
            k = 0;
        }
        if (k < 1) {
            throw new IllegalArgumentException("-D" + ROUNDS_PROPERTY + "=" + rounds + ": accepted a positive integer "
                    + "(the number of times each stop test's full count of stops runs)");
        }
        return new StopBudget(Math.multiplyExact(full, k), min, false);
    }

    /** Whether stop number {@code s} (0-based) is to be made. */
    boolean more(int s) {
        if (s >= full) {
            return false;
        }
        return !timed || s < min || System.nanoTime() - deadline < 0;
    }

    int full() {
        return full;
    }
}
