package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Over ThreadWorld, a ragged round (forEachP) asks an assist to yield ({@link World#preemptRequested})
 * only on a mutator that still owes the round its safepoint, as SchedWorld asks only a P that owes
 * it. Until session 32 every mutator was asked until the round's caller cleared its flag: a mutator
 * that had answered could not drain (its assist broke off at once), its allocation went ahead in
 * debt, and while the caller waited for another mutator or for a CPU (load 25-30) the mutator
 * allocated on with no assist at all: HeapBoundsTest's memory-limit case ran a cycle to 46 MiB
 * against a 38.8 MiB goal with 0 ms of assist CPU (branch assist32, docs/performance.md).
 */
class ThreadWorldRaggedAssistTest {
    static final long GUARD_NANOS = 60_000_000_000L;

    Heap heap;
    WorkbufPool pool;
    ThreadWorld world;
    final AtomicBoolean done = new AtomicBoolean();

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        pool = new WorkbufPool();
        world = new ThreadWorld(heap, pool, 2);
    }

    @AfterEach
    void tearDown() {
        done.set(true);
        pool.close();
        heap.close();
    }

    @Test
    void aMutatorThatAnsweredTheRoundIsNotAskedToYieldWhileAnotherStillOwesIt() throws Exception {
        CountDownLatch registered = new CountDownLatch(2);
        CountDownLatch releaseOwing = new CountDownLatch(1);
        AtomicBoolean answered = new AtomicBoolean();
        AtomicReference<Boolean> askedAfterAnswering = new AtomicReference<>();
        AtomicReference<Boolean> askedWhileOwing = new AtomicReference<>();
        AtomicReference<Boolean> askedAfterOwingAnswered = new AtomicReference<>();

        Thread answering = Thread.ofPlatform().name("answering").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                while (!answered.get() && !done.get()) {     // polls until its part of the round ran
                    world.poll();
                    Thread.onSpinWait();
                }
                askedAfterAnswering.set(world.preemptRequested());
            } finally {
                world.unregister();
            }
        });
        Thread owing = Thread.ofPlatform().name("owing").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                releaseOwing.await();               // a plain Java wait: RUNNING, owes the round its safepoint
                askedWhileOwing.set(world.preemptRequested());
                world.poll();                       // answers the round here
                askedAfterOwingAnswered.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                world.unregister();
            }
        });
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        Thread round = Thread.ofPlatform().name("round").start(() -> world.forEachMutatorAtSafepoint(m -> {
            if (m.owner == answering) {
                answered.set(true);
            }
        }));

        long deadline = System.nanoTime() + GUARD_NANOS;
        while (askedAfterAnswering.get() == null) {
            assertTrue(System.nanoTime() < deadline, "the answering mutator never ran its part of the round");
            Thread.sleep(1);
        }
        assertTrue(round.isAlive(), "the round is still open: the owing mutator has not reached a safepoint");
        assertFalse(askedAfterAnswering.get(), "a mutator that answered the round is not asked to yield "
                + "(its assists drain) while the round waits for another mutator");

        releaseOwing.countDown();
        round.join(60_000);
        assertFalse(round.isAlive(), "the round ended once the owing mutator reached its safepoint");
        // The round ends inside the owing thread's poll, before that thread sets its flags: wait for it.
        owing.join(60_000);
        assertFalse(owing.isAlive(), "the owing mutator finished after its safepoint");
        assertEquals(Boolean.TRUE, askedWhileOwing.get(), "a mutator that owes the round is asked to yield");
        assertEquals(Boolean.TRUE, askedAfterOwingAnswered.get());
        assertFalse(world.preemptRequested(), "no round or stop pending afterwards");
        answering.join(60_000);
    }
}
