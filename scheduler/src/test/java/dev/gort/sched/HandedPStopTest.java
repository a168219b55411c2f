package dev.gort.sched;

import static dev.gort.sched.SchedTesting.assertNextStopTakesEveryP;
import static dev.gort.sched.SchedTesting.assertProgress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A P that startm handed to an M which has not taken it yet (woken, but with no CPU: on a loaded
 * machine milliseconds of a pause) is stopped by the stopper in that M's place: the stop does not
 * wait for the M. Before, such a P was neither idle nor in a syscall, and the stop waited until
 * the M ran, took it and stopped it at its safepoint ("no M, P status 0" in the stop's trace).
 *
 * <p>The M is held between its wake-up and its take by a test hook ({@code
 * handedWakeDelayForTest}) that returns only when the test lets it, long after the stop; without
 * the change the stop waits for it and gives up after 60 s (a StopGivenUpException fails the
 * test). No wall-clock bound is asserted: only that the stop completed while the M was still held.
 */
@Timeout(120)
class HandedPStopTest {

    @Test
    void aStopTakesAHandedPWhoseMHasNotRun() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicLong progress = new AtomicLong();
        AtomicLong spawned = new AtomicLong();
        AtomicLong spawns = new AtomicLong();
        AtomicBoolean spawn = new AtomicBoolean();
        AtomicBoolean quit = new AtomicBoolean();
        Runnable counter = () -> {
            while (!quit.get()) {
                progress.incrementAndGet();
                if (spawn.compareAndSet(true, false)) {
                    spawns.incrementAndGet();
                    Go.go(spawned::incrementAndGet);      // wakep: an idle P handed to an M
                }
                Go.poll();
            }
        };
        SchedTesting.Background program = SchedTesting.Background.start(s, counter);
        assertProgress(progress::get, 1000, "the goroutine runs");

        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicBoolean leftHook = new AtomicBoolean();
        s.mpool.handedWakeDelayForTest = () -> {
            if (armed.getAndSet(false)) {
                held.countDown();
                awaitUninterruptibly(leave);
                leftHook.set(true);
            }
        };
        try {
            // Ask for goroutines until an M is woken for the idle P (an M still spinning from an
            // earlier wake-up takes the new goroutine itself, and no startm happens).
            long until = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (!held.await(50, TimeUnit.MILLISECONDS) && System.nanoTime() < until) {
                spawn.set(true);
            }
            assertEquals(0, held.getCount(), "an M was handed the idle P and held before taking it");
            long stoppedBefore = s.world.handedStoppedForTest();
            int handedWhileHeld = s.handedPs.get();     // the held M's P at least (wakefix34's count)

            long giveUpAt = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            s.stopTheWorld("handed P", () -> System.nanoTime() - giveUpAt > 0);
            int notStopped = 0;
            for (int i = 0; i < s.gomaxprocs(); i++) {
                if (s.p(i).status() != PStatus.GCSTOP) {
                    notStopped++;
                }
            }
            boolean mStillHeld = !leftHook.get();
            long stoppedInItsMsPlace = s.world.handedStoppedForTest() - stoppedBefore;
            int handedInStop = s.handedPs.get();        // a stopped world has no P handed and not taken
            s.startTheWorld();
            assertTrue(handedWhileHeld >= 1, "the count of handed Ps counted the held M's P (" + handedWhileHeld + ")");
            assertEquals(0, handedInStop, "the count of handed Ps went back to 0 once the stop took them");
            assertEquals(0, notStopped, "every P stopped");
            assertTrue(mStillHeld, "the stop completed while the handed P's M was still held before taking it");
            assertEquals(1, stoppedInItsMsPlace, "the stop stopped the handed P in its M's place (the stopper's timed pass, or since"
                    + " flake35 the other goroutine's M at its safepoint)");

            leave.countDown();
            // The held M finds its P taken and parks again; it owns nothing.
            long deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (s.mpool.handedTakenByStop.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, s.mpool.handedTakenByStop.get(), "the held M saw its P taken by the stop");
            assertProgress(progress::get, 1000, "the goroutine runs after the stop");
            deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
            while (spawned.get() < spawns.get() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(spawns.get(), spawned.get(), "every goroutine started before the stop ran after it");
            assertNextStopTakesEveryP(s, "after");
            assertNextStopTakesEveryP(s, "again");
        } finally {
            s.mpool.handedWakeDelayForTest = null;
            leave.countDown();
            quit.set(true);
            program.join();
        }
        program.assertEnded();
        s.close();
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
