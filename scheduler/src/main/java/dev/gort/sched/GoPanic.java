package dev.gort.sched;

/**
 * A runtime panic with Go's text ("send on closed channel", "close of closed channel", ...).
 * Recoverable: a goroutine may catch it; if it escapes, the report reads {@code panic: <text>}.
 */
public class GoPanic extends RuntimeException {
    public GoPanic(String message) {
        super(message);
    }

    /** Go prints a plain runtime error's text after "panic: ". */
    @Override
    public String toString() {
        return getMessage();
    }
}
