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
    /**
     * The stopper kicks the sidekick in one round of this many (a power of two): a kicked round
     * costs a cross-M wake-up and up to the sidekick's spin, and C2 compiles the loop only after
     * ~110 000 rounds (on-stack replacement; the stale owner showed at round 110 592 in each lead36
     * run), the first move after that failing on lead36's lock.
     */
    private static final int KICK_EVERY = 4;
    /** The sidekick's spin bound, for when the other M is off its CPU (that round has no move). */
    private static final long SIDEKICK_SPIN_NANOS = 200_000L;

    @Test
    void aGoroutineStoppingTheWorldInACompiledLoopIsTheStopperOnWhicheverMItRuns() throws Exception {
        int rounds = Integer.getInteger("gort.test.worldLockCarrier.rounds", 150_000);
        AtomicLong made = new AtomicLong();
        AtomicLong moves = new AtomicLong();
        AtomicLong notStopper = new AtomicLong();
        AtomicReference<String> firstMiss = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>(3);
                    AtomicBoolean stopperDone = new AtomicBoolean();
                    AtomicBoolean resumed = new AtomicBoolean();
                    Chan<Boolean> kick = new Chan<>(1);
                    // The turner keeps the other M taking goroutines from the global queue, where
                    // the stopper's gosched puts it.
                    Go.go(() -> {
                        while (!stopperDone.get()) {
                            Go.gosched();
                        }
                        done.send(true);
                    });
                    // The sidekick keeps the stopper's M busy while the stopper waits in the global
                    // queue: the stopper kicks it into its P's runnext before its gosched, so its
                    // own M runs the sidekick, which spins (up to SIDEKICK_SPIN_NANOS, if the other M is away)
                    // until the stopper resumed, on the other M then. Without it the stopper's
                    // own M took it back almost every time (a move in ~1600 rounds).
                    Go.go(() -> {
                        while (kick.recv()) {
                            long t0 = System.nanoTime();
                            while (!resumed.get() && System.nanoTime() - t0 < SIDEKICK_SPIN_NANOS) {
                                Go.poll();
                            }
                        }
                        done.send(true);
                    });
                    Go.go(() -> {
                        try {
                            stopAndYieldInALoop(rounds, made, moves, notStopper, firstMiss, kick, resumed);
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        } finally {
                            stopperDone.set(true);
                            kick.send(false);       // the sidekick ends
                            done.send(true);
                        }
                    });
                    done.recv();
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
        System.out.println("WorldLockCarrierTest: " + made.get() + " rounds, " + moves.get() + " moves between Ms, "
                + notStopper.get() + " stops not counted as the stopper's");
        assertNull(failure.get(), () -> "the stopping goroutine failed: " + failure.get());
        assertEquals(rounds, made.get());
        // The stale owner shows only after a move between Ms (lead36's yields moved it in 1 round in
        // ~1600, and 1 run in 3 of 200 000 rounds passed): too few moves test nothing, and fail.
        int kicked = (rounds + KICK_EVERY - 1) / KICK_EVERY;
        assertTrue(moves.get() > kicked / 10, () -> "the stopping goroutine moved between Ms in only " + moves.get()
                + " of " + rounds + " rounds (accepted: more than a tenth of the " + kicked + " kicked rounds): too few to"
                + " test the lock's owner");
        assertEquals(0, notStopper.get(), () -> notStopper.get() + " of " + rounds + " stops (" + moves.get()
                + " moves between Ms) did not count their own goroutine as the stopper; first: " + firstMiss.get());
    }

    /**
     * The goroutine's loop, one method so that C2 compiles the stop, the check and the yield into
     * one frame. Each round kicks the sidekick onto its own M before it yields (see the test).
     */
    private static void stopAndYieldInALoop(int rounds, AtomicLong made, AtomicLong moves, AtomicLong notStopper,
            AtomicReference<String> firstMiss, Chan<Boolean> kick, AtomicBoolean resumed) {
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
            boolean kicked = (i & (KICK_EVERY - 1)) == 0;
            if (kicked) {
                resumed.set(false);
                kick.send(true);
            }
            Go.gosched();
            resumed.set(true);
            if (Scheduler.carrier() != before) {
                moves.incrementAndGet();
            }
            made.incrementAndGet();
        }
    }
}
