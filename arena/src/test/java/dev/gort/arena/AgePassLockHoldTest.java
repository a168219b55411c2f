package dev.gort.arena;

import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The age pass ({@link Heap#scavengeIdle}) walks the free runs in bounded heap-lock holds (scav29
 * measured 1-7 ms in one hold at 50,000 free runs). Deterministic: the clock is injected and {@link
 * MHeap#betweenAgeHolds} runs between two holds on the scavenging thread, where the tests count the
 * runs each hold looked at and allocate and free under the walk's feet.
 */
class AgePassLockHoldTest {
    static final long KiB = 1L << 10;
    static final long OBJECT = 128 * KiB;           // a large span of 16 pages: whole OS pages up to 128 KiB
    static final int RUNS = 3 * MHeap.AGE_STEPS_PER_HOLD + 17;

    final AtomicLong now = new AtomicLong(1_000_000_000L);

    Heap newHeap(long osPage) {
        OsMemory os = osPage == 0 ? PosixOsMemory.get() : new LargePageOsMemory(osPage);
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClock(now::get), os);
    }

    /**
     * 2 * RUNS + 1 objects side by side; the odd ones are freed: RUNS free runs of 16 pages,
     * unreleased (allocated once), between live separators, then the top run (fresh, released).
     */
    static long[] layout(MCache c) {
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
        return objects;
    }

    /**
     * Each hold looks at no more than {@link MHeap#AGE_STEPS_PER_HOLD} runs, the lock is free
     * between holds, and the pass still releases every old run once. Before session 30 the walk
     * looked at all RUNS + 1 free runs in one hold.
     */
    @Test
    void eachHoldLooksAtABoundedNumberOfRuns() {
        try (Heap heap = newHeap(0)) {
            MCache c = heap.newCache();
            long[] objects = layout(c);
            now.addAndGet(TimeUnit.MINUTES.toNanos(10));
            List<Long> perHold = new ArrayList<>();
            heap.mheap.betweenAgeHolds = (runs, resumeAt) -> {
                assertFalse(heap.mheap.lock.isLocked(), "the heap lock is free between holds");
                perHold.add(runs);
            };
            long released = heap.scavengeIdle();
            heap.mheap.betweenAgeHolds = null;
            assertTrue(perHold.size() >= (RUNS + 1) / MHeap.AGE_STEPS_PER_HOLD,
                    "the walk of " + (RUNS + 1) + " free runs dropped the lock " + perHold.size() + " times");
            for (long runs : perHold) {
                assertTrue(runs <= MHeap.AGE_STEPS_PER_HOLD,
                        "a hold looked at " + runs + " free runs; at most " + MHeap.AGE_STEPS_PER_HOLD + " allowed");
            }
            assertEquals(RUNS * OBJECT, released, "every old run released once");
            MemStats st = heap.readMemStats();
            assertEquals(st.heapIdle(), st.heapReleased());
            heap.verifyHeap();
            for (int i = 0; i < objects.length; i += 2) {
                c.free(objects[i]);
            }
            heap.verifyHeap();
        }
    }

    /**
     * Between holds the test frees the live separator where the walk resumes (its free runs on both
     * sides merge into one that starts below the walk's position: young, as it holds a new free),
     * allocates a whole 16-page run and half of another (a split whose rest keeps its age), and
     * checks the heap. The release that follows must book exactly what it returned (HeapReleased
     * grows by the bytes the pass reports: nothing released twice), and a second pass later must
     * leave nothing free unreleased (nothing skipped for good). Before session 30 the walk never
     * let the lock go, so nothing could change under it.
     */
    @ParameterizedTest
    @ValueSource(longs = {0, 64 << 10})
    void allocationsAndFreesBetweenHoldsKeepTheAccountingExact(long osPage) {
        try (Heap heap = newHeap(osPage)) {
            MCache c = heap.newCache();
            long[] objects = layout(c);
            now.addAndGet(TimeUnit.MINUTES.toNanos(10));
            List<Long> taken = new ArrayList<>();
            List<Long> freedSeparators = new ArrayList<>();
            long[] releasedBeforeTheReleases = {-1};
            int[] holds = {0};
            heap.mheap.betweenAgeHolds = (runs, resumeAt) -> {
                holds[0]++;
                for (int i = 0; i < objects.length; i += 2) {
                    if (objects[i] == resumeAt) {
                        c.free(objects[i]);
                        freedSeparators.add(objects[i]);
                        objects[i] = 0;
                    }
                }
                taken.add(c.alloc(OBJECT, true));
                taken.add(c.alloc(OBJECT / 2, true));
                heap.verifyHeap();
                releasedBeforeTheReleases[0] = heap.readMemStats().heapReleased();
            };
            long released = heap.scavengeIdle();
            heap.mheap.betweenAgeHolds = null;
            assertTrue(holds[0] >= 2, "the walk dropped the lock " + holds[0] + " times");
            assertEquals(holds[0], freedSeparators.size(), "each hold ended right below a live separator");
            heap.verifyHeap();
            assertTrue(released > 0);
            assertEquals(releasedBeforeTheReleases[0] + released, heap.readMemStats().heapReleased(),
                    "HeapReleased grew by exactly what the pass released");

            now.addAndGet(TimeUnit.MINUTES.toNanos(10));
            heap.scavengeIdle();
            heap.verifyHeap();
            MemStats st = heap.readMemStats();
            assertEquals(st.heapIdle(), st.heapReleased(), "a second pass releases what the first skipped");

            for (long p : taken) {
                c.free(p);
            }
            for (int i = 0; i < objects.length; i += 2) {
                if (objects[i] != 0) {
                    c.free(objects[i]);
                }
            }
            heap.verifyHeap();
        }
    }
}
