package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The heap on OS pages larger than 64 KiB (128, 256 and 512 KiB: Go's maxPhysPageSize is 512 KiB),
 * on this machine's real mmap'd memory through {@link LargePageOsMemory}, which refuses any range
 * not made of whole large pages. The span descriptors were committed 64 KiB at a time, which such
 * a kernel refuses: the heap failed at its first span descriptor.
 */
class LargerOsPageTest {
    static final long KiB = 1L << 10;
    static final long OBJECT = 40 * KiB;

    /**
     * Enough large objects for more than one commit of descriptors, every other group freed, then
     * everything free released (retain and age pass), checked by verifyHeap at each step.
     */
    @ParameterizedTest
    @ValueSource(longs = {128 << 10, 256 << 10, 512 << 10})
    void theHeapRunsOnOsPagesLargerThan64KiB(long osPage) {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), new LargePageOsMemory(osPage))) {
            MCache c = heap.newCache();
            int n = (int) (osPage / Span.SIZE) + 64;
            List<Long> objects = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long p = c.alloc(OBJECT, true);
                NativeMemory.putLong(p, i);
                objects.add(p);
            }
            long small = c.alloc(24, true);
            NativeMemory.putLong(small, 24);
            assertTrue(heap.space.descriptorsCommitted() > osPage, "more than one descriptor commit");
            assertEquals(0, heap.space.descriptorsCommitted() % osPage, "descriptors are committed in whole OS pages");
            // Free groups of objects long enough to hold whole OS pages, between live groups.
            int group = (int) (2 * osPage / OBJECT) + 1;
            for (int i = 0; i < n; i++) {
                if (i / group % 2 == 0) {
                    c.free(objects.get(i));
                }
            }
            heap.verifyHeap();
            long released = heap.scavengeToRetain(0);
            assertTrue(released > 0);
            assertEquals(0, released % osPage, "whole OS pages released");
            heap.verifyHeap();
            for (int i = 0; i < n; i++) {
                if (i / group % 2 == 1) {
                    assertEquals(i, NativeMemory.getLong(objects.get(i)), "a live object kept its bytes");
                    c.free(objects.get(i));
                }
            }
            c.free(small);
            heap.scavengeIdle(1);           // the age pass: every run freed at least 1 ns ago
            heap.verifyHeap();
            MemStats st = heap.readMemStats();
            assertTrue(st.heapReleased() > 0 && st.heapReleased() <= st.heapIdle());
        }
    }

    /** A page size the heap cannot use is refused at creation, with what is accepted. */
    @Test
    void anOsPageLargerThan512KiBIsRefusedAtCreation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), new LargePageOsMemory(1L << 20)));
        assertTrue(e.getMessage().contains("1048576") && e.getMessage().contains("524288"), e.getMessage());
    }
}
