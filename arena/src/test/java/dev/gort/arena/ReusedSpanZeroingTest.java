package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The invariant the span refill's bulk zeroing keeps (MCache.zeroIfAllFree, Zeroing.zeroSpan): a
 * span that comes back to a cache with every slot free but dirty is zeroed whole once and marked
 * clean, and then every slot handed out from it reads zero in every byte although the fast path
 * no longer zeroes it. Sizes cover binary-trees' 16-byte class, a class whose objects leave a
 * tail in the span (48 B: 170 in 8 KiB), a multi-page span's class and the largest small class.
 */
class ReusedSpanZeroingTest {
    private static final long DIRT = 0xA5A5_A5A5_A5A5_A5A5L;

    @ParameterizedTest
    @ValueSource(ints = {16, 48, 1024, 10240, 32768})
    void everySlotOfAReusedDirtySpanReadsZero(int size) {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        try {
            MCache cache = heap.newCache();
            int perSpan = SizeClasses.classToObjects(SizeClasses.sizeToClass(size));
            int n = perSpan * 3;        // three spans: two listed full by the cache, one cached
            long[] first = new long[n];
            Set<Long> dirty = new HashSet<>();
            for (int i = 0; i < n; i++) {
                first[i] = cache.alloc(size, true);
                for (int w = 0; w < size; w += 8) {
                    NativeMemory.putLong(first[i] + w, DIRT);
                }
                dirty.add(first[i]);
            }
            for (long p : first) {
                cache.free(p);
            }
            int reused = 0;
            for (int i = 0; i < n; i++) {
                long p = cache.alloc(size, true);
                if (dirty.contains(p)) {
                    reused++;
                }
                for (int w = 0; w < size; w += 8) {
                    assertEquals(0, NativeMemory.getLong(p + w), "slot 0x" + Long.toHexString(p) + " of " + size
                            + " B, word " + w / 8 + ", reads what it held before it was freed");
                }
            }
            // Only dirty memory tests the zeroing: the frees' spans must have been handed out again.
            assertTrue(reused >= n - perSpan, "only " + reused + " of " + n + " slots reused dirty memory");
            heap.verifyHeap();
        } finally {
            heap.close();
        }
    }
}
