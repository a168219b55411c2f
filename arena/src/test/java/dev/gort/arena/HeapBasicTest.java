package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeapBasicTest {
    Heap heap;
    MCache cache;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        cache = heap.newCache();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    @Test
    void smallObjectsAreDistinctAlignedZeroedAndReusable() {
        List<Long> ptrs = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            long p = cache.alloc(32, true);
            assertEquals(0, p % 16, "32-byte objects are 16-aligned");
            assertTrue(seen.add(p), "address handed out twice while live");
            for (int w = 0; w < 4; w++) {
                assertEquals(0, NativeMemory.getLong(p + w * 8), "fresh memory reads zero");
                NativeMemory.putLong(p + w * 8, -1L);
            }
            ptrs.add(p);
        }
        heap.verifyHeap();
        MemStats st = heap.readMemStats();
        assertEquals(2000 * 32, st.heapAlloc());
        assertEquals(2000, st.heapObjects());
        for (long p : ptrs) {
            cache.free(p);
        }
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
        // Reuse: dirty memory comes back zeroed.
        for (int i = 0; i < 2000; i++) {
            long p = cache.alloc(32, true);
            for (int w = 0; w < 4; w++) {
                assertEquals(0, NativeMemory.getLong(p + w * 8), "reused memory reads zero at " + Long.toHexString(p));
            }
        }
        heap.verifyHeap();
        assertEquals(2000 * 32, heap.readMemStats().heapAlloc());
    }

    @Test
    void allocFreePairReusesTheSameSpan() {
        long first = cache.alloc(32, true);
        cache.free(first);
        long committed = heap.arenaCommittedBytes();
        long inuse = heap.readMemStats().heapInuse();
        for (int i = 0; i < 100_000; i++) {
            cache.free(cache.alloc(32, true));
        }
        assertEquals(committed, heap.arenaCommittedBytes());
        assertEquals(inuse, heap.readMemStats().heapInuse(), "alloc/free pairs stay in one span");
        heap.verifyHeap();
    }

    @Test
    void lifoFreeOfASlotThatPredatesTheLastSweep() {
        // 19072 B: 3 objects per span, so the cursor soon has to skip slots that survived a fold.
        long a = cache.alloc(19072, true);
        long b = cache.alloc(19072, true);
        long c = cache.alloc(19072, true);
        cache.free(b); // not just below the cursor: pending
        long d = cache.alloc(19072, true); // span exhausted: fold, cursor back to 0, skips a, takes b's slot
        assertEquals(b, d);
        cache.free(d); // LIFO: cursor back to d's slot
        cache.free(a); // now just below the cursor, but allocated before the fold
        heap.verifyHeap();
        assertEquals(19072, heap.readMemStats().heapAlloc(), "only c is live");
        assertThrows(InvalidFreeException.class, () -> cache.free(a));
        cache.free(c);
        heap.verifyHeap();
    }

    @Test
    void everySizeClassEdgeAndLargeObjects() {
        List<long[]> live = new ArrayList<>();
        for (int c = 1; c < SizeClasses.NUM_SIZE_CLASSES; c++) {
            int size = SizeClasses.classToSize(c);
            for (int s : new int[] {size - 1, size}) {
                if (s <= 0) {
                    continue;
                }
                long p = cache.alloc(s, (c & 1) == 0);
                NativeMemory.fill(p, s, (byte) c);
                live.add(new long[] {p, s, c});
            }
        }
        for (long size : new long[] {32769, 65536, 100_000, 1 << 20, (3 << 20) + 5}) {
            long p = cache.alloc(size, false);
            assertEquals(0, p % SizeClasses.PAGE_SIZE, "large objects start on a page");
            assertEquals(0, NativeMemory.getLong(p + size - 8 - (size % 8)));
            NativeMemory.fill(p, size, (byte) 7);
            live.add(new long[] {p, size, 7});
            assertEquals(p, heap.gc().findObject(p + size / 2), "interior pointer of a large object");
        }
        heap.verifyHeap();
        for (long[] o : live) {
            for (long i = 0; i < o[1]; i += 97) {
                assertEquals((byte) o[2], NativeMemory.getByte(o[0] + i));
            }
            cache.free(o[0]);
        }
        heap.verifyHeap();
        MemStats st = heap.readMemStats();
        assertEquals(0, st.heapAlloc());
        assertEquals(st.mallocs(), st.frees());
    }

    @Test
    void badSizesAreRejectedAndTheHeapStaysUsable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache.alloc(0, true));
        assertTrue(e.getMessage().contains("accepted 1 to"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cache.alloc(-5, true));
        e = assertThrows(IllegalArgumentException.class, () -> cache.alloc((1L << 30) + 1, true));
        assertTrue(e.getMessage().contains(String.valueOf(1L << 30)), e.getMessage());
        long p = cache.alloc(8, true);
        cache.free(p);
        heap.verifyHeap();
    }

    @Test
    void invalidFreesNameAddressSpanAndClassAndChangeNothing() {
        long a = cache.alloc(48, true);
        long b = cache.alloc(48, true);
        cache.free(a);
        InvalidFreeException e = assertThrows(InvalidFreeException.class, () -> cache.free(a));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toHexString(a)), e.getMessage());
        assertTrue(e.getMessage().contains("sizeclass 5 (48 B"), e.getMessage());
        long c = cache.alloc(48, true);
        cache.free(c); // the LIFO path: straight back to the allocation cursor
        e = assertThrows(InvalidFreeException.class, () -> cache.free(c));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        assertEquals(c, cache.alloc(48, true), "the LIFO slot is handed out next");
        cache.free(c);
        e = assertThrows(InvalidFreeException.class, () -> cache.free(b + 8));
        assertTrue(e.getMessage().contains("not the start of an object"), e.getMessage());
        e = assertThrows(InvalidFreeException.class, () -> cache.free(12345));
        assertTrue(e.getMessage().contains("not a heap pointer"), e.getMessage());
        long big = cache.alloc(100_000, true);
        e = assertThrows(InvalidFreeException.class, () -> cache.free(big + 4096));
        assertTrue(e.getMessage().contains("large object"), e.getMessage());
        cache.free(big);
        e = assertThrows(InvalidFreeException.class, () -> cache.free(big));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        heap.verifyHeap();
        MemStats st = heap.readMemStats();
        assertEquals(48, st.heapAlloc(), "only b is live");
        cache.free(b);
        heap.verifyHeap();
    }

    @Test
    void freesFromAnotherThreadAreSafe() throws Exception {
        List<Long> ptrs = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            ptrs.add(cache.alloc(64, true));
        }
        Thread t = new Thread(() -> {
            MCache other = heap.newCache();
            for (long p : ptrs) {
                other.free(p);
            }
            InvalidFreeException e = assertThrows(InvalidFreeException.class, () -> other.free(ptrs.get(17)));
            assertTrue(e.getMessage().contains("double free"), e.getMessage());
            heap.releaseCache(other);
        });
        t.start();
        t.join();
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
        // The owner gets the slots back.
        long inuse = heap.readMemStats().heapInuse();
        for (int i = 0; i < 5000; i++) {
            cache.alloc(64, true);
        }
        assertEquals(inuse, heap.readMemStats().heapInuse(), "remote frees were reused, no new spans");
        heap.verifyHeap();
    }

    @Test
    void stacksArePowerOfTwoZeroedPooledAndChecked() {
        StackAllocator st = heap.stacks();
        long a = st.alloc(2048);
        long b = st.alloc(3000);
        assertEquals(4096, st.segmentSize(3000));
        NativeMemory.fill(a, 2048, (byte) 1);
        st.free(a, 2048);
        long c = st.alloc(2048);
        for (int i = 0; i < 2048; i += 8) {
            assertEquals(0, NativeMemory.getLong(c + i), "reused stack is zeroed");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.free(b, 4096 * 2));
        assertTrue(e.getMessage().contains("segment there is 4096"), e.getMessage());
        st.free(b, 3000);
        e = assertThrows(IllegalArgumentException.class, () -> st.free(b, 3000));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        long big = st.alloc(1 << 20);
        NativeMemory.fill(big, 1 << 20, (byte) 3);
        st.free(big, 1 << 20);
        long big2 = st.alloc(1 << 20);
        assertEquals(big, big2, "large segments are pooled per size");
        assertEquals(0, NativeMemory.getLong(big2 + 12345 * 8));
        assertThrows(IllegalArgumentException.class, () -> st.alloc(0));
        assertThrows(IllegalArgumentException.class, () -> cache.free(c), "a stack is not a heap object");
        heap.verifyHeap();
        assertTrue(heap.readMemStats().stackInuse() > 0);
        st.free(c, 2048);
        st.free(big2, 1 << 20);
        st.flushPools();
        heap.verifyHeap();
        assertNotEquals(0, heap.readMemStats().heapIdle());
    }

    @Test
    void releasedCacheRefusesAllocation() {
        long p = cache.alloc(16, true);
        heap.releaseCache(cache);
        assertThrows(IllegalStateException.class, () -> cache.alloc(16, true));
        MCache c2 = heap.newCache();
        c2.free(p);
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
        cache = c2;
    }
}
