package dev.gort.sys;

/**
 * The arena's view of the OS: a memory-region state machine with one method per transition,
 * as Go's mem.go (None -> Reserved -> Ready -> released -> Ready ... -> None).
 *
 * <pre>
 *   reserve     None     -> Reserved   mmap(PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE): address space only, RSS unchanged
 *   commit      Reserved -> Ready      mprotect(PROT_READ|PROT_WRITE): pages fault in (zeroed) on first touch
 *   release     Ready    -> Ready      madvise(advice): physical pages go back; the mapping stays usable
 *   remap       Ready    -> Ready      mmap(MAP_FIXED) of fresh zero pages: release's fallback when madvise fails
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

    /**
     * Replaces a committed range with fresh zero pages: mmap(MAP_FIXED | MAP_PRIVATE |
     * MAP_ANONYMOUS | MAP_NORESERVE, PROT_READ | PROT_WRITE) over it. The old pages go back to the
     * kernel at once and the range stays usable (Ready -> Ready, like release with DONTNEED). The
     * arena's fallback when madvise itself fails (TESTING F11). Implementations that cannot remap
     * throw UnsupportedOperationException.
     */
    default void remap(long address, long bytes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot remap memory");
    }

    /** Returns a committed range to the reserved state (no access, no memory). */
    void decommit(long address, long bytes);

    /** Applies MADV_HUGEPAGE (true) or MADV_NOHUGEPAGE (false) where the OS has them; a no-op elsewhere. */
    void hugePages(long address, long bytes, boolean enable);

    /** Unmaps a whole reservation, or any page-aligned part of one. */
    void unmap(long address, long bytes);

    /** The number of pages of {@code [address, address+bytes)} that are resident (mincore). */
    long residentPages(long address, long bytes);
}
