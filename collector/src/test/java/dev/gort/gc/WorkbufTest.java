package dev.gort.gc;

import dev.gort.sys.FaultInjectingOsMemory;
import dev.gort.sys.NativeException;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** Workbufs, the lfstack and gcWork: single-thread semantics and multi-thread exactly-once. */
class WorkbufTest {
    static final long OPS = Long.getLong("gort.stress.ops", 400_000);

    @Test
    void layoutHas253Slots() {
        assertEquals(253, WorkbufLayout.CAPACITY);
        assertEquals(2048, WorkbufLayout.OBJ + 8L * WorkbufLayout.CAPACITY + 0);
    }

    @Test
    void packRoundTripsAndTagsDiffer() {
        long node = 0x7fff_ffff_f800L;
        assertEquals(node, LfStack.unpack(LfStack.pack(node, 5)));
        assertNotEquals(LfStack.pack(node, 5), LfStack.pack(node, 6));
        assertEquals(node, LfStack.unpack(LfStack.pack(node, (1L << 27) + 3)));
    }

    @Test
    void gcWorkIsLifoWithinAndSpillsAcrossBuffers() {
        try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20)) {
            GcWork w = new GcWork(pool);
            assertTrue(w.empty());
            int n = 3 * WorkbufLayout.CAPACITY + 17;
            for (int i = 1; i <= n; i++) {
                w.put(i * 16L);
            }
            assertTrue(w.flushedWork, "more than two buffers of work spills to the full list");
            assertFalse(pool.fullIsEmpty());
            Set<Long> seen = new HashSet<>();
            long p;
            while ((p = w.tryGet()) != 0) {
                assertTrue(seen.add(p), "duplicate " + p);
            }
            assertEquals(n, seen.size());
            assertTrue(w.empty());
            assertTrue(pool.fullIsEmpty());
            w.dispose();
            long[] counts = pool.countsQuiescent();
            assertEquals(0, counts[0]);
            assertEquals(pool.allocated(), counts[1], "every buffer is back on the empty list");
        }
    }

    @Test
    void balanceAndDisposePublishWorkForOthers() {
        try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20)) {
            GcWork a = new GcWork(pool);
            GcWork b = new GcWork(pool);
            for (int i = 1; i <= 100; i++) {
                a.put(i * 8L);
            }
            a.balance();
            assertFalse(pool.fullIsEmpty());
            assertEquals(50, a.localCount());
            int got = 0;
            while (b.tryGet() != 0) {
                got++;
            }
            assertEquals(50, got);
            a.dispose();
            while (b.tryGet() != 0) {
                got++;
            }
            assertEquals(100, got);
            assertEquals(0, b.tryGetLocal());
        }
    }

    /**
     * The entry put last is held in a field, not in a workbuf: it still counts as local work
     * (empty, localCount), comes back first (LIFO, also from tryGetLocal), and balance and dispose
     * publish it with the rest, so a second gcWork can take it and nothing is lost or duplicated.
     */
    @Test
    void theEntryPutLastIsLocalWorkThatIsNeverLost() {
        try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20)) {
            GcWork a = new GcWork(pool);
            GcWork b = new GcWork(pool);
            a.put(16);
            assertFalse(a.empty(), "one held entry is local work");
            assertEquals(1, a.localCount());
            assertEquals(16, a.tryGetLocal());
            assertTrue(a.empty());
            assertEquals(0, a.tryGet());

            a.put(32);
            a.dispose();                                   // the only entry is the held one
            assertFalse(pool.fullIsEmpty(), "dispose publishes the held entry");
            assertEquals(32, b.tryGet());
            assertEquals(0, b.tryGet());

            for (int i = 1; i <= 5; i++) {
                a.put(i * 8L);
            }
            assertEquals(40, a.tryGet(), "LIFO: the last put comes back first");
            a.put(48);
            a.balance();                                   // 5 local entries, one of them held: half are published
            Set<Long> got = new HashSet<>();
            long p;
            while ((p = b.tryGet()) != 0) {
                assertTrue(got.add(p));
            }
            assertFalse(got.isEmpty(), "balance published some of the work");
            while ((p = a.tryGet()) != 0) {
                assertTrue(got.add(p), "duplicate " + p);
            }
            assertEquals(Set.of(8L, 16L, 24L, 32L, 48L), got);
            assertTrue(a.empty() && b.empty() && pool.fullIsEmpty());
            a.dispose();
            b.dispose();
            long[] counts = pool.countsQuiescent();
            assertEquals(0, counts[0]);
            assertEquals(pool.allocated(), counts[1], "every buffer is back on the empty list");
        }
    }

    @Test
    void exhaustionAndCommitFailureLeaveThePoolUsable() {
        FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
        long reserve = 4096 + 2 * WorkbufLayout.ALLOC_BYTES;
        try (WorkbufPool pool = new WorkbufPool(os, reserve)) {
            os.failNext(FaultInjectingOsMemory.Op.COMMIT, 1, "ENOMEM");
            assertThrows(NativeException.class, pool::getEmpty);
            List<Long> held = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                held.add(pool.getEmpty());
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, pool::getEmpty);
            assertTrue(e.getMessage().contains("out of workbuf memory: 32 workbufs"), e.getMessage());
            pool.putEmpty(held.removeLast());
            assertNotEquals(0, pool.getEmpty(), "a returned buffer is reusable after exhaustion");
        }
        assertThrows(IllegalArgumentException.class, () -> new WorkbufPool(PosixOsMemory.get(), 1000));
    }

    @Test
    void misuseIsCaught() {
        try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20)) {
            long b = pool.getEmpty();
            assertThrows(IllegalStateException.class, () -> pool.putFull(b), "empty buffer on the full list");
            WorkbufLayout.setNobj(b, 1);
            assertThrows(IllegalStateException.class, () -> pool.putEmpty(b), "non-empty buffer on the empty list");
            assertThrows(IllegalStateException.class, () -> pool.putFull(b + 8));
            WorkbufLayout.setNobj(b, 0);
            pool.putEmpty(b);
        }
    }

    /** Threads pop and push the same few nodes as fast as they can: with ABA, nodes get lost or duplicated. */
    @Test
    void lfStackSurvivesAbaUnderContention() throws Exception {
        try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20)) {
            long headWord = pool.getEmpty();          // use a workbuf's memory as a scratch head word
            LfStack s = new LfStack(headWord + WorkbufLayout.OBJ);
            long[] nodes = new long[6];
            for (int i = 0; i < nodes.length; i++) {
                nodes[i] = pool.getEmpty();
                s.push(nodes[i]);
            }
            int threads = 4;
            long iters = OPS / 2;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        long[] held = new long[3];
                        for (long i = 0; i < iters; i++) {
                            int k = 0;
                            for (; k < 1 + (int) (i % 3); k++) {
                                held[k] = s.pop();
                                if (held[k] == 0) {
                                    break;
                                }
                            }
                            for (int j = 0; j < k; j++) {
                                if (held[j] != 0) {
                                    s.push(held[j]);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
            assertNull(failure.get());
            Set<Long> left = new HashSet<>();
            long n;
            while ((n = s.pop()) != 0) {
                assertTrue(left.add(n), "node popped twice: the stack has a cycle or a duplicate");
                assertTrue(left.size() <= nodes.length);
            }
            Set<Long> expected = new HashSet<>();
            for (long node : nodes) {
                expected.add(node);
            }
            assertEquals(expected, left, "every node is on the stack exactly once");
        }
    }

    /**
     * 4 threads each push their own pointers while popping (and balancing) whatever they find, then
     * drain until all are done: every pushed pointer is popped exactly once, across threads.
     */
    @Test
    void everyPushedPointerIsPoppedExactlyOnceAcrossThreads() throws Exception {
        int threads = 4;
        int perThread = (int) Math.min(OPS / threads, 2_000_000);
        AtomicIntegerArray seen = new AtomicIntegerArray(threads * perThread);
        AtomicLong popped = new AtomicLong();
        AtomicLong producersLeft = new AtomicLong(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long seed = System.nanoTime();
        try (WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 64 << 20)) {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                Thread th = new Thread(() -> {
                    GcWork w = new GcWork(pool);
                    Random r = new Random(seed + id);
                    try {
                        start.await();
                        int next = 0;
                        while (next < perThread) {
                            int op = r.nextInt(100);
                            if (op < 60) {
                                int v = id * perThread + next++;
                                w.put(((long) v + 1) << 3);
                            } else if (op < 97) {
                                record(w.tryGet(), seen, popped);
                            } else {
                                w.balance();
                            }
                        }
                        w.dispose();
                        producersLeft.decrementAndGet();
                        // Drain: keep taking published work until every producer finished and nothing is left.
                        for (;;) {
                            long p = w.tryGet();
                            if (p != 0) {
                                record(p, seen, popped);
                            } else if (producersLeft.get() == 0 && pool.fullIsEmpty()) {
                                break;
                            } else {
                                Thread.onSpinWait();
                            }
                        }
                        w.dispose();
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join(120_000);
                assertFalse(th.isAlive(), "stress thread hung (seed " + seed + ")");
            }
            if (failure.get() != null) {
                throw new AssertionError("seed " + seed, failure.get());
            }
            assertEquals((long) threads * perThread, popped.get(), "seed " + seed);
            for (int i = 0; i < seen.length(); i++) {
                if (seen.get(i) != 1) {
                    fail("pointer " + i + " popped " + seen.get(i) + " times (seed " + seed + ")");
                }
            }
            long[] counts = pool.countsQuiescent();
            assertEquals(0, counts[0]);
            assertEquals(pool.allocated(), counts[1], "no workbuf leaked");
        }
    }

    private static void record(long p, AtomicIntegerArray seen, AtomicLong popped) {
        if (p == 0) {
            return;
        }
        int v = (int) ((p >>> 3) - 1);
        if (seen.incrementAndGet(v) != 1) {
            throw new AssertionError("pointer " + v + " popped twice");
        }
        popped.incrementAndGet();
    }
}
