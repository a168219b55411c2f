package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A cycle start owed by the allocation that reached the heap trigger ({@code CycleControl.startOwedBy})
 * is not lost when that mutator allocates no more for a while: a thread that leaves the world, or
 * waits (runBlocking), with no other mutator allocating and nobody asking for a cycle. Go starts
 * the cycle at the trigger whatever the goroutine does next; here the coordinator slept on the
 * request until some later allocation or call happened to wake it (review16: the first two tests
 * failed, the cycle still pending after 10 s). An owner that computes on without allocating or
 * waiting, or whose thread ended registered, says nothing: the coordinator's idle wait looks
 * every {@code CycleControl.OWED_START_POLL_NANOS} and takes a start owed past its grace (session
 * 17: without that, the last two tests failed the same way).
 */
class OwedStartTest extends ThreadWorldFixture {
    /**
     * A hang guard on each wait (the coordinator's warm-up and rehearsal, a start): what the tests
     * catch is a start held without end, which any bound catches. 10 s before session 24: a new
     * collector's warm-up and rehearsal alone can take longer on a loaded machine (TriggerGivesPTest
     * gives them 60 s).
     */
    static final long DEADLINE_NANOS = CycleWaits.HANG_GUARD_MS * 1_000_000L;

    @Test
    void aStartOwedByAThreadThatLeavesTheWorldStillHappens() {
        allocateToTheTrigger();
        world.unregister();                     // the owner allocates no more; nobody else allocates or asks
        assertTrue(awaitStart(), "the cycle the trigger requested did not start within "
                + DEADLINE_NANOS / 1_000_000_000L + " s of its requester leaving the world");
    }

    @Test
    void aStartOwedByAThreadThatWaitsStillHappens() {
        Mutator m = allocateToTheTrigger();
        boolean[] started = new boolean[1];
        world.runBlocking(m, () -> started[0] = awaitStart());     // BLOCKED: the cycle's stops do not wait for it
        assertTrue(started[0], "the cycle the trigger requested did not start within "
                + DEADLINE_NANOS / 1_000_000_000L + " s of its requester starting to wait");
    }

    /**
     * The owner goes on computing, polling its safepoints (so the cycle's stops can take it) but
     * never allocating or waiting: nothing of the owner hands the start over, and nobody else
     * allocates or asks. The coordinator takes it itself once the grace is over (before the
     * bound, the start stayed pending until the deadline).
     */
    @Test
    void aStartOwedByAThreadThatComputesOnIsTakenByTheCoordinator() {
        Mutator m = allocateToTheTrigger();
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        long spins = 0;
        while (gc.cycleStartPending() && System.nanoTime() - deadline < 0) {
            world.safepoint(m);                 // computing: no allocation, no wait, no unregister
            spins++;
        }
        assertFalse(gc.cycleStartPending(), "the cycle the trigger requested did not start within "
                + DEADLINE_NANOS / 1_000_000_000L + " s while its requester computed on (" + spins + " safepoint polls)");
        assertEquals(1, gc.owedStartsTakenForTest(), "the coordinator should have taken the owed start itself");
        assertEquals(0, gc.startsOwedForTest(), "the owner never allocated again, so it cannot have handed the start over");
    }

    /**
     * The owner's thread ends without unregistering (an embedder's thread that died of an
     * exception): no allocation of it will ever come, and its mutator is removed only by a stop.
     */
    @Test
    void aStartOwedByAThreadThatEndedRegisteredStillHappens() throws InterruptedException {
        newCollector();
        Thread owner = new Thread(() -> {
            world.register(4);
            allocateUntilTheTrigger(world.current());
            // ends registered
        }, "owed-start-owner");
        owner.start();
        owner.join(DEADLINE_NANOS / 1_000_000);
        assertFalse(owner.isAlive(), "the owner did not reach the trigger");
        assertTrue(awaitStart(), "the cycle the trigger requested did not start within "
                + DEADLINE_NANOS / 1_000_000_000L + " s of its requester's thread ending registered");
        assertEquals(1, gc.owedStartsTakenForTest(), "the coordinator should have taken the owed start itself");
    }

    /** A collector over threads whose coordinator sleeps until a request wakes it. */
    private void newCollector() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        awaitCoordinatorAsleep(gc);
    }

    /** A collector over threads, this thread registered and allocating until its allocation requested a cycle. */
    private Mutator allocateToTheTrigger() {
        newCollector();
        Mutator m = world.register(4);
        allocateUntilTheTrigger(m);
        return m;
    }

    private void allocateUntilTheTrigger(Mutator m) {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (!gc.cycleStartPending()) {
            gc.alloc(m, TriggerGivesPTest.NODE);
            assertTrue(System.nanoTime() - deadline < 0, "no cycle was requested");
        }
    }

    /**
     * The coordinator's warm-up and this JVM's pause path rehearsal are over, so it sleeps until a
     * request wakes it (a rehearsal that gives way to the request would start the cycle itself).
     */
    private static void awaitCoordinatorAsleep(Collector c) {
        CycleWaits.awaitPausePathWarm(c.coordinator, true);
    }

    /** Whether the pending start happened within the deadline (not cycles() or awaitIdle: each wakes an owed start itself). */
    private boolean awaitStart() {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (gc.cycleStartPending() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return !gc.cycleStartPending();
    }
}
