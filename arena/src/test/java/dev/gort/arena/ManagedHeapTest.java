package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A heap a collector manages ({@link GcSupport#claimForCollector}) refuses {@link Heap#threadCache()}:
 * such a cache is released whenever its thread is found dead, from any thread and at any time,
 * and its uncached spans would lower heapLive behind the collector's pacer (session 10, branch
 * hidden). The claim itself refuses a heap whose thread caches are live.
 */
class ManagedHeapTest {
    static Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
    }

    @Test
    void aManagedHeapRefusesThreadCachesAndStaysUsable() throws Exception {
        try (Heap heap = newHeap()) {
            assertNull(heap.managedBy());
            heap.gc().claimForCollector("a test collector");
            assertEquals("a test collector", heap.managedBy());
            int before = heap.cacheCount();
            IllegalStateException e = assertThrows(IllegalStateException.class, heap::threadCache);
            assertTrue(e.getMessage().contains("Heap.threadCache() on a heap managed by a test collector")
                    && e.getMessage().contains("allocate through the collector"), e.getMessage());
            assertEquals(before, heap.cacheCount(), "the refused call left no cache behind");
            // On another thread too, and again (no thread-local left half made).
            AtomicReference<Throwable> other = new AtomicReference<>();
            Thread t = new Thread(() -> other.set(assertThrows(IllegalStateException.class, heap::threadCache)));
            t.start();
            t.join();
            assertNotNull(other.get());
            assertThrows(IllegalStateException.class, heap::threadCache);
            // The collector's own way to make caches still works, and the heap allocates.
            MCache c = heap.newCache();
            long p = c.alloc(64, true);
            assertNotEquals(0, heap.gc().findObject(p));
            heap.releaseCache(c);
        }
    }

    @Test
    void theClaimRefusesAHeapWithLiveThreadCachesButNotDeadOnes() throws Exception {
        try (Heap heap = newHeap()) {
            heap.threadCache().alloc(32, true);                 // this thread's cache: live
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> heap.gc().claimForCollector("gc"));
            assertTrue(e.getMessage().contains("1 thread cache(s)") && e.getMessage().contains("create the collector"),
                    e.getMessage());
            assertNull(heap.managedBy(), "a refused claim changes nothing");
            heap.threadCache().alloc(32, true);                 // manual mode goes on
        }
        try (Heap heap = newHeap()) {
            Thread t = new Thread(() -> heap.threadCache().alloc(32, true));
            t.start();
            t.join();                                           // its cache is dead, not released yet
            heap.gc().claimForCollector("gc");                  // releases it first
            assertEquals("gc", heap.managedBy());
            assertEquals(0, heap.cacheCount());
        }
    }

    @Test
    void aSecondClaimIsRefusedWhileTheFirstManagerSaysItIsLiveAndAcceptedOnceItIsNot() {
        try (Heap heap = newHeap()) {
            AtomicReference<String> firstSays = new AtomicReference<>("it is not closed");
            heap.gc().claimForCollector("the first collector", firstSays::get);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> heap.gc().claimForCollector("the second collector", () -> null));
            assertTrue(e.getMessage().startsWith("a second manager for " + heap + " refused: the first collector manages "
                    + "it and is still live (its answer to Heap.close(): it is not closed)"), e.getMessage());
            assertTrue(e.getMessage().contains("close the first and let its threads end"), e.getMessage());
            assertEquals("the first collector", heap.managedBy(), "a refused claim changes nothing");
            IllegalStateException close = assertThrows(IllegalStateException.class, heap::close);
            assertTrue(close.getMessage().endsWith("it is not closed"), "the first's guard still decides: " + close.getMessage());

            firstSays.set(null);                                // the first closed, its threads ended
            heap.gc().claimForCollector("the second collector", () -> null);
            assertEquals("the second collector", heap.managedBy());
            heap.gc().claimForCollector("a guardless manager");     // the second's guard says nothing runs
            heap.gc().claimForCollector("another one");             // a claim without a guard never holds one off
            assertEquals("another one", heap.managedBy());
        }
    }

    @Test
    void theHeapNamesItselfByItsArena() {
        try (Heap heap = newHeap()) {
            assertEquals("the heap at 0x" + Long.toHexString(heap.arenaBase()) + " (1024 MiB arena)", heap.toString());
        }
    }

    @Test
    void theClaimNeedsAName() {
        try (Heap heap = newHeap()) {
            assertThrows(IllegalArgumentException.class, () -> heap.gc().claimForCollector(""));
            assertThrows(IllegalArgumentException.class, () -> heap.gc().claimForCollector(null));
        }
    }
}
