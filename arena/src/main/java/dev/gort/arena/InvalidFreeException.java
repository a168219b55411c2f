package dev.gort.arena;

/**
 * A free of something that is not a live object: a double free, an address inside an object
 * rather than at its start, an address outside the heap, or a free page. The message names the
 * address, the span (range, state, size class) and the slot. Nothing was changed by the call.
 */
public final class InvalidFreeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidFreeException(String message) {
        super(message);
    }
}
