package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two drainers of one set-aside table ({@link MCache#drainStale}): the first has claimed the
 * table's last span and is still sweeping it when the second looks. The second finds nothing to
 * claim while {@code staleCaches} is still 1, and {@link Heap#drainOneStaleCache} returns 0 from
 * the end of its walk: the interleaving behind the C2 traps sessions 16-17 saw there (bci 28, and
 * bci 57 for drainStale's 0). It is a real race and an expected answer, not an error: 0 means
 * "nothing left to claim", never "swept", and every caller that needs the sweep finished waits
 * on {@code staleCaches} (retired only after the last span is back in its mcentral). Held
 * deterministically with the stall hook between a claim and the span's return.
 */
@Timeout(180)
class StaleDrainRaceTest {
    private Heap heap;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        release.countDown();
        if (heap != null) {
            heap.gc().setStallHookForTest(null);
            heap.close();
        }
    }

    @Test
    void aSecondDrainerFindsNothingToClaimButTheSweepIsNotDoneUntilTheFirstReturnsTheSpan() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        GcSupport gc = heap.gc();
        MCache c = heap.newCache();
        List<long[]> live = new ArrayList<>();
        List<Long> dead = new ArrayList<>();
        for (int i = 0; i < 20; i++) {      // one span of the 64-byte class, cached by c
            long p = c.alloc(64, true);
            NativeMemory.putLong(p, 1000 + i);
            if (i % 2 == 0) {
                assertTrue(gc.tryMark(p));
                live.add(new long[] {p, 1000 + i});
            } else {
                dead.add(p);
            }
        }
        gc.startSweepCycleDetached();
        assertTrue(c.hasStale(), "the cached span was set aside");
        assertEquals(1, heap.staleCaches.get());

        CountDownLatch claimed = new CountDownLatch(1);
        AtomicReference<Thread> holder = new AtomicReference<>();
        gc.setStallHookForTest((point, spanClass) -> {
            if (point == GcSupport.STALL_DRAIN_CLAIMED && holder.compareAndSet(null, Thread.currentThread())) {
                claimed.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        AtomicLong firstGot = new AtomicLong(-1);
        Thread drainer = Thread.ofPlatform().name("first-drainer").start(() -> firstGot.set(heap.drainOneStaleCache()));
        assertTrue(claimed.await(60, TimeUnit.SECONDS), "the first drainer claimed the span");
        assertSame(drainer, holder.get());

        // The second drainer (this thread): the table's only span is claimed, not yet returned.
        assertEquals(0, heap.drainOneStaleCache(), "nothing left to claim");
        assertEquals(0, c.drainStale(1), "nothing left to claim in the table");
        assertTrue(c.hasStale(), "the table is not retired while its last span is being swept");
        assertEquals(1, heap.staleCaches.get(), "nor counted out");
        assertEquals(0, gc.sweepOne(), "sweepOne has nothing to claim either");
        assertFalse(gc.sweepDone(), "nothing to claim is not swept: a claimed span is still being swept");
        Thread awaiter = Thread.ofPlatform().name("awaiter").start(gc::awaitSweepsInFlight);
        awaiter.join(300);
        assertTrue(awaiter.isAlive(), "awaitSweepsInFlight waits for the claimed span (its loop meets the same race)");

        release.countDown();
        drainer.join(60_000);
        assertFalse(drainer.isAlive());
        assertTrue(firstGot.get() > 0, "the first drainer returned the span's pages: " + firstGot.get());
        awaiter.join(60_000);
        assertFalse(awaiter.isAlive(), "the wait ends once the span is back in its mcentral");
        assertFalse(c.hasStale());
        assertEquals(0, heap.staleCaches.get());
        assertTrue(gc.sweepDone());
        for (long[] ob : live) {
            assertEquals(ob[0], gc.findObject(ob[0]), "a marked object survives");
            assertEquals(ob[1], NativeMemory.getLong(ob[0]), "with its contents");
        }
        for (long p : dead) {
            assertEquals(0, gc.findObject(p), "an unmarked object is freed, once");
        }
        assertEquals(live.size(), heap.readMemStats().heapObjects());
        heap.verifyHeap();
        c.alloc(64, true);                  // the owner goes on with a fresh table
        assertEquals(live.size() + 1L, heap.readMemStats().heapObjects());
    }
}
