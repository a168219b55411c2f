package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Allocation through a closed collector is refused (session 11 left it: a still-registered
 * thread allocated on after {@code Collector.close()} with no cycle ever again, and the heap grew
 * until its reservation ran out). The guarantee: every allocation that starts after close()
 * began is refused, the free slots of spans its mutator already caches included (close sets
 * {@code startPending} for good, so the fast path, which reads it anyway, sends every
 * allocation to the checked path); only an allocation already past that read when close began
 * may finish, at most one per mutator. A refused allocation takes nothing (heapLive unchanged),
 * and objects allocated before stay readable and writable (stores need no cycle) until the heap
 * closes, which it refuses while the thread is still registered.
 */
class AllocAfterCloseTest extends ThreadWorldFixture {
    static final Type NODE = CollectorTest.NODE;
    static final long A = CollectorTest.A;

    @Test
    void everyAllocationEntryIsRefusedAfterCloseEvenFromTheCachedSpan() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator m = world.register(2);
        long a = gc.alloc(NODE);                // its span is now cached with free slots left
        long b = gc.alloc(m, NODE);
        long live = heap.gc().heapLive();

        gc.close();

        for (Executable refused : new Executable[] {
                () -> gc.alloc(NODE),           // the fast path's slot is right there: refused anyway
                () -> gc.alloc(m, NODE),
                () -> gc.allocArray(NODE, 4),
                () -> gc.allocBytes(64)}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, refused);
            assertTrue(e.getMessage().startsWith("allocation on " + Thread.currentThread().getName() + " refused: "
                    + "a collector over ThreadWorld on " + heap + " is closed (Collector.close())"), e.getMessage());
            assertTrue(e.getMessage().contains("unregister the thread (ThreadWorld.unregister)"), e.getMessage());
        }
        assertEquals(live, heap.gc().heapLive(), "a refused allocation takes nothing");

        Mem.storePtr(a, A, b);                  // what it holds stays usable: no cycle needed for a store
        assertEquals(b, Mem.loadPtr(a, A));
        IllegalStateException e = assertThrows(IllegalStateException.class, heap::close);
        assertTrue(e.getMessage().contains("mcache(s) of a collector over ThreadWorld's mutators are live"), e.getMessage());
        world.unregister();
        heap.close();
        assertTrue(heap.isClosed());
        heap = null;
    }

    @Test
    void aCloseRacingAnAllocatorLetsAtMostTheAllocationInFlightThrough() throws Exception {
        for (int round = 0; round < 3; round++) {
            Heap h = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            Collector c = Collector.forThreads(h, GcOptions.DEFAULT, 2);
            AtomicLong allocated = new AtomicLong();
            AtomicReference<Throwable> ended = new AtomicReference<>();
            CountDownLatch running = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                Mutator m = c.threadWorld().register(1);
                try {
                    while (true) {
                        m.roots().set(0, c.alloc(m, NODE));
                        if (allocated.incrementAndGet() == 10_000) {
                            running.countDown();
                        }
                        if (allocated.get() % 1000 == 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(200_000);  // no need to fill the heap
                        }
                    }
                } catch (Throwable x) {
                    ended.set(x);
                } finally {
                    c.threadWorld().unregister();
                }
            }, "test-allocator");
            t.start();
            try {
                assertTrue(running.await(60, TimeUnit.SECONDS), "the allocator got going");
                c.close();
                long atClose = allocated.get();
                t.join(60_000);
                assertFalse(t.isAlive(), "the allocator was never refused after the close");
                assertTrue(ended.get() instanceof IllegalStateException ise && ise.getMessage().contains("is closed (Collector.close())"),
                        "refused with: " + ended.get());
                assertTrue(allocated.get() <= atClose + 1, "round " + round + ": " + (allocated.get() - atClose)
                        + " allocations succeeded after close() returned; at most the one in flight may");
            } finally {
                c.close();
                t.join(60_000);
                h.close();
            }
        }
    }

    @Test
    void aGoroutineAllocatingAfterTheCloseIsRefused() {
        AtomicReference<String> refusal = new AtomicReference<>();
        try (RequestAfterExitTest.Rig rig = RequestAfterExitTest.Rig.create()) {
            Collector c = rig.gc();
            rig.sched().run(() -> {
                c.alloc(NODE);
                c.close();
                refusal.set(assertThrows(IllegalStateException.class, () -> c.alloc(NODE)).getMessage());
            });
        }
        assertTrue(refusal.get().contains("refused: a collector over SchedWorld on ")
                && refusal.get().contains("is closed (Collector.close())")
                && refusal.get().contains("let the goroutines end"), refusal.get());
    }

    /**
     * After the close a thread cannot register either (it could not allocate, and its cache would
     * hold the heap open): refused, naming the closed collector; the heap then closes, and a new
     * collector on a new heap takes the same thread.
     */
    @Test
    void registeringWithAClosedCollectorsWorldIsRefused() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        ThreadWorld closedWorld = gc.threadWorld();
        gc.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> closedWorld.register(1));
        assertTrue(e.getMessage().startsWith(Thread.currentThread().getName() + " cannot register: a collector over ThreadWorld on "
                + heap + " is closed (Collector.close())"), e.getMessage());
        assertTrue(e.getMessage().contains("register with a new collector instead"), e.getMessage());
        assertNull(closedWorld.current(), "nothing registered");
        heap.close();                           // no cache was taken: the heap closes

        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator m = world.register(1);
        assertNotEquals(0, gc.alloc(m, NODE), "the same thread registers and allocates with the new collector");
    }
}
