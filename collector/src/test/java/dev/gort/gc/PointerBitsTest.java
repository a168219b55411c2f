package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scanning fast path the arena offers the collector (GcSupport.pointerBits, findObjectIn,
 * tryMarkIn) against the per-word and per-question slow paths it replaces, on the real arena.
 */
class PointerBitsTest {
    Heap heap;
    GcSupport gcs;
    MCache cache;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gcs = heap.gc();
        cache = heap.newCache();
    }

    @AfterEach
    void tearDown() {
        heap.releaseCache(cache);
        heap.close();
    }

    /** 64-bit windows at every alignment inside and across bitmap words equal the per-word bits. */
    @Test
    void pointerBitsMatchesIsPointerWordForEveryWindow() {
        SplittableRandom rnd = new SplittableRandom(42);
        long seed = rnd.nextLong();
        // A large object with a random mask: every word offset, every window length.
        int words = 8192 / 8 * 2;
        long[] mask = new long[words / 64];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rnd.nextLong();
        }
        long p = cache.alloc(8L * words, false);
        gcs.writePointerMask(p, words, mask);
        for (int start = 0; start < 200; start++) {
            for (int n = 1; n <= 64; n++) {
                long expect = 0;
                for (int i = 0; i < n; i++) {
                    if (gcs.isPointerWord(p + 8L * (start + i))) {
                        expect |= 1L << i;
                    }
                }
                assertEquals(expect, gcs.pointerBits(p + 8L * start, n),
                        "seed " + seed + ": window of " + n + " words at word " + start);
            }
        }
    }

    /** Small objects: the bits of one object never include its neighbour's. */
    @Test
    void pointerBitsOfSmallObjectsStopAtTheObject() {
        Type node = Type.struct("N").pointer("a").longField("x").build();     // 16 bytes: bits 01
        Type rev = Type.struct("R").longField("x").pointer("a").build();      // 16 bytes: bits 10
        for (int i = 0; i < 1000; i++) {
            Type t = (i & 1) == 0 ? node : rev;
            long p = cache.alloc(t.size(), false);
            gcs.writePointerMask(p, t.sizeWords(), t.fullMask());
            assertEquals((i & 1) == 0 ? 1L : 2L, gcs.pointerBits(p, 2), "object " + i);
            assertEquals(gcs.isPointerWord(p), (gcs.pointerBits(p, 1) & 1) != 0);
        }
    }

    @Test
    void findObjectInAndTryMarkInAgreeWithTheSlowPaths() {
        long[] objs = new long[500];
        for (int i = 0; i < objs.length; i++) {
            objs[i] = cache.alloc(48, false);
        }
        gcs.setAllocBlack(false);
        for (long p : objs) {
            for (long off = 0; off < 48; off += 8) {
                long s = gcs.spanOf(p + off);
                assertNotEquals(0, s);
                assertEquals(gcs.findObject(p + off), gcs.findObjectIn(s, p + off));
                assertEquals(p, gcs.findObjectIn(s, p + off));
            }
            long s = gcs.spanOf(p);
            assertFalse(gcs.isMarked(p));
            assertTrue(gcs.tryMarkIn(s, p), "first mark greys");
            assertFalse(gcs.tryMarkIn(s, p), "second mark does not");
            assertFalse(gcs.tryMark(p), "the slow path sees the same bit");
            assertTrue(gcs.isMarked(p));
        }
        // A large object: every interior address maps to its start.
        long big = cache.alloc(64 << 10, false);
        long s = gcs.spanOf(big + 1234 * 8);
        assertNotEquals(0, s);
        assertEquals(big, gcs.findObjectIn(s, big + 1234 * 8));
    }

    /** writePointerBits at every alignment and length equals writePointerMask, and leaves the neighbours alone. */
    @Test
    void writePointerBitsMatchesWritePointerMask() {
        SplittableRandom rnd = new SplittableRandom(7);
        int words = 8192 / 8 * 2;
        long p = cache.alloc(8L * words, false);
        long[] ones = new long[words / 64];
        java.util.Arrays.fill(ones, -1L);
        for (int trial = 0; trial < 2000; trial++) {
            int start = rnd.nextInt(words - 64);
            int n = 1 + rnd.nextInt(64);
            long bits = rnd.nextLong();
            gcs.writePointerMask(p, words, ones);          // every neighbour bit set
            gcs.writePointerBits(p + 8L * start, n, bits);
            for (int i = 0; i < words; i++) {
                boolean expect = i < start || i >= start + n || ((bits >>> (i - start)) & 1) != 0;
                assertEquals(expect, gcs.isPointerWord(p + 8L * i), "trial " + trial + ": word " + i + " after writing "
                        + n + " bits at word " + start);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> gcs.writePointerBits(p, 65, 0));
        assertThrows(IllegalArgumentException.class, () -> gcs.writePointerBits(p, 0, 0));
    }

    /**
     * GcSupport.markPointer (greyobject's one-pass lookup) against spanOf + findObjectIn +
     * tryMarkIn over every interior word of small scan and noscan objects of several classes,
     * a large object, free slots, a span's tail waste and addresses outside the arena: the same
     * base, the same first-mark answer, the size class and the noscan flag.
     */
    @Test
    void markPointerAgreesWithTheSlowPaths() {
        SplittableRandom rnd = new SplittableRandom(11);
        long[] sizes = {8, 16, 24, 48, 128, 1024, 4096, 32768};
        java.util.List<long[]> objs = new java.util.ArrayList<>();      // {address, size, noscan}
        for (int i = 0; i < 600; i++) {
            long size = sizes[rnd.nextInt(sizes.length)];
            boolean noscan = rnd.nextBoolean();
            objs.add(new long[]{cache.alloc(size, noscan), size, noscan ? 1 : 0});
        }
        long big = cache.alloc(200 << 10, false);
        objs.add(new long[]{big, 200 << 10, 0});
        gcs.setAllocBlack(false);
        ArenaMarkHeap mh = new ArenaMarkHeap(heap);
        for (long[] o : objs) {
            long p = o[0];
            long s = gcs.spanOf(p);
            long slot = gcs.objectSize(s);
            for (long off = 0; off < Math.min(slot, 4096); off += 8) {
                assertEquals(p, gcs.findObjectIn(gcs.spanOf(p + off), p + off));
                boolean wasMarked = gcs.isMarked(p);
                long r = gcs.markPointer(p + off);
                assertEquals(p, r & GcSupport.MARKED_BASE_MASK, "base of 0x" + Long.toHexString(p) + "+" + off);
                assertEquals(!wasMarked, (r & GcSupport.MARKED_NOW) != 0, "first mark of 0x" + Long.toHexString(p) + "+" + off);
                assertEquals(o[2] == 1, (r & GcSupport.MARKED_NOSCAN) != 0, "noscan flag");
                assertEquals(gcs.sizeClass(s), (int) (r >>> GcSupport.MARKED_CLASS_SHIFT), "size class");
                assertEquals(slot, mh.markedSize(r), "object size from the result");
                assertTrue(gcs.isMarked(p));
                assertFalse(gcs.tryMarkIn(s, p), "the slow path sees the bit markPointer set");
            }
        }
        // Not inside an allocated object: 0, and nothing marked.
        long s16 = gcs.spanOf(cache.alloc(16, false));
        long fresh = cache.alloc(16, false);
        assertEquals(gcs.spanOf(fresh), s16, "two 16 B objects in one cached span");
        long free = fresh + 16;                      // the cursor's next slot: not allocated yet
        assertEquals(0, gcs.findObjectIn(s16, free));
        assertEquals(0, gcs.markPointer(free), "a free slot");
        assertFalse(gcs.isMarked(free));
        long start = gcs.spanStart(s16);
        assertEquals(0, gcs.markPointer(heap.arenaBase() - 4096), "below the arena");
        assertEquals(0, gcs.markPointer(heap.arenaBase() + heap.arenaCommittedBytes() + 4096), "past the committed arena");
        // 48 B objects in an 8 KiB span leave a 32 B tail (170 * 48 = 8160): no object there.
        long p48 = cache.alloc(48, false);
        long s48 = gcs.spanOf(p48);
        long tail = gcs.spanStart(s48) + 8160;
        if (gcs.spanOf(tail) == s48) {
            assertEquals(0, gcs.markPointer(tail), "the span's tail waste");
        }
    }

    /**
     * markPointer's CAS loop under contention: four threads mark the same 16-byte objects (64 per
     * mark word, so neighbours' bits race in one word), each through a different interior
     * address and order. Every object must end marked and exactly one call per object must report
     * MARKED_NOW: a lost bit would leave a reachable object white (freed while live), a second
     * MARKED_NOW would queue it twice.
     */
    @Test
    void racingMarkersSetEveryBitAndGreyEachObjectOnce() throws Exception {
        int n = 8192;
        long[] objs = new long[n];
        for (int i = 0; i < n; i++) {
            objs[i] = cache.alloc(16, false);
        }
        for (int round = 0; round < 3; round++) {
            java.util.concurrent.atomic.AtomicIntegerArray greyed = new java.util.concurrent.atomic.AtomicIntegerArray(n);
            int threads = 4;
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            java.util.List<Thread> ts = new java.util.ArrayList<>();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        for (int k = 0; k < n; k++) {
                            int i = (id & 1) == 0 ? k : n - 1 - k;
                            long r = gcs.markPointer(objs[i] + 8L * (id >>> 1));     // base or interior
                            if ((r & GcSupport.MARKED_BASE_MASK) != objs[i]) {
                                throw new AssertionError("markPointer(0x" + Long.toHexString(objs[i]) + ") -> 0x" + Long.toHexString(r));
                            }
                            if ((r & GcSupport.MARKED_NOW) != 0) {
                                greyed.incrementAndGet(i);
                            }
                        }
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
            for (int i = 0; i < n; i++) {
                assertEquals(1, greyed.get(i), "round " + round + ": object " + i + " greyed by exactly one marker");
                assertTrue(gcs.isMarked(objs[i]), "round " + round + ": object " + i + " marked");
            }
            // Next round: fresh objects in fresh spans (marks are only cleared by a sweep).
            for (int i = 0; i < n; i++) {
                objs[i] = cache.alloc(16, false);
            }
        }
    }

    /** The marker's fast path queues an object once however often and through whichever address it is reached. */
    @Test
    void anAlreadyMarkedObjectIsNotQueuedTwice() {
        Type node = Type.struct("N2").pointer("a").pointer("b").build();
        long p = cache.alloc(node.size(), false);
        gcs.writePointerMask(p, node.sizeWords(), node.fullMask());
        long leaf = cache.alloc(64, true);                     // noscan: black at once, never queued
        try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20)) {
            Marker marker = new Marker(new ArenaMarkHeap(heap));
            GcWork w = new GcWork(pool);
            marker.shade(p, w);
            marker.shade(p + 8, w);
            marker.greyRoot(p, "test root", w);
            marker.shade(leaf, w);
            marker.shade(leaf + 40, w);
            assertEquals(1, w.localCount(), "one entry for the scan object, none for the noscan one");
            assertEquals(node.size() + 64, w.bytesMarked, "each object's bytes counted once");
            assertEquals(p, w.tryGet() & MarkHeap.MARKED_BASE_MASK);
            assertEquals(0, w.tryGet());
            w.dispose();
        }
    }

    /**
     * The span-cached lookup answers as the uncached one for every kind of address: interior
     * pointers, the unused tail of a span, free slots, noscan and large objects, addresses outside
     * the arena, consecutive hits in one span and jumps between spans; and it greys each object once.
     */
    @Test
    void spanCachedMarkPointerAgreesWithTheUncachedLookup() {
        SplittableRandom rnd = new SplittableRandom(7);
        java.util.List<Long> objs = new java.util.ArrayList<>();
        long[] sizes = {16, 48, 112, 1024, 6000, 40_000};
        for (int i = 0; i < 3000; i++) {
            long size = sizes[rnd.nextInt(sizes.length)];
            long p = cache.alloc(size, rnd.nextBoolean());
            objs.add(p);
        }
        // Interior addresses up to 56 bytes in: past a small object that is its neighbour slot,
        // unallocated after the last object of a span (the cached path's allocated check).
        java.util.List<Long> probes = new java.util.ArrayList<>();
        for (long p : objs) {
            probes.add(p);
            probes.add(p + 8);
            probes.add(p + 15);
        }
        for (int i = 0; i < 20_000; i++) {
            long p = objs.get(rnd.nextInt(objs.size()));
            probes.add(p + 8L * rnd.nextInt(0, 8));
        }
        probes.add(heap.arenaBase() - 8);
        probes.add(heap.arenaBase() + heap.config().arenaReservation() - 8);
        // Expected answers from the slow path (findObject, spanOf), which marking does not change.
        long[] spanCache = new long[GcSupport.SPAN_CACHE_LONGS];
        GcSupport.clearSpanCache(spanCache);
        java.util.Set<Long> greyed = new java.util.HashSet<>();
        for (int i = 0; i < probes.size(); i++) {
            long p = probes.get(i);
            long base = gcs.findObject(p);
            long s = gcs.spanOf(p);
            long r = gcs.markPointer(p, spanCache);
            if (base == 0) {
                assertEquals(0, r, "probe " + i + " 0x" + Long.toHexString(p) + " is not in an object");
                continue;
            }
            assertEquals(base, r & GcSupport.MARKED_BASE_MASK, "probe " + i + " 0x" + Long.toHexString(p));
            assertEquals(gcs.isNoscan(s), (r & GcSupport.MARKED_NOSCAN) != 0, "noscan flag, probe " + i);
            assertEquals(gcs.sizeClass(s), (int) (r >>> GcSupport.MARKED_CLASS_SHIFT), "class hint, probe " + i);
            assertEquals(greyed.add(base), (r & GcSupport.MARKED_NOW) != 0, "greyed once, probe " + i);
        }
        assertEquals(0, GcSupport.flushMarks(spanCache), "no other marker");
        for (long base : greyed) {
            assertTrue(gcs.isMarked(base), "0x" + Long.toHexString(base) + " marked once the pending mark word is written");
        }
    }
    /**
     * The marker over the real arena against a reference model: a random graph of objects of 1 to
     * 80 words (the one-bitmap-word scan of objects up to 64 words and the general scan above it),
     * each word a pointer or not at random, pointers to other objects' bases or interiors, some
     * noscan leaves. Marking from a few roots marks exactly what the model reaches, scans each
     * reached scan object once (heapScanWork = their sizes) and counts each reached object's bytes
     * once. A pointer bit the scan skipped or read from the wrong word shows as a missing or extra
     * mark. Even seeds race three markers over the same graph (work handed off through the global
     * list, held entries, each object greyed by one of them): the same totals hold.
     */
    @Test
    void markingSmallAndLargerObjectsMarksExactlyWhatTheModelReaches() throws Exception {
        for (long seed = 1; seed <= 4; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int n = 3000;
            long[] obj = new long[n];
            int[] words = new int[n];
            boolean[] noscan = new boolean[n];
            long[][] mask = new long[n][];
            for (int i = 0; i < n; i++) {
                words[i] = rnd.nextInt(1, 81);
                noscan[i] = rnd.nextInt(8) == 0;
                obj[i] = cache.alloc(8L * words[i], noscan[i]);
                mask[i] = new long[(words[i] + 63) >>> 6];
                if (!noscan[i]) {
                    for (int k = 0; k < words[i]; k++) {
                        if (rnd.nextInt(4) == 0) {
                            mask[i][k >>> 6] |= 1L << k;
                        }
                    }
                    gcs.writePointerMask(obj[i], words[i], mask[i]);
                }
            }
            // Pointer words point at random objects (a quarter of them inside, not at the base);
            // other words hold values that look like heap addresses, which must not be followed.
            java.util.List<java.util.List<Integer>> edges = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                java.util.List<Integer> out = new java.util.ArrayList<>();
                for (int k = 0; k < words[i]; k++) {
                    int t = rnd.nextInt(n);
                    long target = obj[t] + (rnd.nextInt(4) == 0 ? 8L * rnd.nextInt(words[t]) : 0);
                    boolean ptr = (mask[i][k >>> 6] & (1L << k)) != 0;
                    if (ptr && rnd.nextInt(3) == 0) {
                        target = 0;                                  // a nil pointer field
                    }
                    dev.gort.sys.NativeMemory.putLong(obj[i] + 8L * k, target);
                    if (ptr && target != 0) {
                        out.add(t);
                    }
                }
                edges.add(out);
            }
            boolean[] reached = new boolean[n];
            java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>();
            int[] roots = {rnd.nextInt(n), rnd.nextInt(n), rnd.nextInt(n)};
            for (int r : roots) {
                if (!reached[r]) {
                    reached[r] = true;
                    todo.add(r);
                }
            }
            while (!todo.isEmpty()) {
                for (int t : edges.get(todo.poll())) {
                    if (!reached[t]) {
                        reached[t] = true;
                        todo.add(t);
                    }
                }
            }
            long expectScan = 0, expectMarked = 0;
            for (int i = 0; i < n; i++) {
                if (reached[i]) {
                    long size = gcs.objectSize(gcs.spanOf(obj[i]));
                    expectMarked += size;
                    expectScan += noscan[i] ? 0 : size;
                }
            }
            int markers = seed % 2 == 0 ? 3 : 1;             // even seeds: racing markers share the work
            try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20)) {
                Marker marker = new Marker(new ArenaMarkHeap(heap));
                GcWork[] ws = new GcWork[markers];
                long[] scanned = new long[markers];
                for (int t = 0; t < markers; t++) {
                    ws[t] = new GcWork(pool);
                }
                for (int r : roots) {
                    marker.greyRoot(obj[r], "test root", ws[0]);
                }
                java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
                Thread[] ts = new Thread[markers];
                for (int t = 0; t < markers; t++) {
                    int me = t;
                    // A marker stops when it and the global list are empty; the last one running
                    // has then drained everything (it only stops with the global list empty).
                    ts[t] = new Thread(() -> {
                        try {
                            GcWork w = ws[me];
                            while (!(w.empty() && pool.fullIsEmpty())) {
                                scanned[me] += marker.drain(w, Long.MAX_VALUE);
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    ts[t].start();
                }
                for (Thread th : ts) {
                    th.join();
                }
                if (failure.get() != null) {
                    throw new AssertionError("seed " + seed, failure.get());
                }
                assertTrue(pool.fullIsEmpty());
                for (int i = 0; i < n; i++) {
                    assertEquals(reached[i], gcs.isMarked(obj[i]), "seed " + seed + ": object " + i + " of " + words[i]
                            + " words (noscan " + noscan[i] + ") marked iff the model reaches it");
                }
                long scanWork = 0, marked = 0, drained = 0;
                for (int t = 0; t < markers; t++) {
                    assertTrue(ws[t].empty(), "seed " + seed + ": marker " + t + " left work");
                    drained += scanned[t];
                    scanWork += ws[t].heapScanWork;
                    marked += ws[t].bytesMarked;
                    ws[t].dispose();
                }
                if (markers == 1) {
                    assertEquals(expectScan, drained, "seed " + seed + ": each reached scan object scanned once, whole");
                    assertEquals(expectScan, scanWork, "seed " + seed);
                } else {
                    // Racing markers may both grey an object whose bit one of them holds pending
                    // (GcSupport.markPointer's pending mark word): it is then scanned twice.
                    assertTrue(drained >= expectScan, "seed " + seed + ": every reached scan object scanned whole by "
                            + markers + " markers (" + drained + " of " + expectScan + " bytes)");
                    assertEquals(drained, scanWork, "seed " + seed);
                }
                assertEquals(expectMarked, marked, "seed " + seed + ": each reached object's bytes counted once");
            }
            // Next seed: fresh spans (marks are only cleared by a sweep).
            heap.releaseCache(cache);
            cache = heap.newCache();
        }
    }
}
