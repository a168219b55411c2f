package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retain scavenger on kernels whose pages are larger than gort's 8 KiB page (16 KiB: macOS
 * arm64; 64 KiB: arm64 Linux), run on this machine's real mmap'd arena through {@link
 * LargePageOsMemory}: every madvise must cover whole large pages of free memory, and residency
 * (mincore at the real 4 KiB) shows what went. review27 found that on 64 KiB pages a free run whose
 * top is not 64 KiB-aligned was stepped over by the 64 KiB-at-a-time work without releasing
 * anything (each 8-page stretch rounded inward to nothing).
 */
class LargeOsPageScavengeTest {
    static final long KiB = 1L << 10;
    static final long MiB = 1L << 20;
    static final long QUANTUM = 64 * KiB;

    static Heap newHeap(long osPage) {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), new LargePageOsMemory(osPage));
    }

    static long residentRealBytes(long address, long bytes) {
        return PosixOsMemory.get().residentPages(address, bytes) * PosixOsMemory.get().pageSize();
    }

    /**
     * A 4 MiB free run [8 KiB, 4 MiB + 8 KiB) of the arena between two one-page spans: neither edge
     * is on a 64 KiB page. The paced work (64 KiB a call) must release 2 MiB of it from the top of
     * its whole large pages, and nothing outside the run. On main, with 64 KiB pages, every call
     * returned 0.
     */
    @ParameterizedTest
    @ValueSource(longs = {16 << 10, 64 << 10, 256 << 10})
    void thePacedWorkReleasesAnUnalignedRunInWholeOsPages(long osPage) {
        try (Heap heap = newHeap(osPage)) {
            MCache c = heap.newCache();
            long below = c.alloc(8 * KiB, true);
            long run = c.alloc(4 * MiB, true);
            long above = c.alloc(8 * KiB, true);
            assertEquals(below + 8 * KiB, run, "the layout this test needs: one page, the run, one page");
            assertEquals(run + 4 * MiB, above);
            assertEquals(0, below % osPage, "the arena starts on an OS page");
            NativeMemory.fill(below, 8 * KiB, (byte) 7);
            NativeMemory.fill(run, 4 * MiB, (byte) 1);
            NativeMemory.fill(above, 8 * KiB, (byte) 9);
            c.free(run);
            long retained = heap.heapRetainedBytes();
            long target = retained - 2 * MiB;
            long total = 0;
            for (int calls = 0; calls < 1000; calls++) {
                long r = heap.scavengeToRetain(target, QUANTUM);
                if (r == 0) {
                    break;
                }
                assertTrue(r <= Math.max(QUANTUM, osPage), "one call releases at most one quantum: " + r);
                total += r;
            }
            assertTrue(total >= 2 * MiB && total < 2 * MiB + Math.max(QUANTUM, osPage),
                    osPage + " B pages: released " + total + " B of an excess of 2 MiB");
            assertTrue(heap.heapRetainedBytes() <= target);
            // What went is the top of the run's whole OS pages: the OS page holding `above` stays.
            long topOfWholePages = (run + 4 * MiB) / osPage * osPage;
            long releasedFrom = topOfWholePages - total;
            assertEquals(0, residentRealBytes(releasedFrom, total), "the released pages left RSS");
            assertEquals(releasedFrom - run, residentRealBytes(run, releasedFrom - run), "the rest of the run is resident");
            assertEquals(0x0101010101010101L, NativeMemory.getLong(releasedFrom - 8), "the rest of the run keeps its bytes");
            for (long off = 0; off < 8 * KiB; off += 8) {
                assertEquals(0x0707070707070707L, NativeMemory.getLong(below + off), "the span below lost +" + off);
                assertEquals(0x0909090909090909L, NativeMemory.getLong(above + off), "the span above lost +" + off);
            }
            heap.verifyHeap();
            c.free(below);
            c.free(above);
            heap.verifyHeap();
        }
    }

    /** The reference check on large OS pages: allocated memory is never released (its pattern stays) under concurrent allocation. */
    @ParameterizedTest
    @ValueSource(longs = {16 << 10, 64 << 10, 256 << 10})
    void liveObjectsKeepTheirContentsOnLargeOsPages(long osPage) throws Exception {
        RetainScavengeTest.churnWhileScavenging(newHeap(osPage));
    }
}
