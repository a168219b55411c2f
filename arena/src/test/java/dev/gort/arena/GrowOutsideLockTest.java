package dev.gort.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.Advice;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A growth of the arena does not hold the mheap lock across its commit: while one thread's large
 * allocation is inside the commit of new arena chunks (held there by the test), another thread
 * gets a span from the free run it already had. Before, the commit ran under the mheap lock and
 * every span allocation and free waited for it (in the 1 GiB pause benchmark a goroutine sat in
 * MHeap.allocSpan 11 ms, and with it a stop-the-world).
 */
@Timeout(180)
class GrowOutsideLockTest {
    static final long CHUNK = 4L << 20;

    /** The real kernel; a commit of whole arena chunks waits at {@code release} once armed. */
    static final class HeldCommits implements OsMemory {
        final OsMemory real = PosixOsMemory.get();
        volatile long arenaBase = -1;
        volatile boolean armed;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void commit(long address, long bytes) {
            long base = arenaBase;
            if (armed && base >= 0 && address >= base && bytes >= CHUNK) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            real.commit(address, bytes);
        }

        @Override
        public long pageSize() {
            return real.pageSize();
        }

        @Override
        public long reserve(long bytes) {
            return real.reserve(bytes);
        }

        @Override
        public boolean release(long address, long bytes, Advice advice) {
            return real.release(address, bytes, advice);
        }

        @Override
        public void remap(long address, long bytes) {
            real.remap(address, bytes);
        }

        @Override
        public void decommit(long address, long bytes) {
            real.decommit(address, bytes);
        }

        /** Once armed: a growth's MADV_HUGEPAGE waits here, after its commit moved arenaCommitted, before its run is added. */
        volatile boolean holdHugePages;

        @Override
        public void hugePages(long address, long bytes, boolean enable) {
            long base = arenaBase;
            if (holdHugePages && base >= 0 && address >= base && bytes >= CHUNK) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            real.hugePages(address, bytes, enable);
        }

        /** unmap calls so far (the reservation's trims, a close's). */
        final java.util.concurrent.atomic.AtomicInteger unmaps = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void unmap(long address, long bytes) {
            unmaps.incrementAndGet();
            real.unmap(address, bytes);
        }

        @Override
        public long residentPages(long address, long bytes) {
            return real.residentPages(address, bytes);
        }
    }

    @Test
    void aSpanFromTheFreeRunsIsNotHeldUpByAGrowthsCommit() throws Exception {
        HeldCommits os = new HeldCommits();
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withHeapArenaBytes(CHUNK), os)) {
            os.arenaBase = heap.arenaBase();
            MCache first = heap.newCache();
            assertNotEquals(0, first.alloc(64, false));        // commits the first chunk; most of it stays free
            long committed = heap.arenaCommittedBytes();
            os.armed = true;

            AtomicLong large = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread grower = new Thread(() -> {
                try {
                    MCache c = heap.newCache();
                    large.set(c.alloc(2 * CHUNK, true));      // no free run fits: grows, held in the commit
                    heap.releaseCache(c);
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "grower");
            grower.start();
            assertTrue(os.entered.await(60, TimeUnit.SECONDS), "the large allocation did not reach the arena commit");

            CountDownLatch small = new CountDownLatch(1);
            AtomicLong smallAt = new AtomicLong();
            Thread other = new Thread(() -> {
                try {
                    MCache c = heap.newCache();
                    smallAt.set(c.alloc(1024, false));     // a fresh span of another class, from the first chunk's free run
                    heap.releaseCache(c);
                } catch (Throwable t) {
                    failure.set(t);
                }
                small.countDown();
            }, "other");
            other.start();
            boolean done = small.await(60, TimeUnit.SECONDS);      // the grower stays held until released below
            os.release.countDown();
            grower.join(60_000);
            other.join(60_000);
            assertTrue(done, "a span allocation waited for another thread's arena commit (the mheap lock held across it)");
            assertEquals(null, failure.get());
            assertTrue(smallAt.get() >= heap.arenaBase() && smallAt.get() < heap.arenaBase() + committed,
                    "the small object came from the chunk committed before the growth");
            assertNotEquals(0, large.get());
            assertTrue(heap.arenaCommittedBytes() >= committed + 2 * CHUNK, "committed " + heap.arenaCommittedBytes());
            heap.releaseCache(first);
            heap.verifyHeap();
        }
    }

    /**
     * Heap.freeRuns walks the arena to its committed end: a growth outside the mheap lock has
     * moved that end before its pages became a run, so the walk must wait for it as verifyHeap
     * does (growLock). Without, it threw "page ... does not start a run" (review13).
     */
    @Test
    void freeRunsWaitsForAGrowthHalfDone() throws Exception {
        HeldCommits os = new HeldCommits();
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withHeapArenaBytes(CHUNK)
                .withHugePages(true), os)) {
            os.arenaBase = heap.arenaBase();
            MCache first = heap.newCache();
            assertNotEquals(0, first.alloc(64, false));
            long committed = heap.arenaCommittedBytes();
            os.holdHugePages = true;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread grower = new Thread(() -> {
                try {
                    MCache c = heap.newCache();
                    c.alloc(2 * CHUNK, true);                   // grows; held after the commit, before the run is added
                    heap.releaseCache(c);
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "grower");
            grower.start();
            assertTrue(os.entered.await(60, TimeUnit.SECONDS), "the large allocation did not reach the growth's hugePages");
            assertTrue(heap.arenaCommittedBytes() > committed, "precondition: the committed end moved before the run exists");
            AtomicReference<java.util.List<long[]>> runs = new AtomicReference<>();
            Thread walker = new Thread(() -> {
                try {
                    runs.set(heap.freeRuns());
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "walker");
            walker.start();
            walker.join(300);                                   // a walk that does not wait fails at once
            os.release.countDown();
            grower.join(60_000);
            walker.join(60_000);
            assertEquals(null, failure.get());
            assertTrue(runs.get() != null && !runs.get().isEmpty(), "the walk returned the free runs");
            heap.releaseCache(first);
            heap.verifyHeap();
        }
    }

    /**
     * Heap.close against a growth between its commit and its run (growLock held, the mheap lock
     * not): the close waits for the growth, then unmaps, and a growth after it is refused with
     * "heap is closed" instead of reading the unmapped free lists or committing into a
     * reservation that is no longer the heap's. Before, close took only the mheap lock and
     * unmapped under the held growth (review13's note), whose run was then written into unmapped
     * metadata; the test then fails without releasing it (the grower stays parked, a daemon).
     */
    @Test
    void aCloseWaitsForAGrowthHalfDone() throws Exception {
        HeldCommits os = new HeldCommits();
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withHeapArenaBytes(CHUNK)
                .withHugePages(true), os);
        os.arenaBase = heap.arenaBase();
        MCache first = heap.newCache();
        assertNotEquals(0, first.alloc(64, false));
        heap.releaseCache(first);
        long npages = 2 * CHUNK / SizeClasses.PAGE_SIZE;
        os.holdHugePages = true;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread grower = new Thread(() -> {
            try {
                heap.mheap.ensureFit(npages);                   // held after the commit, before the run is added
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "grower");
        grower.setDaemon(true);
        grower.start();
        assertTrue(os.entered.await(60, TimeUnit.SECONDS), "the growth did not reach its hugePages advice");
        int unmapsBefore = os.unmaps.get();                     // the reservation's own trims
        Thread closer = new Thread(() -> {
            try {
                heap.close();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "closer");
        closer.setDaemon(true);
        closer.start();
        closer.join(300);                                       // a close that does not wait unmaps at once
        int unmapsMeanwhile = os.unmaps.get() - unmapsBefore;
        assertEquals(0, unmapsMeanwhile, "close unmapped the heap while a growth was between its commit and its run");
        assertTrue(closer.isAlive(), "close waits for the growth");
        os.release.countDown();
        grower.join(60_000);
        closer.join(60_000);
        assertFalse(grower.isAlive() || closer.isAlive(), "growth and close ended");
        assertEquals(null, failure.get());
        assertTrue(heap.isClosed());
        assertTrue(os.unmaps.get() > unmapsBefore, "the close unmapped once the growth was done");
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> heap.mheap.ensureFit(npages));
        assertEquals("heap is closed", refused.getMessage());
    }
}
