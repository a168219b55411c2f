package dev.gort.arena;

import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scavenger's index (free bits beside the released bits, a mark per 4 MiB chunk) against a
 * page-by-page model built from the runs themselves: over a heap of more than 64 chunks (so the
 * chunk marks span several words), with runs freed, allocated and partly released at random, the
 * highest free unreleased page below any position is the one the runs say.
 */
class ScavengeIndexTest {
    static final long PAGE = SizeClasses.PAGE_SIZE;

    @ParameterizedTest
    @ValueSource(longs = {0, 64 << 10})
    void theHighestFreeUnreleasedPageAgreesWithTheRuns(long osPage) {
        OsMemory os = osPage == 0 ? PosixOsMemory.get() : new LargePageOsMemory(osPage);
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(2L << 30), os)) {
            MCache c = heap.newCache();
            SplittableRandom rnd = new SplittableRandom(28);
            List<Long> live = new ArrayList<>();
            // ~600 MiB of large objects, never touched (no RSS): 150 chunks of the index.
            for (int i = 0; i < 500; i++) {
                live.add(c.alloc((1 + rnd.nextInt(300)) * PAGE, true));
            }
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 150; i++) {
                    int k = rnd.nextInt(live.size());
                    c.free(live.get(k));
                    live.set(k, c.alloc((1 + rnd.nextInt(300)) * PAGE, true));
                }
                for (int i = 0; i < 40; i++) {      // 260 of the 500 stay
                    int k = rnd.nextInt(live.size());
                    c.free(live.remove(k));
                }
                if (round % 2 == 1) {
                    heap.scavengeToRetain(heap.heapRetainedBytes() - (20L << 20), 4L << 20);    // releases pieces, not whole runs
                }
                checkAgainstModel(heap, rnd);
                heap.verifyHeap();
            }
            for (long p : live) {
                c.free(p);
            }
            heap.verifyHeap();
        }
    }

    /**
     * The chunk marks cover every chunk, the last partial one included: an arena of 510 x 64 whole
     * chunks plus 1 MiB has 32,641 chunks, and the marks' words end exactly on an OS page there, so
     * a mark word short (the chunk count rounded down) put the last chunk's mark in the first word
     * of the span descriptors. Only reserved, never touched.
     */
    @org.junit.jupiter.api.Test
    void theChunkMarksCoverTheLastPartialChunk() {
        long chunkBytes = AddressSpace.SCAV_CHUNK_PAGES * PAGE;
        long reservation = 510 * 64 * chunkBytes + (1L << 20);
        HeapConfig cfg = HeapConfig.defaults().withHeapArenaBytes(1L << 20).withArenaReservation(reservation);
        try (Heap heap = Heap.create(cfg, PosixOsMemory.get())) {
            AddressSpace space = heap.mheap.space;
            long lastPage = space.arenaBytes / PAGE - 1;
            long lastChunk = lastPage / AddressSpace.SCAV_CHUNK_PAGES;
            long lastMarkWordEnd = space.scavChunkBitsBase + ((lastChunk >>> 6) << 3) + 8;
            assertTrue(lastMarkWordEnd <= space.descriptorsBase, "chunk " + lastChunk + "'s mark word ends at 0x"
                    + Long.toHexString(lastMarkWordEnd) + ", past the index's end (the descriptors at 0x"
                    + Long.toHexString(space.descriptorsBase) + ")");
        }
    }

    private static void checkAgainstModel(Heap heap, SplittableRandom rnd) {
        MHeap h = heap.mheap;
        AddressSpace space = h.space;
        synchronized (h.scavengeLock) {
            h.lock.lock();
            try {
                long pages = space.arenaCommitted / PAGE;
                boolean[] candidate = new boolean[(int) pages];
                h.forEachRun(s -> {
                    if (Span.state(s) == Span.FREE) {
                        long first = space.pageIndex(Span.start(s));
                        for (long p = first; p < first + Span.npages(s); p++) {
                            candidate[(int) p] = !space.released(p);
                        }
                    }
                });
                for (int i = 0; i < 100; i++) {
                    long below = i == 0 ? pages : rnd.nextLong(pages + 1);
                    long expected = -1;
                    for (long p = below - 1; p >= 0; p--) {
                        if (candidate[(int) p]) {
                            expected = p;
                            break;
                        }
                    }
                    assertEquals(expected, space.highestFreeUnreleased(below), "below page " + below + " of " + pages);
                }
            } finally {
                h.lock.unlock();
            }
        }
    }
}
