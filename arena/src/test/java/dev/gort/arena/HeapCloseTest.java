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
