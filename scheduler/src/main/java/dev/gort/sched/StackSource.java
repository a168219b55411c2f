package dev.gort.sched;

/**
 * Where shadow-stack segments come from: the arena's {@code StackAllocator} in a full runtime
 * ({@code dev.gort.arena.StackAllocator} has exactly this shape), {@link #malloc()} otherwise.
 * Segments are freed with the size they were allocated with.
 */
public interface StackSource {
    long alloc(long bytes);

    void free(long address, long bytes);

    /** Segments from the C heap (LibC malloc/free). */
    static StackSource malloc() {
        return MallocStackSource.INSTANCE;
    }
}
