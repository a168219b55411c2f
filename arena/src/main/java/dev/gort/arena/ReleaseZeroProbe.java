package dev.gort.arena;

import dev.gort.sys.Advice;
import dev.gort.sys.OsMemory;

/**
 * TESTING F13 (jemalloc's {@code madvise_MADV_DONTNEED_zeroes_pages}): the allocator skips zeroing
 * pages released with MADV_DONTNEED because on Linux they read back as zero. That is a kernel
 * promise for private anonymous memory, not a law, so it is checked once per heap before it is
 * relied on: one OS page of its own is reserved, committed, filled with a pattern, released with
 * DONTNEED through the heap's OsMemory, read back and unmapped (four system calls at creation).
 * If any word survives, or any step fails, the heap never treats released pages as zero (every
 * span made from them is zeroed when used: slower, never wrong). MADV_FREE is never assumed to
 * zero anything, probe or not.
 */
final class ReleaseZeroProbe {
    private ReleaseZeroProbe() {
    }

    private static final long PATTERN = 0x5A5A_A5A5_0F0F_F0F0L;

    /** Whether a page released with DONTNEED through {@code os} reads back as zero. */
    static boolean dontneedReadsZero(OsMemory os) {
        long page = os.pageSize();
        long a = 0;
        try {
            a = os.reserve(page);
            os.commit(a, page);
            for (long off = 0; off < page; off += 8) {
                Mem.putLong(a + off, PATTERN ^ off);
            }
            os.release(a, page, Advice.DONTNEED);
            for (long off = 0; off < page; off += 8) {
                if (Mem.getLong(a + off) != 0) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        } finally {
            if (a != 0) {
                try {
                    os.unmap(a, page);
                } catch (RuntimeException ignored) {
                    // one page of address space; the answer above stands
                }
            }
        }
    }
}
