package dev.gort.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.PosixOsMemory;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * verifyHeap while a scavenger releases pages (review4): the runtime's sysmon releases pages on its
 * own thread (its retain pass runs after every GC cycle even with GORT_SCAVENGE_PERIOD=off), so a
 * verification must not see half a release: it read MemStats before taking the heap lock and
 * walked the runs after, and a release booked between failed it ("MemStats.HeapReleased: the walk
 * counts X but the heap records Y", seen in ProcResizeUnderGortTest at load 14). Many separate free
 * runs are released one by one while another thread verifies over and over.
 */
class VerifyDuringScavengeTest {
    @Test
    void verifyHeapIsConsistentWhileAScavengerReleasesPages() throws Exception {
        int objects = 1500;
        long size = 40 << 10;     // large objects: one span each
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache c = heap.newCache();
            long[] p = new long[objects];
            int verifies = 0;
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < objects; i++) {
                    if (round == 0 || i % 2 == 0) {
                        p[i] = c.alloc(size, true);
                    }
                }
                for (int i = 0; i < objects; i += 2) {
                    c.free(p[i]);            // live odd neighbours keep the free runs apart
                }
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread scavenger = new Thread(() -> heap.scavengeToRetain(0), "scavenger");
                scavenger.start();
                while (scavenger.isAlive() && failure.get() == null) {
                    try {
                        heap.verifyHeap();
                        verifies++;
                    } catch (RuntimeException e) {
                        failure.set(e);
                    }
                }
                scavenger.join();
                if (failure.get() != null) {
                    throw new AssertionError("round " + round + " after " + verifies + " verifications: " + failure.get(), failure.get());
                }
                heap.verifyHeap();
                MemStats st = heap.readMemStats();
                assertTrue(st.heapReleased() >= (objects / 2) * size, "the free runs were released: " + st);
            }
            System.out.println("VerifyDuringScavengeTest: " + verifies + " verifications during releases");
            assertTrue(verifies > 0);
            assertEquals(objects / 2, heap.readMemStats().heapObjects());
        }
    }
}
