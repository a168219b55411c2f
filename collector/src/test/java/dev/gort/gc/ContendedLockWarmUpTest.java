package dev.gort.gc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ThreadWorld#warmUpContendedLock}: the stopper's lock calls meet the world's lock held by
 * its helper (the profile C2 compiles the lock path from must have seen that side, or the first
 * real stops that meet it held trap out of the compiled code; session 20), the helper is gone and
 * the lock free when it returns, and a close (keepGoing false) ends it at once.
 */
class ContendedLockWarmUpTest extends BareThreadWorldFixture {
    @Test
    void theStopperMeetsTheLockHeldAndTheHelperEnds() {
        world.warmUpContendedLock(40, () -> true);
        assertTrue(world.waiterSeenWarmUpRoundsForTest > 0, "the helper never saw the queued stopper in 40 rounds");
        // Each round the helper holds the lock until the stopper queues for it, or 1 ms: on a
        // starved machine some rounds miss it, but not every one of 40.
        assertTrue(world.contendedWarmUpRoundsForTest > 0, "no round found the lock held");
        assertFalse(world.lockForTest().isLocked(), "the lock is free on return");
        assertFalse(helperAlive(), "the helper has ended on return");
    }

    /**
     * A real-time stopper ({@code -Dgort.gc.stopper.rtprio}) polls for a held lock instead of
     * queueing (WorldLock.lockBehindOwner): the helper lets go when it sees that too. It held the
     * full 1 ms of every round instead (hasQueuedThreads never turned true), the stopper polling
     * ~20 times a round; under load each poll waited for a CPU and a boosted coordinator's
     * warm-up took minutes (MarkDoneHandOffTest's real-time case timed out at 60 s, session 22).
     */
    @Test
    void withARealtimeStopperTheHelperLetsGoWhenItPolls() {
        world.inheritForRealtimeStopper(Thread.currentThread(), 10);     // no boost taken: only the polling path
        world.warmUpContendedLock(40, () -> true);
        // As above: on a starved machine some rounds miss the stopper within the 1 ms, not all 40.
        assertTrue(world.waiterSeenWarmUpRoundsForTest > 0, "the helper never saw the polling stopper in 40 rounds");
        assertTrue(world.contendedWarmUpRoundsForTest > 0, "no round found the lock held");
        assertFalse(world.lockForTest().hasRealtimeWaiter(), "no waiter counted on return");
        assertFalse(world.lockForTest().isLocked(), "the lock is free on return");
        assertFalse(helperAlive(), "the helper has ended on return");
    }

    @Test
    void aCloseEndsItAtOnce() {
        world.warmUpContendedLock(1_000_000, () -> false);
        assertEquals(0, world.contendedWarmUpRoundsForTest);
        assertFalse(world.lockForTest().isLocked());
        assertFalse(helperAlive());
    }

    @Test
    void theWorldStopsAndStartsAfterIt() throws InterruptedException {
        world.warmUpContendedLock(8, () -> true);
        PollingMutator m = PollingMutator.start(world);
        try {
            world.stopTheWorld("after the warm-up");
            long frozen = m.progress();
            Thread.sleep(20);
            assertEquals(frozen, m.progress(), "the mutator is stopped");
            world.startTheWorld();
            m.assertRuns("after the restart");
        } finally {
            m.stopAndCheck();
        }
    }

    private static boolean helperAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("gort-gc-lock-warmup") && t.isAlive());
    }
}
