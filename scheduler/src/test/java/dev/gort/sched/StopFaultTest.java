package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * An exception thrown inside stopTheWorld or startTheWorld (a diagnostic's bug, an out-of-memory
 * error) reaches the caller with the world running again: no P left stopped, the world lock free
 * for the next stop, the goroutines running. "release" throws inside start's sched-lock section
 * (session 14: both locks stayed held); "startm" inside the hand-off of a P to an M (session 14:
 * that P was lost, IDLE on no list, and the next stop waited for it for ever). Before, a throw between the request and the return
 * left gcwaiting set and the world lock held by the thread that had gone on: every M parked for
 * good and the next stop waited for the lock for ever (the process hung).
 *
 * <p>Two goroutines at GOMAXPROCS=2: one counts, polling; the other polls too, except in the
 * "wait" case, where it runs without a safepoint until the fault fires.
 */
@Timeout(60)
class StopFaultTest {

    static final class InjectedFault extends RuntimeException {
        InjectedFault(String where) {
            super("injected fault at " + where);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"request", "wait", "stopped", "release", "start", "startm"})
    void aStopThatThrowsLeavesTheWorldRunning(String point) throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicLong progress = new AtomicLong();
        AtomicBoolean quit = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(2);
        AtomicReference<Throwable> died = new AtomicReference<>();
        // For "wait": the second goroutine runs without a safepoint until the fault fires, so the
        // stop cannot end before its first timed turn (a goroutine polling every 20 ms could, at load).
        AtomicBoolean hold = new AtomicBoolean(point.equals("wait"));
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>(2);
                    Go.go(() -> {
                        running.countDown();
                        while (!quit.get()) {
                            progress.incrementAndGet();
                            Go.poll();
                        }
                        done.send(true);
                    });
                    Go.go(() -> {
                        running.countDown();
                        while (!quit.get()) {
                            while (hold.get() && !quit.get()) {
                                Thread.onSpinWait();     // no safepoint: the stop reaches its timed wait
                            }
                            Go.poll();
                        }
                        done.send(true);
                    });
                    done.recv();
                    done.recv();
                });
            } catch (Throwable t) {
                died.set(t);
            }
        }, "test-runner");
        runner.start();
        running.await();
        AtomicBoolean armed = new AtomicBoolean(true);
        java.util.function.Consumer<String> fault = where -> {
            if (where.equals(point) && armed.getAndSet(false)) {
                hold.set(false);
                throw new InjectedFault(where);
            }
        };
        boolean inStart = point.equals("release") || point.equals("start") || point.equals("startm");
        if (!point.equals("startm")) {
            s.world.faultForTest = fault;
        }
        try {
            InjectedFault f;
            if (inStart) {
                s.stopTheWorld("test");
                // Both goroutines were preempted with work queued: the restart starts an M for
                // each P ("startm": the first hand-off fails, as a new M's allocation could).
                s.mpool.faultForTest = point.equals("startm") ? fault : null;
                f = assertThrows(InjectedFault.class, s::startTheWorld);
            } else {
                f = assertThrows(InjectedFault.class, () -> s.stopTheWorld("test"));
            }
            assertEquals("injected fault at " + point, f.getMessage());
            assertFalse(armed.get(), "the fault fired");
            assertFalse(s.worldStopping(), "gcwaiting cleared: the world runs again");

            long before = progress.get();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (progress.get() < before + 1000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(progress.get() >= before + 1000, "the goroutines run after the failed " + point
                    + " (progress " + before + " -> " + progress.get() + " in 10 s)");

            // The world lock is free and the Ps whole: a later stop stops every P and restarts
            // them. A P lost by the failure (stopped or idle on no list, or its M's hand-off
            // dropped) is never taken by a stop: this one gives up after 10 s instead of hanging.
            long giveUpAt = System.nanoTime() + 10_000_000_000L;
            s.stopTheWorld("after the fault", () -> System.nanoTime() - giveUpAt > 0);
            int notStopped = 0;
            for (int i = 0; i < s.gomaxprocs(); i++) {
                if (s.p(i).status() != PStatus.GCSTOP) {
                    notStopped++;
                }
            }
            s.startTheWorld();
            assertEquals(0, notStopped, "every P stopped by the next stop");
            long again = progress.get();
            deadline = System.nanoTime() + 10_000_000_000L;
            while (progress.get() < again + 1000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(progress.get() >= again + 1000, "the goroutines run after the next stop");
        } finally {
            s.world.faultForTest = null;
            s.mpool.faultForTest = null;
            quit.set(true);
            runner.join(30_000);
        }
        assertFalse(runner.isAlive(), "the program ended");
        assertNull(died.get());
        s.close();
    }
}
