package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A goroutine that finds the world lock held (another stopper's stop, e.g. the collector's, or a
 * GOMAXPROCS change on another thread) must wait without holding its P running: that stop waits
 * for every P, its P included. Before session 36 it waited inside the lock, its M parked with the
 * P running and never polling, and the other stop waited for that P for good (Go's stopTheWorld
 * waits for worldsema as a parked goroutine). A thread and a goroutine stop and restart the world
 * in turns as fast as they can; the thread's stops give up after 60 s (a hang guard).
 */
class WorldLockGoroutineWaitTest {
    /** The goroutine's stop is a plain stop and start, or a GOMAXPROCS change (2 to 3 and back: runtime.GOMAXPROCS). */
    @ParameterizedTest(name = "goroutine {0}")
    @ValueSource(strings = {"stopTheWorld", "setGomaxprocs"})
    void aThreadAndAGoroutineStoppingTheWorldAtOnceBothGoOn(String how) throws Exception {
        boolean resize = how.equals("setGomaxprocs");
        int rounds = Integer.getInteger("gort.test.worldLockGoroutineWait.rounds", 3_000);
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong goroutineStops = new AtomicLong();
        AtomicLong spins = new AtomicLong();
        AtomicReference<Throwable> goroutineFailure = new AtomicReference<>();
        SchedTesting.Background bg = SchedTesting.Background.start(s, () -> {
            try {
                Scheduler gs = Go.scheduler();
                while (!done.get()) {
                    if (resize) {
                        gs.setGomaxprocs(gs.gomaxprocs() == 2 ? 3 : 2);
                    } else {
                        gs.stopTheWorld("goroutine's stop");
                        gs.startTheWorld();
                    }
                    goroutineStops.incrementAndGet();
                    Go.poll();
                }
            } catch (Throwable t) {
                goroutineFailure.compareAndSet(null, t);
            }
        }, () -> {
            while (!done.get()) {
                spins.incrementAndGet();
                Go.poll();
            }
        });
        int threadStops = 0;
        try {
            SchedTesting.assertProgress(goroutineStops::get, 10, "the goroutine stops the world");
            for (; threadStops < rounds && goroutineFailure.get() == null; threadStops++) {
                long giveUpAt = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
                s.stopTheWorld("thread's stop", () -> System.nanoTime() - giveUpAt > 0);
                s.startTheWorld();
            }
            SchedTesting.assertProgress(goroutineStops::get, 10, "the goroutine still stops the world after the thread's stops");
        } finally {
            done.set(true);
            bg.join();
        }
        assertNull(goroutineFailure.get(), () -> "the goroutine's stops failed: " + goroutineFailure.get());
        assertEquals(rounds, threadStops);
        bg.assertEnded();
    }
}
