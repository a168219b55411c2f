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
 * Stores from threads the stop-the-world does not stop (session 10, branch hidden). The entry
 * points documented for any thread ({@code Global.close}, {@code PtrPool.close}) clear root slots
 * through the barrier. Such a thread can read the barrier flag as on, lose its CPU across the
 * whole mark termination, and shade the old pointer afterwards into the orphan gcWork: the shade
 * then marks the object for the next cycle (its span was swept meanwhile), and it survives the
 * next full collection although nothing reaches it (the soak's finding, docs/soak.md). With the
 * store gate the coordinator cannot pass mark termination while such a store is between its flag
 * read and its store, so the shade lands in the cycle that was marking.
 *
 * <p>Deterministic: the orphan-shade stall hook holds the closing thread right after its flag read.
 */
class UnstoppableStoreTest extends ThreadWorldFixture {
    static final Type NODE = CollectorTest.NODE;
    static final long A = CollectorTest.A, ID = CollectorTest.ID, CHECK = CollectorTest.CHECK;
    /** How long mark termination is given to (wrongly) complete while the closer is stalled. */
    static final long STALL_MILLIS = 2_000;

    void start() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(-1).withDebug(false, true, false, 0, 0), 2);
        world = gc.threadWorld();
    }

    /** A two-node list (head -> tail), each node's payload set; returns the head. */
    long list(int id) {
        long tail = gc.alloc(NODE);
        Mem.putLong(tail, ID, id + 1);
        Mem.putLong(tail, CHECK, ~(id + 1L));
        long head = gc.alloc(NODE);
        Mem.putLong(head, ID, id);
        Mem.putLong(head, CHECK, ~(long) id);
        Mem.storePtr(head, A, tail);
        return head;
    }

    @Test
    void aGlobalClosedByAPlainThreadWhileMarkingIsFreedByTheNextFullCycle() throws Exception {
        start();
        world.register(1);
        Global g = gc.newGlobal();
        long head = list(7);
        long tail = Mem.loadPtr(head, A);
        g.set(head);
        world.unregister();                         // from here on this thread is a plain one too
        Outcome o = closeWhileMarking(g::close);
        gc.gc();                                    // a full cycle and sweep after the close
        assertEquals(0, heap.gc().findObject(head), "the closed global's object 0x" + Long.toHexString(head)
                + " survived a full cycle after the close (a late shade marked it for that cycle)");
        assertEquals(0, heap.gc().findObject(tail), "its child survived too");
        assertFalse(o.terminatedWhileStalled, "mark termination completed while the closing thread was between its "
                + "barrier flag read and its shade (it must wait for the store gate)");
        assertTrue(gc.checkmarkCycles() >= 2, "checkmark ran at each mark termination");
    }

    @Test
    void aPoolClosedByAPlainThreadWhileMarkingLetsItsObjectsGoAtTheNextFullCycle() throws Exception {
        start();
        world.register(1);
        PtrPool pool = new PtrPool(gc);
        long head = list(11);
        long tail = Mem.loadPtr(head, A);
        pool.put(head);
        world.unregister();
        Outcome o = closeWhileMarking(pool::close);
        gc.gc();
        assertEquals(0, heap.gc().findObject(head), "the closed pool's object survived a full cycle after the close");
        assertEquals(0, heap.gc().findObject(tail), "its child survived too");
        assertFalse(o.terminatedWhileStalled, "mark termination completed while the closing thread was stalled in its shade");
    }

    /**
     * A sweep-termination hook runs on the coordinator, in the pause, holding the store gate: a
     * handle it closes must not make the coordinator wait for its own gate (it is treated as a
     * stoppable caller: it makes the flips). Before that rule the gc() below never returned.
     */
    @Test
    void aSweepTerminationHookMayCloseHandles() throws Exception {
        start();
        world.register(1);
        Global g = gc.newGlobal();
        long head = list(21);
        g.set(head);
        PtrPool pool = new PtrPool(gc);
        pool.put(list(31));
        world.unregister();
        AtomicReference<Throwable> hookFailure = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
        gc.onSweepTermination(() -> {
            if (armed.getAndSet(false)) {
                try {
                    g.close();
                    pool.close();
                } catch (Throwable t) {
                    hookFailure.set(t);
                }
            }
        });
        Thread t = new Thread(gc::gc, "gc-caller");
        t.start();
        t.join(60_000);
        assertFalse(t.isAlive(), "gc() with a hook closing handles did not return in 30 s (the coordinator waits for "
                + "the store gate it holds)");
        assertNull(hookFailure.get(), "the hook's closes failed");
        assertEquals(0, heap.gc().findObject(head), "the global the hook closed let its object go in that cycle");
        gc.gc();                                    // the pool's objects: cleared in the first, freed by now
        assertEquals(0, heap.readMemStats().heapObjects(), "nothing left");
    }

    record Outcome(boolean terminatedWhileStalled) {
    }

    /**
     * Runs {@code close} on a plain thread while the collector marks, holding that thread at its
     * shade (after the barrier flag read) for {@link #STALL_MILLIS} while the cycle is let go on;
     * if the cycle finished meanwhile (the bug), everything is swept before the thread shades, so
     * its shade lands in the next cycle's mark bits as a late one does after a long descheduling.
     */
    Outcome closeWhileMarking(Runnable close) throws Exception {
        ForcedMode.assumeConcurrentMark("a close while the world runs with the barrier on");
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> closerFailure = new AtomicReference<>();
        String closerName = "plain-closer";
        gc.setOrphanShadeStallHookForTest(() -> {
            if (Thread.currentThread().getName().equals(closerName) && stalled.getCount() > 0) {
                stalled.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Thread closer = new Thread(() -> {
            try {
                close.run();
            } catch (Throwable t) {
                closerFailure.set(t);
            }
        }, closerName);
        boolean terminated;
        try {
            gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 30_000);      // barrier on, world running
            closer.start();
            assertTrue(stalled.await(60, TimeUnit.SECONDS), "the closing thread reached its shade");
            gc.resume();
            terminated = idleWithin(STALL_MILLIS);
            if (terminated) {
                gc.sweepAll();          // as a real late shade finds it: the span swept, the bits the next cycle's
            }
        } finally {
            release.countDown();
            closer.join(60_000);
            gc.setOrphanShadeStallHookForTest(null);
        }
        assertFalse(closer.isAlive(), "the closing thread finished");
        if (closerFailure.get() != null) {
            throw new AssertionError("close failed: " + closerFailure.get(), closerFailure.get());
        }
        gc.awaitIdle(30_000);
        return new Outcome(terminated);
    }

    boolean idleWithin(long millis) {
        try {
            gc.awaitIdle(millis);
            return true;
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().contains("still busy")) {
                return false;
            }
            throw e;
        }
    }
}
