package dev.gort.arena;

/**
 * Debug mode {@link HeapConfig#clobberFree()}: a freed object was written to after it was freed.
 * Raised by the allocation that reuses the slot, naming the object, its span and size class, the
 * first modified word and what it holds. The slot stays allocated (and unused), nothing else is
 * affected.
 */
public final class UseAfterFreeException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public UseAfterFreeException(String message) {
        super(message);
    }
}
