package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Review stress (review3): short-lived threads register as mutators while cycles run back to back
 * (GOGC=5, checkmark on), build a list held in their root slots, verify it, hand it to a global
 * and unregister, while a long-lived mutator keeps allocating garbage (so cycles, ragged rounds and
 * assists never stop). Registration and unregistration then land in every phase of the cycle:
 * before a ragged round, during one, between the round and mark termination.
 */
class MutatorChurnStressTest {
    static final Type NODE = CollectorTest.NODE;
    static final long A = CollectorTest.A, ID = CollectorTest.ID, CHECK = CollectorTest.CHECK;

    @Test
    void mutatorsComingAndGoingWhileMarking() throws Exception {
        long millis = Long.getLong("gort.stress.millis", 4_000);
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(5).withDebug(false, true, false, 0, 0), 2);
        ThreadWorld world = gc.threadWorld();
        Global[] handed = new Global[4];
        for (int i = 0; i < handed.length; i++) {
            handed[i] = gc.newGlobal();
        }
        AtomicReference<Throwable> fail = new AtomicReference<>();
        AtomicLong nextId = new AtomicLong(1);
        AtomicLong threads = new AtomicLong();
        long deadline = System.nanoTime() + millis * 1_000_000L;
        long hardDeadline = deadline + 60_000_000_000L;     // a loaded machine runs few cycles: at least 5, at most 60 s more
        try {
            Thread garbage = new Thread(() -> {
                world.register(2);
                try {
                    while ((System.nanoTime() < deadline || (gc.cycles() < 5 && System.nanoTime() < hardDeadline)) && fail.get() == null) {
                        for (int i = 0; i < 1000; i++) {
                            gc.alloc(NODE);
                        }
                    }
                } catch (Throwable t) {
                    fail.compareAndSet(null, t);
                } finally {
                    world.unregister();
                }
            }, "garbage");
            garbage.start();
            int k = 0;
            while ((System.nanoTime() < deadline || (gc.cycles() < 5 && System.nanoTime() < hardDeadline)) && fail.get() == null) {
                int slot = k++ % handed.length;
                Thread t = new Thread(() -> {
                    Mutator m = world.register(2);
                    try {
                        long first = nextId.getAndAdd(300);
                        long head = 0;
                        for (int i = 0; i < 300; i++) {
                            long p = gc.alloc(NODE);           // a safepoint: head must be in a root slot
                            long id = first + i;
                            Mem.putLong(p, ID, id);
                            Mem.putLong(p, CHECK, CollectorTest.check(id));
                            Mem.storePtr(p, A, head);
                            head = p;
                            m.roots().set(0, head);
                        }
                        verify(head, 300);
                        long old = handed[slot].get();
                        if (old != 0) {
                            verify(old, 300);
                        }
                        handed[slot].set(head);
                    } catch (Throwable e) {
                        fail.compareAndSet(null, e);
                    } finally {
                        world.unregister();
                    }
                }, "short-" + k);
                t.start();
                t.join(60_000);
                threads.incrementAndGet();
            }
            garbage.join(60_000);
            if (fail.get() != null) {
                throw new AssertionError(fail.get());
            }
            gc.awaitIdle(60_000);                      // rethrows a cycle's failure (a checkmark report)
            gc.gc();
            for (Global g : handed) {
                if (g.get() != 0) {
                    verify(g.get(), 300);
                }
            }
            System.out.println("mutatorsComingAndGoingWhileMarking: cycles=" + gc.cycles() + " threads=" + threads.get());
            assertTrue(gc.cycles() >= 3, "cycles " + gc.cycles());
            assertEquals(gc.cycles(), gc.checkmarkCycles(), "every cycle verified by checkmark");
        } finally {
            gc.close();
            heap.close();
        }
    }

    static void verify(long head, int n) {
        int count = 0;
        long expect = -1;
        for (long p = head; p != 0; p = Mem.loadPtr(p, A)) {
            long id = Mem.getLong(p, ID);
            assertEquals(CollectorTest.check(id), Mem.getLong(p, CHECK), "node 0x" + Long.toHexString(p) + " payload");
            if (expect >= 0) {
                assertEquals(expect, id, "list order");
            }
            expect = id - 1;
            count++;
        }
        assertEquals(n, count, "list length");
    }
}
