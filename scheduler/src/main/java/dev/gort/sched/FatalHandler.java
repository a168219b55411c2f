package dev.gort.sched;

/**
 * What happens on a fatal error (unrecovered panic, deadlock, stack overflow, thread exhaustion).
 * The report is Go's text; the exit code is 2 as Go's. The default {@link #EXIT} prints the report
 * to stderr, flushes, and halts the JVM. {@link #THROW} (tests, embedders that want to survive)
 * stops the scheduler instead; {@link Scheduler#run} then throws a {@link FatalError} carrying the
 * report.
 */
public interface FatalHandler {
    /** Called at most once per scheduler. */
    void fatal(String report, int exitCode);

    FatalHandler EXIT = (report, code) -> {
        System.out.flush();
        System.err.print(report);
        System.err.flush();
        Runtime.getRuntime().halt(code);
    };

    /** Marker: stop the scheduler and make {@link Scheduler#run} throw. */
    FatalHandler THROW = (report, code) -> {
    };
}
