package dev.gort.sched;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Main returns while goroutines are being started and finished on every P: Scheduler.exit marks
 * the goroutine each M runs at that moment as preempted, so it yields at its next safepoint and
 * its M leaves. A goroutine an M starts just after that (g0 picked it before the exit, or a runner
 * adopted it) must not escape: one that polls must still be stopped at its next poll, not run on
 * after run() returned or until shutdown's join gives up on its M.
 */
class ExitRaceTest {
    @Test
    void goroutinesStartedAsMainReturnsStopAtTheirNextPoll() {
        int runs = Integer.getInteger("gort.stress.runs", 150);
        AtomicLong ranOn = new AtomicLong();
        AtomicLong spinners = new AtomicLong();
        long worst = 0;
        for (int r = 0; r < runs && ranOn.get() == 0; r++) {
            Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
            long pause = 200_000 + ThreadLocalRandom.current().nextLong(3_000_000);
            long t0 = System.nanoTime();
            s.run(() -> {
                Go.go(() -> {
                    for (;;) {
                        for (int k = 0; k < 8; k++) {
                            Go.go(() -> { });
                        }
                        Go.go(() -> spin(s, ranOn, spinners));
                        Go.gosched();
                    }
                });
                Time.sleepNanos(pause);
            });
            worst = Math.max(worst, System.nanoTime() - t0 - pause);
        }
        System.out.println("ExitRaceTest: spinners " + spinners.get() + ", ran on after the exit " + ranOn.get()
                + ", slowest run() return after main " + worst / 1_000_000 + " ms");
        assertEquals(0, ranOn.get(), "a goroutine kept polling for 1 s after the scheduler began to exit");
    }

    /**
     * Polls for 0.3 ms (or until preempted); counts itself if it polls on 1 s into an exit. The
     * bug this guards against polls on for ever (until shutdown's 2 s join gives up on its M).
     * Not less: a goroutine is flagged by exit's pass over the Ms, which comes after the
     * {@code exiting} it sees, or by shutdown's re-marking every millisecond, and on a starved
     * machine either thread can wait longer than a CPU slice between the two (50 ms failed a full
     * suite at load 25 in session 18).
     */
    private static void spin(Scheduler s, AtomicLong ranOn, AtomicLong spinners) {
        spinners.incrementAndGet();
        long start = System.nanoTime();
        long exitSeen = 0;
        for (;;) {
            Go.poll();
            long now = System.nanoTime();
            if (s.exiting()) {
                if (exitSeen == 0) {
                    exitSeen = now;
                } else if (now - exitSeen > 1_000_000_000L) {
                    ranOn.incrementAndGet();
                    return;
                }
            } else if (now - start > 300_000) {
                return;
            }
        }
    }
}
