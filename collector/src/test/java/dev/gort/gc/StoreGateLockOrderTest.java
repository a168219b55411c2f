package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The store gate must never be held while the coordinator waits for the world to stop (session 10,
 * branch review10). A plain thread closing a handle (an unstoppable caller: it takes the gate)
 * inside an application lock that a mutator also takes: the mutator, blocked on that lock, is not
 * at a safepoint, so the stop waits for it; the mutator waits for the closing thread's lock; the
 * closing thread waits for the gate. With the gate taken before the stop (as branch hidden did)
 * this was a permanent deadlock of the collector and every mutator; without the gate the close
 * took microseconds and the stop completed once the lock was let go. Deterministic: the mutator is
 * seen BLOCKED on the lock and the stop seen requested before the close starts.
 */
class StoreGateLockOrderTest extends ThreadWorldFixture {
    static final Type NODE = CollectorTest.NODE;

    @Test
    void aPlainThreadClosingAHandleUnderALockAMutatorWaitsForDoesNotDeadlockTheStop() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(-1), 2);
        world = gc.threadWorld();
        world.register(1);
        Global g = gc.newGlobal();
        long obj = gc.alloc(NODE);
        g.set(obj);
        world.unregister();

        Object appLock = new Object();
        CountDownLatch lockHeld = new CountDownLatch(1);
        CountDownLatch closeNow = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread closer = Thread.ofPlatform().daemon().name("plain-closer").unstarted(() -> {
            try {
                synchronized (appLock) {
                    lockHeld.countDown();
                    closeNow.await(60, TimeUnit.SECONDS);
                    g.close();                  // an unstoppable caller: takes the store gate
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        Thread mutator = Thread.ofPlatform().daemon().name("mutator-on-lock").unstarted(() -> {
            world.register(1);
            try {
                synchronized (appLock) {        // blocked here: no safepoint until the closer lets go
                    Thread.onSpinWait();
                }
                world.poll();                   // its safepoint: the stop completes here
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                world.unregister();
            }
        });
        closer.start();
        assertTrue(lockHeld.await(60, TimeUnit.SECONDS), "the closer holds the application lock");
        mutator.start();
        awaitState(mutator, Thread.State.BLOCKED, "the registered mutator is blocked on the application lock");

        Thread gcCaller = Thread.ofPlatform().daemon().name("gc-caller").start(gc::gc);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!world.stopRequested() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(world.stopRequested(), "the coordinator began its stop (waiting for the blocked mutator)");
        closeNow.countDown();

        gcCaller.join(60_000);
        closer.join(60_000);
        assertFalse(closer.isAlive(), "the plain thread's Global.close never returned: it waits for the store gate, "
                + "which the coordinator holds while it waits for the world to stop, which waits for a mutator "
                + "blocked on the lock the closer holds (deadlock)");
        assertFalse(gcCaller.isAlive(), "gc() did not return in 60 s");
        mutator.join(60_000);
        assertFalse(mutator.isAlive(), "the mutator got the lock and left");
        assertNull(failure.get(), () -> "a thread failed: " + failure.get());
        assertEquals(0, heap.gc().findObject(obj), "the closed global's object was freed by the full cycle");
    }

    static void awaitState(Thread t, Thread.State state, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (t.getState() != state && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(state, t.getState(), what);
    }
}
