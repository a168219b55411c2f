package dev.gort.sched;

import static dev.gort.sched.SchedTesting.assertNextStopTakesEveryP;
import static dev.gort.sched.SchedTesting.assertProgress;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
        Runnable[] counters = new Runnable[2];
        for (int i = 0; i < 2; i++) {
            AtomicLong counter = progress[i];
            counters[i] = () -> {
                running.countDown();
                while (!quit.get()) {
                    counter.incrementAndGet();
                    Go.poll();
                }
            };
        }
        SchedTesting.Background program = SchedTesting.Background.start(s, counters);
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
                assertProgress(progress[i]::get, 1000, "goroutine " + i + " runs after the abandoned stop");
            }
            assertNextStopTakesEveryP(s, "after");
        } finally {
            s.world.gcstopmDelayForTest = null;
            leave.countDown();
            quit.set(true);
            program.join();
        }
        program.assertEnded();
        s.close();
    }
}
