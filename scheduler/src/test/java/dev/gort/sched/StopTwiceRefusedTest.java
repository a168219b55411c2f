package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A stopper's second stopTheWorld before its startTheWorld is refused naming both stops (and so is
 * its GOMAXPROCS change), the world staying stopped by the first stop until its restart. With the
 * ReentrantLock world lock (before session 36) the second stop took the lock again and waited for
 * Ps that the first had stopped, forever (here it gives up after 60 s, a hang guard, and the test
 * fails on the StopGivenUpException); lock36's CarrierLock refused it naming the lock, not the call.
 */
class StopTwiceRefusedTest {
    @Test
    void aSecondStopByTheStopperIsRefusedAndTheWorldStaysUsable() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong spins = new AtomicLong();
        Runnable spinner = () -> {
            while (!done.get()) {
                spins.incrementAndGet();
                Go.poll();
            }
        };
        SchedTesting.Background bg = SchedTesting.Background.start(s, spinner, spinner);
        try {
            SchedTesting.assertProgress(spins::get, 1_000, "the spinners run");
            s.stopTheWorld("first");
            long giveUpAt = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> s.stopTheWorld("second", () -> System.nanoTime() - giveUpAt > 0));
            assertEquals("stopTheWorld(\"second\") while this thread's stop \"first\" holds the world; accepted:"
                    + " startTheWorld first", e.getMessage());
            IllegalStateException resize = assertThrows(IllegalStateException.class, () -> s.setGomaxprocs(1));
            assertEquals("GOMAXPROCS(1) while this thread's stop \"first\" holds the world; accepted: startTheWorld first",
                    resize.getMessage());
            assertEquals(2, s.gomaxprocs(), "GOMAXPROCS unchanged by the refused call");
            assertTrue(s.world.heldBy(Thread.currentThread()) && s.worldStopping(), "still stopped by the first stop");
            long stopped = spins.get();
            s.startTheWorld();
            SchedTesting.assertProgress(spins::get, 1_000, "the spinners run again after the first stop's restart (from " + stopped + ")");
            SchedTesting.assertNextStopTakesEveryP(s, "a stop after the refusal");
        } finally {
            done.set(true);
            bg.join();
        }
        bg.assertEnded();
    }
}
