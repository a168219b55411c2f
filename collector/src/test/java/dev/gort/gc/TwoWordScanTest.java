package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The marker's scan of a 16-byte object (both words loaded before the pointer bits, then greyed
 * as greyByBits would) and the arena's pending mark word, over the real arena: only words whose
 * pointer bit is set are followed, a field pointing at a free slot is reported with its offset,
 * two fields to one object grey it once, checkmark still verifies, and every mark bit is in
 * memory when a drain returns.
 */
class TwoWordScanTest {
    Heap heap;
    GcSupport gcs;
    MCache cache;
    WorkbufPool pool;
    Marker marker;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gcs = heap.gc();
        cache = heap.newCache();
        gcs.setAllocBlack(false);
        pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20);
        marker = new Marker(new ArenaMarkHeap(heap));
    }

    @AfterEach
    void tearDown() {
        pool.close();
        heap.releaseCache(cache);
        heap.close();
    }

    /** A 16-byte object holding {@code w0}, {@code w1}, pointer bits {@code bits} (bit i: word i). */
    private long node(long w0, long w1, long bits) {
        long p = cache.alloc(16, false);
        gcs.writePointerBits(p, 2, bits);
        NativeMemory.putLong(p, w0);
        NativeMemory.putLong(p + 8, w1);
        return p;
    }

    private long drainFrom(long root, GcWork w) {
        marker.greyRoot(root, "test root", w);
        return marker.drain(w, Long.MAX_VALUE);
    }

    @Test
    void followsOnlyWordsWithTheirPointerBitAndMarksInMemoryByTheDrainsEnd() {
        long leafA = node(0, 0, 3);
        long leafB = node(0, 0, 3);
        long scalarTarget = node(0, 0, 3);
        long onlyLow = node(leafA, scalarTarget, 1);      // word 1 looks like a pointer but is a scalar
        long onlyHigh = node(scalarTarget, leafB, 2);     // word 0 likewise
        long root = node(onlyLow, onlyHigh, 3);
        GcWork w = new GcWork(pool);
        long scanned = drainFrom(root, w);
        for (long p : new long[] {root, onlyLow, onlyHigh, leafA, leafB}) {
            assertTrue(gcs.isMarked(p), "0x" + Long.toHexString(p) + " reached and marked in memory when the drain returned");
        }
        assertFalse(gcs.isMarked(scalarTarget), "a word without its pointer bit is not followed");
        assertEquals(5 * 16, scanned);
        assertEquals(5 * 16, w.bytesMarked, "each reached object's bytes counted once");
        w.dispose();
    }

    @Test
    void twoFieldsToOneObjectGreyItOnce() {
        long leaf = node(0, 0, 3);
        long root = node(leaf, leaf + 8, 3);               // the same object, by base and by interior pointer
        GcWork w = new GcWork(pool);
        assertEquals(2 * 16, drainFrom(root, w), "the leaf scanned once");
        assertEquals(2 * 16, w.bytesMarked);
        assertTrue(gcs.isMarked(leaf));
        w.dispose();
    }

    /**
     * The drain scans the child a scan greyed last without queueing it (Marker.scanNext): a drain
     * that stops on its budget must leave that child in its gcWork, or the rest of the structure
     * is never marked.
     */
    @Test
    void aDrainThatRunsOutOfBudgetLeavesTheChildItWouldScanNextInItsGcWork() {
        long c3 = node(0, 0, 3);
        long c2 = node(c3, 0, 3);
        long c1 = node(c2, 0, 3);
        long root = node(c1, 0, 3);
        GcWork w = new GcWork(pool);
        marker.greyRoot(root, "test root", w);
        assertEquals(16, marker.drain(w, 16), "the budget stops the drain after one object");
        assertTrue(gcs.isMarked(c1), "the scanned object's child is marked in memory");
        assertFalse(gcs.isMarked(c2), "the child itself is not scanned yet");
        assertFalse(w.empty(), "the child the drain would have scanned next is back in its gcWork");
        assertEquals(1, w.localCount());
        assertEquals(3 * 16, marker.drain(w, Long.MAX_VALUE));
        for (long p : new long[] {root, c1, c2, c3}) {
            assertTrue(gcs.isMarked(p), "0x" + Long.toHexString(p) + " marked");
        }
        assertTrue(w.empty());
        assertEquals(4 * 16, w.bytesMarked, "each object's bytes counted once");
        w.dispose();
    }

    /**
     * Only a base pairs (GcSupport.markPointer(p, q, cache)), because the marker builds the
     * pair's answer from q itself (MarkHeap.pairedAnswer) and scans it next: an interior pointer
     * in the lower word must be scanned from its object's base, so the grandchild behind that
     * object's first word is reached (scanned from the interior address, the marker would read
     * the object's second word and its neighbour's first instead).
     */
    @Test
    void anInteriorPointerInTheLowerWordIsScannedFromItsBase() {
        long grandchild = node(0, 0, 3);
        long lower = node(grandchild, 0, 3);
        long upper = node(0, 0, 3);                         // lower's neighbour, same mark word: the two would pair
        assertEquals(gcs.spanOf(lower), gcs.spanOf(upper));
        assertEquals(lower + 16, upper);
        long root = node(lower + 8, upper, 3);
        GcWork w = new GcWork(pool);
        assertEquals(4 * 16, drainFrom(root, w), "root, lower, upper and the grandchild, each scanned once");
        assertTrue(gcs.isMarked(lower) && gcs.isMarked(upper));
        assertTrue(gcs.isMarked(grandchild), "lower scanned from its base");
        assertEquals(4 * 16, w.bytesMarked);
        w.dispose();
    }

    @Test
    void aFieldPointingAtAFreeSlotIsReportedWithItsOffset() {
        for (int word = 0; word < 2; word++) {
            long root = node(0, 0, 3);
            long last = node(0, 0, 3);
            long free = last + 16;                          // the cache's next slot: not allocated
            assertEquals(0, gcs.findObject(free));
            NativeMemory.putLong(root + 8L * word, free);
            GcWork w = new GcWork(pool);
            BadPointerException e = assertThrows(BadPointerException.class, () -> drainFrom(root, w));
            assertTrue(e.getMessage().contains("found bad pointer in heap: 0x" + Long.toHexString(free)), e.getMessage());
            assertTrue(e.getMessage().contains("to a free slot"), e.getMessage());
            assertTrue(e.getMessage().contains("found in object 0x" + Long.toHexString(root) + "+0x" + (8 * word)), e.getMessage());
            assertFalse(gcs.isMarked(free), "a free slot never gets a mark bit");
            w.dispose();
        }
    }

    @Test
    void checkmarkFollowsBothWordsAndFindsAnUnmarkedOne() {
        long leafA = node(0, 0, 3);
        long leafB = node(0, 0, 3);
        long root = node(leafA, leafB, 3);
        GcWork w = new GcWork(pool);
        drainFrom(root, w);
        marker.startCheckmarks(heap.arenaBase(), heap.config().arenaReservation());
        try {
            assertEquals(3 * 16, drainFrom(root, w), "checkmark traverses the same three objects");
        } finally {
            marker.endCheckmarks();
        }
        long unmarked = node(0, 0, 3);                     // reachable only after the mark: a missed object
        NativeMemory.putLong(leafB + 8, unmarked);
        marker.startCheckmarks(heap.arenaBase(), heap.config().arenaReservation());
        try {
            CheckmarkException e = assertThrows(CheckmarkException.class, () -> drainFrom(root, w));
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(unmarked)), e.getMessage());
            assertTrue(e.getMessage().contains("found in object 0x" + Long.toHexString(leafB) + "+0x8"), e.getMessage());
        } finally {
            marker.endCheckmarks();
        }
        w.dispose();
    }

    /**
     * A pointer back into an earlier span after the span cache moved on: the pending mark words
     * are keyed by their addresses, not by the cached span, so a cache miss leaves them pending
     * and the lookup back into the earlier span sees the pending bit: an object greyed through
     * the cache is not greyed again.
     */
    @Test
    void aCacheMissKeepsThePendingWordsAndGreysOnce() {
        long a = cache.alloc(16, false);
        MCache other = heap.newCache();
        try {
            long b = other.alloc(16, false);                // another span
            assertNotEquals(gcs.spanOf(a), gcs.spanOf(b));
            long[] c = new long[GcSupport.SPAN_CACHE_LONGS];
            GcSupport.clearSpanCache(c);
            long a2 = cache.alloc(16, false);
            gcs.markPointer(a, c);                           // a miss: caches a's span, a pending
            long r = gcs.markPointer(a2, c);                 // cached: pending
            assertNotEquals(0, r & GcSupport.MARKED_NOW);
            assertFalse(gcs.isMarked(a2), "pending");
            assertNotEquals(0, gcs.markPointer(b, c) & GcSupport.MARKED_NOW);   // a miss: b's span cached
            assertFalse(gcs.isMarked(a2), "still pending after the miss");
            long again = gcs.markPointer(a2, c);             // a miss again, back to a's span
            assertEquals(0, again & GcSupport.MARKED_NOW, "a2 was greyed once");
            assertEquals(0, GcSupport.flushMarks(c));
            assertTrue(gcs.isMarked(a) && gcs.isMarked(a2) && gcs.isMarked(b), "the flush wrote every pending bit");
        } finally {
            heap.releaseCache(other);
        }
    }
}
