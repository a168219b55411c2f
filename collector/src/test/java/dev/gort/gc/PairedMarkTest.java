package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GcSupport.markPointer(p, q, cache), the scan loop's lookup that marks the next pointer of an
 * object with the same CAS when both objects' mark bits share a word: it pairs exactly when that
 * is safe, answers for p as the single lookup does, and, under racing markers, every object is
 * marked and its bytes counted once: a marker told MARKED_NOW for an object another marker set
 * first learns so when its pending mark word is written (GcSupport.flushMarks).
 */
class PairedMarkTest {
    Heap heap;
    GcSupport gcs;
    MCache cache;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gcs = heap.gc();
        cache = heap.newCache();
        gcs.setAllocBlack(false);
    }

    @AfterEach
    void tearDown() {
        heap.releaseCache(cache);
        heap.close();
    }

    private static long[] freshSpanCache() {
        long[] c = new long[GcSupport.SPAN_CACHE_LONGS];
        GcSupport.clearSpanCache(c);
        return c;
    }

    /** 16-byte scan objects allocated back to back: one span, 64 to a mark word. */
    private long[] nodes(int n) {
        long[] objs = new long[n];
        for (int i = 0; i < n; i++) {
            objs[i] = cache.alloc(16, false);
        }
        return objs;
    }

    @Test
    void pairsTwoClearAllocatedObjectsOfOneMarkWord() {
        long[] o = nodes(8);
        assertEquals(gcs.spanOf(o[0]), gcs.spanOf(o[7]), "one span");
        long[] c = freshSpanCache();
        gcs.markPointer(o[0], c);                           // fills the span cache
        long r = gcs.markPointer(o[2] + 8, o[3], c);        // an interior pointer pairs with its neighbour
        assertEquals(o[2], r & GcSupport.MARKED_BASE_MASK);
        assertNotEquals(0, r & GcSupport.MARKED_NOW, "p marked by this call");
        assertNotEquals(0, r & GcSupport.MARKED_PAIRED, "q marked by the same call");
        long rq = c[GcSupport.PAIR_SECOND];
        assertEquals(o[3], rq & GcSupport.MARKED_BASE_MASK);
        assertNotEquals(0, rq & GcSupport.MARKED_NOW);
        assertEquals(0, rq & GcSupport.MARKED_PAIRED);
        assertEquals(gcs.sizeClass(gcs.spanOf(o[3])), (int) (rq >>> GcSupport.MARKED_CLASS_SHIFT), "q's class hint");
        assertEquals(MarkHeap.pairedAnswer(r, o[3]), rq, "the marker's answer for q, built from q and p's answer");
        assertFalse(gcs.isMarked(o[2]) || gcs.isMarked(o[3]), "pending in the cache until the mark word is written");
        assertEquals(0, GcSupport.flushMarks(c), "nobody else marked them");
        assertTrue(gcs.isMarked(o[2]) && gcs.isMarked(o[3]));
        // Both marked now: p answers "marked" and q is left to its own lookup.
        long again = gcs.markPointer(o[2], o[3], c);
        assertEquals(o[2], again & (GcSupport.MARKED_BASE_MASK | GcSupport.MARKED_NOW | GcSupport.MARKED_PAIRED));
    }

    /** An interior q does not pair (the marker builds a pair's answer from q itself): it takes its own lookup, which finds its base. */
    @Test
    void anInteriorSecondPointerIsNotPaired() {
        long[] o = nodes(8);
        long[] c = freshSpanCache();
        gcs.markPointer(o[0], c);                           // fills the span cache
        long r = gcs.markPointer(o[2], o[3] + 8, c);
        assertEquals(o[2] | GcSupport.MARKED_NOW, r & (GcSupport.MARKED_BASE_MASK | GcSupport.MARKED_NOW | GcSupport.MARKED_PAIRED),
                "p marked, q (interior) left alone");
        long rq = gcs.markPointer(o[3] + 8, c);
        assertEquals(o[3] | GcSupport.MARKED_NOW, rq & (GcSupport.MARKED_BASE_MASK | GcSupport.MARKED_NOW | GcSupport.MARKED_PAIRED),
                "q's own lookup marks its base");
        assertEquals(0, GcSupport.flushMarks(c));
        assertTrue(gcs.isMarked(o[2]) && gcs.isMarked(o[3]));
    }

    @Test
    void leavesTheSecondPointerAloneWhenItCannotShareTheCas() {
        long[] o = nodes(200);
        long spanStart = gcs.spanStart(gcs.spanOf(o[0]));
        assertEquals(gcs.spanOf(o[0]), gcs.spanOf(o[199]), "one span");
        long inNextWord = 0;                                // a slot whose mark bit is in another word than o[2]'s
        for (long p : o) {
            if ((p - spanStart) / 16 / 64 != (o[2] - spanStart) / 16 / 64) {
                inNextWord = p;
                break;
            }
        }
        assertNotEquals(0, inNextWord);
        long[] c = freshSpanCache();
        gcs.markPointer(o[0], c);
        MCache otherCache = heap.newCache();
        try {
            long other = otherCache.alloc(16, false);       // another cache's span: outside the cached one
            gcs.markPointer(o[5], c);                       // already marked
            GcSupport.flushMarks(c);
            long[][] cases = {
                    {o[1], 0},                              // no second pointer
                    {o[2], inNextWord},                     // another mark word
                    {o[3], o[3] + 8},                       // the same object
                    {o[4], o[5]},                           // q already marked
                    {o[6], other},                          // q in another span
                    {o[7], heap.arenaBase() - 64},          // q outside the arena
            };
            for (long[] k : cases) {
                long q = k[1];
                boolean qWasMarked = q != 0 && gcs.findObject(q) != 0 && gcs.isMarked(q);
                long r = gcs.markPointer(k[0], q, c);
                long flags = GcSupport.MARKED_NOW | GcSupport.MARKED_NOSCAN | GcSupport.MARKED_PAIRED;
                assertEquals(k[0] | GcSupport.MARKED_NOW, r & (GcSupport.MARKED_BASE_MASK | flags),
                        "p 0x" + Long.toHexString(k[0]) + " marked alone (q 0x" + Long.toHexString(q) + ")");
                if (q != 0 && gcs.findObject(q) != 0 && gcs.findObject(q) != k[0]) {
                    assertEquals(qWasMarked, gcs.isMarked(q), "q 0x" + Long.toHexString(q) + " untouched");
                }
            }
        } finally {
            heap.releaseCache(otherCache);
        }
        // A pointer to a free slot as q: not paired (the single lookup reports it), and not marked.
        long freeSlot = o[199] + 16;                        // the cursor's next slot: not allocated yet
        assertEquals(0, gcs.findObject(freeSlot));
        long r = gcs.markPointer(o[8], freeSlot, c);
        assertEquals(0, r & GcSupport.MARKED_PAIRED);
        assertFalse(gcs.isMarked(freeSlot), "a free slot never gets a mark bit");
        // p on a cache miss: its span is cached first and the cached lookup answers, so p pairs
        // with q as on a hit (both pending until the flush).
        long[] fresh = freshSpanCache();
        long r2 = gcs.markPointer(o[10], o[11], fresh);
        assertEquals(o[10] | GcSupport.MARKED_NOW | GcSupport.MARKED_PAIRED,
                r2 & (GcSupport.MARKED_BASE_MASK | GcSupport.MARKED_NOW | GcSupport.MARKED_PAIRED));
        assertFalse(gcs.isMarked(o[10]) || gcs.isMarked(o[11]), "pending");
        assertEquals(0, GcSupport.flushMarks(fresh));
        assertTrue(gcs.isMarked(o[10]) && gcs.isMarked(o[11]));
    }

    /**
     * The cache keeps the two mark words used last pending: marks alternating between two words
     * write nothing; a third word writes the one of the two used less recently (one CAS), and the
     * other stays pending. Every object is answered MARKED_NOW once (a later lookup sees a pending
     * bit as set), and the flush writes the rest.
     */
    @Test
    void keepsTheTwoMarkWordsUsedLastPending() {
        long[] o = nodes(200);
        long spanStart = gcs.spanStart(gcs.spanOf(o[0]));
        assertEquals(gcs.spanOf(o[0]), gcs.spanOf(o[199]), "one span");
        long[][] byWord = new long[3][2];                   // two objects from each of three mark words
        int words = 0;
        long lastWord = -1;
        int inWord = 0;
        for (long p : o) {
            long word = (p - spanStart) / 16 / 64;
            if (word != lastWord) {
                if (words == 3) {
                    break;
                }
                lastWord = word;
                words++;
                inWord = 0;
            }
            if (inWord < 2) {
                byWord[words - 1][inWord++] = p;
            }
        }
        assertEquals(3, words, "200 slots span three mark words");
        long a1 = byWord[0][0], a2 = byWord[0][1], b1 = byWord[1][0], c1 = byWord[2][0];
        assertNotEquals(0, a2);
        long[] c = freshSpanCache();
        for (long p : new long[]{a1, b1, a2}) {
            assertNotEquals(0, gcs.markPointer(p, c) & GcSupport.MARKED_NOW, "0x" + Long.toHexString(p) + " greyed");
        }
        assertFalse(gcs.isMarked(a1) || gcs.isMarked(b1) || gcs.isMarked(a2), "two words pending, none written");
        assertNotEquals(0, gcs.markPointer(c1, c) & GcSupport.MARKED_NOW);
        assertTrue(gcs.isMarked(b1), "the third word wrote the word used less recently (b's)");
        assertFalse(gcs.isMarked(a1) || gcs.isMarked(a2) || gcs.isMarked(c1), "a's word (used last) and c's stay pending");
        for (long p : new long[]{a1, b1, a2, c1}) {
            assertEquals(0, gcs.markPointer(p, c) & GcSupport.MARKED_NOW, "0x" + Long.toHexString(p) + " greyed once");
        }
        assertEquals(0, GcSupport.flushMarks(c), "nobody else marked them");
        assertTrue(gcs.isMarked(a1) && gcs.isMarked(a2) && gcs.isMarked(b1) && gcs.isMarked(c1));
    }

    /**
     * Four threads mark neighbouring pairs of 16-byte objects (each pair in one mark word with
     * others racing on the same word), in different orders and pairings (o[i] with o[i+1], o[i+1]
     * with o[i]), counting every MARKED_NOW, paired or not: each object at least once, none lost,
     * and the MARKED_NOW answers less the objects flushMarks reports as marked first by another
     * marker are exactly one per object (the bytes the marker counts stay exact).
     */
    @Test
    void racingPairedMarkersGreyEachObjectOnce() throws Exception {
        int n = 8192;
        for (int round = 0; round < 3; round++) {
            long[] objs = nodes(n);
            AtomicIntegerArray greyed = new AtomicIntegerArray(n);
            int threads = 4;
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicLong lostBytes = new java.util.concurrent.atomic.AtomicLong();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try {
                        long[] c = freshSpanCache();
                        start.await();
                        for (int k = 0; k + 1 < n; k += 1 + (id & 1)) {
                            int i = (id & 2) == 0 ? k : n - 2 - k;
                            int a = (id & 1) == 0 ? i : i + 1;
                            int b = (id & 1) == 0 ? i + 1 : i;
                            long r = gcs.markPointer(objs[a], objs[b], c);
                            if ((r & GcSupport.MARKED_BASE_MASK) != objs[a]) {
                                throw new AssertionError("markPointer(0x" + Long.toHexString(objs[a]) + ") -> 0x" + Long.toHexString(r));
                            }
                            if ((r & GcSupport.MARKED_NOW) != 0) {
                                greyed.incrementAndGet(a);
                            }
                            if ((r & GcSupport.MARKED_PAIRED) != 0) {
                                long rq = c[GcSupport.PAIR_SECOND];
                                if ((rq & GcSupport.MARKED_BASE_MASK) != objs[b]) {
                                    throw new AssertionError("paired answer 0x" + Long.toHexString(rq) + " for 0x" + Long.toHexString(objs[b]));
                                }
                                if ((rq & GcSupport.MARKED_NOW) != 0) {
                                    greyed.incrementAndGet(b);
                                }
                            }
                        }
                        lostBytes.addAndGet(GcSupport.flushMarks(c));
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                th.start();
                ts.add(th);
            }
            for (Thread th : ts) {
                th.join();
            }
            if (failure.get() != null) {
                throw new AssertionError("round " + round, failure.get());
            }
            long told = 0;
            for (int i = 0; i < n; i++) {
                assertTrue(gcs.isMarked(objs[i]), "round " + round + ": object " + i + " marked");
                assertTrue(greyed.get(i) >= 1, "round " + round + ": object " + i + " greyed by some call");
                told += greyed.get(i);
            }
            assertEquals(0, lostBytes.get() % 16, "whole 16-byte objects");
            assertEquals(n, told - lostBytes.get() / 16, "round " + round + ": MARKED_NOW answers less those flushMarks took back");
        }
    }

    /**
     * After a sweep a span's allocated slots are its survivors (allocBits) plus the slots
     * allocated since, below freeIndex; the cached lookup reads both for a whole mark word at
     * once and answers for the pair's second slot from the same reads. Over every 8-byte address
     * of such spans, single and paired lookups answer as the uncached findObject does: a free slot
     * is never marked nor paired, and every allocated object is told MARKED_NOW exactly once.
     */
    @Test
    void cachedAllocatedCheckAfterASweepAgreesWithFindObject() {
        long[] objs = nodes(3 * 512 + 100);                 // the 16-byte class: 512 slots a span
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        for (long p : objs) {
            if (rnd.nextInt(3) != 0) {
                gcs.tryMark(p);                             // about two thirds survive the sweep
            }
        }
        gcs.flushAllCaches();
        gcs.startSweepCycle();
        while (gcs.sweepOne() != 0) {
            // sweep every span
        }
        gcs.awaitSweepsInFlight();
        // New objects take free slots of the swept spans from freeIndex 0 up, so some mark words
        // hold slots allocated below freeIndex, survivors above it and free slots.
        int fresh = 0;
        long lo = objs[0], hi = objs[objs.length - 1] + 16;
        for (int i = 0; i < 400; i++) {
            long p = cache.alloc(16, false);
            if (p >= lo && p < hi) {
                fresh++;
            }
        }
        assertTrue(fresh >= 20, "the new objects reuse the swept spans' free slots (" + fresh + " of 400 did)");
        int[] probed = assertCachedLookupsAgreeWithFindObject(lo, hi);
        int free = probed[0], paired = probed[1];
        assertTrue(free > 100 && paired > 100, "free slots probed " + free + ", pairs made " + paired);
    }

    /**
     * Every 8-byte address in [lo, hi): the cached lookup, paired with the next slot, answers as
     * the uncached findObject does (a free slot never marked nor paired, each object told
     * MARKED_NOW once). Marks what it finds. Returns {free slots probed, pairs made}.
     */
    private int[] assertCachedLookupsAgreeWithFindObject(long lo, long hi) {
        long[] c = freshSpanCache();
        java.util.Set<Long> greyed = new java.util.HashSet<>();
        int free = 0, paired = 0;
        for (long p = lo; p < hi; p += 8) {
            long q = p + 16;                                // the next slot: allocated or free
            long base = gcs.findObject(p);
            long baseQ = gcs.findObject(q);
            long r = gcs.markPointer(p, q, c);
            String at = "p 0x" + Long.toHexString(p) + " (slot " + ((p - lo) >>> 4) + ")";
            if (base == 0) {
                free++;
                assertEquals(0, r, at + " is a free slot");
                assertFalse(gcs.isMarked(p), at + ": a free slot never gets a mark bit");
                continue;
            }
            assertEquals(base, r & GcSupport.MARKED_BASE_MASK, at);
            assertEquals(greyed.add(base), (r & GcSupport.MARKED_NOW) != 0, at + " told MARKED_NOW once");
            if ((r & GcSupport.MARKED_PAIRED) != 0) {
                paired++;
                long rq = c[GcSupport.PAIR_SECOND];
                assertNotEquals(0, baseQ, at + ": paired with the free slot 0x" + Long.toHexString(q));
                assertEquals(baseQ, rq & GcSupport.MARKED_BASE_MASK, at + ": the pair's answer");
                assertEquals(greyed.add(baseQ), (rq & GcSupport.MARKED_NOW) != 0, at + ": q told MARKED_NOW once");
            } else if (baseQ == 0 && q < hi) {
                assertFalse(gcs.isMarked(q), "free slot 0x" + Long.toHexString(q) + " marked through a pair");
            }
        }
        return new int[] {free, paired};
    }

    /**
     * The cached allocated check at freeIndex's edges: slot freeIndex - 1 allocated since the
     * sweep, slot freeIndex free or a survivor, freeIndex at a mark word's last slot (63), at its
     * end (64: the whole word below it), past a word's first slots (66, 130) and near the span's end
     * (511). Each span of the
     * 16-byte class, swept with one slot in four surviving, is cached by a cache of its own, which
     * allocates until its freeIndex is the span's target; then every address of every span is
     * looked up. A mask of the slots below freeIndex wrong by one, or wrong at a whole word,
     * leaves an allocated object unmarked (freed while reachable) or marks a free slot.
     */
    @Test
    void cachedAllocatedCheckAtFreeIndexEdgesAgreesWithFindObject() {
        int[] targets = {2, 3, 63, 64, 66, 128, 130, 511};   // slot target - 1 free after the sweep
        long[] objs = nodes(targets.length * 512);          // the 16-byte class: 512 slots a span
        java.util.Set<Long> spans = new java.util.HashSet<>();
        for (long p : objs) {
            spans.add(gcs.spanOf(p));
            if (slot(p) % 4 == 0) {
                gcs.tryMark(p);                             // slots 0, 4, 8, ... survive the sweep
            }
        }
        assertEquals(targets.length, spans.size(), "one span per target");
        gcs.flushAllCaches();
        gcs.startSweepCycle();
        while (gcs.sweepOne() != 0) {
            // sweep every span
        }
        gcs.awaitSweepsInFlight();
        List<MCache> caches = new ArrayList<>();
        java.util.Set<Long> cachedSpans = new java.util.HashSet<>();
        try {
            for (int target : targets) {
                MCache mc = heap.newCache();
                caches.add(mc);
                // A swept span's free slots are handed out from freeIndex 0 up, freeIndex then
                // one past the slot handed out: the slots free after the sweep are 1, 2, 3, 5, ...
                long p;
                do {
                    p = mc.alloc(16, false);
                    assertTrue(spans.contains(gcs.spanOf(p)), "allocation from a swept span of the test's");
                } while (slot(p) + 1 < target);
                assertEquals(target, slot(p) + 1, "freeIndex reaches the target (slot " + slot(p) + " handed out)");
                cachedSpans.add(gcs.spanOf(p));
            }
            assertEquals(targets.length, cachedSpans.size(), "each target in a span of its own");
            long lo = java.util.Arrays.stream(objs).min().getAsLong(), hi = java.util.Arrays.stream(objs).max().getAsLong() + 16;
            int[] probed = assertCachedLookupsAgreeWithFindObject(lo, hi);
            assertTrue(probed[0] > 1000 && probed[1] > 200, "free slots probed " + probed[0] + ", pairs made " + probed[1]);
        } finally {
            caches.forEach(heap::releaseCache);
        }
    }

    /** The slot index of object {@code p} in its span. */
    private int slot(long p) {
        long s = gcs.spanOf(p);
        return gcs.objectIndex(s, p);
    }
}
