package dev.gort.sync;

/**
 * Performs one action exactly once (Go's sync.Once). Concurrent callers of {@link #run} park
 * until the first finishes. If the action throws, the Once still counts as done (as in Go) and
 * the exception propagates to the caller that ran it.
 */
public final class Once {
    private volatile boolean done;
    private final Mutex m = new Mutex();

    public void run(Runnable action) {
        if (!done) {
            runSlow(action);
        }
    }

    private void runSlow(Runnable action) {
        m.lock();
        try {
            if (!done) {
                try {
                    action.run();
                } finally {
                    done = true;
                }
            }
        } finally {
            m.unlock();
        }
    }

    /** Whether the action has run (or is done throwing). */
    public boolean isDone() {
        return done;
    }
}
