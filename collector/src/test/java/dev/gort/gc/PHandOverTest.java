package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ThreadWorld's Ps for collector threads, driven by hand (no collector): a worker that must run
 * while every P is a running mutator's gets one at a mutator's safepoint, the mutator parks LENT
 * and counts as stopped (a stop and a ragged round do not wait for it), and runs again when the
 * worker gives the P back; a mutator back from runBlocking makes a P-holding worker yield.
 * Every wait has a generous deadline; the assertions are on states and counters, not on times.
 */
class PHandOverTest {
    private Heap heap;
    private ThreadWorld world;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private void newWorld(int procs) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        world = new ThreadWorld(heap, new WorkbufPool(), procs);
    }

    @AfterEach
    void close() throws Exception {
        stop.set(true);
        Thread.sleep(20);
        if (heap != null) {
            heap.close();
        }
    }

    /** A registered thread that polls in a loop, counting its polls, until {@link #stop}. */
    private Thread poller(String name, AtomicLong polls, CountDownLatch registered) {
        Thread t = Thread.ofPlatform().daemon().name(name).unstarted(() -> {
            try {
                world.register(1);
                registered.countDown();
                while (!stop.get()) {
                    world.poll();
                    polls.incrementAndGet();
                    Thread.onSpinWait();
                }
                world.unregister();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        t.start();
        return t;
    }

    private static void await(java.util.function.BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out (60 s) waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    private Mutator lentMutator() {
        for (Mutator m : world.mutators()) {
            if (m.state == Mutator.LENT) {
                return m;
            }
        }
        return null;
    }

    @Test
    void aWorkerGetsAPFromAMutatorAtItsSafepointAndGivesItBack() throws Exception {
        newWorld(1);
        AtomicLong polls = new AtomicLong();
        CountDownLatch reg = new CountDownLatch(1);
        Thread mutator = poller("lender", polls, reg);
        reg.await();
        assertEquals(0, world.idlePsNow(), "the one P is the mutator's");

        assertTrue(world.acquireP(true, () -> true), "the worker gets the mutator's P");
        Mutator m = lentMutator();
        assertNotNull(m, "the mutator parked LENT at its safepoint");
        assertEquals(1, world.handOvers());
        long before = polls.get();
        Thread.sleep(50);
        assertTrue(polls.get() - before <= 1, "a LENT mutator does not run: " + (polls.get() - before) + " polls");

        // A stop does not wait for it (it is at a safepoint), nor does a ragged round.
        Thread stopper = Thread.ofPlatform().start(() -> {
            world.stopTheWorld("test");
            world.startTheWorld();
        });
        stopper.join(60_000);
        assertFalse(stopper.isAlive(), "a stop waited for a mutator parked LENT");
        AtomicLong ran = new AtomicLong();
        Thread round = Thread.ofPlatform().start(() -> world.forEachMutatorAtSafepoint(x -> ran.incrementAndGet()));
        round.join(60_000);
        assertFalse(round.isAlive(), "a ragged round waited for a mutator parked LENT");
        assertEquals(1, ran.get(), "the round ran for the LENT mutator");
        assertEquals(Mutator.LENT, m.state, "still lent after the restart: the worker holds its P");

        world.releaseP();
        await(() -> polls.get() > before + 100, "the mutator to run again after the worker gave its P back");
        long[] st = world.pStatsForTest();
        assertEquals(1, st[1], "one resume");
        assertTrue(st[4] <= 1, "never more holders than Ps at a grant: " + st[4]);
        stopAndJoin(mutator);
    }

    @Test
    void aPGivenBackDuringAStopLeavesTheMutatorStoppedUntilTheRestart() throws Exception {
        newWorld(1);
        AtomicLong polls = new AtomicLong();
        CountDownLatch reg = new CountDownLatch(1);
        Thread mutator = poller("lender", polls, reg);
        reg.await();
        assertTrue(world.acquireP(true, () -> true));
        Mutator m = lentMutator();
        assertNotNull(m);
        world.stopTheWorld("test");            // this thread is no mutator: it stops the lender (already LENT)
        world.releaseP();
        assertEquals(Mutator.STOPPED, m.state, "given back while stopped: it stays stopped");
        long p = polls.get();
        Thread.sleep(30);
        assertTrue(polls.get() - p <= 1, "it must not run before the restart");
        world.startTheWorld();
        await(() -> polls.get() > p + 100, "the mutator to run after the restart");
        stopAndJoin(mutator);
    }

    @Test
    void idlePsNeedNoHandOverAndAMutatorComingBackMakesTheWorkerYield() throws Exception {
        newWorld(2);
        AtomicLong polls = new AtomicLong();
        CountDownLatch reg = new CountDownLatch(1);
        Thread runner = poller("runner", polls, reg);
        reg.await();
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch back = new CountDownLatch(1);
        Thread waiter = Thread.ofPlatform().daemon().start(() -> {
            try {
                Mutator m = world.register(1);
                world.runBlocking(m, () -> {
                    blocked.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                back.countDown();
                while (!stop.get()) {
                    world.poll();
                    Thread.onSpinWait();
                }
                world.unregister();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        blocked.await();
        await(() -> world.idlePsNow() == 1, "the blocked mutator's P to be idle");
        assertTrue(world.acquireP(false, () -> true), "an idle P is taken without a hand-over");
        assertEquals(0, world.handOvers());
        assertFalse(world.shouldYieldP(true), "nobody needs the P yet");
        release.countDown();
        // The mutator back from its wait finds no idle P: it waits (still BLOCKED, so no stop waits
        // for it) and asks the worker to yield, which the worker does at its next check.
        await(() -> world.pStatsForTest()[9] == 1, "the mutator to wait for its P");
        assertEquals(1, back.getCount(), "it does not run beside the worker");
        assertTrue(world.shouldYieldP(true), "the mutator came back with no idle P: the worker yields");
        back.await();
        assertEquals(0, world.idlePsNow(), "two mutators, no worker");
        assertEquals(1, world.pStatsForTest()[2], "one yield counted");
        stopAndJoin(runner, waiter);
    }

    @Test
    void aWorkerGivingUpItsWaitLeavesNoMutatorLent() throws Exception {
        newWorld(1);
        AtomicLong polls = new AtomicLong();
        CountDownLatch reg = new CountDownLatch(1);
        Thread mutator = poller("lender", polls, reg);
        reg.await();
        // The worker stops wanting a P at once: a grant made meanwhile must go back.
        AtomicBoolean wanted = new AtomicBoolean(true);
        Thread w = Thread.ofPlatform().start(() -> {
            if (world.acquireP(true, wanted::get)) {
                world.releaseP();
            }
        });
        Thread.sleep(5);
        wanted.set(false);
        world.wakePWaiters();
        w.join(60_000);
        assertFalse(w.isAlive());
        long p = polls.get();
        await(() -> polls.get() > p + 100, "the mutator to run (no P stranded)");
        long[] st = world.pStatsForTest();
        assertEquals(0, st[6], "no worker P: " + java.util.Arrays.toString(st));
        assertEquals(0, st[7], "no grant in transit: " + java.util.Arrays.toString(st));
        assertEquals(0, st[8], "no mutator lent: " + java.util.Arrays.toString(st));
        stopAndJoin(mutator);
    }

    /** Ends the test's mutator threads and fails with the first error one of them met. */
    private void stopAndJoin(Thread... mutators) throws InterruptedException {
        stop.set(true);
        for (Thread t : mutators) {
            t.join(60_000);
        }
        assertNull(failure.get(), () -> "mutator failed: " + failure.get());
    }
}
