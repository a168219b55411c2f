package dev.gort.gc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ThreadWorld#stopTheWorldAndRun(String, StopHandOff, long)} with a deferral: the stopper
 * posts the stop as wanted and a running mutator makes the request at its next safepoint (or as it
 * starts a wait), the stopper requesting it itself only when no mutator runs or none made it within
 * the bound. Whoever requests, the steps run once with every mutator stopped, and the world runs
 * again after. Bounds far above what the test waits for (30 s) are never reached on a loaded
 * machine; the one test of the bound uses a mutator that cannot reach a safepoint before it.
 */
@Timeout(180)
class StopRequestedByMutatorTest extends BareThreadWorldFixture {
    private static final long LONG_BOUND = 120_000_000_000L;

    /** Steps that record their thread and whether any mutator ran meanwhile, then restart the world. */
    private final class Steps implements Runnable {
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        final AtomicInteger runs = new AtomicInteger();
        volatile boolean sawRunningMutator;

        @Override
        public void run() {
            runs.incrementAndGet();
            ranOn.set(Thread.currentThread());
            for (int i = 0, n = world.mutatorSlots(); i < n; i++) {
                Mutator m = world.mutatorAt(i);
                if (m != null && m.state == Mutator.RUNNING) {
                    sawRunningMutator = true;
                }
            }
            world.startTheWorld();
        }
    }

    @Test
    void aPollingMutatorMakesTheRequestAndRunsTheSteps() throws Exception {
        PollingMutator m = PollingMutator.start(world);
        try {
            for (int round = 0; round < 20; round++) {
                Steps steps = new Steps();
                StopHandOff h = new StopHandOff(steps);
                long before = world.stopsRequestedByMutatorsForTest();
                world.stopTheWorldAndRun("test", h, LONG_BOUND);
                assertEquals(1, steps.runs.get(), "the steps ran once");
                assertFalse(steps.sawRunningMutator, "every mutator was stopped during the steps");
                assertEquals(before + 1, world.stopsRequestedByMutatorsForTest(), "the mutator made the request");
                assertNotEquals(0, h.requestedAt, "the hand-off knows when the mutator requested");
                assertEquals("polling-mutator", steps.ranOn.get().getName(), "the requesting mutator, the last to stop, ran the steps");
                assertTrue(world.describeLastStop().startsWith("requested by polling-mutator at its safepoint "), world.describeLastStop());
                assertFalse(world.stopRequested(), "the world runs again");
            }
            m.assertRuns("after the stops it requested");
        } finally {
            m.stopAndCheck();
        }
    }

    @Test
    void withNoMutatorRunningTheStopperRequestsAtOnce() {
        Steps steps = new Steps();
        StopHandOff h = new StopHandOff(steps);
        long t0 = System.nanoTime();
        world.stopTheWorldAndRun("test", h, LONG_BOUND);
        assertTrue(System.nanoTime() - t0 < LONG_BOUND / 2, "it did not wait for a request no mutator could make");
        assertSame(Thread.currentThread(), steps.ranOn.get());
        assertEquals(0, h.requestedAt);
        assertEquals(0, world.stopsRequestedByMutatorsForTest());
    }

    /** A mutator that is RUNNING but reaches no safepoint for 300 ms: after a 20 ms bound the stopper requests, then the stop waits for it as any stop. */
    @Test
    void pastTheBoundTheStopperRequestsItself() throws Exception {
        CountDownLatch registered = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        Thread t = Thread.ofPlatform().name("busy-mutator").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                // No safepoint (a long stretch of its own code) until the stopper has requested:
                // by then the stopper gave up waiting for a mutator's request, however slow the
                // machine (a fixed spin let a starved stopper post after it and be answered).
                while (!world.stopRequested() && !done.get()) {
                    Thread.onSpinWait();
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
        try {
            Steps steps = new Steps();
            StopHandOff h = new StopHandOff(steps);
            world.stopTheWorldAndRun("test", h, 20_000_000L);
            assertEquals(1, steps.runs.get());
            assertFalse(steps.sawRunningMutator);
            assertEquals(0, h.requestedAt, "the stopper made the request");
            assertEquals(0, world.stopsRequestedByMutatorsForTest());
            assertFalse(world.describeLastStop().startsWith("requested by"), world.describeLastStop());
        } finally {
            done.set(true);
            t.join(60_000);
        }
        assertFalse(t.isAlive());
    }

    /** A mutator that starts a wait while the stop is wanted makes the request as it stops by waiting; the stopper, woken, runs the steps. */
    @Test
    void aMutatorStartingAWaitMakesTheRequest() throws Exception {
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch startWait = new CountDownLatch(1);
        CountDownLatch endWait = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("waiting-mutator").start(() -> {
            Mutator m = world.register(1);
            registered.countDown();
            try {
                startWait.await();                   // RUNNING, no safepoint meanwhile
                world.runBlocking(m, () -> {
                    try {
                        endWait.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                world.poll();
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                world.unregister();
            }
        });
        registered.await();
        Thread opener = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(50);                    // the stop is posted by then, most likely; either order passes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            startWait.countDown();
        });
        try {
            Steps steps = new Steps();
            StopHandOff h = new StopHandOff(steps);
            long t0 = System.nanoTime();
            world.stopTheWorldAndRun("test", h, LONG_BOUND);
            assertTrue(System.nanoTime() - t0 < LONG_BOUND / 2, "the stop did not wait out its bound");
            assertEquals(1, steps.runs.get());
            assertSame(Thread.currentThread(), steps.ranOn.get(), "the mutator waits: the stopper ran the steps");
            assertFalse(steps.sawRunningMutator);
            if (h.requestedAt != 0) {
                assertEquals(1, world.stopsRequestedByMutatorsForTest(), "requested by the mutator as it started to wait");
            }
        } finally {
            endWait.countDown();
            opener.join(60_000);
            t.join(60_000);
        }
        assertNull(failure.get());
        assertFalse(t.isAlive());
    }

    /** Two polling mutators: one requests, the other stops; the steps run once, with both stopped. */
    @Test
    void withTwoMutatorsTheStepsRunOnceWithBothStopped() throws Exception {
        PollingMutator a = PollingMutator.start(world);
        PollingMutator b = PollingMutator.start(world);
        try {
            for (int round = 0; round < 20; round++) {
                Steps steps = new Steps();
                world.stopTheWorldAndRun("test", new StopHandOff(steps), LONG_BOUND);
                assertEquals(1, steps.runs.get());
                assertFalse(steps.sawRunningMutator, "round " + round);
            }
            assertTrue(world.stopsRequestedByMutatorsForTest() > 0);
            a.assertRuns("after the stops");
            b.assertRuns("after the stops");
        } finally {
            a.stopAndCheck();
            b.stopAndCheck();
        }
    }

    /** The warm-up's calls of the mutator's request path, with no stop wanted, change nothing; the world stops and starts after. */
    @Test
    void theRequestPathWarmUpChangesNothing() throws Exception {
        world.warmUpRequestPath();
        assertEquals(0, world.stopsRequestedByMutatorsForTest());
        assertFalse(world.stopRequested());
        assertFalse(world.lockForTest().isLocked(), "the lock is free after it");
        PollingMutator m = PollingMutator.start(world);
        try {
            Steps steps = new Steps();
            world.stopTheWorldAndRun("after the warm-up", new StopHandOff(steps), LONG_BOUND);
            assertEquals(1, steps.runs.get());
            assertEquals(1, world.stopsRequestedByMutatorsForTest());
            m.assertRuns("after the stop");
        } finally {
            m.stopAndCheck();
        }
    }

    @Test
    void thePauseTimerStartsAtTheMutatorsRequest() throws InterruptedException {
        PauseTimer pt = new PauseTimer();
        pt.begin();
        long began = pt.startNanos();
        Thread.sleep(5);
        long requested = System.nanoTime();
        pt.requestedAt(requested);
        assertEquals(requested, pt.startNanos(), "the pause starts at the request");
        pt.requestedAt(began - 1);
        assertEquals(requested, pt.startNanos(), "never moved back before the begin");
        pt.stopped();
        pt.requestedAt(System.nanoTime());
        assertEquals(requested, pt.startNanos(), "not moved once a step was recorded");
        StwPause p = pt.end(1, StwPause.Kind.MARK_TERMINATION);
        assertTrue(p.totalNanos() < System.nanoTime() - began, "the pause excludes the time before the request");
    }

    /** -Dgort.gc.markdone.request.us: a bad value is refused with a warning naming what is accepted, and the default kept. */
    @Test
    void aBadRequestBoundIsRefusedWithAWarningAndTheDefaultKept() {
        String old = System.getProperty("gort.gc.markdone.request.us");
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            System.setProperty("gort.gc.markdone.request.us", "soon");
            assertEquals(5_000_000L, Coordinator.markDoneRequestDeferProperty());
            System.setProperty("gort.gc.markdone.request.us", "200000");
            assertEquals(5_000_000L, Coordinator.markDoneRequestDeferProperty());
            System.setProperty("gort.gc.markdone.request.us", "0");
            assertEquals(0L, Coordinator.markDoneRequestDeferProperty());
        } finally {
            System.setErr(oldErr);
            if (old == null) {
                System.clearProperty("gort.gc.markdone.request.us");
            } else {
                System.setProperty("gort.gc.markdone.request.us", old);
            }
        }
        String warning = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(warning.contains("gort.gc.markdone.request.us") && warning.contains("soon")
                && warning.contains("200000") && warning.contains("100000"), warning);
    }
}
