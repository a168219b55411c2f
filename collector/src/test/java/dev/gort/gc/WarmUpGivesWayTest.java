package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A thread collector's pause-path warm-up before its first cycle gives way to a cycle that is owed
 * (Coordinator.firstCycleWarmUpMayGoOn): at once to a caller waiting for a cycle it asked for
 * (gc(), runTo), and to the heap trigger's request once it has been owed for the grace; the rest
 * of the warm-up then runs between cycles. Before session 23 the whole warm-up ran first: 1-70 s
 * for a new collector's first gc() at load 23-32 (session 22, flakes22).
 *
 * <p>The warm-up is made as long as the test wants by a hook run before each of its steps
 * ({@link Coordinator#warmUpStepHookForNewCollectors}): while {@link #hold} is set it waits until
 * a cycle is requested (or the collector closes), then lets the step go after
 * {@code stepMillis}. So without a request the warm-up never ends while held, and with one it
 * goes on at one step per {@code stepMillis} unless it gives way: a warm-up that did not give way
 * finishes before the cycle (in 470 steps or more), one that did stays unfinished until
 * the test lets go. Nothing here depends on how fast the machine runs the steps. Checkmark is on:
 * the cycles run between warm-up steps must still mark everything reachable.
 */
@Timeout(300)
class WarmUpGivesWayTest {
    private static final GcOptions CHECKMARK = GcOptions.DEFAULT.withDebug(false, true, false, 0, 0);

    private final AtomicBoolean hold = new AtomicBoolean(true);
    private Heap heap;
    private Collector gc;

    /** A collector over threads whose warm-up steps the hook holds (see the class comment). */
    private void start(long stepMillis) {
        AtomicReference<Collector> made = new AtomicReference<>();
        Coordinator.warmUpStepHookForNewCollectors = () -> {
            long guard = System.nanoTime() + 120_000_000_000L;     // a hang guard only
            while (hold.get() && System.nanoTime() < guard) {
                Collector c = made.get();
                if (c != null && (c.coordinator.control.cycleRequested || c.closed)) {
                    sleepMillis(stepMillis);
                    return;
                }
                sleepMillis(1);
            }
        };
        try {
            heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            gc = Collector.forThreads(heap, CHECKMARK, 2);
            made.set(gc);
        } finally {
            Coordinator.warmUpStepHookForNewCollectors = null;     // read once, at construction
        }
    }

    @AfterEach
    void tearDown() {
        hold.set(false);
        Coordinator.warmUpStepHookForNewCollectors = null;
        if (gc != null) {
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            if (gc.threadWorld().current() != null) {
                gc.threadWorld().unregister();
            }
            gc.close();
            heap.close();
        }
    }

    @Test
    void aGcCallRunsItsCycleBeforeTheWarmUpEndsAndTheWarmUpFinishesAfterIt() throws Exception {
        start(0);
        PollingMutator mutator = PollingMutator.start(gc.threadWorld());     // a running mutator: the stops wait for it
        gc.gc();
        Coordinator co = gc.coordinator;
        assertFalse(co.pausePathWarm, "gc() waited for the whole warm-up");
        assertEquals("a waiting caller", co.firstCycleGaveWayTo);
        assertTrue(gc.cycles() >= 1);
        assertTrue(gc.checkmarkCycles() >= 1, "the cycle ran checkmark");
        assertTrue(co.stopPathWarmUpRoundsDone < Coordinator.PAUSE_PATH_WARMUP_ROUNDS, "the warm-up's last rounds ran before the cycle");
        mutator.assertRuns("after the first cycle, warm-up unfinished");

        hold.set(false);
        awaitWarm(co);
        assertEquals(Coordinator.PAUSE_PATH_WARMUP_ROUNDS, co.gateWarmUpRoundsDone, "every store gate round ran");
        assertEquals(Coordinator.PAUSE_PATH_WARMUP_ROUNDS, co.stopPathWarmUpRoundsDone, "every stop path round ran");
        int chunks = (Coordinator.PAUSE_PATH_WARMUP_ROUNDS + Coordinator.WARMUP_CHUNK - 1) / Coordinator.WARMUP_CHUNK;
        assertEquals(chunks * ThreadWorld.CONTENDED_WARMUP_ROUNDS, co.contendedWarmUpRoundsDone,
                "every contended-lock round ran, as many as before the change");
        long before = gc.cycles();
        gc.gc();                            // and the collector collects on
        assertTrue(gc.cycles() > before);
        mutator.stopAndCheck();
    }

    @Test
    void theHeapTriggersRequestEndsTheWarmUpAfterTheGraceNotBefore() throws Exception {
        start(5);       // with the request owed, 470 steps or more at 5 ms each: well over the grace
        ThreadWorld world = gc.threadWorld();
        Mutator m = world.register(4);
        long guard = System.nanoTime() + 120_000_000_000L;
        // Garbage until the first cycle has run: the allocation that reaches the trigger requests
        // it and this thread, owing its start, waits for it at its next allocation (allocChecks).
        for (long i = 0; gc.cycles() == 0 && System.nanoTime() < guard; i++) {
            for (int k = 0; k < 1024; k++) {
                gc.alloc(m, CollectorTest.NODE);
            }
        }
        Coordinator co = gc.coordinator;
        assertTrue(gc.cycles() >= 1, "no cycle within 120 s");
        assertEquals("the heap trigger", co.firstCycleGaveWayTo, "the first cycle waited for the whole warm-up");
        assertTrue(co.firstCycleHeldNanos >= Coordinator.FIRST_CYCLE_WARMUP_GRACE_NANOS,
                "the warm-up gave way to a trigger owed for only " + co.firstCycleHeldNanos / 1_000_000 + " ms");
        assertFalse(co.pausePathWarm);
        assertTrue(gc.checkmarkCycles() >= 1, "the cycle ran checkmark");

        hold.set(false);
        awaitWarm(co);
        long before = gc.cycles();
        gc.gc();
        assertTrue(gc.cycles() > before);
    }

    @Test
    void aTestsRunToDuringTheWarmUpReachesItsBreakpoint() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start(0);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 60_000);
        assertEquals(Collector.Breakpoint.AFTER_MARK_START, gc.stoppedAt());
        assertFalse(gc.coordinator.pausePathWarm, "runTo waited for the whole warm-up");
        assertEquals("a waiting caller", gc.coordinator.firstCycleGaveWayTo);
        gc.resume();
    }

    /** A quiet collector's warm-up still runs whole before any cycle, none asked for (CoordinatorWarmUpTest's first case, with the hook's steps). */
    @Test
    void withNoCycleOwedTheWarmUpEndsBeforeTheFirstCycle() throws Exception {
        hold.set(false);
        start(0);
        awaitWarm(gc.coordinator);
        assertEquals(0, gc.cycles());
        assertNull(gc.coordinator.firstCycleGaveWayTo);
    }

    /**
     * Until the warm-up has finished. A loaded machine decides how long that takes (a whole warm-up
     * took 106 s at load 26, session 23), so the wait fails only when the warm-up stops advancing:
     * 60 s without a round done, or the class's timeout.
     */
    private static void awaitWarm(Coordinator co) throws InterruptedException {
        long progress = -1, lastChange = System.nanoTime();
        while (!co.pausePathWarm) {
            long now = System.nanoTime();
            long p = (long) co.gateWarmUpRoundsDone + co.stopPathWarmUpRoundsDone + co.contendedWarmUpRoundsDone;
            if (p != progress) {
                progress = p;
                lastChange = now;
            }
            assertTrue(now - lastChange < 60_000_000_000L, "the warm-up made no round in 60 s after it was let go (" + p + " rounds done)");
            Thread.sleep(5);
        }
    }

    private static void sleepMillis(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
