package dev.gort.arena;

import dev.gort.sys.Advice;
import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;

import java.lang.foreign.Arena;

/**
 * The real kernel seen through a larger page size, to run the arena on this machine's 4 KiB pages
 * as on a kernel with 16 KiB (macOS arm64) or 64 KiB (arm64 Linux) pages: reservations are aligned
 * to the larger page, and every call that takes a range (commit, release, remap, decommit, unmap,
 * hugePages) refuses an address or a length that is not a multiple of it, as {@link OsMemory}'s
 * contract says (the real kernel would reject an unaligned madvise start, and round a length up:
 * releasing the neighbour's bytes). The calls themselves are the real mmap/mprotect/madvise.
 */
final class LargePageOsMemory implements OsMemory {
    private final OsMemory real = PosixOsMemory.get();
    private final long page;

    LargePageOsMemory(long pageSize) {
        if (Long.bitCount(pageSize) != 1 || pageSize < real.pageSize()) {
            throw new IllegalArgumentException("page size must be a power of two >= " + real.pageSize() + ", got " + pageSize);
        }
        this.page = pageSize;
    }

    private void requireAligned(String call, long address, long bytes) {
        if (address % page != 0 || bytes <= 0 || bytes % page != 0) {
            throw new IllegalArgumentException(call + ": address 0x" + Long.toHexString(address) + " and length " + bytes
                    + " must be multiples of the " + page + " B page");
        }
    }

    @Override
    public long pageSize() {
        return page;
    }

    @Override
    public long reserve(long bytes) {
        requireAligned("reserve", 0, bytes);
        long raw = real.reserve(bytes + page);
        long base = (raw + page - 1) / page * page;
        if (base > raw) {
            real.unmap(raw, base - raw);
        }
        long tail = raw + bytes + page - (base + bytes);
        if (tail > 0) {
            real.unmap(base + bytes, tail);
        }
        return base;
    }

    @Override
    public void commit(long address, long bytes) {
        requireAligned("commit", address, bytes);
        real.commit(address, bytes);
    }

    @Override
    public boolean release(long address, long bytes, Advice advice) {
        requireAligned("release", address, bytes);
        return real.release(address, bytes, advice);
    }

    @Override
    public void remap(long address, long bytes) {
        requireAligned("remap", address, bytes);
        real.remap(address, bytes);
    }

    @Override
    public void decommit(long address, long bytes) {
        requireAligned("decommit", address, bytes);
        real.decommit(address, bytes);
    }

    @Override
    public void hugePages(long address, long bytes, boolean enable) {
        requireAligned("hugePages", address, bytes);
        real.hugePages(address, bytes, enable);
    }

    @Override
    public void unmap(long address, long bytes) {
        requireAligned("unmap", address, bytes);
        real.unmap(address, bytes);
    }

    /**
     * Large pages of the range with any real page resident (a large page is resident or not as a
     * whole). One mincore per 64 Ki real pages into a confined vector: a call per large page, each
     * closing a shared arena (a handshake with every thread), took seconds per 64 MiB under load.
     */
    @Override
    public long residentPages(long address, long bytes) {
        requireAligned("residentPages", address, bytes);
        long realPage = real.pageSize();
        long realPerLarge = page / realPage;
        long chunkRealPages = Math.max(realPerLarge, 1L << 16);
        long count = 0;
        try (Arena arena = Arena.ofConfined()) {
            long vec = arena.allocate(chunkRealPages).address();
            for (long p = address; p < address + bytes; p += chunkRealPages * realPage) {
                long n = Math.min(chunkRealPages, (address + bytes - p) / realPage);
                LibC.mincore(p, n * realPage, vec);
                for (long large = 0; large < n; large += realPerLarge) {
                    for (long i = large; i < large + realPerLarge; i++) {
                        if ((NativeMemory.getByte(vec + i) & 1) != 0) {
                            count++;
                            break;
                        }
                    }
                }
            }
        }
        return count;
    }
}
