package dev.gort.gc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A stopper that posted its stop as wanted ({@link ThreadWorld#stopTheWorldAndRun(String,
 * StopHandOff, long)} with a deferral) parks without the lock and without {@code stopping} set, so a
 * second stopper's {@code stop()} passes its "no stop in progress" wait and stops the world. When
 * the first stopper's bound runs out it withdraws the post and calls {@code requestLocked} without
 * waiting again for that stop to end: it takes over the second stopper's stopped world (stopper,
 * handOff) and runs its steps inside it; the steps' restart ends the second stopper's stop under it.
 *
 * <p>No timing is asserted as a bound: if the machine is so slow that the first stopper's 2 s
 * deferral runs out before the second stopper requests, the two stops simply serialize and the
 * test passes (it cannot fail spuriously).
 */
@Timeout(180)
class WantedStopExclusionTest extends BareThreadWorldFixture {
    private static final long DEFER = 2_000_000_000L;

    @Test
    void aSecondStopInsideTheWantedWindowIsNotTakenOver() throws Exception {
        CountDownLatch mayPoll = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        Thread mutator = startLatePoller(mayPoll, done);

        AtomicInteger stepsRuns = new AtomicInteger();
        AtomicBoolean stepsSawRunning = new AtomicBoolean();
        StopHandOff h = new StopHandOff(() -> {
            stepsRuns.incrementAndGet();
            for (int i = 0, n = world.mutatorSlots(); i < n; i++) {
                Mutator m = world.mutatorAt(i);
                if (m != null && m.state == Mutator.RUNNING) {
                    stepsSawRunning.set(true);
                }
            }
            world.startTheWorld();
        });
        AtomicReference<Throwable> aFailure = new AtomicReference<>();
        Thread a = Thread.ofPlatform().name("stopper-A").start(() -> {
            try {
                world.stopTheWorldAndRun("A", h, DEFER);
            } catch (Throwable t) {
                aFailure.set(t);
            }
        });
        // A posts the stop as wanted and parks (TIMED_WAITING in awaitMutatorRequest), no stop requested.
        long until = System.nanoTime() + 60_000_000_000L;
        while (a.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertFalse(world.stopRequested(), "A's stop is only wanted");

        // B (this thread) stops the world meanwhile; the mutator stops for B's request.
        Thread opener = openAfter20ms(mayPoll);
        long t0 = System.nanoTime();
        world.stopTheWorld("B");
        Throwable bStart = null;
        int runsDuringB;
        boolean sawRunningDuringB;
        try {
            // Hold B's stop past A's bound (plus a margin): A must not run its steps inside it.
            long holdUntil = t0 + DEFER + 1_500_000_000L;
            while (stepsRuns.get() == 0 && System.nanoTime() - holdUntil < 0) {
                Thread.sleep(5);
            }
            runsDuringB = stepsRuns.get();
            sawRunningDuringB = stepsSawRunning.get();
        } finally {
            try {
                world.startTheWorld();
            } catch (Throwable t) {
                bStart = t;
            }
        }
        try {
            a.join(60_000);
        } finally {
            done.set(true);
            mayPoll.countDown();
            opener.join(60_000);
            mutator.join(60_000);
        }
        assertEquals(0, runsDuringB, "A's steps ran inside B's stop (A requested while B's stop was in force)");
        assertFalse(sawRunningDuringB);
        Throwable bStartFailure = bStart;
        assertNull(bStartFailure, () -> "B could not restart its own stop: " + bStartFailure);
        assertFalse(a.isAlive(), "A's stop finished after B's");
        assertNull(aFailure.get(), () -> "A failed: " + aFailure.get());
        assertEquals(1, stepsRuns.get(), "A's steps ran once, after B's stop");
        assertFalse(mutator.isAlive());
    }

    /**
     * The other stop's request clears the wanted post; once that stop ends the post is made again,
     * so a running mutator still makes the request (before the re-post the stopper sat out its
     * whole bound and requested itself). The bound here (30 s) is far beyond the test's run.
     */
    @Test
    void afterTheOtherStopAMutatorStillMakesTheRequest() throws Exception {
        CountDownLatch mayPoll = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        Thread mutator = startLatePoller(mayPoll, done);
        AtomicInteger stepsRuns = new AtomicInteger();
        StopHandOff h = new StopHandOff(() -> {
            stepsRuns.incrementAndGet();
            world.startTheWorld();
        });
        AtomicReference<Throwable> aFailure = new AtomicReference<>();
        Thread a = Thread.ofPlatform().name("stopper-A").start(() -> {
            try {
                world.stopTheWorldAndRun("A", h, 120_000_000_000L);
            } catch (Throwable t) {
                aFailure.set(t);
            }
        });
        long until = System.nanoTime() + 60_000_000_000L;
        while (a.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        Thread opener = openAfter20ms(mayPoll);
        world.stopTheWorld("B");
        Thread.sleep(10);
        world.startTheWorld();
        try {
            a.join(60_000);
        } finally {
            done.set(true);
            mayPoll.countDown();
            opener.join(60_000);
            mutator.join(60_000);
        }
        assertFalse(a.isAlive(), "A's stop did not finish within 60 s of B's (its bound is 120 s)");
        assertNull(aFailure.get(), () -> "A failed: " + aFailure.get());
        assertEquals(1, stepsRuns.get());
        assertNotEquals(0, h.requestedAt, "a mutator made A's request after B's stop");
        assertEquals(1, world.stopsRequestedByMutatorsForTest());
    }

    /** A registered mutator that runs without a safepoint until {@code mayPoll} opens, then polls until {@code done}. */
    private Thread startLatePoller(CountDownLatch mayPoll, AtomicBoolean done) throws InterruptedException {
        CountDownLatch registered = new CountDownLatch(1);
        Thread mutator = Thread.ofPlatform().name("late-poller").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                while (mayPoll.getCount() > 0) {
                    Thread.onSpinWait();            // RUNNING, no safepoint: it makes no request yet
                }
                while (!done.get()) {
                    world.poll();
                    Thread.onSpinWait();
                }
            } finally {
                world.unregister();
            }
        });
        registered.await();
        return mutator;
    }

    /** Opens {@code mayPoll} 20 ms from now, from another thread (this one is about to stop the world). */
    private static Thread openAfter20ms(CountDownLatch mayPoll) {
        return Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            mayPoll.countDown();
        });
    }
}
