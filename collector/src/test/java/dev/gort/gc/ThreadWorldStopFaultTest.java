package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ThreadWorld's stop and ragged round when something inside them throws: the caller gets the
 * error and the world runs again (no mutator left parked, the flag cleared, the next stop and
 * round work). Before, a throw after the request left {@code stopping} set with nobody to clear
 * it: every mutator parked at its next safepoint for good, and register, unregister and every
 * later stop waited for ever; a round whose function threw left {@code raggedFn} set, so every
 * later stop and round waited for ever.
 */
@Timeout(180)
class ThreadWorldStopFaultTest {
    Heap heap;
    WorkbufPool pool;
    ThreadWorld world;
    PollingMutator mutator;

    static final class InjectedFault extends RuntimeException {
        InjectedFault(String where) {
            super("injected fault at " + where);
        }
    }

    @BeforeEach
    void setUp() throws InterruptedException {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        pool = new WorkbufPool();
        world = new ThreadWorld(heap, pool, 2);
        mutator = PollingMutator.start(world);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        world.stopFaultForTest = null;
        mutator.stopAndCheck();
        pool.close();
        heap.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"request", "wait", "stopped"})
    void aStopThatThrowsLeavesTheWorldRunning(String point) throws InterruptedException {
        AtomicBoolean armed = new AtomicBoolean(true);
        world.stopFaultForTest = where -> {
            if (where.equals(point) && armed.getAndSet(false)) {
                throw new InjectedFault(where);
            }
        };
        InjectedFault f = assertThrows(InjectedFault.class, () -> world.stopTheWorld("test"));
        assertEquals("injected fault at " + point, f.getMessage());
        assertFalse(world.stopRequested(), "the stop flag is cleared");
        mutator.assertRuns("after the failed stop at " + point);
        // The next stop stops the mutator (no stale stopper or flag), and its restart releases it.
        world.stopTheWorld("after the fault");
        long frozen = mutator.progress();
        Thread.sleep(20);
        assertEquals(frozen, mutator.progress(), "the mutator is stopped by the next stop");
        world.startTheWorld();
        mutator.assertRuns("after the next stop");
    }

    /**
     * The stop fails, and so does the release that undoes it (a boost the kernel will not lower):
     * the caller gets the first failure with the second suppressed in it, and the mutators run.
     * Before, the request part's catch called the release directly, so the release's error
     * replaced the stop's and the first was lost (session 13's review).
     */
    @ParameterizedTest
    @ValueSource(strings = {"request", "wait", "stopped"})
    void aReleaseThatThrowsTooKeepsTheFirstFailure(String point) throws InterruptedException {
        AtomicBoolean stopArmed = new AtomicBoolean(true);
        AtomicBoolean releaseArmed = new AtomicBoolean(true);
        world.stopFaultForTest = where -> {
            if (where.equals(point) && stopArmed.getAndSet(false)) {
                throw new InjectedFault(where);
            }
            if (where.equals("release") && !stopArmed.get() && releaseArmed.getAndSet(false)) {
                throw new InjectedFault(where);
            }
        };
        InjectedFault f = assertThrows(InjectedFault.class, () -> world.stopTheWorld("test"));
        assertEquals("injected fault at " + point, f.getMessage(), "the first failure reaches the caller");
        assertEquals(1, f.getSuppressed().length, "the release's failure is kept with it");
        assertEquals("injected fault at release", f.getSuppressed()[0].getMessage());
        assertFalse(releaseArmed.get(), "the release's fault fired");
        assertFalse(world.stopRequested(), "the stop flag is cleared");
        mutator.assertRuns("after the failed stop and release at " + point);
        world.stopTheWorld("after the faults");
        world.startTheWorld();
        mutator.assertRuns("after the next stop");
    }

    @Test
    void aRaggedRoundWhoseFunctionThrowsEndsAndTheNextRoundRuns() throws InterruptedException {
        // The caller is registered here, so the function runs first on the caller's behalf and throws.
        AtomicReference<Throwable> inCaller = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().name("round-caller").start(() -> {
            Mutator self = world.register(1);
            try {
                world.forEachMutatorAtSafepoint(m -> {
                    if (m == self) {
                        throw new InjectedFault("the round's function");
                    }
                });
            } catch (Throwable t) {
                inCaller.set(t);
            } finally {
                world.unregister();       // waits for no round: the failed one ended
            }
        });
        caller.join(60_000);
        assertFalse(caller.isAlive(), "the caller's unregister waited: " + java.util.Arrays.toString(caller.getStackTrace()));
        assertInstanceOf(InjectedFault.class, inCaller.get());
        assertFalse(world.preemptRequested(), "no round or stop left requested");
        AtomicLong ran = new AtomicLong();
        assertTrue(world.forEachMutatorAtSafepoint(m -> ran.incrementAndGet()));
        assertEquals(1, ran.get(), "the next round reaches the polling mutator");
        world.stopTheWorld("after the round");
        world.startTheWorld();
        mutator.assertRuns("after the failed round");
    }
}
