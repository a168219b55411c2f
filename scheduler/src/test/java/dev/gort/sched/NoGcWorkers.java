package dev.gort.sched;

/**
 * A GC hook for scheduler tests that offers no mark worker (both finders return null); a test
 * overrides only the hook methods it observes (schedulerExiting, describeGoroutine, ...).
 */
abstract class NoGcWorkers implements GcHook {
    @Override
    public G findRunnableGCWorker(P p, long nowNanos) {
        return null;
    }

    @Override
    public G findIdleGCWorker(P p, long nowNanos) {
        return null;
    }
}
