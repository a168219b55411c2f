package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ThreadWorld.current()'s fast path (a table by thread id, checked against the owner) against its
 * ThreadLocal fallback: more registered threads than table slots, so ids collide, and every
 * thread must still get its own mutator, before and after others unregister.
 */
class ThreadWorldTest {
    /**
     * Threads whose ids share a table slot (id mod {@link BarrierFilter#THREADS}), and some that do
     * not. Of 300 threads made (ids are given at construction), only those in a shared slot and 16
     * others start: 300 started threads convoyed on the world's lock for 31 s at load ~45
     * (session 13), with the same collisions.
     */
    @Test
    void currentIsTheCallersMutatorWithCollidingThreadIds() throws Exception {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
        int candidates = 300;                          // > the 256-slot table: some ids share a slot
        int[] role = new int[candidates];              // index among the started threads (set before start)
        CountDownLatch[] latches = new CountDownLatch[3];  // registered, halfGone, check (set before start)
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> made = new ArrayList<>();
        for (int i = 0; i < candidates; i++) {
            final int c = i;
            made.add(Thread.ofPlatform().name("tw-" + i).unstarted(() -> {
                CountDownLatch registered = latches[0], halfGone = latches[1], check = latches[2];
                try {
                    assertNull(world.current(), "not registered yet");
                    Mutator m = world.register(4);
                    assertSame(m, world.current());
                    registered.countDown();
                    registered.await();
                    assertSame(m, world.current(), "all registered");
                    if (role[c] % 2 == 0) {
                        world.unregister();
                        assertNull(world.current(), "unregistered");
                        halfGone.countDown();
                        return;
                    }
                    halfGone.await();
                    check.await();
                    assertSame(m, world.current(), "after half unregistered");
                    world.unregister();
                    assertNull(world.current());
                    Mutator again = world.register(4);
                    assertNotSame(m, again);
                    assertSame(again, world.current(), "registered again");
                    world.unregister();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    registered.countDown();
                    halfGone.countDown();
                }
            }));
        }
        java.util.Map<Long, Integer> perSlot = new java.util.HashMap<>();
        for (Thread t : made) {
            perSlot.merge(t.threadId() & (BarrierFilter.THREADS - 1), 1, Integer::sum);
        }
        List<Thread> threads = new ArrayList<>();
        int colliding = 0, others = 0;
        for (int i = 0; i < candidates; i++) {
            boolean shared = perSlot.get(made.get(i).threadId() & (BarrierFilter.THREADS - 1)) > 1;
            if (shared || others++ < 16) {
                colliding += shared ? 1 : 0;
                role[i] = threads.size();
                threads.add(made.get(i));
            }
        }
        assertTrue(colliding >= 2, "threads sharing a table slot: " + colliding);
        int n = threads.size();
        latches[0] = new CountDownLatch(n);
        latches[1] = new CountDownLatch((n + 1) / 2);
        latches[2] = new CountDownLatch(1);
        threads.forEach(Thread::start);
        latches[0].await();
        assertNull(world.current(), "the test thread is no mutator");
        latches[2].countDown();
        for (Thread t : threads) {
            t.join(60_000);
            assertFalse(t.isAlive(), t.getName() + " did not finish");
        }
        heap.close();
        assertNull(failure.get(), () -> "failure: " + failure.get());
    }

    /** Idle Ps (where the collector runs idle mark workers) are GOMAXPROCS minus the registered threads. */
    @Test
    void idleProcsCountsRegisteredThreads() throws Exception {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
        assertEquals(2, world.idleProcs());
        world.register(4);
        assertEquals(1, world.idleProcs());
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch out = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] others = new Thread[2];
        for (int i = 0; i < others.length; i++) {
            others[i] = Thread.ofPlatform().start(() -> {
                try {
                    world.register(4);
                    in.await();
                    world.unregister();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (world.mutatorCountForTest() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, world.idleProcs(), "three threads on two Ps: none idle, never negative");
        in.countDown();
        for (Thread t : others) {
            t.join(60_000);
        }
        assertEquals(1, world.idleProcs());
        world.unregister();
        assertEquals(2, world.idleProcs());
        heap.close();
        assertNull(failure.get());
    }
}
