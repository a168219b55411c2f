package dev.gort.arena;

/**
 * Debug mode {@link HeapConfig#overflowCheck()}: an object was written past the size it was
 * allocated with. Raised by its free, naming the object, its requested size, its span and the
 * first damaged byte ("overflow after N bytes"). The free is refused: the object stays allocated
 * and nothing else changes.
 */
public final class ObjectOverflowException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public ObjectOverflowException(String message) {
        super(message);
    }
}
