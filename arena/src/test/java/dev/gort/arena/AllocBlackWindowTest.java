package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Allocate-black a window at a time (MCache.allocBlack): while marking, objects from both
 * allocation paths are born marked without a mark bit of their own; when marking ends (and when a
 * span leaves its cache while marking) the slots the window did not hand out are unmarked again,
 * so exactly the objects allocated black carry marks and the sweep keeps exactly them. Objects
 * allocated before mark start in the same window stay white.
 */
class AllocBlackWindowTest {
    static final int SIZE = 16;
    static final int SPC = SizeClasses.spanClass(SizeClasses.sizeToClass(SIZE), false);

    Heap heap;
    MCache cache;
    GcSupport gc;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        cache = heap.newCache();
        gc = heap.gc();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    /** One 16-byte object, through the typed fast path when it serves, else the general path (as the collector's allocation does). */
    long alloc() {
        long p = cache.allocFast(cache.spanTable(), SPC);
        return p != 0 ? p : cache.alloc(SIZE, false);
    }

    /** The marked slots of every span that holds one of {@code objs}. */
    Set<Long> marksOfSpansOf(Set<Long> objs) {
        Set<Long> spans = new HashSet<>();
        for (long p : objs) {
            spans.add(gc.spanOf(p));
        }
        Set<Long> marked = new HashSet<>();
        for (long s : spans) {
            for (int i = 0; i < Span.nelems(s); i++) {
                long slot = Span.start(s) + (long) i * Span.elemSize(s);
                if (gc.isMarked(slot)) {
                    marked.add(slot);
                }
            }
        }
        return marked;
    }

    /** Fails naming how many objects are unmarked and how many other slots are marked (the sets are too long to print). */
    static void assertMarksAreExactly(Set<Long> black, Set<Long> marked, String what) {
        Set<Long> missing = new HashSet<>(black);
        missing.removeAll(marked);
        Set<Long> extra = new HashSet<>(marked);
        extra.removeAll(black);
        assertTrue(missing.isEmpty() && extra.isEmpty(), what + ": " + missing.size() + " of " + black.size()
                + " objects allocated black unmarked, " + extra.size() + " other slots marked");
    }

    @Test
    void exactlyTheObjectsAllocatedWhileMarkingAreMarkedWhenMarkingEnds() {
        Set<Long> white = new LinkedHashSet<>();
        for (int i = 0; i < 100; i++) {         // mark start falls inside the second window of the span
            white.add(alloc());
        }
        gc.setAllocBlack(true);
        Set<Long> black = new LinkedHashSet<>();
        for (int i = 0; i < 1500; i++) {        // past several window ends and two refills (512 slots a span)
            long p = alloc();
            assertTrue(gc.isMarked(p), "object " + i + " allocated while marking is marked");
            black.add(p);
        }
        for (long p : white) {
            assertFalse(gc.isMarked(p), "an object allocated before mark start stays white");
        }
        gc.setAllocBlack(false);
        Set<Long> all = new HashSet<>(white);
        all.addAll(black);
        assertMarksAreExactly(black, marksOfSpansOf(all), "after marking (the current window's free slots unmarked)");
        long after = alloc();
        assertFalse(gc.isMarked(after), "allocated after marking: white");
    }

    @Test
    void theSweepKeepsExactlyTheObjectsAllocatedBlack() {
        Set<Long> white = new HashSet<>();
        for (int i = 0; i < 700; i++) {
            white.add(alloc());                 // white: the sweep frees them
        }
        gc.setAllocBlack(true);
        Set<Long> black = new LinkedHashSet<>();
        for (int i = 0; i < 300; i++) {
            black.add(alloc());
        }
        gc.setAllocBlack(false);
        Set<Long> spans = new HashSet<>();
        for (long p : black) {
            spans.add(gc.spanOf(p));
        }
        for (long p : white) {
            spans.add(gc.spanOf(p));
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        while (gc.sweepOne() != 0) {
            // sweep everything
        }
        int live = 0;
        for (long s : spans) {
            if (gc.spanOf(Span.start(s)) == s) {        // still in use (a span left empty went back to the mheap)
                live += Mem.getInt(s + Span.ALLOC_COUNT);
            }
        }
        // The sweep keeps allocated-and-marked slots: this fails if a premark reached a slot
        // handed out before mark start (white, then kept as live), not for a free slot's mark.
        assertEquals(black.size(), live, "the swept spans keep the objects allocated black and nothing else");
        heap.verifyHeap();
    }

    @Test
    void aSpanLeavingItsCacheWhileMarkingTakesNoMarksOfFreeSlots() {
        gc.setAllocBlack(true);
        Set<Long> black = new LinkedHashSet<>();
        for (int i = 0; i < 70; i++) {
            black.add(alloc());
        }
        cache.releaseAll();                     // still marking: the window's 442 free slots leave the cache
        assertMarksAreExactly(black, marksOfSpansOf(black), "released while marking");
        for (int i = 0; i < 10; i++) {
            long p = alloc();                   // the same span, cached again from its mcentral: premarked again
            assertTrue(gc.isMarked(p), "allocated black after the span came back");
            black.add(p);
        }
        gc.setAllocBlack(false);
        assertMarksAreExactly(black, marksOfSpansOf(black), "after marking");
    }

    @Test
    void aSlotFreedBackUnderTheCursorWhileMarkingIsBornBlackAgain() {
        long before = cache.alloc(SIZE, false);        // white, then freed LIFO while marking
        gc.setAllocBlack(true);
        cache.free(before);
        long again = alloc();
        assertEquals(before, again, "LIFO free: the slot comes back first");
        assertTrue(gc.isMarked(again), "the slot handed out again while marking is marked");
        gc.setAllocBlack(false);
        assertMarksAreExactly(Set.of(again), marksOfSpansOf(Set.of(again)), "after marking");
    }
}
