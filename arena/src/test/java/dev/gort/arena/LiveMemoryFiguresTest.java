package dev.gort.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

/**
 * {@link Heap#readLiveMemoryFigures} (limitfix35, review35a F5): the memory limit's two live figures
 * under one heap lock are the ones {@link Heap#heapRetainedBytes()} and
 * MemStats' StackInuse ({@link Heap#readMemStats()}) read one at a time, and follow stacks taken and given back.
 */
class LiveMemoryFiguresTest {
    @Test
    void thePairMatchesTheSingleAccessorsAndFollowsStacks() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            long[] seen = new long[2];
            Heap.LiveMemoryFigures sink = (retained, stacks) -> {
                seen[0] = retained;
                seen[1] = stacks;
            };
            heap.readLiveMemoryFigures(sink);
            assertEquals(heap.heapRetainedBytes(), seen[0], "retained bytes");
            assertEquals(heap.readMemStats().stackInuse(), seen[1], "stack bytes");
            long before = seen[1];

            long bytes = 256 << 10;
            long stack = heap.stacks().alloc(bytes);
            heap.readLiveMemoryFigures(sink);
            assertTrue(seen[1] >= before + bytes, "stack bytes after a " + bytes + "-byte stack: " + seen[1] + " (before " + before + ")");
            assertEquals(heap.readMemStats().stackInuse(), seen[1], "stack bytes with a stack held");
            assertEquals(heap.heapRetainedBytes(), seen[0], "retained bytes with a stack held");
            heap.stacks().free(stack, bytes);
            heap.stacks().flushPools();
            heap.readLiveMemoryFigures(sink);
            assertEquals(heap.readMemStats().stackInuse(), seen[1], "stack bytes after the stack's free");
        }
    }

    @Test
    void aNullSinkIsRefusedByNameAndTheHeapStaysUsable() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> heap.readLiveMemoryFigures(null));
            assertTrue(e.getMessage().contains("sink is null") && e.getMessage().contains("accepted"), e.getMessage());
            long[] seen = new long[1];
            heap.readLiveMemoryFigures((retained, stacks) -> seen[0] = retained);     // the lock was not left held
            assertEquals(heap.heapRetainedBytes(), seen[0], "retained bytes after the refusal");
        }
    }
}
