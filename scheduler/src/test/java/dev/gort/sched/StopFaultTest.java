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
 * for the next stop, the goroutines running. Before, a throw between the request and the return
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
    @ValueSource(strings = {"request", "wait", "stopped", "start"})
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
        s.world.faultForTest = where -> {
            if (where.equals(point) && armed.getAndSet(false)) {
                hold.set(false);
                throw new InjectedFault(where);
            }
        };
        try {
            InjectedFault f;
            if (point.equals("start")) {
                s.stopTheWorld("test");
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

            // The world lock is free and the Ps whole: a later stop stops every P and restarts them.
            s.stopTheWorld("after the fault");
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
            quit.set(true);
            runner.join(30_000);
        }
        assertFalse(runner.isAlive(), "the program ended");
        assertNull(died.get());
        s.close();
    }
}
