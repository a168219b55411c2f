package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Free runs merge back: after everything is freed the heap is one run per committed range. */
class CoalescingTest {
    @Test
    void freeingEverythingMergesBackToTheCommittedRun() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache c = heap.newCache();
            SplittableRandom rnd = new SplittableRandom(7);
            List<Long> objs = new ArrayList<>();
            List<Long> large = new ArrayList<>();
            for (int i = 0; i < 50_000; i++) {
                long size = rnd.nextInt(100) < 97 ? 1 + rnd.nextInt(4000) : 33_000 + rnd.nextInt(400_000);
                long p = c.alloc(size, rnd.nextBoolean());
                (size > 32768 ? large : objs).add(p);
            }
            long stack = heap.stacks().alloc(64 << 10);
            long committed = heap.arenaCommittedBytes();
            assertTrue(committed > 64L << 20, "the mix spans more than one 64 MiB chunk: " + committed);
            // Free every other large object: their runs cannot merge (live neighbours).
            for (int i = 0; i < large.size(); i += 2) {
                c.free(large.get(i));
            }
            heap.verifyHeap();
            int partway = heap.freeRuns().size();
            assertTrue(partway > 5, "separate free runs while neighbours live: " + partway);
            for (int i = 1; i < large.size(); i += 2) {
                c.free(large.get(i));
            }
            for (long p : objs) {
                c.free(p);
            }
            heap.stacks().free(stack, 64 << 10);
            heap.releaseCache(c);
            heap.returnFreeSpans();
            heap.verifyHeap();
            List<long[]> runs = heap.freeRuns();
            assertEquals(1, runs.size(), "all free runs coalesced into one");
            assertEquals(heap.arenaBase(), runs.get(0)[0]);
            assertEquals(committed / SizeClasses.PAGE_SIZE, runs.get(0)[1]);
            assertEquals(committed, heap.arenaCommittedBytes(), "nothing was committed meanwhile");
        }
    }
}
