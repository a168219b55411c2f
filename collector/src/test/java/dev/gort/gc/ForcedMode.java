package dev.gort.gc;

import dev.gort.sys.ForcedGcModes;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test may assert when the suite runs under a forced debug mode ({@code -Dgort.gc.force},
 * {@code ./gort test --gc-mode=...}, TESTING.md G2). Under {@code gcstoptheworld=1|2} there is no
 * concurrent mark phase: no breakpoint inside it is reached, no mark worker or assist runs, stacks
 * are walked in the first pause and (mode 2) the sweep is done before the world restarts. A test
 * about those mechanisms skips with its reason there; a test that checks a heap's correctness keeps
 * that check and asserts only the mechanism the mode has. Nothing changes in the normal mode.
 */
final class ForcedMode {
    private ForcedMode() {
    }

    /** True unless this JVM forces every collector to mark with the world stopped. */
    static boolean concurrentMark() {
        return ForcedGcModes.get().stopTheWorld(0) == 0;
    }

    /** Skips the test when marking is forced stop-the-world; {@code what} says what it needs that phase for. */
    static void assumeConcurrentMark(String what) {
        assumeTrue(concurrentMark(), () -> "needs the concurrent mark phase (" + what + "); this JVM forces -D"
                + ForcedGcModes.PROPERTY + "=" + ForcedGcModes.get());
    }

    /** True unless this JVM forces the sweep to finish inside the mark termination pause (gcstoptheworld=2). */
    static boolean backgroundSweep() {
        return ForcedGcModes.get().stopTheWorld(0) < 2;
    }

    /** Skips the test when the sweep is forced stop-the-world; {@code what} says what it needs the background sweeper for. */
    static void assumeBackgroundSweep(String what) {
        assumeTrue(backgroundSweep(), () -> "needs the background sweeper (" + what + "); this JVM forces -D"
                + ForcedGcModes.PROPERTY + "=" + ForcedGcModes.get());
    }
}
