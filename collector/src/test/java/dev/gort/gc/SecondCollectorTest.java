package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One live collector at a time (review11 left it: a second Collector on a heap whose first was
 * still open was accepted and silently took over the first's close guard, heap trigger and sweep
 * credit). The write barrier's shader and its enabled flag are one per JVM, so a second live
 * collector breaks the first whatever heap it manages: both are refused with the heap and the
 * live collector named, the refusal changes nothing (the first still collects, triggered by its
 * own heap's growth), and a new collector is accepted once the first has closed.
 */
class SecondCollectorTest {
    static final Type NODE = CollectorTest.NODE;

    private static Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
    }

    @Test
    void aSecondCollectorOnALiveCollectorsHeapIsRefusedAndTheFirstStillCollects() {
        Heap heap = newHeap();
        Collector first = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Collector.forThreads(heap, GcOptions.DEFAULT, 2));
            assertTrue(e.getMessage().startsWith("a second live collector refused: a collector over ThreadWorld on "
                    + heap + " (this same heap) is still live (not closed; created by thread \"" + Thread.currentThread().getName()
                    + "\" at dev.gort.gc.SecondCollectorTest.aSecondCollectorOnALiveCollectorsHeapIsRefusedAndTheFirstStillCollects("),
                    e.getMessage());
            assertTrue(e.getMessage().contains("close that one (Collector.close()) before creating another"), e.getMessage());
            assertEquals("a collector over ThreadWorld", heap.managedBy());

            // The first is untouched: its trigger still starts cycles as its heap grows, and what
            // its mutator holds survives them.
            Mutator m = first.threadWorld().register(1);
            try {
                long keep = first.alloc(NODE);
                Mem.putLong(keep, CollectorTest.ID, 4242);
                m.roots().set(0, keep);
                long cycles = first.cycles();
                for (long bytes = 0; first.cycles() == cycles && bytes < (256L << 20); bytes += NODE.size()) {
                    first.alloc(m, NODE);
                }
                assertTrue(first.cycles() > cycles, "the first collector's heap trigger no longer starts cycles");
                first.gc();
                assertEquals(4242, Mem.getLong(keep, CollectorTest.ID));
            } finally {
                first.threadWorld().unregister();
            }
        } finally {
            first.close();
            heap.close();
        }
    }

    @Test
    void aNewCollectorIsAcceptedOnceTheFirstHasClosed() {
        Heap heap = newHeap();
        Collector first = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        first.close();
        Collector second = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        try {
            second.threadWorld().register(1);
            try {
                second.threadWorld().current().roots().set(0, second.alloc(NODE));
                second.gc();
                assertTrue(second.cycles() >= 1);
            } finally {
                second.threadWorld().unregister();
            }
            first.close();                  // closed already: changes nothing of the second's
            assertFalse(second.closed);
        } finally {
            second.close();
            heap.close();
        }
    }

    @Test
    void aSecondLiveCollectorOnAnotherHeapIsRefusedUntilTheFirstCloses() {
        Heap heapA = newHeap();
        Heap heapB = newHeap();
        Collector first = Collector.forThreads(heapA, GcOptions.DEFAULT, 2);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Collector.forThreads(heapB, GcOptions.DEFAULT, 2));
            assertTrue(e.getMessage().startsWith("a second live collector refused: a collector over ThreadWorld on "
                    + heapA + " is still live (not closed; created by thread \""), e.getMessage());
            assertTrue(e.getMessage().contains("(SecondCollectorTest.java:") && e.getMessage().contains("); the write barrier is one per JVM"),
                    "the refusal names where the live one was made: " + e.getMessage());
            assertNull(heapB.managedBy(), "the refused collector did not claim its heap");
        } finally {
            first.close();
        }
        Collector second = Collector.forThreads(heapB, GcOptions.DEFAULT, 2);
        second.close();
        heapA.close();
        heapB.close();
    }

    /**
     * Two close() calls racing (review12): the one that reached the end second cleared the heap
     * trigger and the JVM's barrier flag after the other had returned, by then under the next
     * collector on that heap, which then never started a cycle from heap growth (and would have
     * marked with the barrier off). Now one call makes the last writes; the other returns after it.
     */
    @Test
    void aCloseRacingAnotherLeavesTheNextCollectorsTriggerAlone() throws Exception {
        Heap heap = newHeap();
        Collector first = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        CountDownLatch racerAtTail = new CountDownLatch(1);
        CountDownLatch releaseRacer = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        first.closeTailHookForTest = () -> {
            if (calls.incrementAndGet() == 1) {         // the racer: held until the next collector runs
                racerAtTail.countDown();
                try {
                    releaseRacer.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Thread racer = new Thread(first::close, "racing-close");
        racer.start();
        assertTrue(racerAtTail.await(60, TimeUnit.SECONDS), "the racing close() reached its end");
        first.close();                                  // the other call, done first
        Collector second = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        try {
            releaseRacer.countDown();
            racer.join(60_000);
            assertFalse(racer.isAlive(), "the racing close() returned");
            second.threadWorld().register(1);
            try {
                long cycles = second.cycles();
                for (long bytes = 0; second.cycles() == cycles && bytes < (256L << 20); bytes += NODE.size()) {
                    second.alloc(NODE);
                }
                assertTrue(second.cycles() > cycles, "the next collector's heap trigger was cleared by the racing close()");
            } finally {
                second.threadWorld().unregister();
            }
        } finally {
            releaseRacer.countDown();
            second.close();
            heap.close();
        }
    }
}
