package dev.gort.gc;

import dev.gort.sys.TuningProperty;

/**
 * Diagnostic counters of what a mutator pays while the collector marks (branch markmut's
 * breakdown), off by default: {@code -Dgort.gc.markmutstats=true}. {@link #ON} is a static final,
 * so with the flag off C2 folds every counting site away. The counters live on the
 * {@link Mutator} (owner-only plain longs, no sharing); read with {@link Collector#markMutatorStats}
 * once the mutator is quiet.
 */
final class MarkMutatorStats {
    private MarkMutatorStats() {
    }

    static final boolean ON = TuningProperty.flag("gort.gc.markmutstats", false);

    /** Indexes into {@link Mutator#markStats}. */
    static final int SLOW_MARKING = 0;       // allocate() entered while marking
    static final int SLOW_FOR_ASSIST = 1;    // ... with the credit short of the object (an assist is due)
    static final int ASSISTS = 2;            // Assists.alloc calls (an assist: one or more passes, see RETRIES)
    static final int CREDIT_ONLY = 3;        // passes paid wholly by stealing the workers' banked credit
    static final int DRAIN_CALLS = 4;        // Marker.drain calls from assists
    static final int DRAIN_EMPTY = 5;        // ... that found no work (returned 0)
    static final int WORK_DONE = 6;          // scan work the assists did themselves (bytes)
    static final int WAITS = 7;              // passes that parked in the assist queue
    static final int DRAIN_PASSES = 8;       // passes that drained (each reads the CPU clock twice: a goroutine may change Ms between passes)
    static final int RETRIES = 9;            // passes retried in debt: after a stop or round, or a wait refused or woken for published work
    static final int COUNT = 10;

    static String format(long[] s) {
        return String.format(java.util.Locale.ROOT,
                "markmut: slow allocs while marking %d (for an assist %d); assists %d: passes credit only %d, draining %d"
                        + " (drain calls %d, empty %d, scan work %d MB, %.1f KiB per draining pass), waits %d;"
                        + " retries in debt %d",
                s[SLOW_MARKING], s[SLOW_FOR_ASSIST], s[ASSISTS], s[CREDIT_ONLY], s[DRAIN_PASSES], s[DRAIN_CALLS],
                s[DRAIN_EMPTY], s[WORK_DONE] >> 20, s[DRAIN_PASSES] == 0 ? 0.0 : s[WORK_DONE] / 1024.0 / s[DRAIN_PASSES],
                s[WAITS], s[RETRIES]);
    }
}
