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
 * Review finding: {@link ThreadWorld#runBlocking} is public, but its wait code must only wait. A
 * barriered store would shade into the mutator's gcWork while the collector may dispose it; an
 * allocation would use its mcache and gcWork the same way; a poll during a stop would park and
 * reset BLOCKED to RUNNING, so the next stop would wait for it forever. Each is refused with an
 * IllegalStateException naming the rule, and the mutator and the collector work afterwards.
 */
class RunBlockingContractTest extends ThreadWorldFixture {

    private void start() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withDebug(false, true, false, 0, 0), 2);
        world = gc.threadWorld();
    }

    private static void assertNamesTheRule(IllegalStateException e, String what) {
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertTrue(e.getMessage().contains("runBlocking"), e.getMessage());
        assertTrue(e.getMessage().contains("must not store heap pointers through the barrier, allocate or poll"), e.getMessage());
    }

    @Test
    void barrieredStoreAndAllocationWhileMarkingAreRefusedInsideTheWait() {
        ForcedMode.assumeConcurrentMark("checks the wait while the cycle is held at AFTER_MARK_START");
        start();
        Mutator m = world.register(2);
        long x = gc.alloc(CollectorTest.NODE);
        long y = gc.alloc(CollectorTest.NODE);
        m.roots().set(0, x);
        m.roots().set(1, y);
        Mem.putLong(y, CollectorTest.ID, 42);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);   // marking: the barrier is on
        assertTrue(WriteBarrier.enabled);

        IllegalStateException store = assertThrows(IllegalStateException.class,
                () -> world.runBlocking(m, () -> Mem.storePtr(x, CollectorTest.A, y)));
        assertNamesTheRule(store, "a barriered pointer store");
        assertEquals(0, Mem.loadPtr(x, CollectorTest.A), "the refused store did not happen");
        IllegalStateException cas = assertThrows(IllegalStateException.class,
                () -> world.runBlocking(m, () -> WriteBarrier.casPointer(x + CollectorTest.B, 0, y)));
        assertNamesTheRule(cas, "a barriered pointer store");
        IllegalStateException alloc = assertThrows(IllegalStateException.class,
                () -> world.runBlocking(m, () -> gc.alloc(CollectorTest.NODE)));
        assertNamesTheRule(alloc, "an allocation");

        // The mutator is running again and the runtime is usable: the same store and an allocation
        // work, the cycle completes and keeps both objects.
        assertEquals(Mutator.RUNNING, m.state);
        Mem.storePtr(x, CollectorTest.A, y);
        long z = gc.alloc(CollectorTest.NODE);
        Mem.storePtr(y, CollectorTest.A, z);
        gc.setBreakpoint(Collector.Breakpoint.NONE);
        gc.resume();
        gc.gc();
        assertEquals(y, Mem.loadPtr(m.roots().get(0), CollectorTest.A));
        assertEquals(42, Mem.getLong(Mem.loadPtr(x, CollectorTest.A), CollectorTest.ID));
        assertNotEquals(0, heap.gc().findObject(z), "z, reachable through y, survived");
    }

    @Test
    void waitingItselfIsAllowed() {
        ForcedMode.assumeConcurrentMark("checks the wait while the cycle is held at AFTER_MARK_START");
        start();
        Mutator m = world.register(1);
        long x = gc.alloc(CollectorTest.NODE);
        m.roots().set(0, x);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long[] seen = new long[1];
        world.runBlocking(m, () -> {
            Mem.putLong(x, CollectorTest.ID, 7);          // plain, unbarriered data: allowed
            seen[0] = Mem.loadPtr(x, CollectorTest.A);
            Mem.storePtr(x, CollectorTest.A, 0);          // old 0, new 0: nothing to shade
        });
        assertEquals(0, seen[0]);
        assertEquals(7, Mem.getLong(x, CollectorTest.ID));
    }

    @Test
    void aPollDuringAStopIsRefusedAndLaterStopsStillComplete() throws Exception {
        start();
        Mutator m = world.register(1);
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> stopperFailed = new AtomicReference<>();
        Thread stopper = new Thread(() -> {
            try {
                world.stopTheWorld("test: stop while a mutator waits");
                stopped.countDown();
                release.await();
                world.startTheWorld();
            } catch (Throwable t) {
                stopperFailed.set(t);
            }
        }, "stopper");
        AtomicReference<IllegalStateException> refused = new AtomicReference<>();
        world.runBlocking(m, () -> {
            stopper.start();
            try {
                assertTrue(stopped.await(60, TimeUnit.SECONDS), "the stop does not wait for a blocked mutator");
                refused.set(assertThrows(IllegalStateException.class, world::poll));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                release.countDown();
            }
        });
        stopper.join(60_000);
        assertNull(stopperFailed.get());
        assertNotNull(refused.get());
        assertNamesTheRule(refused.get(), "a safepoint (allocation or poll) during a stop");
        assertEquals(Mutator.RUNNING, m.state);
        // The mutator still counts as running and answers the next stop at its safepoint.
        CountDownLatch second = new CountDownLatch(1);
        Thread again = new Thread(() -> {
            world.stopTheWorld("test: second stop");
            world.startTheWorld();
            second.countDown();
        }, "second-stopper");
        again.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (second.getCount() > 0 && System.nanoTime() < deadline) {
            world.poll();
            Thread.onSpinWait();
        }
        assertTrue(second.await(60, TimeUnit.SECONDS), "a later stop completed");
        again.join(60_000);
    }
}
