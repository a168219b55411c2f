package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TESTING.md A2 (mimalloc's test-stress): rounds of threads that take {@link Heap#threadCache()},
 * allocate mixed sizes (8 B to 64 KiB) filled with a cookie derived from address and size, free
 * three quarters themselves, hand the rest to a shared queue for whichever thread comes next
 * (cross-thread frees, also after the allocating thread has died), and end without releasing
 * their cache. The heap must release the dead threads' caches itself: afterwards no cache is left,
 * every cookie was intact when freed, and once everything is freed the heap holds zero live
 * bytes and no span in use. CI scale: 4 threads x 25 rounds; {@code -Dgort.churn.rounds=N}
 * runs longer.
 */
class ThreadChurnTest {
    static final int THREADS = 4;
    static final int ROUNDS = Integer.getInteger("gort.churn.rounds", 25);
    static final int ALLOCS_PER_THREAD = 2_000;

    record Obj(long addr, long size) {
    }

    static long cookie(long addr, long size) {
        return (addr * 0x9E37_79B9_7F4A_7C15L) ^ size;
    }

    static void fill(Obj o) {
        long c = cookie(o.addr, o.size);
        for (long off = 0; off + 8 <= o.size; off += 8) {
            NativeMemory.putLong(o.addr + off, c + off);
        }
    }

    static void check(Obj o) {
        long c = cookie(o.addr, o.size);
        for (long off = 0; off + 8 <= o.size; off += 8) {
            long v = NativeMemory.getLong(o.addr + off);
            if (v != c + off) {
                throw new AssertionError("cookie of object 0x" + Long.toHexString(o.addr) + " (" + o.size
                        + " B) broken at +" + off + ": 0x" + Long.toHexString(v));
            }
        }
    }

    static long randomSize(SplittableRandom r) {
        int k = r.nextInt(100);
        if (k < 60) {
            return 8 + r.nextInt(248); // tiny and small
        } else if (k < 95) {
            return 256 + r.nextInt(4096 - 256);
        } else if (k < 99) {
            return 4096 + r.nextInt(SizeClasses.MAX_SMALL_SIZE - 4096);
        }
        return SizeClasses.MAX_SMALL_SIZE + 1 + r.nextInt(32 << 10); // large
    }

    @Test
    void threadsThatAllocateAndDieLeaveNoCachesAndNoLeak() throws Exception {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(2L << 30), PosixOsMemory.get())) {
            ConcurrentLinkedQueue<Obj> handOff = new ConcurrentLinkedQueue<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong crossFrees = new AtomicLong();
            AtomicLong allocs = new AtomicLong();
            int maxCaches = 0;
            for (int round = 0; round < ROUNDS && failure.get() == null; round++) {
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long seed = round * 1_000L + t;
                    threads.add(Thread.ofPlatform().name("churn-" + round + "-" + t).start(() -> {
                        try {
                            MCache cache = heap.threadCache();
                            assertSame(cache, heap.threadCache(), "one cache per thread");
                            SplittableRandom r = new SplittableRandom(seed);
                            List<Obj> mine = new ArrayList<>();
                            for (int i = 0; i < ALLOCS_PER_THREAD; i++) {
                                long size = randomSize(r);
                                Obj o = new Obj(cache.alloc(size, true), size);
                                fill(o);
                                mine.add(o);
                                allocs.incrementAndGet();
                                if (r.nextInt(4) == 0) {
                                    Obj other = handOff.poll();
                                    if (other != null) {
                                        check(other);
                                        cache.free(other.addr);
                                        crossFrees.incrementAndGet();
                                    }
                                }
                            }
                            for (Obj o : mine) {
                                if (r.nextInt(4) == 0) {
                                    handOff.add(o);
                                } else {
                                    check(o);
                                    cache.free(o.addr);
                                }
                            }
                            // No releaseCache: the thread just ends.
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                for (Thread th : threads) {
                    th.join();
                }
                maxCaches = Math.max(maxCaches, heap.cacheCount());
                if (round % 5 == 0) {
                    heap.verifyHeap();
                }
            }
            if (failure.get() != null) {
                throw new AssertionError("churn failed", failure.get());
            }
            // Caches of dead threads are released when later threads take theirs: never more than
            // one round's worth (plus the round before) is alive at once.
            assertTrue(maxCaches <= 2 * THREADS, "caches alive after a round: " + maxCaches);
            Thread last = Thread.ofPlatform().start(() -> {
                MCache cache = heap.threadCache();
                for (Obj o; (o = handOff.poll()) != null; ) {
                    check(o);
                    cache.free(o.addr);
                    crossFrees.incrementAndGet();
                }
            });
            last.join();
            assertTrue(crossFrees.get() > 0, "no cross-thread frees happened");
            heap.freeOSMemory(); // releases the dead threads' caches, folds, returns empty spans
            assertEquals(0, heap.cacheCount(), "caches of terminated threads left behind");
            heap.verifyHeap();
            MemStats st = heap.readMemStats();
            assertEquals(allocs.get(), st.mallocs(), "every allocation counted, also by retired caches");
            assertEquals(st.mallocs(), st.frees());
            assertEquals(0, st.heapAlloc(), "live bytes after freeing everything");
            assertEquals(0, st.heapInuse(), "spans in use after freeing everything");
            assertEquals(0, st.heapLive());
        }
    }

    @Test
    void aReleasedThreadCacheIsReplacedAndTheHeapReleasesOnlyDeadOwners() throws Exception {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache mine = heap.threadCache();
            long p = mine.alloc(64, true);
            heap.releaseCache(mine);
            MCache again = heap.threadCache();
            assertTrue(again != mine, "a released thread cache is replaced, not reused");
            again.free(p);
            Thread t = Thread.ofPlatform().start(() -> heap.threadCache().alloc(32, true));
            t.join();
            assertEquals(1, heap.releaseDeadThreadCaches(), "the dead thread's cache");
            assertEquals(0, heap.releaseDeadThreadCaches(), "this (live) thread's cache stays");
            assertEquals(1, heap.cacheCount());
            heap.verifyHeap();
        }
    }
}
