package dev.gort.arena;

import dev.gort.sys.ForcedGcModes;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@link MCache#allocFast}'s 64-slot windows: the slot that ends a window loads the next window's
 * allocCache itself (out of line) instead of returning 0, so a span is served by the fast path
 * from its first slot after a refill to its last, and a span with holes hands out exactly its free
 * slots, in address order, across window boundaries (free ones at 63/64, a whole free window, a
 * whole allocated one).
 */
class AllocFastWindowTest {
    static final int SIZE = 16;
    Heap heap;
    MCache cache;
    int spanClass;
    int nelems;

    @BeforeEach
    void setUp() {
        // gcpoison (clobberFree) checks every slot's poison on the general path: no fast path to test.
        assumeFalse(ForcedGcModes.get().poison(false), () -> "the fast path is off under clobberFree; this JVM forces -D"
                + ForcedGcModes.PROPERTY + "=" + ForcedGcModes.get());
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        cache = heap.newCache();
        int cls = SizeClasses.sizeToClass(SIZE);
        spanClass = SizeClasses.spanClass(cls, false);
        nelems = SizeClasses.classToObjects(cls);
        assertTrue(nelems > 4 * 64, "the test needs a span of several windows, 16 B class has " + nelems);
    }

    @AfterEach
    void tearDown() {
        if (heap != null) {
            heap.close();
        }
    }

    /** allocFast, or the general path when it declines; counts the declines in {@code declines[0]}. */
    private long alloc(int[] declines) {
        long p = cache.allocFast(cache.spanTable(), spanClass);
        if (p == 0) {
            declines[0]++;
            p = cache.alloc(SIZE, false);
        }
        return p;
    }

    @Test
    void aFreshSpanIsServedByTheFastPathAcrossEveryWindowBoundary() {
        int[] declines = {0};
        long first = alloc(declines);          // the cache starts empty: the general path refills
        assertEquals(1, declines[0]);
        for (int i = 1; i < nelems; i++) {
            long p = alloc(declines);
            assertEquals(first + (long) i * SIZE, p, "slot " + i + " of a fresh span");
        }
        assertEquals(1, declines[0], "no decline inside the span: " + (nelems / 64 - 1) + " window boundaries crossed on the fast path");
        assertEquals(0, cache.allocFast(cache.spanTable(), spanClass), "a full span: the fast path declines");
        heap.verifyHeap();
        assertEquals(nelems, heap.readMemStats().mallocs());
    }

    @Test
    void aSpanWithHolesHandsOutExactlyItsFreeSlotsInOrderAcrossWindows() {
        int[] declines = {0};
        long start = alloc(declines);
        for (int i = 1; i < nelems; i++) {
            alloc(declines);
        }
        // Holes: the slots either side of the first boundaries, the whole third window, none in
        // the fourth, every fifth slot further on, and one near the end (not the last slot: the
        // owner's free of the slot just below freeIndex rewinds the cursor, MCache's LIFO case).
        TreeSet<Integer> holes = new TreeSet<>(List.of(0, 62, 63, 64, 65, 127, 255, 256, nelems - 2));
        for (int i = 128; i < 192; i++) {
            holes.add(i);
        }
        for (int i = 257; i < nelems - 1; i += 5) {
            holes.add(i);
        }
        for (int i : holes) {
            long p = start + (long) i * SIZE;
            NativeMemory.putLong(p, 0xDEAD_BEEFL);
            NativeMemory.putLong(p + 8, -1L);
            cache.free(p);
        }
        // The span is exhausted: the general path folds the pending frees into allocBits, then the
        // fast path serves the rest of the holes.
        declines[0] = 0;
        List<Integer> got = new ArrayList<>();
        for (int k = 0; k < holes.size(); k++) {
            long p = alloc(declines);
            long off = p - start;
            assertTrue(off >= 0 && off < (long) nelems * SIZE, "slot outside the span: 0x" + Long.toHexString(p));
            got.add((int) (off / SIZE));
            assertEquals(0, NativeMemory.getLong(p) | NativeMemory.getLong(p + 8), "a reused slot is zeroed");
        }
        assertEquals(new ArrayList<>(holes), got, "exactly the freed slots, in address order");
        // The fast path declines for the exhausted span's refill, and after the last hole of a
        // window whose final slot is taken (that window has no free slot left: the general path's
        // nextFreeIndex moves on); a hole in a window's final slot loads the next window inline.
        int expectedDeclines = 1;
        int lastWindow = holes.last() >>> 6;
        for (int w = 0; w < lastWindow; w++) {
            Integer lastHole = holes.floor(w * 64 + 63);
            if (lastHole != null && lastHole >= w * 64 && lastHole != w * 64 + 63) {
                expectedDeclines++;
            }
        }
        assertEquals(3, expectedDeclines, "windows 4 and 5 end taken (the set of holes above)");
        assertEquals(expectedDeclines, declines[0], "the fast path declined only where a window has no free slot left");
        assertEquals(0, cache.allocFast(cache.spanTable(), spanClass), "every hole is taken: the fast path declines");
        heap.verifyHeap();
        MemStats st = heap.readMemStats();
        assertEquals(nelems + holes.size(), st.mallocs());
        assertEquals(holes.size(), st.frees());
    }
}
