package dev.gort.sched;

import java.util.concurrent.locks.LockSupport;

/**
 * The scheduler's own schedtrace thread ({@link SchedConfig#schedtraceMillis} > 0): prints Go's
 * SCHED line (with {@link SchedConfig#scheddetail}, the per-P, per-M and per-G lines too) to
 * stderr every period until the scheduler exits. Owns no state but its thread; it reads the
 * scheduler without its lock, as Go's schedtrace does (the figures are a racy snapshot).
 */
final class SchedTracer {
    private SchedTracer() {
    }

    /** Starts the thread if schedtrace is configured; returns it, or null. */
    static Thread startIfConfigured(Scheduler s) {
        if (s.cfg.schedtraceMillis <= 0) {
            return null;
        }
        return Thread.ofPlatform().daemon().name("gort-schedtrace").start(() -> loop(s));
    }

    private static void loop(Scheduler s) {
        long period = s.cfg.schedtraceMillis * 1_000_000L;
        long next = System.nanoTime() + period;
        while (!s.exiting) {
            LockSupport.parkNanos(next - System.nanoTime());
            if (s.exiting) {
                break;
            }
            if (System.nanoTime() >= next) {
                System.err.print(Reports.schedtrace(s, s.cfg.scheddetail));
                System.err.flush();
                next += period;
            }
        }
    }
}
