package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sweeping with no mcentral lock held (session 8): spans are claimed off the unswept lists under
 * the lock, swept outside it, and listed again in a second short hold; set-aside cache tables are
 * drained span by span by whoever claims each slot. What must hold: the lock is never held across
 * a sweep or the mheap's growth (MCentral's assertions, live because Surefire runs with -ea), the
 * sweep of a cycle is "done" only when no claimed span is still being swept, and the result is
 * exact (survivors intact, every dead slot free once, MemStats and verifyHeap agree) however the
 * sweep was split between refills, the background sweeper's batches and set-aside drains.
 */
class SweepConcurrencyTest {
    Heap heap;
    GcSupport gc;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(2L << 30), PosixOsMemory.get());
        gc = heap.gc();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    @Test
    void lockAssertionsAreLive() {
        assertTrue(MCentral.class.desiredAssertionStatus(),
                "MCentral's 'no sweep under the lock' assertions need -ea (Surefire's default)");
    }

    /**
     * Four threads sweep one cycle at once: two owners allocating (each refill drains its own
     * set-aside table and sweeps at the mcentral), two sweepers calling sweepOne (batches of
     * claimed spans, single set-aside spans of the owners' tables). Every marked object survives
     * with its contents, every unmarked one is freed, the new objects are live, and the counts
     * are exact. Repeated over cycles and seeds ({@code -Dgort.stress.seed=} replays the operations,
     * {@code -Dgort.stress.millis=} goes on for longer than the 4 cycles).
     */
    @Test
    void concurrentSweepsOfOneCycleAreExact() throws Exception {
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        long millis = Long.getLong("gort.stress.millis", 0);       // > 0: cycles go on this long (at least 4)
        long deadline = System.nanoTime() + millis * 1_000_000L;
        System.out.println("concurrentSweepsOfOneCycleAreExact seed=" + seed + " millis=" + millis);
        SplittableRandom rnd = new SplittableRandom(seed);
        int owners = 2;
        MCache[] caches = new MCache[owners];
        List<List<long[]>> objs = new ArrayList<>();        // {address, size, payload}
        for (int o = 0; o < owners; o++) {
            caches[o] = heap.newCache();
            objs.add(new ArrayList<>());
        }
        long[] sizes = {16, 48, 64, 256, 1024};
        int cycle = 0;
        for (; cycle < 4 || System.nanoTime() < deadline; cycle++) {
            // Allocate (the caches keep spans cached: they are set aside at the cycle's start).
            for (int o = 0; o < owners; o++) {
                for (int i = 0; i < 20_000; i++) {
                    long size = sizes[rnd.nextInt(sizes.length)];
                    long p = caches[o].alloc(size, true);
                    long payload = rnd.nextLong();
                    NativeMemory.putLong(p, payload);
                    objs.get(o).add(new long[] {p, size, payload});
                }
            }
            // "Mark" about a third of everything.
            List<long[]> live = new ArrayList<>();
            List<long[]> dead = new ArrayList<>();
            for (List<long[]> l : objs) {
                for (long[] ob : l) {
                    if (rnd.nextInt(3) == 0) {
                        assertTrue(gc.tryMark(ob[0]) || gc.isMarked(ob[0]));
                        live.add(ob);
                    } else {
                        dead.add(ob);
                    }
                }
            }
            gc.startSweepCycleDetached();
            assertFalse(gc.sweepDone());
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            List<List<long[]>> fresh = new ArrayList<>();
            for (int o = 0; o < owners; o++) {
                MCache c = caches[o];
                List<long[]> mine = new ArrayList<>();
                fresh.add(mine);
                long tseed = rnd.nextLong();
                threads.add(Thread.ofPlatform().start(() -> run(go, failure, () -> {
                    SplittableRandom r = new SplittableRandom(tseed);
                    for (int i = 0; i < 15_000; i++) {
                        long size = sizes[r.nextInt(sizes.length)];
                        long p = c.alloc(size, true);
                        long payload = r.nextLong();
                        NativeMemory.putLong(p, payload);
                        mine.add(new long[] {p, size, payload});
                    }
                })));
            }
            for (int t = 0; t < 2; t++) {
                threads.add(Thread.ofPlatform().start(() -> run(go, failure, () -> {
                    while (gc.sweepOne() != 0) {
                        Thread.onSpinWait();
                    }
                })));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get(), () -> "seed " + seed + ": " + failure.get());
            while (gc.sweepOne() != 0) {
                // finish
            }
            gc.awaitSweepsInFlight();
            assertTrue(gc.sweepDone(), "seed " + seed + ": nothing unswept, set aside or in flight");
            for (long[] ob : live) {
                assertEquals(ob[0], gc.findObject(ob[0]), "seed " + seed + ": a marked object survives");
                assertEquals(ob[2], NativeMemory.getLong(ob[0]), "seed " + seed + ": with its contents");
            }
            objs.clear();
            for (int o = 0; o < owners; o++) {
                List<long[]> l = new ArrayList<>(fresh.get(o));
                objs.add(l);
            }
            objs.get(0).addAll(live);
            long bytes = 0;
            long count = 0;
            java.util.Set<Long> addrs = new java.util.HashSet<>();
            for (List<long[]> l : objs) {
                for (long[] ob : l) {
                    assertTrue(addrs.add(ob[0]), "seed " + seed + ": address " + Long.toHexString(ob[0]) + " handed out twice");
                    assertEquals(ob[2], NativeMemory.getLong(ob[0]), "seed " + seed + ": a live object was overwritten");
                    bytes += SizeClasses.classToSize(SizeClasses.sizeToClass((int) ob[1]));
                    count++;
                }
            }
            for (long[] ob : dead) {
                // Free, or (its span freed and reused, maybe for another size class) inside an
                // object the model knows to be live.
                long base = gc.findObject(ob[0]);
                assertTrue(base == 0 || addrs.contains(base), "seed " + seed + ": unmarked object "
                        + Long.toHexString(ob[0]) + " is still allocated (base " + Long.toHexString(base) + ")");
            }
            MemStats st = heap.readMemStats();
            assertEquals(count, st.heapObjects(), "seed " + seed + ": HeapObjects after cycle " + cycle);
            assertEquals(bytes, st.heapAlloc(), "seed " + seed + ": HeapAlloc after cycle " + cycle);
            heap.verifyHeap();
        }
        System.out.println("concurrentSweepsOfOneCycleAreExact: " + cycle + " cycles");
    }

    /**
     * A refill sweeps at most the mcentral's budget of unswept spans (Go's spanBudget) before it
     * takes a fresh span, so the work between an allocation's entry and its return stays bounded
     * however much of the heap is unswept and full; the rest is swept later and exactly.
     */
    @Test
    void aRefillSweepsABoundedNumberOfFullSpans() {
        MCache c = heap.newCache();
        int nelems = SizeClasses.classToObjects(SizeClasses.sizeToClass(64));
        int spans = 400;
        List<Long> all = new ArrayList<>();
        for (long i = 0; i < (long) spans * nelems; i++) {
            long p = c.alloc(64, true);
            NativeMemory.putLong(p, i);
            assertTrue(gc.tryMark(p));
            all.add(p);
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        int spc = SizeClasses.spanClass(SizeClasses.sizeToClass(64), true);
        assertEquals(spans, unswept(spc));
        c.alloc(64, true);          // one refill: every unswept span is full (all marked)
        assertEquals(spans - 100, unswept(spc), "one refill sweeps exactly the budget of full spans, then grows");
        while (gc.sweepOne() != 0) {
            // sweep the rest
        }
        gc.awaitSweepsInFlight();
        assertTrue(gc.sweepDone());
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i, NativeMemory.getLong(all.get(i)));
        }
        assertEquals(all.size() + 1L, heap.readMemStats().heapObjects());
        heap.verifyHeap();
    }

    private long unswept(int spc) {
        long sg = gc.sweepgen();
        long[] n = {0};
        heap.central(spc).countListed(s -> {
            if (Mem.getLong(s + Span.SWEEPGEN) != sg) {
                n[0]++;
            }
        });
        return n[0];
    }

    private static void run(CountDownLatch go, AtomicReference<Throwable> failure, Runnable body) {
        try {
            go.await();
            body.run();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }
}
