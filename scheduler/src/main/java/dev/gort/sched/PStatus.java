package dev.gort.sched;

/** P status values, numbered as Go's ({@code runtime2.go}). */
public final class PStatus {
    private PStatus() {
    }

    /** Not running user code: on the idle list, or just taken off it. */
    public static final int IDLE = 0;
    /** Owned by an M that runs goroutines or the scheduler. */
    public static final int RUNNING = 1;
    /** Its M is in a blocking call; sysmon (or the built-in retaker) may take it. */
    public static final int SYSCALL = 2;
    /** Stopped for stop-the-world. */
    public static final int GCSTOP = 3;
    /** No longer used (GOMAXPROCS shrank). */
    public static final int DEAD = 4;
}
