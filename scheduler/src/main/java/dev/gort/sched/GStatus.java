package dev.gort.sched;

/** Goroutine status values, numbered as Go's ({@code runtime2.go}); schedtrace prints the numbers. */
public final class GStatus {
    private GStatus() {
    }

    /** Just allocated, not yet initialised. */
    public static final int IDLE = 0;
    /** On a run queue, not running. */
    public static final int RUNNABLE = 1;
    /** Running on an M that owns a P. */
    public static final int RUNNING = 2;
    /** In a blocking call ({@link Go#syscall}); it owns an M but no P. */
    public static final int SYSCALL = 3;
    /** Parked (channel, timer, I/O, ...); the wait reason says why. */
    public static final int WAITING = 4;
    /** Finished; on a free list for reuse. */
    public static final int DEAD = 6;

    public static String name(int status) {
        return switch (status) {
            case IDLE -> "idle";
            case RUNNABLE -> "runnable";
            case RUNNING -> "running";
            case SYSCALL -> "syscall";
            case WAITING -> "waiting";
            case DEAD -> "dead";
            default -> "status " + status;
        };
    }
}
