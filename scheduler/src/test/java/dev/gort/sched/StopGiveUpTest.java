package dev.gort.sched;

import static dev.gort.sched.SchedTesting.assertProgress;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * stopTheWorld(reason, giveUp): a stop held up by a goroutine that never reaches a safepoint
 * gives up once its caller says so (a collector being closed), restarting the world: the other
 * goroutine runs on, the next stop works. Without the give-up the stop waits as long as the
 * goroutine spins.
 */
@Timeout(180)
class StopGiveUpTest {

    @Test
    void aStopGivesUpWhenItsCallerSaysSoAndTheWorldRuns() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean quit = new AtomicBoolean();
        AtomicLong progress = new AtomicLong();
        CountDownLatch running = new CountDownLatch(2);
        SchedTesting.Background program = SchedTesting.Background.start(s, () -> {
            running.countDown();
            while (!quit.get()) {
                Thread.onSpinWait();       // no safepoint until the test ends
            }
        }, () -> {
            running.countDown();
            while (!quit.get()) {
                progress.incrementAndGet();
                Go.poll();
            }
        });
        try {
            running.await();
            // Give up 50 ms after the call, timed from the call itself (a thread set to flip a flag
            // 50 ms after its start was seen to flip it 12 ms into the stop at load 40).
            long t0 = System.nanoTime();
            java.util.function.BooleanSupplier after50ms = () -> System.nanoTime() - t0 >= 50_000_000L;
            StopGivenUpException e = assertThrows(StopGivenUpException.class, () -> s.stopTheWorld("test", after50ms));
            long took = System.nanoTime() - t0;
            // The polling goroutine's P may not have stopped either at that load: 1 or 2.
            assertTrue(e.getMessage().matches("stopTheWorld\\(\"test\"\\) given up by its caller after [0-9.]+ ms, [12] P\\(s\\) not stopped; the world runs again"),
                    e.getMessage());
            // The upper bound tells a give-up from none (the stop would wait forever), not a speed.
            assertTrue(took >= 50_000_000L && took < 60_000_000_000L, "gave up " + took / 1_000_000 + " ms after the call");
            assertFalse(s.worldStopping(), "the world runs again");
            assertProgress(progress::get, 1000, "the polling goroutine runs after the stop gave up");
            StopGivenUpException again = assertThrows(StopGivenUpException.class, () -> s.stopTheWorld("again", () -> true));
            assertTrue(again.getMessage().contains("\"again\""), again.getMessage());
        } finally {
            quit.set(true);
            program.join();
        }
        program.assertEnded();
        s.close();
    }

    /** A null give-up is refused before anything stops: the world runs and the next stop works. */
    @Test
    void aNullGiveUpIsRefusedAndNothingStops() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean quit = new AtomicBoolean();
        AtomicLong progress = new AtomicLong();
        CountDownLatch running = new CountDownLatch(1);
        SchedTesting.Background program = SchedTesting.Background.start(s, () -> {
            running.countDown();
            while (!quit.get()) {
                progress.incrementAndGet();
                Go.poll();
            }
        });
        try {
            assertTrue(running.await(60, java.util.concurrent.TimeUnit.SECONDS));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.stopTheWorld("test", null));
            assertTrue(e.getMessage().contains("giveUp is null") && e.getMessage().contains("stopTheWorld(reason)"), e.getMessage());
            assertFalse(s.worldStopping(), "nothing was stopped");
            s.stopTheWorld("after the refusal");
            s.startTheWorld();
            assertProgress(progress::get, 1000, "the goroutine runs after the refusal and the next stop");
        } finally {
            quit.set(true);
            program.join();
        }
        program.assertEnded();
        s.close();
    }
}
