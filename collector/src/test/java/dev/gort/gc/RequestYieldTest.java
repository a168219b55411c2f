package dev.gort.gc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code -Dgort.gc.requestyield} ({@link ThreadWorld#REQUEST_YIELD}, opt-in; each test sets it): a running mutator that
 * makes a wanted stop's request at its safepoint gives up its CPU once first, so that it runs the
 * stopped steps on a fresh scheduler slice; the stopper's own requests do not yield (its pause is
 * timed from before them). Whether the kernel then lets another thread run first is the kernel's
 * business; these tests hold the rule: one yield per request a mutator makes, none otherwise, and
 * the stop itself unchanged.
 */
@Timeout(180)
class RequestYieldTest extends BareThreadWorldFixture {
    private static final long LONG_BOUND = 120_000_000_000L;

    private final class Steps implements Runnable {
        final AtomicInteger runs = new AtomicInteger();

        @Override
        public void run() {
            runs.incrementAndGet();
            world.startTheWorld();
        }
    }

    @Test
    void aMutatorYieldsOnceBeforeEachRequestItMakes() throws Exception {
        world.setRequestYieldForTest(true);
        PollingMutator m = PollingMutator.start(world);
        try {
            for (int round = 0; round < 20; round++) {
                long yields = world.requestYieldsForTest();
                long requests = world.stopsRequestedByMutatorsForTest();
                Steps steps = new Steps();
                world.stopTheWorldAndRun("test", new StopHandOff(steps), LONG_BOUND);
                assertEquals(1, steps.runs.get(), "the steps ran once");
                assertEquals(requests + 1, world.stopsRequestedByMutatorsForTest(), "the mutator made the request");
                assertEquals(yields + 1, world.requestYieldsForTest(), "it yielded once before it");
            }
            m.assertRuns("after the stops it requested");
        } finally {
            m.stopAndCheck();
        }
    }

    @Test
    void withTheYieldOffTheMutatorRequestsWithoutYielding() throws Exception {
        world.setRequestYieldForTest(false);
        PollingMutator m = PollingMutator.start(world);
        try {
            for (int round = 0; round < 10; round++) {
                Steps steps = new Steps();
                world.stopTheWorldAndRun("test", new StopHandOff(steps), LONG_BOUND);
                assertEquals(1, steps.runs.get());
            }
            assertEquals(10, world.stopsRequestedByMutatorsForTest(), "each stop was still requested by the mutator");
            assertEquals(0, world.requestYieldsForTest());
        } finally {
            m.stopAndCheck();
        }
    }

    /**
     * A mutator whose yield lasts past the stopper's bound (held 3 s after it, against a 2 s bound:
     * the mutator must reach its safepoint within the bound, which a 20 ms bound missed at load 40)
     * still makes the request: the stopper, seeing a mutator on its way to it, waits with
     * the world running instead of requesting itself, which would time the pause from its post.
     */
    private static final long BOUND_NANOS = 2_000_000_000L;
    private static final long HELD_YIELD_MS = 3_000;

    @Test
    void aStopperPastItsBoundWaitsForAMutatorStillInItsYield() throws Exception {
        world.setRequestYieldForTest(true);
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean(true);
        world.afterRequestYieldHookForTest = () -> {
            if (once.getAndSet(false)) {
                try {
                    Thread.sleep(HELD_YIELD_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        PollingMutator m = PollingMutator.start(world);
        try {
            Steps steps = new Steps();
            StopHandOff h = new StopHandOff(steps);
            long t0 = System.nanoTime();
            world.stopTheWorldAndRun("test", h, BOUND_NANOS);
            assertTrue(System.nanoTime() - t0 >= HELD_YIELD_MS * 1_000_000L, "the stop came after the held yield");
            assertEquals(1, steps.runs.get());
            assertEquals(1, world.stopsRequestedByMutatorsForTest(), "the mutator made the request, not the stopper at its bound");
            assertNotEquals(0, h.requestedAt);
            assertTrue(h.requestedAt - t0 >= HELD_YIELD_MS * 1_000_000L, "requested after the yield");
            m.assertRuns("after the stop");
        } finally {
            world.afterRequestYieldHookForTest = null;
            m.stopAndCheck();
        }
    }

    /** The stopper requesting for itself (no mutator running; a plain stop; a stop with no deferral) never yields. */
    @Test
    void theStoppersOwnRequestsDoNotYield() throws Exception {
        world.setRequestYieldForTest(true);
        Steps steps = new Steps();
        world.stopTheWorldAndRun("test", new StopHandOff(steps), LONG_BOUND);     // nobody running: requested at once
        assertEquals(1, steps.runs.get());
        PollingMutator m = PollingMutator.start(world);
        try {
            for (int round = 0; round < 10; round++) {
                world.stopTheWorld("test");
                world.startTheWorld();
                world.stopTheWorldAndRun("test", new StopHandOff(new Steps()), 0);
            }
        } finally {
            m.stopAndCheck();
        }
        assertEquals(0, world.stopsRequestedByMutatorsForTest());
        assertEquals(0, world.requestYieldsForTest(), "no yield on the stopper's own requests");
    }

    /** -Dgort.gc.requestyield: a bad value is refused with a warning naming what is accepted, and the default (false) kept. */
    @Test
    void aBadValueIsRefusedWithAWarningAndTheDefaultKept() {
        String old = System.getProperty("gort.gc.requestyield");
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            System.setProperty("gort.gc.requestyield", "sometimes");
            assertFalse(ThreadWorld.requestYieldProperty());
            System.setProperty("gort.gc.requestyield", "true");
            assertTrue(ThreadWorld.requestYieldProperty());
        } finally {
            System.setErr(oldErr);
            if (old == null) {
                System.clearProperty("gort.gc.requestyield");
            } else {
                System.setProperty("gort.gc.requestyield", old);
            }
        }
        String warning = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(warning.contains("gort.gc.requestyield") && warning.contains("sometimes") && warning.contains("false"), warning);
    }
}
