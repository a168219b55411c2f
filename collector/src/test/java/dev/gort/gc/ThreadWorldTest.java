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
    @Test
    void currentIsTheCallersMutatorWithCollidingThreadIds() throws Exception {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
        int n = 300;                                   // > the 256-slot table: some ids share a slot
        CountDownLatch registered = new CountDownLatch(n);
        CountDownLatch halfGone = new CountDownLatch(n / 2);
        CountDownLatch check = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int id = i;
            Thread t = Thread.ofPlatform().name("tw-" + i).unstarted(() -> {
                try {
                    assertNull(world.current(), "not registered yet");
                    Mutator m = world.register(4);
                    assertSame(m, world.current());
                    registered.countDown();
                    registered.await();
                    assertSame(m, world.current(), "all registered");
                    if (id % 2 == 0) {
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
            });
            threads.add(t);
        }
        threads.forEach(Thread::start);
        registered.await();
        assertNull(world.current(), "the test thread is no mutator");
        check.countDown();
        for (Thread t : threads) {
            t.join(30_000);
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
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (world.mutatorCountForTest() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, world.idleProcs(), "three threads on two Ps: none idle, never negative");
        in.countDown();
        for (Thread t : others) {
            t.join(10_000);
        }
        assertEquals(1, world.idleProcs());
        world.unregister();
        assertEquals(2, world.idleProcs());
        heap.close();
        assertNull(failure.get());
    }
}
