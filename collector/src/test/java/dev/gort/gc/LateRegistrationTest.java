package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Review (review3): a thread that registers as a mutator while the collector marks gets a fresh
 * mcache from {@code Heap.newCache()}, whose {@code allocBlack} is false (only
 * {@code GcSupport.setAllocBlack}, at sweep termination, sets it on the caches that exist then).
 * Its allocations in this cycle are white; its roots were not scanned (it registered after the
 * stack scan) and root-slot stores have no barrier, so an object it allocates and keeps only in a
 * root slot is never marked: checkmark reports it, and without checkmark the sweep frees it.
 */
class LateRegistrationTest extends ThreadWorldFixture {
    Mutator m;

    @Test
    void anObjectAllocatedByAMutatorRegisteredDuringMarkSurvivesTheCycle() throws Exception {
        ForcedMode.assumeConcurrentMark("registers a mutator at the AFTER_MARK_START breakpoint");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withDebug(false, true, false, 0, 0), 2);
        world = gc.threadWorld();
        m = world.register(4);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);   // marking, world running

        CountDownLatch allocated = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong obj = new AtomicLong();
        AtomicReference<Throwable> fail = new AtomicReference<>();
        Thread late = new Thread(() -> {
            Mutator m2 = world.register(2);
            try {
                long x = gc.alloc(CollectorTest.NODE);
                Mem.putLong(x, CollectorTest.ID, 77);
                m2.roots().set(0, x);                              // held only by this root slot
                obj.set(x);
                allocated.countDown();
                world.runBlocking(world.current(), () -> {          // counts as stopped meanwhile
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertEquals(77, Mem.getLong(m2.roots().get(0), CollectorTest.ID));
            } catch (Throwable t) {
                fail.set(t);
            } finally {
                world.unregister();
            }
        }, "late-mutator");
        late.start();
        assertTrue(allocated.await(60, java.util.concurrent.TimeUnit.SECONDS), "late mutator allocated");
        gc.resume();
        Throwable cycle = null;
        try {
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            gc.sweepAll();
        } catch (Throwable t) {
            cycle = t;
        }
        long x = obj.get();
        boolean alive = cycle == null && heap.gc().findObject(x) != 0;
        release.countDown();
        late.join(60_000);
        if (cycle != null) {
            fail("the cycle failed: " + cycle);
        }
        assertTrue(alive, "object 0x" + Long.toHexString(x) + " held in the late mutator's root slot was freed");
        if (fail.get() != null) {
            throw new AssertionError(fail.get());
        }
    }
}
