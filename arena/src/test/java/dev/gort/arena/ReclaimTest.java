package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Go's mheap.reclaim: before the heap takes a fresh run for a span or a large object while the
 * cycle's sweep is unfinished, it frees unswept spans with no marked object (any size class)
 * until a free run fits, so pages of dead spans are reused before the arena grows past them. A refill sweeps its own class's unswept
 * spans first (MCentral.cacheSpan); without reclaim, an allocation of another class right after
 * a cycle grew the arena while the dead spans of the first class waited for the sweeper.
 */
class ReclaimTest {
    static final long CHUNK = 64L << 20;
    Heap heap;
    GcSupport gc;
    MCache cache;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = heap.gc();
        cache = heap.newCache();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    /**
     * 3000 spans of 16-byte objects with one live object each (six 512-page chunks of the reclaim
     * walk), then dead 48-byte spans to 6 MiB short of the end of the first arena chunk; the live
     * ones marked, the caches flushed, a sweep cycle started. Returns the live objects.
     */
    static List<Long> liveSpansThenDeadOnes(Heap heap, GcSupport gc, MCache cache) {
        List<Long> live = new ArrayList<>();
        int perSpan = 8192 / 16;
        for (int i = 0; i < 3000 * perSpan; i++) {
            long p = cache.alloc(16, true);
            if (i % perSpan == 0) {
                live.add(p);
            }
        }
        long bytes = 3000L * 8192;
        while (bytes < CHUNK - (6L << 20)) {
            cache.alloc(48, true);
            bytes += 48;
        }
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "one chunk so far");
        for (long p : live) {
            gc.tryMark(p);
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        return live;
    }

    /** Fills most of the first arena chunk with 48-byte objects, keeps every {@code keepEvery}-th (0: none), starts a sweep cycle. */
    List<Long> fillAndStartCycle(int keepEvery) {
        List<Long> objs = new ArrayList<>();
        long bytes = 0;
        while (bytes < CHUNK - (6L << 20)) {
            objs.add(cache.alloc(48, true));
            bytes += 48;
        }
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "one chunk so far");
        List<Long> kept = new ArrayList<>();
        if (keepEvery > 0) {
            for (int i = 0; i < objs.size(); i += keepEvery) {
                gc.tryMark(objs.get(i));
                kept.add(objs.get(i));
            }
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        assertTrue(!gc.sweepDone(), "the cycle's sweep has not run");
        return kept;
    }

    @Test
    void smallSpansOfAnotherClassReuseDeadSpansInsteadOfGrowing() {
        fillAndStartCycle(0);
        // 40 MiB of 1 KiB objects: only ~6 MiB of the chunk is free, the rest is dead 48 B spans.
        for (long b = 0; b < (40L << 20); b += 1024) {
            cache.alloc(1024, true);
        }
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "the arena did not grow while dead spans waited to be swept");
        gc.flushAllCaches();
        heap.verifyHeap();
    }

    @Test
    void largeObjectsReuseDeadSpansInsteadOfGrowing() {
        fillAndStartCycle(0);
        for (long b = 0; b < (40L << 20); b += 40 << 10) {
            cache.alloc(40 << 10, true);
        }
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "the arena did not grow while dead spans waited to be swept");
        gc.flushAllCaches();
        heap.verifyHeap();
    }

    /**
     * Go's reclaim finds the dead spans wherever they are (its pageMarks: no object marked) and
     * frees only those, until a run fits or none is left. A reclaim that sweeps spans in list
     * order sweeps live spans first, which yields no page, and one that gives up after a fixed
     * number of them grows the heap while dead spans wait: here 3000 spans of 16-byte objects,
     * each holding one live object, come first in that order (a lower size class, swept
     * first), and 40 MiB of dead 48-byte spans after them.
     */
    @Test
    void deadSpansBehindLiveOnesAreReclaimedBeforeTheHeapGrows() {
        List<Long> live = liveSpansThenDeadOnes(heap, gc, cache);
        // 20 MiB of 1 KiB objects: ~6 MiB fit in the free end of the chunk, the rest must come from dead spans.
        for (long b = 0; b < (20L << 20); b += 1024) {
            cache.alloc(1024, true);
        }
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "the arena did not grow while dead spans waited behind live ones; reclaim "
                + java.util.Arrays.toString(gc.reclaimOutcomes()) + " (a run fit, arena walked out)");
        for (long p : live) {
            assertEquals(p, gc.findObject(p), "a live object survives reclaim");
        }
        gc.flushAllCaches();
        heap.verifyHeap();
    }

    /** Dead large objects are found by the walk too (the mheap's unswept large list), live ones kept. */
    @Test
    void deadLargeObjectsAreReclaimedLiveOnesKept() {
        List<Long> objs = new ArrayList<>();
        long bytes = 0;
        while (bytes < CHUNK - (6L << 20)) {
            objs.add(cache.alloc(40 << 10, true));
            bytes += 40 << 10;
        }
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "one chunk so far");
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < objs.size(); i += 4) {
            gc.tryMark(objs.get(i));
            kept.add(objs.get(i));
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        for (long b = 0; b < (30L << 20); b += 1024) {
            cache.alloc(1024, true);
        }
        assertEquals(CHUNK, heap.arenaCommittedBytes(), "the arena did not grow while dead large objects waited");
        for (long p : kept) {
            assertEquals(p, gc.findObject(p), "a marked large object survives reclaim");
        }
        gc.flushAllCaches();
        heap.verifyHeap();
    }

    @Test
    void nothingToReclaimStillGrowsAndKeepsLiveObjects() {
        List<Long> kept = fillAndStartCycle(1);      // everything marked: sweeping frees nothing
        for (long b = 0; b < (40L << 20); b += 1024) {
            cache.alloc(1024, true);
        }
        assertEquals(2 * CHUNK, heap.arenaCommittedBytes(), "no dead span to reuse: the arena grows");
        for (long p : kept) {
            assertEquals(p, gc.findObject(p), "a live object survives the reclaim sweeps");
        }
        gc.flushAllCaches();
        heap.verifyHeap();
    }

    /**
     * Reclaim's sweeps are credited to the collector's proportional sweep (Go's pagesSwept counts
     * every swept span, whoever swept it); before session 11 they were not, and the mutators swept
     * those pages' worth again. A recording credit stands in for the collector's.
     */
    @Test
    void reclaimSweepsAreCreditedToTheProportionalSweep() {
        long[] credited = new long[1];
        long[] refused = new long[1];
        long[] epoch = {7};
        gc.setSweepCredit(new GcSupport.SweepCredit() {
            @Override
            public long tag() {
                return epoch[0];
            }

            @Override
            public boolean credit(long tag, long pages) {
                if (tag != epoch[0]) {
                    refused[0] += pages;
                    return false;
                }
                credited[0] += pages;
                return true;
            }
        });
        fillAndStartCycle(0);
        long before = gc.reclaimSweptPages();
        for (long b = 0; b < (8L << 20); b += 1024) {
            cache.alloc(1024, true);
        }
        long swept = gc.reclaimSweptPages() - before;
        assertTrue(swept > 0, "precondition: reclaim swept pages (" + swept + ")");
        assertEquals(swept, credited[0], "every page reclaim swept is credited");
        assertEquals(0, refused[0], "no pacing began meanwhile: nothing refused");
        gc.flushAllCaches();
        heap.verifyHeap();
    }
}
