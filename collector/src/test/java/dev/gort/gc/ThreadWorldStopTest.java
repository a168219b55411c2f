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

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ThreadWorld's stop-the-world: only the last mutator to stop wakes the stopper, the restart
 * releases parked mutators directly (each set RUNNING under the lock, then unparked), and the
 * stopper may spin before it blocks. A stop still waits for every mutator whatever the spin (none,
 * the default; a short one; one longer than any mutator's stretch between safepoints), no mutator
 * moves while the world is stopped, mutators may join and leave around thousands of stops, and a
 * mutator parked at every stop is woken by every restart. Stop counts: {@link StopBudget} (a loaded
 * machine makes fewer within a time budget; {@code -Dgort.stress.stopRounds=K} makes K x the full
 * count, untimed).
 */
@Timeout(180)
class ThreadWorldStopTest {
    Heap heap;
    WorkbufPool pool;
    ThreadWorld world;
    final AtomicBoolean done = new AtomicBoolean();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final List<Thread> threads = new ArrayList<>();

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        pool = new WorkbufPool();
        world = new ThreadWorld(heap, pool, 2);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        done.set(true);
        for (Thread t : threads) {
            t.join(60_000);
            assertFalse(t.isAlive(), t.getName() + " did not finish: " + java.util.Arrays.toString(t.getStackTrace()));
        }
        pool.close();
        heap.close();
        assertNull(failure.get(), () -> "a mutator failed: " + failure.get());
    }

    Thread start(String name, Runnable body) {
        Thread t = Thread.ofPlatform().name(name).start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        threads.add(t);
        return t;
    }

    static void busyNanos(long n) {
        long t = System.nanoTime();
        while (System.nanoTime() - t < n) {
            Thread.onSpinWait();
        }
    }

    /**
     * Mutators run stretches of their own code (0-2 ms, no safepoint) between polls and count
     * twice per stretch, at its start and at its end. A stop that returned while one was inside a
     * stretch (a spin that ended early, a missed RUNNING state) would see its count move within
     * the 3 ms the stopper watches (longer than any stretch); a stopped world shows none moving.
     */
    @ParameterizedTest(name = "spin {0} ns")
    @ValueSource(longs = {0, 100_000, 50_000_000})
    void aStopWaitsForEveryMutatorWhateverTheSpin(long spinNanos) throws Exception {
        world.setStopSpinNanosForTest(spinNanos);
        int n = 3;
        AtomicLongArray counts = new AtomicLongArray(n);
        CountDownLatch registered = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int me = i;
            start("stretcher-" + i, () -> {
                world.register(1);
                registered.countDown();
                SplittableRandom r = new SplittableRandom(42 + me);
                try {
                    while (!done.get()) {
                        world.poll();
                        counts.incrementAndGet(me);
                        busyNanos(r.nextInt(4) == 0 ? 0 : r.nextLong(2_000_000));
                        counts.incrementAndGet(me);
                    }
                } finally {
                    world.unregister();
                }
            });
        }
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        StopBudget budget = StopBudget.of(100, 20);
        int stops = 0;
        for (int s = 0; budget.more(s); s++, stops++) {
            world.stopTheWorld("test");
            try {
                for (int i = 0; i < world.mutatorSlots(); i++) {
                    assertNotEquals(Mutator.RUNNING, world.mutatorAt(i).state, "stop " + s + ": mutator " + i + " still running");
                }
                long[] before = snapshot(counts);
                busyNanos(3_000_000);
                long[] after = snapshot(counts);
                assertArrayEquals(before, after, "stop " + s + " (spin " + spinNanos + " ns): a mutator moved while the world was stopped");
                assertTrue(world.stopRequested());
            } finally {
                world.startTheWorld();
            }
            Thread.sleep(0, 200_000);
        }
        assertEquals(stops, world.stopsForTest());
        if (spinNanos == 0) {
            assertEquals(0, world.stopsEndedSpinningForTest(), "no spin configured, none may end spinning");
        }
    }

    /**
     * The opt-in stop spin with a stopper raised to SCHED_FIFO (the real-time stop's coordinator)
     * and the one mutator it waits for pinned to the same CPU, needing 3 ms of CPU before its
     * safepoint: a real-time thread's yield lets no normal thread of its CPU run, so a stopper
     * that spins keeps that CPU for the whole spin (200 ms here) and the mutator runs only after
     * it; it must skip the spin and park. Asserted as the other real-time waits are: the stopper
     * is on the CPU for at most a quarter of its wait plus 5 ms (session 24's ThreadWorld: on it
     * for ~200 of ~203 ms). Skipped where the kernel refuses SCHED_FIFO or pinning.
     */
    @Test
    void aRealtimeStopperSkipsTheStopSpinAndLetsTheMutatorOnItsCpuReachItsSafepoint() throws Exception {
        world.setStopSpinNanosForTest(200_000_000L);
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch registered = new CountDownLatch(1);
        AtomicLong waited = new AtomicLong(), stopperCpu = new AtomicLong();
        int cpu = PinnedStarvation.cpu();
        start("pinned-mutator", () -> {
            dev.gort.sys.CpuAffinity.pin(cpu);
            world.register(1);
            registered.countDown();
            try {
                while (!stopping.get()) {
                    world.poll();
                    Thread.onSpinWait();
                }
                PinnedStarvation.burnCpu(3_000_000);    // no safepoint until it had this much CPU
                while (!done.get()) {
                    world.poll();
                    Thread.onSpinWait();
                }
            } finally {
                world.unregister();
            }
        });
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        dev.gort.testing.FreshThread.run(() -> {
            dev.gort.sys.RealtimeBoost boost = PinnedStarvation.boostOrSkip(PinnedStarvation.WAITER_PRIORITY);
            dev.gort.sys.CpuAffinity.pin(cpu);
            assertTrue(boost.raise());
            try {
                stopping.set(true);
                long t0 = System.nanoTime(), c0 = dev.gort.sys.CpuClock.threadCpuNanos();
                world.stopTheWorld("real-time stopper, spin set");
                waited.set(System.nanoTime() - t0);
                stopperCpu.set(dev.gort.sys.CpuClock.threadCpuNanos() - c0);
                world.startTheWorld();
            } finally {
                boost.lower();
            }
        });
        String how = "stop took " + waited.get() / 1e6 + " ms, stopper on the CPU " + stopperCpu.get() / 1e6 + " ms of it";
        System.out.println("ThreadWorldStopTest (real-time stopper, spin 200 ms): " + how);
        assertEquals(0, world.stopsEndedSpinningForTest(), "a real-time stopper does not spin");
        assertTrue(stopperCpu.get() <= waited.get() / 4 + 5_000_000L, "the real-time stopper should give its CPU to the mutator: " + how);
    }

    /**
     * With the real-time stop on, a mutator still running {@link MutatorStopBoost#GRACE_NANOS}
     * after the stop request (here: 3 ms stretches without a safepoint) is SCHED_FIFO until the
     * restart and back to its own policy after it; a mutator waiting (BLOCKED) at the request is
     * never touched. Needs the right to use SCHED_FIFO (root here); skipped without it.
     */
    @Test
    void lateMutatorsAreRealTimeWhileTheStopWaitsAndNormalAfter() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.gort.sys.Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        try {
            dev.gort.sys.RealtimeBoost.forCurrentThread(3);
        } catch (dev.gort.sys.NativeException e) {
            org.junit.jupiter.api.Assumptions.abort("SCHED_FIFO refused here: " + e.getMessage());
        }
        world.boostMutatorsWhileStopping(3);
        AtomicLong tidRunning = new AtomicLong(), tidWaiting = new AtomicLong();
        CountDownLatch registered = new CountDownLatch(2);
        CountDownLatch releaseWaiter = new CountDownLatch(1);
        start("running", () -> {
            world.register(1);
            tidRunning.set(dev.gort.sys.CpuAffinity.threadId());
            registered.countDown();
            try {
                while (!done.get()) {
                    world.poll();
                    busyNanos(3_000_000);
                }
            } finally {
                world.unregister();
            }
        });
        AtomicReference<Mutator> waitingMutator = new AtomicReference<>();
        start("waiting", () -> {
            Mutator m = world.register(1);
            waitingMutator.set(m);
            tidWaiting.set(dev.gort.sys.CpuAffinity.threadId());
            registered.countDown();
            world.runBlocking(m, () -> {
                try {
                    releaseWaiter.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            world.unregister();
        });
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        // The waiting one BLOCKED (in runBlocking) before the first stop, awaited as a state (60 s
        // guard): still RUNNING, it is boosted like the running one. A fixed 20 ms sleep stood for
        // this until session 29; at load ~22 (with two busy-loop hogs) the stop's one boost went
        // to the waiting thread, not yet in runBlocking, while the running one had stopped within
        // the grace ("stop 0: the running mutator while stopped ==> expected: <1> but was: <0>").
        long blockedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (waitingMutator.get().state != Mutator.BLOCKED) {
            assertTrue(System.nanoTime() - blockedBy < 0, "the waiting mutator did not enter runBlocking within 60 s");
            Thread.sleep(1);
        }
        dev.gort.sys.ThreadPriority.Setting normal = dev.gort.sys.ThreadPriority.of((int) tidRunning.get());
        assertEquals(dev.gort.sys.ThreadPriority.SCHED_OTHER, normal.policy());
        int stops = 20, boostedStops = 0;
        for (int s = 0; s < stops; s++) {
            long before = world.mutatorBoostsForTest();
            world.stopTheWorld("test");
            try {
                boolean boosted = world.mutatorBoostsForTest() > before;
                boostedStops += boosted ? 1 : 0;
                assertEquals(boosted ? dev.gort.sys.RealtimeBoost.SCHED_FIFO : dev.gort.sys.ThreadPriority.SCHED_OTHER,
                        dev.gort.sys.ThreadPriority.of((int) tidRunning.get()).policy(), "stop " + s + ": the running mutator while stopped");
                assertEquals(dev.gort.sys.ThreadPriority.SCHED_OTHER, dev.gort.sys.ThreadPriority.of((int) tidWaiting.get()).policy(),
                        "stop " + s + ": the waiting mutator is left alone");
            } finally {
                world.startTheWorld();
            }
            assertEquals(normal, dev.gort.sys.ThreadPriority.of((int) tidRunning.get()), "stop " + s + ": its own policy after the restart");
            Thread.sleep(1);
        }
        assertTrue(boostedStops >= stops / 2, "a mutator in a 3 ms stretch is still running after the grace: boosted in "
                + boostedStops + " of " + stops + " stops");
        releaseWaiter.countDown();
        assertThrows(IllegalArgumentException.class, () -> world.boostMutatorsWhileStopping(0));
    }

    static long[] snapshot(AtomicLongArray a) {
        long[] s = new long[a.length()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.get(i);
        }
        return s;
    }

    /**
     * Six threads register, poll a while (some also wait in runBlocking), unregister, and start
     * again, while the test thread stops and restarts the world 2000 times: during each stop the
     * mutator set and every registered thread's progress stay put, and every thread finishes.
     */
    @Test
    void stopStartStressWithMutatorsJoiningAndLeaving() throws Exception {
        int n = 6;
        AtomicLong progress = new AtomicLong();
        AtomicLong lives = new AtomicLong();
        for (int i = 0; i < n; i++) {
            int me = i;
            start("churner-" + i, () -> {
                SplittableRandom r = new SplittableRandom(7 + me);
                while (!done.get()) {
                    Mutator m = world.register(1);
                    lives.incrementAndGet();
                    int polls = r.nextInt(200);
                    for (int k = 0; k < polls && !done.get(); k++) {
                        world.poll();
                        progress.incrementAndGet();
                        if (r.nextInt(50) == 0) {
                            world.runBlocking(m, () -> busyNanos(20_000));   // counts as stopped meanwhile
                        }
                        busyNanos(r.nextLong(20_000));
                        progress.incrementAndGet();
                    }
                    world.unregister();
                }
            });
        }
        StopBudget budget = StopBudget.of(2000, 200);
        for (int s = 0; budget.more(s); s++) {
            world.stopTheWorld("stress");
            try {
                int registered = world.mutatorCountForTest();
                long p0 = progress.get();
                busyNanos(100_000);
                assertEquals(p0, progress.get(), "stop " + s + ": a registered mutator moved while the world was stopped");
                assertEquals(registered, world.mutatorCountForTest(), "stop " + s + ": the mutator set changed while stopped");
            } finally {
                world.startTheWorld();
            }
            if (s % 4 == 0) {
                Thread.sleep(0, 50_000);
            }
        }
        done.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertTrue(lives.get() > n, "mutators joined and left during the stops: " + lives.get() + " registrations");
        assertEquals(0, world.mutatorCountForTest(), "every mutator left");
    }

    /**
     * No lost wake-up: a mutator that polls continuously parks at each stop and must run again
     * after each restart (the test waits for its count to move before the next stop), and a
     * mutator waiting in runBlocking throughout must come out after the last one. A lost wake-up
     * leaves the poller asleep in the kernel with the world running; a loaded machine only keeps
     * it waiting for a CPU (runnable): the verdict after 10 s without progress is the thread's
     * kernel state, not the time (session 13: a run at autogroup nice 19 under a nice -20
     * measurement waited more than 10 s for a CPU at stop 160).
     */
    @Test
    void aParkedMutatorIsWokenByEveryRestart() throws Exception {
        AtomicLong count = new AtomicLong();
        AtomicLong pollerTid = new AtomicLong();
        CountDownLatch registered = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean waiterOut = new AtomicBoolean();
        start("poller", () -> {
            world.register(1);
            pollerTid.set(dev.gort.sys.CpuAffinity.threadId());
            registered.countDown();
            try {
                while (!done.get()) {
                    world.poll();
                    count.incrementAndGet();
                }
            } finally {
                world.unregister();
            }
        });
        start("waiter", () -> {
            Mutator m = world.register(1);
            registered.countDown();
            world.runBlocking(m, () -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            world.poll();
            waiterOut.set(true);
            world.unregister();
        });
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        StopBudget budget = StopBudget.of(3000, 100);
        int s = 0;
        for (; budget.more(s); s++) {
            world.stopTheWorld("wakeups");
            long c = count.get();
            world.startTheWorld();
            awaitProgress(count, c, pollerTid.get(), "stop " + s);
        }
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!waiterOut.get() && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        assertTrue(waiterOut.get(), "the mutator waiting across every stop came out of runBlocking");
        System.out.println("aParkedMutatorIsWokenByEveryRestart: " + s + " of " + budget.full() + " stops");
    }

    /**
     * Waits for {@code count} to move past {@code c}: spins briefly (a quiet machine's restart is
     * microseconds), then sleeps between checks so the waiting thread does not take the CPU the
     * woken one needs. After 10 s without progress the poller must not be asleep: a thread woken
     * by the restart and still waiting for a CPU reads R; one whose wake-up was lost reads S
     * (sleeping) in every sample of a whole second. It may wait for a CPU until the class's
     * timeout.
     */
    static void awaitProgress(AtomicLong count, long c, long tid, String what) throws InterruptedException {
        for (int i = 0; i < 2_000 && count.get() == c; i++) {
            Thread.onSpinWait();
        }
        long verdictAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int sleepingSamples = 0;
        long sleepingSince = 0;
        while (count.get() == c) {
            long now = System.nanoTime();
            if (now - verdictAt < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                continue;
            }
            if (WorkersOnPTest.state(tid) != 'S') {
                sleepingSamples = 0;
            } else if (sleepingSamples++ == 0) {
                sleepingSince = now;
            }
            assertTrue(sleepingSamples < 20 || now - sleepingSince < 1_000_000_000L || count.get() != c, what
                    + ": the parked mutator (tid " + tid + ") is still asleep more than 10 s after the restart (kernel state S in "
                    + sleepingSamples + " samples over the last second): a lost wake-up");
            Thread.sleep(1);
        }
    }

    /**
     * A mutator interrupted while parked for a stop stays parked (not spinning: park returns at
     * once while the flag is set) and does not run until the restart, and keeps its interrupt.
     */
    @Test
    void anInterruptedMutatorStaysParkedAndKeepsItsInterrupt() throws Exception {
        AtomicLong count = new AtomicLong();
        AtomicBoolean sawInterrupt = new AtomicBoolean();
        Thread poller = start("interrupted-poller", () -> {
            world.register(1);
            try {
                while (!done.get()) {
                    world.poll();
                    count.incrementAndGet();
                    if (Thread.currentThread().isInterrupted()) {
                        sawInterrupt.set(true);
                        return;
                    }
                }
            } finally {
                world.unregister();
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count.get() == 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        world.stopTheWorld("interrupt");
        long c;
        try {
            c = count.get();
            poller.interrupt();
            Thread.sleep(50);
            Thread.State st = poller.getState();
            for (int i = 0; i < 100 && st != Thread.State.WAITING; i++) {   // a loaded machine: give it time to park again
                Thread.sleep(10);
                st = poller.getState();
            }
            assertEquals(Thread.State.WAITING, st, "an interrupted stopped mutator must park again, not spin");
            assertEquals(c, count.get(), "the interrupted mutator ran while the world was stopped");
        } finally {
            world.startTheWorld();
        }
        poller.join(60_000);
        assertTrue(sawInterrupt.get(), "the interrupt survived the stop");
    }

    @Test
    void aNegativeSpinIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> world.setStopSpinNanosForTest(-1));
        assertTrue(e.getMessage().contains(">= 0"), e.getMessage());
    }
}
