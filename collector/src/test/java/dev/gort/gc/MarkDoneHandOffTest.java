package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mark termination's stop over ThreadWorld hands its stopped steps to the last mutator to stop
 * (StopHandOff, {@code -Dgort.gc.markdone.handoff}): the pause ends, and that mutator runs on,
 * while the coordinator that asked for the stop has had no CPU since its request.
 */
// A hang guard, not a speed claim: each test makes a collector, and its coordinator's warm-up
// before the first cycle took 1-70 s at load 23-32 beside nice -20 runs (session 22's probe);
// tests here took 40-105 s at load 16-28, and one failed the old 60 s guard.
@Timeout(180)
class MarkDoneHandOffTest extends ThreadWorldFixture {
    private PollingMutator mutator;
    private final boolean defaultHandOff = Coordinator.handOffForNewCollectors;
    private final long defaultDefer = Coordinator.markDoneRequestDeferForNewCollectors;

    @AfterEach
    void restore() throws InterruptedException {
        if (world != null) {
            world.stopWaitHookForTest = null;
        }
        Coordinator.handOffForNewCollectors = defaultHandOff;
        Coordinator.markDoneRequestDeferForNewCollectors = defaultDefer;
        if (mutator != null) {
            mutator.stopAndCheck();
        }
    }

    private void start(boolean handOff) throws InterruptedException {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = handOff;
        // The coordinator's own request: these tests hold it in its stop wait after the request
        // (with the default deferral the mutator requests and the coordinator never waits there).
        Coordinator.markDoneRequestDeferForNewCollectors = 0;
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        mutator = PollingMutator.start(world);
        gc.gc();                 // a whole cycle first: the coordinator's warm-ups are behind it
    }

    /**
     * Holds the coordinator in mark termination's stop wait (after its request, before it would
     * run the steps) until the polling mutator has counted 100 more, at most {@code holdMillis};
     * returns whether it did, i.e. whether the world restarted without the coordinator.
     */
    private boolean mutatorRanOnWhileCoordinatorHeld(long holdMillis) throws Exception {
        // The hook tells mark termination's stop by the phase it reads as its wait begins. With the
        // hand-off, a mutator that stops between the stopper's request and that read can already
        // have run the steps (phase MARK_TERMINATION or OFF by then): the hook lets that stop pass
        // and the cycle proves nothing either way. Such a cycle is run again (CI saw one), until one
        // holds: how many a loaded machine spoils (the coordinator off its CPU right after its
        // request) is not bounded, so the bound is time, a hang guard inside the class's 180 s.
        long cyclesUntil = System.nanoTime() + 90_000_000_000L;
        int cycles = 0;
        for (; System.nanoTime() - cyclesUntil < 0; cycles++) {
            AtomicBoolean armed = new AtomicBoolean(true);
            AtomicReference<Boolean> ranOn = new AtomicReference<>();
            world.stopWaitHookForTest = () -> {
                if (gc.phase != Collector.MARK || !armed.getAndSet(false)) {
                    return;                  // sweep termination's stop, one already ended, or the hold is over
                }
                long before = mutator.progress();
                long deadline = System.nanoTime() + holdMillis * 1_000_000L;
                while (mutator.progress() < before + 100 && System.nanoTime() - deadline < 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
                ranOn.set(mutator.progress() >= before + 100);
            };
            long handedOff = world.stopsHandedOffForTest();
            gc.gc();
            world.stopWaitHookForTest = null;
            if (armed.get()) {
                continue;                    // the hold never began: see above
            }
            assertNotNull(ranOn.get());
            if (ranOn.get()) {
                assertTrue(world.stopsHandedOffForTest() > handedOff, "a stop was handed off");
            }
            return ranOn.get();
        }
        return fail("in " + cycles + " cycles (90 s) the coordinator never waited in mark termination's stop");
    }

    @Test
    void theLastMutatorToStopEndsMarkTerminationWhileTheCoordinatorIsHeld() throws Exception {
        start(true);
        // 10 s: the mutator needs a CPU to stop, run the steps and count on (a starved machine).
        assertTrue(mutatorRanOnWhileCoordinatorHeld(10_000),
                "the mutator ran on after mark termination's stop with the coordinator held since its request");
        assertSame(mutatorThread(), gc.coordinator.markTerminationRanOn, "the steps ran on the mutator");
        assertFalse(world.stopRequested());
        assertEquals(Collector.OFF, gc.phase);
        assertFalse(WriteBarrier.enabled);
        gc.gc();                 // the cycles go on
        assertSame(mutatorThread(), gc.coordinator.markTerminationRanOn);
        mutator.assertRuns("after the handed-off cycles");
    }

    /**
     * The default: the coordinator posts mark termination's stop as wanted and the polling mutator
     * makes the request at its safepoint, stops (the last) and runs the steps; the pause starts at
     * that request. 10 s bound: the mutator needs a CPU to reach its safepoint (a starved machine).
     */
    @Test
    void theMutatorRequestsMarkTerminationsStopAndRunsTheSteps() throws Exception {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        Coordinator.markDoneRequestDeferForNewCollectors = 10_000_000_000L;
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        mutator = PollingMutator.start(world);
        java.util.List<StwPause> pauses = new java.util.concurrent.CopyOnWriteArrayList<>();
        gc.setPauseBreakdownListener(pauses::add);
        gc.gc();
        long requested = world.stopsRequestedByMutatorsForTest();
        assertTrue(requested > 0, "the mutator made mark termination's request");
        gc.gc();
        assertTrue(world.stopsRequestedByMutatorsForTest() > requested, "the next cycle's too");
        assertSame(mutatorThread(), gc.coordinator.markTerminationRanOn, "the steps ran on the mutator");
        assertEquals(Collector.OFF, gc.phase);
        assertFalse(WriteBarrier.enabled);
        assertFalse(pauses.isEmpty());
        mutator.assertRuns("after the cycles");
    }

    @Test
    void withTheHandOffOffTheStopWaitsForTheCoordinator() throws Exception {
        start(false);
        // The mutator stays parked until the coordinator runs the steps: it cannot count on.
        assertFalse(mutatorRanOnWhileCoordinatorHeld(300), "without the hand-off the world waits for the coordinator");
        assertSame(gc.coordinator.thread, gc.coordinator.markTerminationRanOn, "the steps ran on the coordinator");
        assertEquals(0, world.stopsHandedOffForTest());
        mutator.assertRuns("after the cycle");
    }

    /**
     * With the opt-in real-time stop ({@code -Dgort.gc.stopper.rtprio}) the coordinator runs the
     * pause at SCHED_FIFO: handed to a mutator, the steps would run at that mutator's own priority
     * (one that stopped within MutatorStopBoost's grace is never boosted), preemptible by any
     * normal thread, in the very mode chosen to keep pauses from being preempted. The hand-off is
     * not taken then; a SCHED_FIFO coordinator is not woken late, which is what the hand-off saves.
     */
    @Test
    void withTheRealTimeStopTheBoostedCoordinatorRunsTheSteps() throws Exception {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        int savedPriority = StopperBoost.priorityForNewCollectors;
        StopperBoost.priorityForNewCollectors = 10;
        try {
            heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        } finally {
            StopperBoost.priorityForNewCollectors = savedPriority;
        }
        world = gc.threadWorld();
        mutator = PollingMutator.start(world);
        gc.gc();                 // the coordinator has tried its boost by the end of a cycle
        StopperBoost boost = gc.stopperBoostForTest();
        org.junit.jupiter.api.Assumptions.assumeTrue(boost.active(), () -> "SCHED_FIFO not allowed here: " + boost.refusal());
        gc.gc();
        assertSame(gc.coordinator.thread, gc.coordinator.markTerminationRanOn,
                "mark termination's steps ran on the SCHED_FIFO coordinator, not on a mutator at its own priority");
        assertEquals(0, world.stopsHandedOffForTest(), "no stop handed off while the coordinator is boosted");
        mutator.assertRuns("after the boosted cycles");
    }

    @Test
    void aMutatorsInterruptIsKeptAcrossTheStepsItRan() throws Exception {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean keptInterrupt = new AtomicBoolean(true);
        java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(1);
        Thread t = Thread.ofPlatform().name("interrupted-mutator").start(() -> {
            world.register(1);
            Thread.currentThread().interrupt();       // the program's own interrupt, pending while it polls
            registered.countDown();
            try {
                while (!done.get()) {
                    world.poll();
                    if (!Thread.currentThread().isInterrupted()) {
                        keptInterrupt.set(false);
                    }
                    Thread.onSpinWait();
                }
            } finally {
                world.unregister();
            }
        });
        registered.await();
        try {
            gc.gc();
            gc.gc();
            assertSame(t, gc.coordinator.markTerminationRanOn, "the interrupted mutator ran the steps");
        } finally {
            done.set(true);
            t.join(60_000);
        }
        assertFalse(t.isAlive());
        assertTrue(keptInterrupt.get(), "its interrupt was set again after the steps");
    }

    @Test
    void withNoMutatorRunningTheCoordinatorRunsTheStepsItself() throws Exception {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        gc.gc();
        gc.gc();
        assertSame(gc.coordinator.thread, gc.coordinator.markTerminationRanOn, "nobody else to hand the steps to");
        assertEquals(0, world.stopsHandedOffForTest());
    }

    @Test
    void aBadPropertyValueIsRefusedWithAWarningAndTheDefaultKept() {
        String old = System.getProperty("gort.gc.markdone.handoff");
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setProperty("gort.gc.markdone.handoff", "maybe");
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertTrue(Coordinator.markDoneHandOffProperty(), "the default (on) is kept");
            System.setProperty("gort.gc.markdone.handoff", "false");
            assertFalse(Coordinator.markDoneHandOffProperty());
        } finally {
            System.setErr(oldErr);
            if (old == null) {
                System.clearProperty("gort.gc.markdone.handoff");
            } else {
                System.setProperty("gort.gc.markdone.handoff", old);
            }
        }
        String s = err.toString(StandardCharsets.UTF_8);
        assertTrue(s.contains("-Dgort.gc.markdone.handoff=maybe is not valid; accepted: true or false"), s);
    }

    private Thread mutatorThread() {
        for (Mutator m : world.mutators()) {
            return m.owner;
        }
        throw new AssertionError("no mutator");
    }
}
