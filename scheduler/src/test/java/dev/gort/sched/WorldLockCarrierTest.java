package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The world lock's owner is the stopper's carrier as read out of line (Scheduler.carrier()), the
 * thread every question about the stop compares with ({@link Scheduler#stopperIs}, onOwnM, start's
 * release). A goroutine that stops and restarts the world in a compiled loop and yields between
 * rounds runs on one M or the other; C2 keeps an inlined Thread.currentThread() of an earlier
 * round across the yield (NativeScratchMigrationTest), so a lock whose owner the JDK sets with
 * that read (the ReentrantLock before session 36) was owned by the M the goroutine had left: its
 * stop did not count it as the stopper, start did not release the lock, and the next stop waited
 * for that lock forever (seen on lead36: the world lock owned by gort-M0, which ran the other
 * goroutine, the stopper parked in ReentrantLock.lock on gort-M1).
 */
class WorldLockCarrierTest {
    /** A hang guard only: the rounds take seconds; no progress for this long is the leaked lock. */
    private static final long NO_PROGRESS_NANOS = 60_000_000_000L;

    @Test
    void aGoroutineStoppingTheWorldInACompiledLoopIsTheStopperOnWhicheverMItRuns() throws Exception {
        int rounds = Integer.getInteger("gort.test.worldLockCarrier.rounds", 200_000);
        AtomicLong made = new AtomicLong();
        AtomicLong moves = new AtomicLong();
        AtomicLong notStopper = new AtomicLong();
        AtomicReference<String> firstMiss = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>(2);
                    AtomicBoolean stopperDone = new AtomicBoolean();
                    Go.go(() -> {
                        // Keeps the other M turning, so the stopper's yields move it between the two Ms.
                        while (!stopperDone.get()) {
                            Go.gosched();
                        }
                        done.send(true);
                    });
                    Go.go(() -> {
                        try {
                            stopAndYieldInALoop(rounds, made, moves, notStopper, firstMiss);
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        } finally {
                            stopperDone.set(true);
                            done.send(true);
                        }
                    });
                    done.recv();
                    done.recv();
                });
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "test-runner");
        runner.setDaemon(true);       // left behind if the world lock leaked (the Ms are daemons too)
        runner.start();
        long last = -1;
        long lastMoved = System.nanoTime();
        while (runner.isAlive()) {
            runner.join(100);
            long now = made.get();
            if (now != last) {
                last = now;
                lastMoved = System.nanoTime();
            } else if (System.nanoTime() - lastMoved > NO_PROGRESS_NANOS) {
                fail("the stopping goroutine made no progress for 60 s after " + now + " of " + rounds + " rounds ("
                        + moves.get() + " moves between Ms, " + notStopper.get() + " stops that did not count it as"
                        + " the stopper, first " + firstMiss.get() + "): its stop waits for a world lock that was not released");
            }
        }
        assertNull(failure.get(), () -> "the stopping goroutine failed: " + failure.get());
        assertEquals(rounds, made.get());
        assertTrue(moves.get() > 0, "the stopping goroutine never moved between Ms (nothing tested)");
        assertEquals(0, notStopper.get(), () -> notStopper.get() + " of " + rounds + " stops (" + moves.get()
                + " moves between Ms) did not count their own goroutine as the stopper; first: " + firstMiss.get());
    }

    /** The goroutine's loop, one method so that C2 compiles the stop, the check and the yield into one frame. */
    private static void stopAndYieldInALoop(int rounds, AtomicLong made, AtomicLong moves, AtomicLong notStopper,
            AtomicReference<String> firstMiss) {
        Scheduler s = Go.scheduler();
        for (int i = 0; i < rounds; i++) {
            s.stopTheWorld("world lock carrier test");
            boolean stopper = s.worldStoppedByCaller();
            s.startTheWorld();
            if (!stopper) {
                notStopper.incrementAndGet();
                firstMiss.compareAndSet(null, "round " + i + " on " + Scheduler.carrier().getName());
            }
            Thread before = Scheduler.carrier();
            Go.gosched();
            if (Scheduler.carrier() != before) {
                moves.incrementAndGet();
            }
            made.incrementAndGet();
        }
    }
}
