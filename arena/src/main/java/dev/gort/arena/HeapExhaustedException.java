package dev.gort.arena;

/**
 * The heap could not grow: its reservation is used up, or the OS refused to commit more memory.
 * The message carries the figures (reserved, committed, in use). Nothing changed: the heap stays
 * usable, and after something is freed the same allocation can succeed.
 */
public final class HeapExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HeapExhaustedException(String message) {
        super(message);
    }

    public HeapExhaustedException(String message, Throwable cause) {
        super(message, cause);
    }
}
