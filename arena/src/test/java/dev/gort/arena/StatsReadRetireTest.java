package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Heap#readMemStats} sums the caches with no lock held (session 32): a cache retired while a
 * read is in its sum (its counters folded into the retired ones, the cache dropped from the set)
 * must be counted once, not twice nor never; and the retire, which takes the caches lock as the
 * stopped world's steps do, does not wait for the reader.
 */
@Timeout(180)
class StatsReadRetireTest {
    private Heap heap;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        release.countDown();
        Heap.setStatsReadHookForTest(null);
        if (heap != null) {
            heap.close();
        }
    }

    @Test
    void aCacheRetiredDuringAHeldReadIsCountedOnce() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        MCache kept = heap.newCache();
        MCache retired = heap.newCache();
        for (int i = 0; i < 100; i++) {
            kept.alloc(64, true);
        }
        for (int i = 0; i < 37; i++) {
            retired.alloc(64, true);
        }
        long expected = heap.readMemStats().mallocs();
        assertEquals(137, expected, "mallocs before the retire");

        CountDownLatch held = new CountDownLatch(1);
        Thread[] readerThread = new Thread[1];
        Heap.setStatsReadHookForTest(() -> {
            if (Thread.currentThread() == readerThread[0] && held.getCount() > 0) {
                held.countDown();       // after the first cache of its first sum
                try {
                    release.await(150, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        AtomicReference<MemStats> read = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().name("stats-reader").unstarted(() -> read.set(heap.readMemStats()));
        readerThread[0] = reader;
        reader.start();
        assertTrue(held.await(60, TimeUnit.SECONDS), "the reader reached its hold");

        Thread retirer = Thread.ofPlatform().name("retirer").start(() -> heap.releaseCache(retired));
        retirer.join(60_000);
        assertFalse(retirer.isAlive(), "the retire did not wait for the held reader");
        assertTrue(reader.isAlive(), "the reader is still held");

        release.countDown();
        reader.join(60_000);
        assertFalse(reader.isAlive());
        assertEquals(expected, read.get().mallocs(), "the retired cache's mallocs counted once");
        assertEquals(expected, heap.readMemStats().mallocs(), "and after");
    }
}
