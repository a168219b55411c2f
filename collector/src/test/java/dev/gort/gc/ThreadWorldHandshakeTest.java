package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** ThreadWorld's handshakes with its mutator threads: the ragged round (forEachP) and the stop report. */
class ThreadWorldHandshakeTest {
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

    /** A mutator thread that registers, signals, then runs {@code body} and unregisters. */
    Thread mutator(String name, CountDownLatch registered, Runnable body) {
        return Thread.ofPlatform().name(name).start(() -> {
            world.register(1);
            registered.countDown();
            try {
                body.run();
            } finally {
                world.unregister();
            }
        });
    }

    @Test
    void roundRunsOnceForEveryMutatorRunningOnesAtTheirOwnSafepoint() throws Exception {
        CountDownLatch registered = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        Runnable polling = () -> {
            while (!done.get()) {
                world.poll();
                Thread.onSpinWait();
            }
        };
        Thread p1 = mutator("polling-1", registered, polling);
        Thread p2 = mutator("polling-2", registered, polling);
        Thread w = mutator("waiting", registered, () -> world.runBlocking(world.current(), () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        while (w.getState() != Thread.State.WAITING) {          // in runBlocking's wait
            Thread.sleep(1);
        }
        for (int round = 0; round < 50; round++) {
            Map<String, String> ranOn = new ConcurrentHashMap<>();
            AtomicInteger calls = new AtomicInteger();
            assertTrue(world.forEachMutatorAtSafepoint(m -> {
                calls.incrementAndGet();
                ranOn.put(m.owner.getName(), Thread.currentThread().getName());
            }));
            assertEquals(3, calls.get(), "once per mutator, round " + round);
            assertEquals("polling-1", ranOn.get("polling-1"), "a running mutator runs it itself");
            assertEquals("polling-2", ranOn.get("polling-2"));
            assertEquals(Thread.currentThread().getName(), ranOn.get("waiting"), "a waiting one has it run for it");
        }
        assertFalse(world.preemptRequested(), "no round or stop pending afterwards");
        done.set(true);
        release.countDown();
        p1.join(60_000);
        p2.join(60_000);
        w.join(60_000);
    }

    @Test
    void roundWaitsForARunningMutatorUntilItReachesASafepointOrStartsWaiting() throws Exception {
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch goWait = new CountDownLatch(1);
        Thread busy = mutator("busy", registered, () -> {
            try {
                goWait.await();               // plain Java wait: still counts as running
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            world.runBlocking(world.current(), () -> { });
        });
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        Map<String, String> ranOn = new ConcurrentHashMap<>();
        Thread caller = Thread.ofPlatform().name("round").start(
                () -> world.forEachMutatorAtSafepoint(m -> ranOn.put(m.owner.getName(), Thread.currentThread().getName())));
        caller.join(300);
        assertTrue(caller.isAlive(), "the round waits for the running mutator");
        assertTrue(world.preemptRequested(), "assists are asked to yield meanwhile");
        assertFalse(world.stopRequested(), "a round is not a stop");
        goWait.countDown();
        caller.join(60_000);
        assertFalse(caller.isAlive());
        assertEquals("busy", ranOn.get("busy"), "run by the mutator as it started waiting");
        busy.join(60_000);
    }

    @Test
    void aStopNamesTheLastMutatorToStopAndWhereItWasWhenAsked() throws Exception {
        CountDownLatch registered = new CountDownLatch(1);
        Thread p = mutator("slow-poller", registered, () -> {
            while (!done.get()) {
                world.poll();
                long t = System.nanoTime();
                while (System.nanoTime() - t < 200_000) {
                    Thread.onSpinWait();     // 0.2 ms of its own code between safepoints
                }
            }
        });
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        world.stopTheWorld("test");
        world.startTheWorld();
        String d = world.describeLastStop();
        assertTrue(d.startsWith("last to stop: slow-poller at "), d);
        assertTrue(d.contains("in its own code when asked"), d);
        done.set(true);
        p.join(60_000);
    }
}
