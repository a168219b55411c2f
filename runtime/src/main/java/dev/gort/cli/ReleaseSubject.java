package dev.gort.cli;

/**
 * The heap release-check exercises: the arena's heap in manual mode (no collector), so each step
 * is exactly one allocator operation.
 */
interface ReleaseSubject extends AutoCloseable {
    /** Allocates objects totalling {@code bytes} (they are not touched yet). */
    void allocate(long bytes);

    /** Writes every OS page of every object, so the pages are resident. */
    void touch();

    /** Frees every object; the pages stay resident (free, not released). */
    void free();

    /** Returns every free page to the kernel with the chosen advice (freeOSMemory); returns the bytes released. */
    long release();

    /** Resident bytes of the heap's arena region (mincore over what is committed). */
    long arenaResidentBytes();

    /** The heap's MemStats figures now: {HeapSys, HeapInuse, HeapIdle, HeapReleased}. */
    long[] heapStats();

    @Override
    void close();
}
