package dev.gort.sched;

/** Thrown by {@link Scheduler#run} when the scheduler died of a fatal error under {@link FatalHandler#THROW}. */
public final class FatalError extends RuntimeException {
    private final String report;

    FatalError(String report, Throwable cause) {
        super(report.lines().findFirst().orElse(report), cause);
        this.report = report;
    }

    /** The full report, as it would have been printed. */
    public String report() {
        return report;
    }
}
