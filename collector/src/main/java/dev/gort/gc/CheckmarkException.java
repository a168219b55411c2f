package dev.gort.gc;

/** gccheckmark found an object reachable after marking that the concurrent mark did not mark. */
public final class CheckmarkException extends RuntimeException {
    private final long object;

    public CheckmarkException(String message, long object) {
        super(message);
        this.object = object;
    }

    public long object() {
        return object;
    }
}
