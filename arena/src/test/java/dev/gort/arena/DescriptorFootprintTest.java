package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What span metadata costs in resident memory. The pending-free bitmaps (manual mode's explicit
 * frees) live in a parallel region that a collected heap never touches: before session 10 they
 * were 256 of each 640-byte descriptor, resident for every span (9 MB of binary-trees 21's peak).
 * And once explicit frees have written them, a descriptor that serves a new span starts with a
 * clean pair (no stale pending free can kill an object of the next span).
 */
class DescriptorFootprintTest {
    Heap heap;
    GcSupport gc;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = heap.gc();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    long residentPairBytes() {
        AddressSpace space = heap.space;
        long committed = space.freedCommitted();
        return committed == 0 ? 0 : space.os().residentPages(space.freedBase, committed) * space.osPage();
    }

    @Test
    void aCollectedHeapNeverTouchesThePendingFreeBitmaps() {
        MCache cache = heap.newCache();
        // ~4000 one-page spans of 16-byte objects (binary-trees' node), two GC cycles of sweeps that
        // free half the objects and then all of them, and reuse of the swept spans.
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 4000 * 512; i++) {
            objs.add(cache.alloc(16, false));
        }
        MemStats st = heap.readMemStats();
        assertTrue(st.heapInuse() >= 4000L * 8192, "the spans exist: " + st);
        for (int i = 0; i < objs.size(); i += 2) {
            gc.tryMark(objs.get(i));
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        while (gc.sweepOne() != 0) {
            // sweep
        }
        for (int i = 0; i < 2000 * 512; i++) {
            NativeMemory.putLong(cache.alloc(16, false), i);      // lazy sweeps and reuse
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        while (gc.sweepOne() != 0) {
            // sweep: nothing marked, every span goes back to the mheap
        }
        assertEquals(0, heap.readMemStats().heapInuse());
        for (int i = 0; i < 1000 * 512; i++) {
            cache.alloc(16, false);             // descriptors set up again for new spans
        }
        assertTrue(heap.space.freedCommitted() > 0, "the pairs are committed with the descriptors");
        assertEquals(0, residentPairBytes(), "no page of the pending-free pairs was touched without an explicit free");
        // The descriptors themselves: 384 bytes per span (Go's mspan is about 160 plus its bitmaps).
        assertEquals(384, Span.SIZE);
        assertTrue(heap.readMemStats().mSpanInuse() <= 1100L * 384, "about one descriptor per span");
    }

    @Test
    void pendingFreesDoNotLeakIntoTheNextSpanOfTheirDescriptor() {
        MCache owner = heap.newCache();
        MCache other = heap.newCache();
        // Explicit frees leave pending bits; then every span goes back to the mheap and its
        // descriptor (or its run's) serves new spans: none of the new objects may read as freed.
        for (int round = 0; round < 3; round++) {
            List<Long> objs = new ArrayList<>();
            for (int i = 0; i < 64 * 512; i++) {
                objs.add(owner.alloc(16, false));
            }
            for (int i = 1; i < objs.size(); i += 3) {
                owner.free(objs.get(i));        // owner: localFreed
            }
            for (int i = 2; i < objs.size(); i += 3) {
                other.free(objs.get(i));        // not the owner: remoteFreed
            }
            heap.verifyHeap();
            for (int i = 0; i < objs.size(); i += 3) {
                owner.free(objs.get(i));
            }
            heap.freeOSMemory();                // folds pending frees, returns empty spans, releases
            heap.verifyHeap();
            assertEquals(0, heap.readMemStats().heapAlloc(), "round " + round + ": everything freed");
        }
        assertTrue(heap.space.freedBitsWritten, "explicit frees mark the pairs as written");
        // Now make every pending-free pair stale (all bits set, as if frees were left in them) with
        // no span in use, and let descriptors serve new spans: each fresh object must be freeable
        // exactly once. Without the clearing at span set-up the first free reads "double free".
        heap.releaseCache(owner);
        heap.releaseCache(other);
        assertEquals(0, heap.readMemStats().heapInuse(), "no span in use");
        NativeMemory.fill(heap.space.freedBase, heap.space.freedCommitted(), (byte) 0xFF);
        MCache fresh = heap.newCache();
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 8 * 512; i++) {
            objs.add(fresh.alloc(16, false));
        }
        heap.verifyHeap();
        for (long p : objs) {
            fresh.free(p);
        }
        for (long p : objs) {
            assertThrows(InvalidFreeException.class, () -> fresh.free(p), "a second free is refused");
        }
        heap.freeOSMemory();
        heap.verifyHeap();
        assertEquals(0, heap.readMemStats().heapAlloc());
    }
}
