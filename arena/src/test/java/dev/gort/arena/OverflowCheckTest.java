package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TESTING.md F6: in overflowCheck mode a write past the requested size is caught by the free
 * ("overflow after N bytes"), which then changes nothing; writes inside the object never trip it.
 */
class OverflowCheckTest {
    static Heap debugHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withOverflowCheck(true),
                PosixOsMemory.get());
    }

    @Test
    void oneBytePastTheObjectIsReportedAndTheFreeRefused() {
        try (Heap heap = debugHeap()) {
            MCache cache = heap.newCache();
            long p = cache.alloc(20, true);
            NativeMemory.fill(p, 20, (byte) 0x11); // the whole object: fine
            NativeMemory.putByte(p + 20, (byte) 0x11); // one byte too far
            ObjectOverflowException e = assertThrows(ObjectOverflowException.class, () -> cache.free(p));
            assertTrue(e.getMessage().contains("overflow after 20 bytes: byte +20 holds 0x11"), e.getMessage());
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(p)), e.getMessage());
            assertTrue(e.getMessage().contains("the object stays allocated"), e.getMessage());
            heap.verifyHeap();
            assertEquals(1, heap.readMemStats().heapObjects(), "the refused free left the object allocated");
            long q = cache.alloc(20, true);
            assertTrue(q != p, "the slot of a refused free is not handed out again");
            cache.free(q);
            heap.releaseCache(cache);
            heap.verifyHeap();
        }
    }

    @Test
    void objectsFillingTheirWholeSizeFreeCleanlyAtEverySize() {
        try (Heap heap = debugHeap()) {
            MCache cache = heap.newCache();
            for (int size = 1; size <= 4096; size += size < 64 ? 1 : 61) {
                long p = cache.alloc(size, true);
                NativeMemory.fill(p, size, (byte) 0x84); // any byte but the padding
                cache.free(p);
            }
            long big = cache.alloc(SizeClasses.MAX_SMALL_SIZE, true); // no room to pad: a large object, unchecked
            cache.free(big);
            heap.releaseCache(cache);
            heap.verifyHeap();
            assertEquals(0, heap.readMemStats().heapObjects());
        }
    }

    @Test
    void anOverwrittenTrailerIsReportedAlsoFromAnotherThreadsCache() {
        try (Heap heap = debugHeap()) {
            MCache owner = heap.newCache();
            MCache other = heap.newCache();
            long p = owner.alloc(32, true); // padded to 40 -> the 48 B class: slack [32, 40), trailer at 40
            NativeMemory.fill(p, 48, (byte) 0x77);
            ObjectOverflowException e = assertThrows(ObjectOverflowException.class, () -> other.free(p));
            assertTrue(e.getMessage().contains("size trailer at +40"), e.getMessage());
            heap.verifyHeap();
            assertEquals(1, heap.readMemStats().heapObjects());
            heap.releaseCache(owner);
            heap.releaseCache(other);
        }
    }

    @Test
    void withoutTheCheckTheSameOverflowGoesUnnoticed() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache cache = heap.newCache();
            long p = cache.alloc(20, true); // a 24 B slot
            NativeMemory.putByte(p + 20, (byte) 0x11);
            cache.free(p);
            heap.releaseCache(cache);
            heap.verifyHeap();
        }
    }
}
