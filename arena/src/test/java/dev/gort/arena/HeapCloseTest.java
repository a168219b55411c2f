package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Heap#close()} under something that may still allocate refuses with a message naming it,
 * and the heap stays open and usable (session 10's g2 run: a test's teardown unmapped the heap
 * under a thread still allocating, and the JVM died of SIGSEGV). A normal close order still works.
 */
class HeapCloseTest {
    static Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
    }

    /** A thread allocating from its own thread cache until told to stop. */
    static final class Allocator extends Thread {
        final Heap heap;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean release = new AtomicBoolean();
        final CountDownLatch started = new CountDownLatch(1);
        final AtomicLong allocated = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Allocator(Heap heap) {
            super("test-allocator");
            this.heap = heap;
        }

        @Override
        public void run() {
            try {
                MCache c = heap.threadCache();
                started.countDown();
                while (!stop.get()) {
                    long p = c.alloc(64, true);
                    Mem.putLong(p, 42);
                    c.free(p);
                    allocated.incrementAndGet();
                }
                if (release.get()) {
                    heap.releaseCache(c);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }
    }

    @Test
    void aManualHeapRefusesToCloseUnderAThreadStillAllocatingAndStaysUsable() throws Exception {
        Heap heap = newHeap();
        Allocator a = new Allocator(heap);
        a.start();
        try {
            assertTrue(a.started.await(60, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, heap::close);
            assertTrue(e.getMessage().startsWith("Heap.close() refused, the heap stays open and usable: 1 thread cache(s)")
                    && e.getMessage().contains("[test-allocator]") && e.getMessage().contains("release each on its thread"),
                    e.getMessage());
            assertFalse(heap.isClosed());
            long before = a.allocated.get();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (a.allocated.get() < before + 1000 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(a.allocated.get() >= before + 1000, "the allocator goes on after the refused close");
            long p = heap.threadCache().alloc(128, true);       // and so does this thread
            Mem.putLong(p, 7);
            assertEquals(7, Mem.getLong(p));
            heap.threadCache().free(p);
            heap.freeOSMemory();
        } finally {
            a.stop.set(true);
            a.join();
        }
        assertNull(a.failure.get());
        heap.close();                   // the allocator ended: its cache is released, the close goes through
        assertTrue(heap.isClosed());
    }

    /**
     * A release in flight (a scavenger thread between its carve and its madvise, the mheap lock
     * dropped, scavengeLock held) holds the unmapping off: unmapped under it, the madvise (or its
     * MAP_FIXED fallback) would hit whatever was mapped there next, and booking the release would
     * write into unmapped metadata (SIGSEGV). Afterwards a retain pass is refused by name.
     */
    @Test
    void theCloseWaitsForAReleaseInFlightAndLaterReleasesAreRefused() throws Exception {
        Heap heap = newHeap();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        Thread scavenger = new Thread(() -> {
            synchronized (heap.mheap.scavengeLock) {
                held.countDown();
                try {
                    letGo.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "test-release-in-flight");
        scavenger.start();
        assertTrue(held.await(60, TimeUnit.SECONDS));
        Thread closer = new Thread(heap::close, "test-closer");
        closer.start();
        closer.join(300);               // long enough for an unguarded close to unmap; a slow start only makes this vacuous
        assertFalse(heap.space.isClosed(), "the address space was unmapped under a release in flight");
        letGo.countDown();
        scavenger.join(60_000);
        closer.join(60_000);
        assertFalse(closer.isAlive(), "the close ends once the release is done");
        assertTrue(heap.space.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> heap.scavengeToRetain(0, 64 << 10));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aThreadThatReleasedItsCacheDoesNotHoldTheCloseOff() throws Exception {
        Heap heap = newHeap();
        Allocator a = new Allocator(heap);
        a.release.set(true);
        a.start();
        assertTrue(a.started.await(60, TimeUnit.SECONDS));
        a.stop.set(true);
        CountDownLatch hold = new CountDownLatch(1);
        Thread alive = new Thread(() -> {           // alive, its cache released: nothing of it can allocate
            try {
                a.join();
                hold.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        alive.start();
        a.join();
        assertNull(a.failure.get());
        heap.threadCache().alloc(32, true);          // the closing thread's own cache never holds it off
        heap.close();
        assertTrue(heap.isClosed());
        hold.countDown();
        alive.join();
    }

    @Test
    void aCacheFromNewCacheIsTheCallersAndRefusedAfterTheClose() {
        Heap heap = newHeap();
        MCache c = heap.newCache();
        c.alloc(48, true);
        heap.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.alloc(48, true));
        assertEquals("heap is closed", e.getMessage());
        assertThrows(IllegalStateException.class, heap::newCache);
        assertThrows(IllegalStateException.class, heap::threadCache);
        heap.close();                   // a second close is a no-op
    }

    @Test
    void aManagedHeapClosesOnlyWhenItsCollectorSaysSoAndNoMutatorCacheIsLive() {
        Heap heap = newHeap();
        AtomicReference<String> collectorSays = new AtomicReference<>("the collector is not closed");
        heap.gc().claimForCollector("a test collector", collectorSays::get);
        MCache mutatorCache = heap.newCache();
        long p = mutatorCache.alloc(64, true);

        IllegalStateException e = assertThrows(IllegalStateException.class, heap::close);
        assertEquals("Heap.close() refused, the heap stays open and usable: the collector is not closed", e.getMessage());
        collectorSays.set(null);
        e = assertThrows(IllegalStateException.class, heap::close);
        assertTrue(e.getMessage().contains("1 mcache(s) of a test collector's mutators are live")
                && e.getMessage().contains("close the collector, then the heap"), e.getMessage());

        // Refused twice, still fully usable: allocation, free, verification.
        long q = mutatorCache.alloc(64, true);
        assertNotEquals(0, heap.gc().findObject(p));
        assertNotEquals(0, heap.gc().findObject(q));
        mutatorCache.free(q);
        heap.releaseCache(mutatorCache);
        heap.verifyHeap();
        heap.close();
        assertTrue(heap.isClosed());
    }
}
