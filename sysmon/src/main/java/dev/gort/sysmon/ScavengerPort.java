package dev.gort.sysmon;

/**
 * What sysmon drives in the arena's scavenger: the policy passes (by age, down to a target) and
 * the figures for the retain target and scavtrace. Release means madvise of free page runs; the
 * arena does the accounting (HeapReleased) at that boundary.
 */
public interface ScavengerPort {
    /** Releases free page runs that have been free for at least {@code idleNanos} at {@code nowNanos}; returns bytes released. */
    long releaseIdle(long nowNanos, long idleNanos);

    /**
     * Releases free pages, highest address first, until the retained heap is at most {@code
     * targetBytes} or {@code maxBytes} (rounded up to 64 KiB) were released; returns bytes
     * released. Less than {@code min(maxBytes, excess)} means nothing more is free to release now.
     */
    long releaseDownTo(long targetBytes, long maxBytes);

    /** Heap bytes in spans in use (MemStats.HeapInuse). */
    long heapInUse();

    /** Heap bytes held from the OS and not released (HeapSys - HeapReleased), Go's heapRetained. */
    long heapRetained();

    /** Heap bytes released to the OS now (MemStats.HeapReleased). */
    long heapReleased();
}
