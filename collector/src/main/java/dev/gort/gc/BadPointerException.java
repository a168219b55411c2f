package dev.gort.gc;

/**
 * "found bad pointer in heap": while scanning, a word whose pointer bit is set held a value that is
 * not 0 and not inside an allocated object (a pointer to a free slot, to a span not in use, or
 * outside the arena). The message names the address, the span and who held it (object + offset, a
 * global slot or a goroutine's frame slot). Usually a use-after-free: a pointer kept somewhere the
 * collector does not see (a Java local across a safepoint) and stored back after its object died.
 */
public final class BadPointerException extends RuntimeException {
    private final long pointer;

    public BadPointerException(String message, long pointer) {
        super(message);
        this.pointer = pointer;
    }

    public long pointer() {
        return pointer;
    }
}
