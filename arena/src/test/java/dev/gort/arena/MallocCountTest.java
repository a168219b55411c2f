package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Small mallocs are counted per span (the cached span's allocCount against its base, flushed when
 * the span leaves the cache or is folded; {@link MCache#stats}), not per allocation: MemStats must
 * still be exact at every point readMemStats can observe. A reference model counts every malloc
 * and free of a random sequence (sizes over several classes, the manual fast path's LIFO frees of
 * the last allocation and of the slot below the cursor, frees that fold at the next refill, frees
 * from another cache, releases) and is compared after every operation; a second test reads
 * MemStats from another thread while the owner allocates and refills, and checks each read lies
 * between the owner's published counts before and after it.
 */
class MallocCountTest {
    static final int[] SIZES = {8, 16, 24, 48, 128, 1024, 4096};

    @Test
    void mallocsFreesAndHeapAllocAreExactAfterEveryOperation() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache cache = heap.newCache();
            MCache other = heap.newCache();
            Random rnd = new Random(20);
            List<long[]> live = new ArrayList<>();       // {address, rounded size}
            long mallocs = 0, frees = 0, bytes = 0;
            MemStats base = heap.readMemStats();
            for (int op = 0; op < 60_000; op++) {
                int r = rnd.nextInt(100);
                if (r < 55 || live.isEmpty()) {
                    int size = SIZES[rnd.nextInt(SIZES.length)];
                    boolean noscan = rnd.nextBoolean();
                    long p = cache.alloc(size, noscan);
                    long rounded = SizeClasses.classToSize(SizeClasses.sizeToClass(size));
                    live.add(new long[] {p, rounded});
                    mallocs++;
                    bytes += rounded;
                } else if (r < 75) {
                    long[] o = live.remove(live.size() - 1);        // the last one: the LIFO paths
                    cache.free(o[0]);
                    frees++;
                    bytes -= o[1];
                } else if (r < 95) {
                    long[] o = live.remove(rnd.nextInt(live.size()));
                    (r < 90 ? cache : other).free(o[0]);            // folded at a refill; or a remote free
                    frees++;
                    bytes -= o[1];
                } else if (r < 96) {
                    cache.releaseAll();                             // every cached span flushed and uncached
                } else {
                    long p = cache.alloc(16, true);                 // an alloc+free pair through lastAddr
                    cache.free(p);
                    mallocs++;
                    frees++;
                }
                MemStats ms = heap.readMemStats();
                assertEquals(mallocs, ms.mallocs() - base.mallocs(), "mallocs after op " + op);
                assertEquals(frees, ms.frees() - base.frees(), "frees after op " + op);
                assertEquals(bytes, ms.heapAlloc() - base.heapAlloc(), "heapAlloc after op " + op);
                if (op % 5000 == 0) {
                    heap.verifyHeap();
                }
            }
            heap.verifyHeap();
            heap.releaseCache(cache);
            heap.releaseCache(other);
            MemStats ms = heap.readMemStats();
            assertEquals(mallocs, ms.mallocs() - base.mallocs(), "mallocs after the caches are released");
            assertEquals(bytes, ms.heapAlloc() - base.heapAlloc(), "heapAlloc after the caches are released");
        }
    }

    /**
     * A reader on another thread sees mallocs between the owner's published count before its read
     * and that count + 2 after it (one allocation in flight, and the owner's object allocated
     * before the read and freed LIFO during it counted twice; see MCache.addStatsTo), never more
     * than one below an earlier read: pairing a span with another span's base, or counting a flushed span twice, at a refill
     * would be off by up to a span's objects.
     */
    @Test
    void aConcurrentReaderSeesMallocsBetweenTheOwnersCounts() throws Exception {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            long base = heap.readMemStats().mallocs();
            AtomicLong done = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            int n = 1_500_000;
            Thread owner = new Thread(() -> {
                MCache cache = heap.newCache();
                try {
                    for (int i = 0; i < n && !stop.get(); i++) {
                        long p = cache.alloc(SIZES[i % 4], (i & 1) == 0);
                        if (i % 3 == 0) {
                            cache.free(p);          // folded at the next refill of its span
                        }
                        done.lazySet(i + 1);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    heap.releaseCache(cache);
                }
            }, "owner");
            owner.start();
            long reads = 0, last = 0;
            try {
                while (owner.isAlive() || reads == 0) {
                    long before = done.get();
                    long m = heap.readMemStats().mallocs() - base;
                    long after = done.get();
                    assertTrue(m >= before && m <= after + 2, "read " + reads + ": mallocs " + m
                            + " outside the owner's counts [" + before + ", " + (after + 2) + "]");
                    assertTrue(m >= last - 1, "read " + reads + ": mallocs went down from " + last + " to " + m);
                    last = m;
                    reads++;
                }
            } finally {
                stop.set(true);         // the heap closes after this block: the owner must be gone
                owner.join();
            }
            assertNull(failure.get(), () -> "owner failed: " + failure.get());
            assertEquals(n, heap.readMemStats().mallocs() - base);
            assertTrue(reads > 10, "the reader overlapped the owner: " + reads + " reads");
        }
    }
}
