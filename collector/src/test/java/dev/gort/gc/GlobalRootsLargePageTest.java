package dev.gort.gc;

import dev.gort.sys.Advice;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The global root table on a kernel whose pages are larger than its 64 KiB commit step (scav30
 * found the arena's descriptors broke there; this table committed 64 KiB at a time too). The
 * real kernel, seen through 256 KiB pages: a commit that is not whole pages is refused, as a
 * real kernel with such pages would refuse it.
 */
class GlobalRootsLargePageTest {
    private static final long PAGE = 256 << 10;

    /** The real calls; only the page size and the whole-page rule are the large kernel's. */
    private static final class LargePages implements OsMemory {
        private final OsMemory real = PosixOsMemory.get();

        private static void requireWholePages(String call, long address, long bytes) {
            if (address % PAGE != 0 || bytes % PAGE != 0) {
                throw new IllegalArgumentException(call + ": address 0x" + Long.toHexString(address)
                        + " and length " + bytes + " must be multiples of the " + PAGE + " B page");
            }
        }

        @Override public long pageSize() { return PAGE; }

        @Override public long reserve(long bytes) {
            requireWholePages("reserve", 0, bytes);
            long raw = real.reserve(bytes + PAGE);
            long base = (raw + PAGE - 1) / PAGE * PAGE;
            if (base > raw) {
                real.unmap(raw, base - raw);
            }
            real.unmap(base + bytes, raw + PAGE - base);
            return base;
        }

        @Override public void commit(long address, long bytes) {
            requireWholePages("commit", address, bytes);
            real.commit(address, bytes);
        }

        @Override public boolean release(long address, long bytes, Advice advice) {
            requireWholePages("release", address, bytes);
            return real.release(address, bytes, advice);
        }

        @Override public void decommit(long address, long bytes) {
            requireWholePages("decommit", address, bytes);
            real.decommit(address, bytes);
        }

        @Override public void hugePages(long address, long bytes, boolean enable) {
            requireWholePages("hugePages", address, bytes);
            real.hugePages(address, bytes, enable);
        }

        @Override public void unmap(long address, long bytes) {
            requireWholePages("unmap", address, bytes);
            real.unmap(address, bytes);
        }

        @Override public long residentPages(long address, long bytes) {
            return real.residentPages(address, bytes);
        }
    }

    @Test
    void slotsAreCommittedInWholeLargePages() {
        try (GlobalRoots roots = new GlobalRoots(new LargePages(), 4 * PAGE)) {
            long slotsPerPage = PAGE / 8;
            for (long i = 0; i < slotsPerPage + 1; i++) {
                assertEquals(i, roots.allocSlot(), "slots are handed out in order");
            }
            assertEquals(slotsPerPage + 1, roots.liveHandles(), "every slot past the first page is live");
        }
    }

    @Test
    void aReservationThatIsNotWholeLargePagesIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GlobalRoots(new LargePages(), 64 << 10));
        assertTrue(e.getMessage().contains("multiple of " + PAGE + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("got 65536"), e.getMessage());
    }
}
