package dev.gort.gc;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class MarkerTest {
    static final Type NODE = Type.struct("Node").pointer("a").pointer("b").longField("v").build();
    static final long A = NODE.offset("a"), B = NODE.offset("b");
    static final Type BLOB = Type.bytes(40);

    SimpleMarkHeap heap;
    WorkbufPool pool;
    GlobalRoots roots;
    Marker marker;

    @BeforeEach
    void setUp() {
        heap = new SimpleMarkHeap(8 << 20);
        pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20);
        roots = new GlobalRoots(PosixOsMemory.get(), 1 << 20);
        marker = new Marker(heap);
    }

    @AfterEach
    void tearDown() {
        roots.close();
        pool.close();
        heap.close();
    }

    void markFromGlobals(GcWork w) {
        marker.scanRootSlots(roots.slotAddress(0), roots.highWater(), "global", w);
        marker.drain(w, Long.MAX_VALUE);
    }

    @Test
    void marksExactlyTheReachableObjectsIncludingViaInteriorPointers() {
        long a = heap.alloc(NODE), b = heap.alloc(NODE), c = heap.alloc(NODE), d = heap.alloc(NODE), blob = heap.alloc(BLOB);
        Global g = Global.of(roots);
        g.set(a);
        Mem.storePtr(a, A, b);
        Mem.storePtr(b, B, c + 16);        // interior pointer: marks c
        Mem.storePtr(c, A, blob);
        Mem.storePtr(c, B, a);             // a cycle
        Mem.storePtr(d, A, a);             // d is garbage pointing into the live graph
        GcWork w = new GcWork(pool);
        markFromGlobals(w);
        assertEquals(Set.of(a, b, c, blob), heap.marked());
        assertEquals(3 * NODE.size() + BLOB.size(), w.bytesMarked);
        assertEquals(3 * NODE.size(), w.heapScanWork, "noscan blob is black without a scan");
        assertNull(heap.scans.get(blob), "noscan object never scanned");
        w.dispose();
    }

    /**
     * scanobject queues an object's pointees highest field first, so the LIFO work buffer scans the
     * first field's object next: a tree built depth-first in field order is marked in allocation order.
     */
    @Test
    void firstPointerFieldIsScannedNext() {
        long root = heap.alloc(NODE), left = heap.alloc(NODE), right = heap.alloc(NODE);
        Mem.storePtr(root, A, left);
        Mem.storePtr(root, B, right);
        GcWork w = new GcWork(pool);
        assertTrue(heap.tryMark(root));
        marker.scanObject(root, w);
        assertEquals(left, w.tryGet() & MarkHeap.MARKED_BASE_MASK, "field a's object pops first");
        assertEquals(right, w.tryGet() & MarkHeap.MARKED_BASE_MASK);
        assertEquals(0, w.tryGet());
        w.dispose();
    }

    /**
     * A preempted scan queues the rest of its object as a continuation: everything is still marked,
     * and each word is scanned exactly once, also across an oblet boundary (the continuation stops
     * at the end of its oblet; the next oblet was queued by the first).
     */
    @Test
    void preemptedScansContinueWhereTheyStoppedAndScanEachWordOnce() {
        int n = 20_000;                                   // 160000 B: two oblets (128 KiB + the rest)
        Type arrType = Type.arrayOf(Type.POINTER, n);
        long arr = heap.alloc(arrType);
        List<Long> nodes = new ArrayList<>();
        for (int i = 0; i < n; i += 97) {
            long x = heap.alloc(NODE);
            Mem.storePtrAt(arr, i, x);
            nodes.add(x);
        }
        long last = heap.alloc(NODE);
        Mem.storePtrAt(arr, n - 1, last);
        nodes.add(last);
        Global g = Global.of(roots);
        g.set(arr);
        GcWork w = new GcWork(pool);
        marker.scanRootSlots(roots.slotAddress(0), roots.highWater(), "global", w);
        int[] asks = {0};
        int[] stops = {0};
        java.util.function.BooleanSupplier everyThird = () -> {
            boolean stop = ++asks[0] % 3 == 0;
            if (stop) {
                stops[0]++;
            }
            return stop;
        };
        long done = 0;
        // A drain publishes half of its work whenever the global list is empty (Go's balance), so
        // "done" means this gcWork and the global list are both empty.
        for (int rounds = 0; rounds < 10_000 && !(w.empty() && pool.fullIsEmpty()); rounds++) {
            done += marker.drain(w, Long.MAX_VALUE, everyThird);
        }
        assertTrue(w.empty() && pool.fullIsEmpty(), "drained");
        assertTrue(stops[0] > 10, "the scan was interrupted many times: " + stops[0]);
        Set<Long> expected = new HashSet<>(nodes);
        expected.add(arr);
        assertEquals(expected, heap.marked());
        assertEquals(arrType.size() + (long) nodes.size() * NODE.size(), done, "every word scanned once");
        assertEquals(done, w.heapScanWork);
        w.dispose();
    }

    /**
     * A drain asks its preemption request when it starts and then once per
     * {@link Marker#PREEMPT_DRAIN_CHECK_BYTES} of scan work, not before every object, and still
     * answers a request within that much scan work plus the object that crossed the mark. Fails if
     * the drain asks per object (too many asks) or if it skips looks (it scans on past the bound).
     */
    @Test
    void aDrainAsksForPreemptionPerScanWorkIntervalAndStopsWithinOne() {
        int depth = 12;                                     // 8191 nodes of 24 bytes: ~192 KiB of scan work
        Global g = Global.of(roots);
        g.set(tree(depth));
        GcWork w = new GcWork(pool);
        marker.scanRootSlots(roots.slotAddress(0), roots.highWater(), "global", w);
        long stopAt = 10_000;                               // not a multiple of the interval or of a node
        int[] asks = {0};
        long[] workWhenTold = {-1};
        java.util.function.BooleanSupplier stopAfter = () -> {
            asks[0]++;
            if (w.heapScanWork >= stopAt && workWhenTold[0] < 0) {
                workWhenTold[0] = w.heapScanWork;
            }
            return w.heapScanWork >= stopAt;
        };
        long done = marker.drain(w, Long.MAX_VALUE, stopAfter);
        assertTrue(done >= stopAt, "the drain stopped before it was told to: " + done);
        assertTrue(done <= stopAt + Marker.PREEMPT_DRAIN_CHECK_BYTES + NODE.size(),
                "a stop waited for at most one interval of scan work plus one object: scanned " + done);
        assertEquals(done, workWhenTold[0], "it stopped at the look that saw the request");
        assertTrue(asks[0] <= done / Marker.PREEMPT_DRAIN_CHECK_BYTES + 2,
                "asked once per interval, not per object: " + asks[0] + " asks for " + done / NODE.size() + " objects");
        // Told to stop before it starts: no scan at all.
        assertEquals(0, marker.drain(w, Long.MAX_VALUE, () -> true));
        // The rest is still there: everything is scanned exactly once in the end.
        while (!(w.empty() && pool.fullIsEmpty())) {
            done += marker.drain(w, Long.MAX_VALUE);
        }
        assertEquals(((1L << (depth + 1)) - 1) * NODE.size(), done, "every node scanned exactly once");
        w.dispose();
    }

    long tree(int depth) {
        long n = heap.alloc(NODE);
        if (depth > 0) {
            Mem.storePtr(n, A, tree(depth - 1));
            Mem.storePtr(n, B, tree(depth - 1));
        }
        return n;
    }

    /**
     * A depth-first traversal of a tree never fills a work buffer (it holds about one entry per
     * level), so unless a drain publishes work when the global list is empty (Go's balance), a
     * second marker - an assisting mutator - finds nothing and waits while the first marks alone.
     * After a small partial drain the global list must hold work another gcWork can take, the
     * older (larger) subtrees; both together mark the whole tree once.
     */
    @Test
    void drainPublishesWorkForASecondMarkerWhenTheGlobalListIsEmpty() {
        int depth = 10;                                     // 2047 nodes
        Global g = Global.of(roots);
        g.set(tree(depth));
        GcWork first = new GcWork(pool);
        GcWork second = new GcWork(pool);
        marker.scanRootSlots(roots.slotAddress(0), roots.highWater(), "global", first);
        long done = marker.drain(first, 10 * NODE.size());
        assertFalse(pool.fullIsEmpty(), "after a partial drain of a tree some of its grey set is published");
        long stolen = marker.drain(second, Long.MAX_VALUE);
        assertTrue(stolen > (1L << (depth - 2)) * NODE.size(),
                "the second marker got large subtrees to scan, not leaves: " + stolen + " bytes");
        done += stolen;
        while (!(first.empty() && second.empty() && pool.fullIsEmpty())) {
            done += marker.drain(first, Long.MAX_VALUE);
            done += marker.drain(second, Long.MAX_VALUE);
        }
        assertEquals(((1L << (depth + 1)) - 1) * NODE.size(), done, "every node scanned exactly once");
        assertEquals((1 << (depth + 1)) - 1, heap.marked().size());
        first.dispose();
        second.dispose();
    }

    @Test
    void badPointerNamesAddressSpanAndReferrer() {
        long a = heap.alloc(NODE), dead = heap.alloc(NODE);
        Mem.storePtr(a, B, dead);
        heap.free(dead);                   // a keeps a dangling pointer
        Global g = Global.of(roots);
        g.set(a);
        GcWork w = new GcWork(pool);
        BadPointerException e = assertThrows(BadPointerException.class, () -> markFromGlobals(w));
        assertTrue(e.getMessage().startsWith("found bad pointer in heap: 0x" + Long.toHexString(dead) + " to a free slot"), e.getMessage());
        assertTrue(e.getMessage().contains("found in object 0x" + Long.toHexString(a) + "+0x8"), e.getMessage());
        assertEquals(dead, e.pointer());

        Global g2 = Global.of(roots);
        g2.set(0x10);                      // not a heap address at all
        heap.clearMarks();
        GcWork w2 = new GcWork(pool);
        e = assertThrows(BadPointerException.class, () -> marker.scanRootSlots(g2.address(), 1, "global", w2));
        assertTrue(e.getMessage().contains("0x10 outside the heap arena") && e.getMessage().contains("held by global slot 0"), e.getMessage());
        marker.setInvalidPtrFatal(false);
        marker.scanRootSlots(g2.address(), 1, "global", w2);   // invalidptr=0: ignored
    }

    @Test
    void checkmarkFindsAnObjectTheMarkMissed() {
        long a = heap.alloc(NODE), b = heap.alloc(NODE), c = heap.alloc(NODE);
        Global.of(roots).set(a);
        Mem.storePtr(a, A, b);
        Mem.storePtr(b, A, c);
        GcWork w = new GcWork(pool);
        markFromGlobals(w);
        // A correct mark passes the checkmark traversal.
        marker.startCheckmarks(heap.base, heap.size);
        markFromGlobals(w);
        marker.endCheckmarks();
        // Simulate a barrier bug: c was reachable but left white.
        heap.clearMark(c);
        marker.startCheckmarks(heap.base, heap.size);
        CheckmarkException e = assertThrows(CheckmarkException.class, () -> markFromGlobals(w));
        marker.endCheckmarks();
        assertTrue(e.getMessage().startsWith("checkmark found unmarked object 0x" + Long.toHexString(c)), e.getMessage());
        assertTrue(e.getMessage().contains("found in object 0x" + Long.toHexString(b) + "+0x0"), e.getMessage());
        assertEquals(c, e.object());
    }

    @Test
    void globalsAreRecycledAndClearedThroughTheBarrier() {
        Global g1 = Global.of(roots);
        long a = heap.alloc(NODE);
        g1.set(a);
        assertEquals(1, roots.liveHandles());
        g1.close();
        assertEquals(0, roots.liveHandles());
        Global g2 = Global.of(roots);
        assertEquals(g1.address(), g2.address(), "freed slot is reused");
        assertEquals(0, g2.get(), "reused slot starts empty");
        assertThrows(IllegalStateException.class, () -> g1.set(a));
        assertEquals(1, roots.blocks());
        assertTrue(g2.compareAndSet(0, a));
        assertEquals(a, g2.get());
    }

    /** A random graph marked by 4 threads at once: the marked set is exactly the reachable set, no unreachable object scanned. */
    @Test
    void parallelMarkingMarksExactlyTheReachableSet() throws Exception {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        int n = 20_000;
        long[] objs = new long[n];
        for (int i = 0; i < n; i++) {
            objs[i] = heap.alloc(i % 10 == 0 ? BLOB : NODE);
        }
        List<Integer>[] edges = new List[n];
        for (int i = 0; i < n; i++) {
            edges[i] = new ArrayList<>();
            if (i % 10 != 0) {
                for (long off : new long[] {A, B}) {
                    if (r.nextInt(10) < 8) {
                        int j = r.nextInt(n);
                        Mem.storePtr(objs[i], off, objs[j] + (r.nextBoolean() ? 0 : 8));
                        edges[i].add(j);
                    }
                }
            }
        }
        int nroots = 40;
        Set<Integer> reach = new HashSet<>();
        ArrayDeque<Integer> q = new ArrayDeque<>();
        for (int k = 0; k < nroots; k++) {
            int i = r.nextInt(n);
            Global.of(roots).set(objs[i]);
            if (reach.add(i)) {
                q.add(i);
            }
        }
        while (!q.isEmpty()) {
            for (int j : edges[q.poll()]) {
                if (reach.add(j)) {
                    q.add(j);
                }
            }
        }
        // Roots split between threads; everyone drains until all work is gone.
        int threads = 4;
        AtomicReference<Throwable> fail = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger(threads);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread th = new Thread(() -> {
                try {
                    GcWork w = new GcWork(pool);
                    for (long s = id; s < roots.highWater(); s += threads) {
                        marker.scanRootSlots(roots.slotAddress(s), 1, "global", w);
                    }
                    boolean idle = false;
                    for (;;) {
                        marker.drain(w, 64 << 10);
                        w.balance();
                        if (w.empty()) {
                            w.dispose();
                            if (!idle) {
                                idle = true;
                                busy.decrementAndGet();
                            }
                            if (busy.get() == 0 && pool.fullIsEmpty()) {
                                break;
                            }
                            long got = w.tryGet();
                            if (got != 0) {
                                busy.incrementAndGet();
                                idle = false;
                                marker.scanObject(got, w);
                            } else {
                                Thread.onSpinWait();
                            }
                        }
                    }
                } catch (Throwable e) {
                    fail.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join(60_000);
        }
        assertNull(fail.get(), "seed " + seed);
        Set<Long> expected = new HashSet<>();
        for (int i : reach) {
            expected.add(objs[i]);
        }
        assertEquals(expected, heap.marked(), "seed " + seed);
        for (var e : heap.scans.entrySet()) {
            assertTrue(expected.contains(e.getKey()), "scanned an unreachable object (seed " + seed + ")");
        }
        long[] counts = pool.countsQuiescent();
        assertEquals(0, counts[0]);
    }
}
