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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An M that saw gcwaiting, and is on its way to give its P to the stop, when that stop is
 * abandoned (given up, or failed, and the world restarted): {@code gcstopm} looks at the flag
 * again under the sched lock and keeps its P. Without that look the M stopped its P after the
 * restart: GCSTOP, run by no M, its goroutine stuck, and every later stop waiting for it for
 * ever (this test's next stop gives up after 10 s instead).
 *
 * <p>The window is held open by a test hook ({@code gcstopmDelayForTest}) between the M's look at
 * the flag and its sched lock; the stop gives up once an M is in it.
 */
@Timeout(60)
class GcstopmRecheckTest {

    @Test
    void anMThatSawAnAbandonedStopKeepsItsP() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicLong[] progress = {new AtomicLong(), new AtomicLong()};
        AtomicBoolean quit = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(2);
        AtomicReference<Throwable> died = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>(2);
                    for (AtomicLong counter : progress) {
                        Go.go(() -> {
                            running.countDown();
                            while (!quit.get()) {
                                counter.incrementAndGet();
                                Go.poll();
                            }
                            done.send(true);
                        });
                    }
                    done.recv();
                    done.recv();
                });
            } catch (Throwable t) {
                died.set(t);
            }
        }, "test-runner");
        runner.start();
        running.await();

        CountDownLatch inWindow = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(true);
        s.world.gcstopmDelayForTest = () -> {
            if (armed.getAndSet(false)) {
                inWindow.countDown();
                boolean interrupted = false;
                while (true) {
                    try {
                        leave.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try {
            // One M holds in the window with its P released but not yet counted, so the stop
            // waits for it; the stop gives up (and restarts the world) once it is there.
            assertThrows(StopGivenUpException.class, () -> s.stopTheWorld("abandoned", () -> inWindow.getCount() == 0));
            assertFalse(s.worldStopping(), "the abandoned stop restarted the world");
            leave.countDown();              // the M goes on after the restart: it must keep its P

            for (int i = 0; i < 2; i++) {
                long before = progress[i].get();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (progress[i].get() < before + 1000 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertTrue(progress[i].get() >= before + 1000, "goroutine " + i + " runs after the abandoned stop (progress "
                        + before + " -> " + progress[i].get() + " in 10 s)");
            }
            long giveUpAt = System.nanoTime() + 10_000_000_000L;
            s.stopTheWorld("after", () -> System.nanoTime() - giveUpAt > 0);   // a P stopped by the stale M is never taken
            int notStopped = 0;
            for (int i = 0; i < s.gomaxprocs(); i++) {
                if (s.p(i).status() != PStatus.GCSTOP) {
                    notStopped++;
                }
            }
            s.startTheWorld();
            assertEquals(0, notStopped, "every P stopped by the next stop");
        } finally {
            s.world.gcstopmDelayForTest = null;
            leave.countDown();
            quit.set(true);
            runner.join(30_000);
        }
        assertFalse(runner.isAlive(), "the program ended");
        assertNull(died.get());
        s.close();
    }
}
