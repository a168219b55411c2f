package dev.gort.sys;


/** {@link OsMemory} on the real kernel through {@link LibC}. Stateless and thread-safe. */
public final class PosixOsMemory implements OsMemory {

    private static final PosixOsMemory INSTANCE = new PosixOsMemory();

    private final OsConstants c = Platform.current().constants();
    private final long pageSize = LibC.sysconf(c._SC_PAGESIZE());

    private PosixOsMemory() {
    }

    public static PosixOsMemory get() {
        return INSTANCE;
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    @Override
    public long reserve(long bytes) {
        checkLength("reserve", bytes);
        // PROT_NONE + MAP_NORESERVE: address space only; no commit charge, no RSS.
        return LibC.mmap(0L, bytes, c.PROT_NONE(), c.MAP_PRIVATE() | c.MAP_ANONYMOUS() | c.MAP_NORESERVE(), -1, 0L);
    }

    @Override
    public void commit(long address, long bytes) {
        checkRange("commit", address, bytes);
        // RSS unchanged until first touch; the kernel hands out zero pages then.
        LibC.mprotect(address, bytes, c.PROT_READ() | c.PROT_WRITE());
    }

    @Override
    public boolean release(long address, long bytes, Advice advice) {
        checkRange("release", address, bytes);
        // DONTNEED: RSS drops now, pages read back zero. FREE: RSS drops when the kernel wants the pages.
        LibC.madvise(address, bytes, advice.value());
        return advice.zeroesPages();
    }

    @Override
    public void remap(long address, long bytes) {
        checkRange("remap", address, bytes);
        // MAP_FIXED replaces the pages in place: the old ones are freed, the new ones read zero.
        LibC.mmap(address, bytes, c.PROT_READ() | c.PROT_WRITE(),
                c.MAP_PRIVATE() | c.MAP_ANONYMOUS() | c.MAP_NORESERVE() | c.MAP_FIXED(), -1, 0L);
    }

    @Override
    public void decommit(long address, long bytes) {
        checkRange("decommit", address, bytes);
        LibC.madvise(address, bytes, c.MADV_DONTNEED());
        LibC.mprotect(address, bytes, c.PROT_NONE());
    }

    @Override
    public void hugePages(long address, long bytes, boolean enable) {
        checkRange("hugePages", address, bytes);
        int advice = enable ? c.MADV_HUGEPAGE() : c.MADV_NOHUGEPAGE();
        if (advice != OsConstants.ABSENT) {
            LibC.madvise(address, bytes, advice);
        }
    }

    @Override
    public void unmap(long address, long bytes) {
        checkRange("unmap", address, bytes);
        LibC.munmap(address, bytes);
    }

    @Override
    public long residentPages(long address, long bytes) {
        checkRange("residentPages", address, bytes);
        long pages = bytes / pageSize;
        long resident = 0;
        // One byte per page; count in bounded chunks so a 64 GiB range needs no 16 MiB vector.
        long chunkPages = Math.min(pages, 1L << 16);
        // A shared arena, not a confined one: a confined arena's owner is Thread.currentThread(),
        // which C2 may keep stale in a goroutine's compiled loop (see CallScratch).
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            long vec = arena.allocate(Math.max(1, chunkPages)).address();
            for (long done = 0; done < pages; done += chunkPages) {
                long n = Math.min(chunkPages, pages - done);
                LibC.mincore(address + done * pageSize, n * pageSize, vec);
                for (long i = 0; i < n; i++) {
                    resident += NativeMemory.getByte(vec + i) & 1;
                }
            }
        }
        return resident;
    }

    private void checkLength(String op, long bytes) {
        if (bytes <= 0 || (bytes & (pageSize - 1)) != 0) {
            throw new IllegalArgumentException(op + ": length " + bytes + " must be a positive multiple of the page size ("
                    + pageSize + ")");
        }
    }

    private void checkRange(String op, long address, long bytes) {
        if ((address & (pageSize - 1)) != 0 || address == 0) {
            throw new IllegalArgumentException(op + ": address 0x" + Long.toHexString(address)
                    + " must be a non-null multiple of the page size (" + pageSize + ")");
        }
        checkLength(op, bytes);
        if (Long.compareUnsigned(address + bytes, address) < 0) {
            throw new IllegalArgumentException(op + ": range 0x" + Long.toHexString(address) + " + " + bytes
                    + " wraps around the end of the address space");
        }
    }
}
