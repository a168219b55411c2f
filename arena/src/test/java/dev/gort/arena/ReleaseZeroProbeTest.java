package dev.gort.arena;

import dev.gort.sys.Advice;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TESTING.md F13: "released pages are zero" is probed once per heap, never assumed. On Linux the
 * probe says yes. Behind an OS layer that claims DONTNEED but leaves the data in place (a
 * fault-injecting wrapper around the real kernel: it releases with MADV_FREE, whose pages keep
 * their contents until the kernel reclaims them), the probe says no and memory handed out after
 * a release is still zero, because the allocator zeroes it.
 */
class ReleaseZeroProbeTest {

    /** The real kernel, except that DONTNEED is carried out as MADV_FREE (contents survive). */
    static final class DontneedKeepsData implements OsMemory {
        final OsMemory real = PosixOsMemory.get();

        @Override
        public long pageSize() {
            return real.pageSize();
        }

        @Override
        public long reserve(long bytes) {
            return real.reserve(bytes);
        }

        @Override
        public void commit(long address, long bytes) {
            real.commit(address, bytes);
        }

        @Override
        public boolean release(long address, long bytes, Advice advice) {
            real.release(address, bytes, Advice.FREE);
            return advice.zeroesPages(); // the lie under test
        }

        @Override
        public void remap(long address, long bytes) {
            real.remap(address, bytes);
        }

        @Override
        public void decommit(long address, long bytes) {
            real.decommit(address, bytes);
        }

        @Override
        public void hugePages(long address, long bytes, boolean enable) {
            real.hugePages(address, bytes, enable);
        }

        @Override
        public void unmap(long address, long bytes) {
            real.unmap(address, bytes);
        }

        @Override
        public long residentPages(long address, long bytes) {
            return real.residentPages(address, bytes);
        }
    }

    @Test
    void linuxDontneedReadsZero() {
        assertTrue(ReleaseZeroProbe.dontneedReadsZero(PosixOsMemory.get()));
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            assertTrue(heap.releasedPagesReadZero());
        }
    }

    @Test
    void aReleaseThatKeepsDataIsDetectedAndMemoryIsStillZeroed() {
        OsMemory os = new DontneedKeepsData();
        assertFalse(ReleaseZeroProbe.dontneedReadsZero(os), "the probe must see the surviving pattern");
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), os)) {
            assertFalse(heap.releasedPagesReadZero());
            MCache cache = heap.newCache();
            List<Long> objs = new ArrayList<>();
            for (int i = 0; i < 32 * 1024; i++) { // 8 MiB of 256 B objects
                long p = cache.alloc(256, true);
                NativeMemory.fill(p, 256, (byte) 0xEE);
                objs.add(p);
            }
            for (long p : objs) {
                cache.free(p);
            }
            heap.releaseCache(cache);
            assertTrue(heap.freeOSMemory() >= 8L << 20, "released bytes");
            MCache again = heap.newCache();
            for (int i = 0; i < 32 * 1024; i++) {
                long p = again.alloc(256, true);
                for (int off = 0; off < 256; off += 8) {
                    assertEquals(0, NativeMemory.getLong(p + off), "object " + i + " at +" + off);
                }
            }
            heap.releaseCache(again);
            heap.verifyHeap();
        }
    }
}
