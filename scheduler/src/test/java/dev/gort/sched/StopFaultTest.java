package dev.gort.sched;

import static dev.gort.sched.SchedTesting.assertNextStopTakesEveryP;
import static dev.gort.sched.SchedTesting.assertProgress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
        // For "wait": the second goroutine runs without a safepoint until the fault fires, so the
        // stop cannot end before its first timed turn (a goroutine polling every 20 ms could, at load).
        AtomicBoolean hold = new AtomicBoolean(point.equals("wait"));
        SchedTesting.Background program = SchedTesting.Background.start(s, () -> {
            running.countDown();
            while (!quit.get()) {
                progress.incrementAndGet();
                Go.poll();
            }
        }, () -> {
            running.countDown();
            while (!quit.get()) {
                while (hold.get() && !quit.get()) {
                    Thread.onSpinWait();     // no safepoint: the stop reaches its timed wait
                }
                Go.poll();
            }
        });
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

            assertProgress(progress::get, 1000, "the goroutines run after the failed " + point);
            assertNextStopTakesEveryP(s, "after the fault");     // the world lock is free and the Ps whole
            assertProgress(progress::get, 1000, "the goroutines run after the next stop");
        } finally {
            s.world.faultForTest = null;
            s.mpool.faultForTest = null;
            quit.set(true);
            program.join();
        }
        program.assertEnded();
        s.close();
    }
}
