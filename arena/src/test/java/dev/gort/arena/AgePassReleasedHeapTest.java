package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The age pass on a heap whose free pages are mostly released: it looks only at the free runs with
 * a page still to release, and passes the rest by their free and released bits. Before session 32
 * the walk read the descriptor of every free run, released or not (scav31: up to 2 x session 29's
 * cost when every free page was released already).
 */
class AgePassReleasedHeapTest {
    static final long KiB = 1L << 10;
    static final long OBJECT = 128 * KiB;           // a large span of 16 pages
    static final int RUNS = 3 * MHeap.AGE_STEPS_PER_HOLD + 17;
    /** Separators freed after the first release: each joins two released runs around its own resident pages. */
    static final int REFILLED = 10;

    final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void aMostlyReleasedHeapsPassLooksOnlyAtRunsWithPagesToRelease() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClock(now::get), PosixOsMemory.get())) {
            MCache c = heap.newCache();
            // 2 * RUNS + 1 objects side by side; the odd ones freed: RUNS free runs between live separators.
            long[] objects = new long[2 * RUNS + 1];
            for (int i = 0; i < objects.length; i++) {
                objects[i] = c.alloc(OBJECT, true);
                if (i > 0) {
                    assertEquals(objects[i - 1] + OBJECT, objects[i], "the layout this test needs: objects side by side");
                }
            }
            for (int i = 1; i < objects.length; i += 2) {
                c.free(objects[i]);
            }
            now.addAndGet(TimeUnit.MINUTES.toNanos(10));
            assertEquals(RUNS * OBJECT, heap.scavengeIdle(), "the first pass releases every old run");
            assertTrue(heap.mheap.lastAgeWalkRunsLookedAt >= RUNS, "the first pass looked at each run with pages to release: "
                    + heap.mheap.lastAgeWalkRunsLookedAt);

            // Free REFILLED separators spread over the arena: each makes one run of 48 pages whose
            // middle 16 are resident and young, and whose first 16 are released (the walk meets it
            // in its middle and must find its start).
            long refilledBytes = 0;
            for (int k = 0; k < REFILLED; k++) {
                int i = 2 + 2 * (k * (RUNS - 2) / REFILLED);
                c.free(objects[i]);
                objects[i] = 0;
                refilledBytes += OBJECT;
            }
            heap.verifyHeap();
            MemStats before = heap.readMemStats();
            assertEquals(refilledBytes, before.heapIdle() - before.heapReleased(), "the freed separators' pages are the only resident free ones");

            assertEquals(0, heap.scavengeIdle(), "young runs are not released");
            assertEquals(REFILLED, heap.mheap.lastAgeWalkRunsLookedAt,
                    "a pass over " + (RUNS - REFILLED + 1) + " released free runs and " + REFILLED
                            + " with resident pages looked at the descriptors of only those with resident pages");

            now.addAndGet(TimeUnit.MINUTES.toNanos(10));
            assertEquals(refilledBytes, heap.scavengeIdle(), "the old runs' resident pages, released once");
            assertEquals(REFILLED, heap.mheap.lastAgeWalkRunsLookedAt);
            MemStats after = heap.readMemStats();
            assertEquals(after.heapIdle(), after.heapReleased(), "no free page left resident");
            assertEquals(0, heap.scavengeIdle(), "nothing left to release");
            assertEquals(0, heap.mheap.lastAgeWalkRunsLookedAt, "a heap released whole: no descriptor read");
            heap.verifyHeap();
            for (int i = 0; i < objects.length; i += 2) {
                if (objects[i] != 0) {
                    c.free(objects[i]);
                }
            }
            heap.verifyHeap();
        }
    }
}
