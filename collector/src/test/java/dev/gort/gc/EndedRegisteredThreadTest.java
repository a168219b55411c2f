package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An embedder's thread that registers with a {@link ThreadWorld} and ends without unregistering
 * (an exception between register and unregister) stays RUNNING forever: the next stop or ragged
 * round waited for it without end, hanging the collector and every thread that allocates. The
 * world removes it instead once a wait for it times out: its roots stop being roots (what only
 * they held is freed), its cache goes back (the heap then closes), and a warning names the thread.
 */
class EndedRegisteredThreadTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").build();

    /** Starts a thread that registers, allocates one object held only by its root slot 0, and ends registered. */
    private long objectOfAThreadThatEndsRegistered(String name) throws InterruptedException {
        AtomicLong object = new AtomicLong();
        Thread t = Thread.ofPlatform().name(name).start(() -> {
            Mutator m = world.register(1);
            long p = gc.alloc(m, NODE);
            m.roots().set(0, p);
            object.set(p);
            // ends here, still registered and RUNNING (as if an exception skipped its unregister)
        });
        t.join();
        return object.get();
    }

    private void start() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(Pacer.OFF), 2);
        world = gc.threadWorld();
    }

    /** Runs {@code body} on a thread and fails (naming what hung) if it has not finished in 60 s. */
    private static void finishesWithin20s(String what, Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().name("ended-registered-test").start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join(60_000);
        assertFalse(t.isAlive(), what + " hung: it waited for a mutator whose thread had ended");
        if (failure.get() != null) {
            throw new AssertionError(what + " failed", failure.get());
        }
    }

    @Test
    void aCycleRemovesTheMutatorOfAThreadThatEndedRegisteredAndFreesWhatOnlyItsRootsHeld() throws Exception {
        start();
        long orphan = objectOfAThreadThatEndsRegistered("ends-registered");
        assertNotEquals(0, orphan);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            finishesWithin20s("Collector.gc()", () -> {
                gc.gc();
                gc.sweepAll();
            });
        } finally {
            System.setErr(err);
        }
        assertEquals(1, world.endedRegisteredForTest(), "one mutator removed");
        assertFalse(world.mutators().iterator().hasNext(), "no mutator left in the world");
        String warning = captured.toString(StandardCharsets.UTF_8);
        assertTrue(warning.contains("\"ends-registered\" ended while registered") && warning.contains("unregister()"),
                "a warning names the thread and what it should have done: " + warning);
        assertEquals(0, heap.gc().findObject(orphan), "the object only its root slot held is freed by that cycle");

        // The collector and the world stay usable: a new mutator registers, allocates, collects.
        Mutator m = world.register(1);
        long kept = gc.alloc(m, NODE);
        m.roots().set(0, kept);
        gc.gc();
        gc.sweepAll();
        assertNotEquals(0, heap.gc().findObject(kept), "a live mutator's root still holds its object");
        world.unregister();
        gc.close();
        gc = null;
        heap.close();        // refused while a live mutator mcache remains: the ended thread's went back
        heap = null;
    }

    @Test
    void aRaggedRoundDoesNotWaitForAThreadThatEndedRegistered() throws Exception {
        start();
        objectOfAThreadThatEndsRegistered("ends-before-the-round");
        int[] ran = {0};
        finishesWithin20s("forEachMutatorAtSafepoint", () -> assertTrue(world.forEachMutatorAtSafepoint(m -> ran[0]++)));
        assertEquals(1, ran[0], "the round ran its function once for the ended thread's mutator (its last safepoint), on removal");
        assertEquals(1, world.endedRegisteredForTest());
        assertFalse(world.mutators().iterator().hasNext());
    }
}
