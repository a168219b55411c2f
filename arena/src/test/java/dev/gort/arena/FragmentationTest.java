package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TESTING.md A5 (scaled): freed large objects are reused, small keepers do not pin growth. */
class FragmentationTest {
    static final long MiB = 1L << 20;

    @Test
    void freeingEveryOtherLargeObjectLeavesExactlyThatMuchIdle() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache c = heap.newCache();
            List<Long> large = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                large.add(c.alloc(MiB + 4096 * i, true));
            }
            long idleBefore = heap.readMemStats().heapIdle();
            long freed = 0;
            for (int i = 0; i < large.size(); i += 2) {
                freed += AddressSpace.roundUp(MiB + 4096 * i, SizeClasses.PAGE_SIZE);
                c.free(large.get(i));
            }
            assertEquals(idleBefore + freed, heap.readMemStats().heapIdle(), "idle grows by exactly the freed bytes");
            heap.verifyHeap();
        }
    }

    @Test
    void largeAndSmallKeeperRoundsReuseTheSameRun() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache c = heap.newCache();
            long base = heap.arenaResidentBytes();
            List<Long> keepers = new ArrayList<>();
            for (int round = 0; round < 100; round++) {
                long big = c.alloc(4 * MiB, true);
                NativeMemory.fill(big, 4 * MiB, (byte) round);
                keepers.add(c.alloc(64, true)); // a small object that stays live
                c.free(big);
            }
            long physical = heap.arenaResidentBytes();
            assertTrue(physical <= base + 3 * 4 * MiB + 10 * MiB,
                    "arena resident " + (physical >> 20) + " MiB after 100 rounds of 4 MiB + small keeper");
            assertTrue(heap.arenaCommittedBytes() <= 64 * MiB, "no growth beyond the first chunk: "
                    + heap.arenaCommittedBytes());
            for (long k : keepers) {
                c.free(k);
            }
            heap.verifyHeap();
        }
    }
}
