package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MCache's slow-path step (the diagnostic a stop-the-world prints for a mutator "in the
 * allocator"): a refill blocked on its mcentral's lock says so while it waits, and the step is
 * back to none once the allocation returned.
 */
class SlowStepTest {
    @Test
    void aRefillWaitingForItsMcentralLockSaysSo() throws Exception {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        try {
            MCache cache = heap.newCache();
            int spc = SizeClasses.spanClass(SizeClasses.sizeToClass(64), true);
            long[] got = new long[1];
            Thread t;
            synchronized (heap.central(spc)) {
                t = Thread.ofPlatform().start(() -> got[0] = cache.alloc(64, true));   // first alloc: a refill
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (cache.slowStep() != MCache.STEP_LOCK_WAIT && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertEquals(MCache.STEP_LOCK_WAIT, cache.slowStep(), "the refill waits for the lock this test holds");
                assertEquals("waiting for an mcentral lock", MCache.stepName(cache.slowStep()));
                assertTrue(t.isAlive());
            }
            t.join();
            assertTrue(got[0] != 0);
            assertEquals(MCache.STEP_NONE, cache.slowStep(), "no step once the allocation returned");
            assertEquals("", MCache.stepName(MCache.STEP_NONE));
            assertEquals("?", MCache.stepName(99));
        } finally {
            heap.close();
        }
    }
}
