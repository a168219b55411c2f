package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Heap#drainOneStaleCache} walks the caches without copying their list per call: the
 * sweepers call it per span while any cache has set-aside spans, and the copy (an ArrayList and
 * its array per call) was ~1.5 MiB of the host JVM's garbage in a depth-21 run's first seconds,
 * before C2 compiled the callers. The walk still sees a cache made after the heap's first ones.
 * {@link Heap#setAllocBlack} (every pause and pause-path rehearsal) walks them without an iterator.
 */
@Timeout(60)
class CacheWalkAllocationTest {
    private Heap heap;
    private boolean raised;

    @AfterEach
    void tearDown() {
        if (raised) {
            heap.staleCaches.decrementAndGet();
        }
        if (heap != null) {
            heap.close();
        }
    }

    @Test
    void aWalkThatFindsNothingAllocatesNothing() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        for (int i = 0; i < 4; i++) {
            heap.newCache();
        }
        // A cache counted as holding set-aside spans whose table is already empty (a drainer between
        // its claim and the count's decrement): every call walks all four caches and returns 0.
        heap.staleCaches.incrementAndGet();
        raised = true;
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        threads.getCurrentThreadAllocatedBytes();
        long before = threads.getCurrentThreadAllocatedBytes();
        long found = 0;
        for (int i = 0; i < 2_000; i++) {        // interpreted and C1 calls, where nothing is scalar-replaced
            found += heap.drainOneStaleCache();
        }
        long bytes = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, found);
        // A copy of a 4-cache list per call would be ~100 KB over these calls; allow a few stray objects.
        assertTrue(bytes < 16 * 1024, "2000 walks over 4 caches allocated " + bytes + " bytes");
    }

    @Test
    void settingAllocBlackAllocatesNothing() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        for (int i = 0; i < 4; i++) {
            heap.newCache();
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        threads.getCurrentThreadAllocatedBytes();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 2_000; i++) {
            heap.setAllocBlack((i & 1) == 0);
        }
        long bytes = threads.getCurrentThreadAllocatedBytes() - before;
        // An iterator per call would be 64 KB over these calls.
        assertTrue(bytes < 16 * 1024, "2000 allocate-black switches over 4 caches allocated " + bytes + " bytes");
    }

    @Test
    void aCacheMadeLaterIsWalked() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        MCache first = heap.newCache();
        first.alloc(64, true);
        MCache later = heap.newCache();
        for (int i = 0; i < 8; i++) {
            later.alloc(256, true);
        }
        heap.releaseCache(first);
        heap.gc().startSweepCycleDetached();
        assertTrue(later.hasStale(), "the later cache's span was set aside");
        assertTrue(heap.drainOneStaleCache() > 0, "the walk found the later cache's set-aside span");
        assertFalse(later.hasStale());
        assertEquals(0, heap.staleCaches.get());
    }
}
