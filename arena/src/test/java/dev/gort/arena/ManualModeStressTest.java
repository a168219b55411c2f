package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TESTING.md A1/A2: random allocate/free over mixed sizes (tiny to large) from two threads against a
 * reference model. Every object is filled with a pattern derived from its id; the model checks that
 * no two live objects overlap, that fresh memory reads zero, that every pattern is intact when the
 * object is freed (by its allocating thread or, for a quarter of them, by the other thread), and
 * that after everything is freed the heap returns to zero live bytes and no span in use.
 * {@code -Dgort.stress.ops=N} (default 1,000,000 in total) runs it longer.
 */
class ManualModeStressTest {
    static final int THREADS = 2;
    static final long OPS = Long.getLong("gort.stress.ops", 1_000_000L);
    static final int VERIFY_ROUNDS = 10;

    record Obj(long addr, long size, long id) {
    }

    final ConcurrentSkipListMap<Long, Long> liveRanges = new ConcurrentSkipListMap<>();
    final AtomicLong ids = new AtomicLong();
    final AtomicLong crossFrees = new AtomicLong();
    final AtomicLong bytesChecked = new AtomicLong();

    @Test
    void twoThreadsMillionOpsAgainstModel() throws Exception {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(4L << 30), PosixOsMemory.get())) {
            @SuppressWarnings("unchecked")
            ConcurrentLinkedQueue<Obj>[] inbox = new ConcurrentLinkedQueue[THREADS];
            for (int t = 0; t < THREADS; t++) {
                inbox[t] = new ConcurrentLinkedQueue<>();
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier barrier = new CyclicBarrier(THREADS, heap::verifyHeap);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                Thread th = new Thread(() -> {
                    try {
                        run(heap, me, inbox, barrier);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        barrier.reset();
                    }
                }, "stress-" + t);
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            if (failure.get() != null) {
                throw new AssertionError("stress failed", failure.get());
            }
            assertTrue(liveRanges.isEmpty(), liveRanges.size() + " objects left in the model");
            heap.returnFreeSpans();
            heap.verifyHeap();
            MemStats st = heap.readMemStats();
            assertEquals(0, st.heapAlloc(), "live bytes after freeing everything");
            assertEquals(0, st.heapObjects());
            assertEquals(st.mallocs(), st.frees());
            assertEquals(0, st.heapInuse(), "spans in use after freeing everything and releasing caches");
            assertEquals(0, st.heapLive(), "the pacer's heapLive after freeing everything");
            assertTrue(st.mallocs() >= OPS / 3, "mallocs " + st.mallocs());
            assertTrue(crossFrees.get() > OPS / 50, "cross-thread frees " + crossFrees.get());
            System.out.printf("stress: %d ops, %d mallocs, %d cross-thread frees, %d MiB pattern-checked, %s%n",
                    OPS, st.mallocs(), crossFrees.get(), bytesChecked.get() >> 20, st);
        }
    }

    private void run(Heap heap, int me, ConcurrentLinkedQueue<Obj>[] inbox, CyclicBarrier barrier) throws Exception {
        MCache cache = heap.newCache();
        SplittableRandom rnd = new SplittableRandom(42 + me);
        List<Obj> live = new ArrayList<>();
        long ops = OPS / THREADS;
        long verifyEvery = ops / VERIFY_ROUNDS;
        for (long op = 1; op <= ops; op++) {
            Obj handed;
            while ((handed = inbox[me].poll()) != null) {
                release(cache, handed);
                crossFrees.incrementAndGet();
            }
            int r = rnd.nextInt(100);
            boolean allocate = live.isEmpty() || (live.size() < 4000 ? r < 60 : live.size() > 12000 ? r < 30 : r < 50);
            if (allocate) {
                long size = randomSize(rnd);
                long addr = cache.alloc(size, rnd.nextBoolean());
                Obj o = new Obj(addr, size, ids.incrementAndGet());
                checkZeroAndClaim(o);
                fill(o);
                live.add(o);
            } else {
                int i = rnd.nextInt(live.size());
                Obj o = live.get(i);
                live.set(i, live.get(live.size() - 1));
                live.remove(live.size() - 1);
                if (rnd.nextInt(4) == 0) {
                    inbox[(me + 1) % THREADS].add(o); // the other thread frees it
                } else {
                    release(cache, o);
                }
            }
            if (op % verifyEvery == 0) {
                barrier.await(); // both threads stop; verifyHeap runs as the barrier action
            }
        }
        for (Obj o : live) {
            release(cache, o);
        }
        barrier.await(); // the other thread has stopped handing us objects
        Obj handed;
        while ((handed = inbox[me].poll()) != null) {
            release(cache, handed);
            crossFrees.incrementAndGet();
        }
        heap.releaseCache(cache);
    }

    static long randomSize(SplittableRandom rnd) {
        int r = rnd.nextInt(1000);
        if (r < 600) {
            return 1 + rnd.nextInt(128);
        } else if (r < 880) {
            return 129 + rnd.nextInt(2048 - 128);
        } else if (r < 990) {
            return 2049 + rnd.nextInt(32768 - 2048);
        }
        return 32769 + rnd.nextInt(300_000);
    }

    private void checkZeroAndClaim(Obj o) {
        Map.Entry<Long, Long> below = liveRanges.floorEntry(o.addr);
        if (below != null && below.getValue() > o.addr) {
            throw new AssertionError("object 0x" + Long.toHexString(o.addr) + "+" + o.size + " overlaps live 0x"
                    + Long.toHexString(below.getKey()) + "-0x" + Long.toHexString(below.getValue()));
        }
        Long above = liveRanges.ceilingKey(o.addr);
        if (above != null && above < o.addr + o.size) {
            throw new AssertionError("object 0x" + Long.toHexString(o.addr) + "+" + o.size + " overlaps live 0x"
                    + Long.toHexString(above));
        }
        assertNull(liveRanges.put(o.addr, o.addr + o.size));
        // Every byte, compared in bulk (vectorized; the word loop it replaces checked whole words only).
        long at = MemorySegment.mismatch(NativeMemory.ALL, o.addr, o.addr + o.size, ZEROS, 0, o.size);
        if (at >= 0) {
            throw new AssertionError("fresh object 0x" + Long.toHexString(o.addr) + " size " + o.size
                    + " is not zero at +" + at);
        }
    }

    /** Zeros as long as the largest object randomSize makes. */
    static final MemorySegment ZEROS = Arena.global().allocate(32769 + 300_000);

    private static long pattern(long id, long wordIndex) {
        long x = id * 0x9E3779B97F4A7C15L + wordIndex;
        return x ^ (x >>> 29);
    }

    private static void fill(Obj o) {
        for (long w = 0; (w << 3) + 8 <= o.size; w++) {
            NativeMemory.putLong(o.addr + (w << 3), pattern(o.id, w));
        }
        for (long b = o.size & ~7L; b < o.size; b++) {
            NativeMemory.putByte(o.addr + b, (byte) o.id);
        }
    }

    private void release(MCache cache, Obj o) {
        for (long w = 0; (w << 3) + 8 <= o.size; w++) {
            long v = NativeMemory.getLong(o.addr + (w << 3));
            if (v != pattern(o.id, w)) {
                throw new AssertionError("object " + o.id + " at 0x" + Long.toHexString(o.addr) + " size " + o.size
                        + " corrupted at word " + w);
            }
        }
        for (long b = o.size & ~7L; b < o.size; b++) {
            if (NativeMemory.getByte(o.addr + b) != (byte) o.id) {
                throw new AssertionError("object " + o.id + " corrupted at byte " + b);
            }
        }
        bytesChecked.addAndGet(o.size);
        liveRanges.remove(o.addr);
        cache.free(o.addr);
    }
}
