package dev.gort.sys;

/**
 * The arena's view of the OS: a memory-region state machine with one method per transition,
 * as Go's mem.go (None -> Reserved -> Ready -> released -> Ready ... -> None).
 *
 * <pre>
 *   reserve     None     -> Reserved   mmap(PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE): address space only, RSS unchanged
 *   commit      Reserved -> Ready      mprotect(PROT_READ|PROT_WRITE): pages fault in (zeroed) on first touch
 *   release     Ready    -> Ready      madvise(advice): physical pages go back; the mapping stays usable
 *   decommit    Ready    -> Reserved   madvise(DONTNEED) + mprotect(PROT_NONE)
 *   unmap       any      -> None       munmap
 * </pre>
 *
 * Every argument is checked before any call: lengths must be positive multiples of the page
 * size, addresses page-aligned; otherwise IllegalArgumentException says what is required. A
 * failing call throws {@link NativeException} and leaves the region in its previous state.
 * Implementations: {@link PosixOsMemory} (the real kernel) and {@link FaultInjectingOsMemory}
 * (the real kernel, with failures injected on chosen calls, for tests of error paths).
 */
public interface OsMemory {

    /** The OS page size in bytes (a power of two). */
    long pageSize();

    /** Reserves {@code bytes} of address space, inaccessible, costing no memory. Returns the base. */
    long reserve(long bytes);

    /** Makes {@code [address, address+bytes)} of a reservation readable and writable. */
    void commit(long address, long bytes);

    /**
     * Returns the physical pages of {@code [address, address+bytes)} with {@code advice}. The range
     * stays committed. Returns true when the pages are now known to read back as zero.
     */
    boolean release(long address, long bytes, Advice advice);

    /** Returns a committed range to the reserved state (no access, no memory). */
    void decommit(long address, long bytes);

    /** Applies MADV_HUGEPAGE (true) or MADV_NOHUGEPAGE (false) where the OS has them; a no-op elsewhere. */
    void hugePages(long address, long bytes, boolean enable);

    /** Unmaps a whole reservation, or any page-aligned part of one. */
    void unmap(long address, long bytes);

    /** The number of pages of {@code [address, address+bytes)} that are resident (mincore). */
    long residentPages(long address, long bytes);
}
