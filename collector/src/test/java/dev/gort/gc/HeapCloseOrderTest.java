package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Closing a collected heap out of order fails with a message instead of killing the JVM (session
 * 10's g2 run: a teardown unmapped the heap under a registered thread still allocating: SIGSEGV).
 * {@code Heap.close()} asks the collector first (not closed, or its threads still running) and
 * then refuses while a mutator's mcache is live; every refusal leaves the heap and the collector
 * usable, and the order of the README (unregister, close the collector, then the heap) works. A
 * mutator that allocates after the collector closed is refused (AllocAfterCloseTest) but keeps
 * its mcache until it unregisters, so the heap still refuses to close under it.
 */
class HeapCloseOrderTest {
    static final Type NODE = Type.struct("CNode").pointer("next").longField("v").build();

    /** A registered thread allocating garbage (paced) until told to stop; then it unregisters. */
    static final class Allocator extends Thread {
        final ThreadWorld world;
        final Collector gc;
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch started = new CountDownLatch(1);
        final AtomicLong allocated = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicReference<IllegalStateException> refused = new AtomicReference<>();

        Allocator(Collector gc) {
            super("test-mutator");
            this.gc = gc;
            this.world = gc.threadWorld();
        }

        @Override
        public void run() {
            try {
                world.register(1);
                try {
                    started.countDown();
                    while (!stop.get()) {
                        long p;
                        try {
                            p = gc.alloc(NODE);
                        } catch (IllegalStateException closed) {
                            // The collector closed: refused. Still registered until told to stop,
                            // as an embedder's thread may be when the heap's close comes.
                            refused.set(closed);
                            while (!stop.get()) {
                                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                            }
                            break;
                        }
                        Mem.putLong(p, NODE.offset("v"), 42);
                        if (allocated.incrementAndGet() % 1000 == 0) {
                            // At most ~1 M allocations a second: after gc.close() nothing collects,
                            // and a test thread descheduled for seconds must not see the heap fill.
                            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                        }
                    }
                } finally {
                    world.unregister();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }

        void awaitProgress() {
            long from = allocated.get();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (allocated.get() < from + 10_000 && System.nanoTime() < deadline && failure.get() == null) {
                Thread.onSpinWait();
            }
            assertNull(failure.get());
            assertTrue(allocated.get() >= from + 10_000, "the mutator stopped allocating");
        }
    }

    @Test
    void outOfOrderClosesAreRefusedAndTheReadmeOrderWorks() throws Exception {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(50), 2);
        Allocator a = new Allocator(gc);
        a.start();
        try {
            assertTrue(a.started.await(60, TimeUnit.SECONDS));
            a.awaitProgress();

            IllegalStateException e = assertThrows(IllegalStateException.class, heap::close);
            assertTrue(e.getMessage().startsWith("Heap.close() refused, the heap stays open and usable: ")
                    && e.getMessage().contains("a collector over ThreadWorld, which is not closed")
                    && e.getMessage().contains("close the collector first"), e.getMessage());
            a.awaitProgress();                          // still collected: cycles go on
            long cycles = gc.gcStats().numGC();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (gc.gcStats().numGC() == cycles && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(gc.gcStats().numGC() > cycles, "no cycle ran after the refused close");

            gc.close();
            long deadline2 = System.nanoTime() + 60_000_000_000L;
            while (a.refused.get() == null && a.failure.get() == null && System.nanoTime() < deadline2) {
                Thread.sleep(1);
            }
            assertNotNull(a.refused.get(), "the mutator's allocations after the close were not refused");
            assertTrue(a.refused.get().getMessage().contains("is closed (Collector.close())"), a.refused.get().getMessage());
            e = assertThrows(IllegalStateException.class, heap::close);      // refused, but still registered
            assertTrue(e.getMessage().contains("1 mcache(s) of a collector over ThreadWorld's mutators are live")
                    && e.getMessage().contains("unregister the threads"), e.getMessage());
        } finally {
            a.stop.set(true);
            a.join();
        }
        assertNull(a.failure.get());
        heap.close();                                   // unregistered, collector closed: the close goes through
        assertTrue(heap.isClosed());
    }
}
