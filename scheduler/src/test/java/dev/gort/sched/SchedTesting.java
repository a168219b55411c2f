package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/** Helpers: run a goroutine program in-process with fatal errors thrown, not exiting the JVM. */
final class SchedTesting {
    /** How long a helper waits for goroutines to make progress or for a program to end. */
    static final long PROGRESS_WAIT_NANOS = 60_000_000_000L;

    private SchedTesting() {
    }

    static Scheduler run(int procs, Runnable main) {
        return run(SchedConfig.defaults().gomaxprocs(procs), main);
    }

    static Scheduler run(SchedConfig cfg, Runnable main) {
        cfg.fatalHandler(FatalHandler.THROW);
        Scheduler s = Scheduler.create(cfg);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        s.run(() -> {
            try {
                main.run();
            } catch (G.GoexitSignal g) {
                throw g;
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return s;
    }

    /**
     * A goroutine program on its own thread ("test-runner") while the test drives the scheduler
     * from outside (stops, faults, give-ups): each body runs as one goroutine, and the program ends
     * when every body has returned. The bodies loop on a flag the test owns and clears before
     * {@link #assertEnded}.
     */
    static final class Background {
        private final Thread runner;
        private final AtomicReference<Throwable> died = new AtomicReference<>();

        private Background(Scheduler s, Runnable[] goroutines) {
            runner = new Thread(() -> {
                try {
                    s.run(() -> {
                        Chan<Boolean> done = new Chan<>(goroutines.length);
                        for (Runnable body : goroutines) {
                            Go.go(() -> {
                                body.run();
                                done.send(true);
                            });
                        }
                        for (int i = 0; i < goroutines.length; i++) {
                            done.recv();
                        }
                    });
                } catch (Throwable t) {
                    died.set(t);
                }
            }, "test-runner");
        }

        /** Starts {@code s.run} on a new thread with one goroutine per body. */
        static Background start(Scheduler s, Runnable... goroutines) {
            Background b = new Background(s, goroutines);
            b.runner.start();
            return b;
        }

        /** Waits up to 60 s for the program to end; asserts it ended and nothing in it threw. */
        void assertEnded() throws InterruptedException {
            runner.join(60_000);
            assertFalse(runner.isAlive(), "the program ended");
            assertNull(died.get(), "the program threw");
        }

        /** Waits up to 60 s for the runner thread, asserting nothing (for a finally block before the asserts). */
        void join() throws InterruptedException {
            runner.join(60_000);
        }
    }

    /**
     * Asserts that {@code counter} grows by {@code by} within {@link #PROGRESS_WAIT_NANOS}: goroutines
     * run (a lost P or a world left stopped keeps it still). Waits no longer than it takes.
     */
    static void assertProgress(LongSupplier counter, long by, String what) throws InterruptedException {
        long before = counter.getAsLong();
        long deadline = System.nanoTime() + PROGRESS_WAIT_NANOS;
        while (counter.getAsLong() < before + by && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        long after = counter.getAsLong();
        assertTrue(after >= before + by, what + " (progress " + before + " -> " + after + " in "
                + PROGRESS_WAIT_NANOS / 1_000_000_000L + " s)");
    }

    /**
     * Stops the world and restarts it, asserting the stop took every P. A P lost by an earlier
     * failure (stopped or idle on no list, or its M's hand-off dropped) is never taken by a stop:
     * this one gives up after {@link #PROGRESS_WAIT_NANOS} (a StopGivenUpException fails the test)
     * instead of hanging.
     */
    static void assertNextStopTakesEveryP(Scheduler s, String reason) {
        long giveUpAt = System.nanoTime() + PROGRESS_WAIT_NANOS;
        s.stopTheWorld(reason, () -> System.nanoTime() - giveUpAt > 0);
        int notStopped = 0;
        for (int i = 0; i < s.gomaxprocs(); i++) {
            if (s.p(i).status() != PStatus.GCSTOP) {
                notStopped++;
            }
        }
        s.startTheWorld();
        assertEquals(0, notStopped, "every P stopped by the next stop (" + reason + ")");
    }
}
