package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner's free of the object its last fast-path allocation returned skips the spans lookup
 * (MCache.lastAddr). These tests drive that path into every case its shortcut must not hide.
 */
class LastAllocationFreeTest {
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
    void pairsReuseOneSlotZeroedAndCountExactly() {
        long first = cache.alloc(32, true);
        cache.free(first);
        for (int i = 0; i < 10_000; i++) {
            long p = cache.alloc(32, true);
            assertEquals(first, p, "an alloc/free pair reuses the slot under the cursor");
            assertEquals(0, NativeMemory.getLong(p) | NativeMemory.getLong(p + 24), "needzero honoured");
            NativeMemory.putLong(p, 0x1234_5678L);
            NativeMemory.putLong(p + 24, -1L);
            cache.free(p);
        }
        heap.verifyHeap();
        MemStats st = heap.readMemStats();
        assertEquals(0, st.heapAlloc());
        assertEquals(st.mallocs(), st.frees());
    }

    @Test
    void doubleFreeOfTheLastAllocationIsDetected() {
        long p = cache.alloc(32, true);
        cache.free(p);
        InvalidFreeException e = assertThrows(InvalidFreeException.class, () -> cache.free(p));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toHexString(p)), e.getMessage());
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
    }

    @Test
    void ownerFreeAfterAnotherThreadFreedTheLastAllocationIsADoubleFree() throws Exception {
        long keep = cache.alloc(32, true);
        long p = cache.alloc(32, true); // the owner's lastAddr
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                MCache other = heap.newCache();
                other.free(p);
                heap.releaseCache(other);
            } catch (Throwable x) {
                failure.set(x);
            }
        });
        t.start();
        t.join();
        assertNull(failure.get());
        InvalidFreeException e = assertThrows(InvalidFreeException.class, () -> cache.free(p));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        heap.verifyHeap();
        assertEquals(32, heap.readMemStats().heapAlloc(), "only keep is live");
        cache.free(keep);
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
    }

    @Test
    void interleavedClassesAndOutOfOrderFreesStayExact() {
        long a = cache.alloc(32, true);
        long b = cache.alloc(64, true); // lastAddr moves to b
        cache.free(a); // a is under its span's cursor: the general path's LIFO case
        cache.free(b); // the fast path
        assertThrows(InvalidFreeException.class, () -> cache.free(a));
        assertThrows(InvalidFreeException.class, () -> cache.free(b));
        long c = cache.alloc(32, true);
        long d = cache.alloc(32, true);
        cache.free(c); // not just below the cursor: pending in localFreed
        cache.free(d); // fast path
        assertThrows(InvalidFreeException.class, () -> cache.free(c));
        assertThrows(InvalidFreeException.class, () -> cache.free(d + 8));
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
        // Fill the span past a 64-slot boundary and refill: lastAddr must not survive the refill.
        long[] ps = new long[1000];
        for (int i = 0; i < ps.length; i++) {
            ps[i] = cache.alloc(32, true);
        }
        for (int i = ps.length - 1; i >= 0; i--) {
            cache.free(ps[i]);
        }
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
    }

    @Test
    void releasedCacheAndClosedHeapRefuseTheLastAllocation() {
        long p = cache.alloc(32, true);
        cache.releaseAll(); // the span goes back to its mcentral; p is still live
        cache.free(p); // now a free of an uncached span's object: the general path
        assertThrows(InvalidFreeException.class, () -> cache.free(p));
        heap.verifyHeap();
        long q = cache.alloc(32, true);
        assertThrows(InvalidFreeException.class, () -> cache.free(0));
        heap.close();
        assertThrows(RuntimeException.class, () -> cache.free(q), "no native write after close");
    }
}
