package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stop of an active timer that a GOMAXPROCS change moves between heaps while Stop runs (procresize
 * moves a dying P's timers to a survivor: TimerHeap.moveAllTo, the same call used here). Stop reads
 * the timer's P without a lock, so each move makes one remove miss. On lead32 Stop gave up after
 * 3 misses and answered false for a timer it had not stopped, which then still fired. A
 * goroutine's P that survives one shrink can die in the next, so a timer can move any number of
 * times; Stop now looks again until the timer is removed or has fired.
 */
@Timeout(120)
class StopTimerMovedTest {

    private static final int MOVES = 5;

    @Test
    void stopFindsATimerMovedFiveTimesDuringTheCallAndItNeverFires() {
        assertTrue(Scheduler.TIMER_REMOVE_HOOK, "Stop's test seam is off: this module's Surefire configuration sets"
                + " -Dgort.test.timerRemoveHook=true (scheduler/pom.xml)");
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicInteger fired = new AtomicInteger();
        AtomicInteger moves = new AtomicInteger();
        boolean[] stopped = new boolean[1];
        int[] left = new int[1];
        s.run(() -> {
            Time.GoTimer t = Time.afterFunc(Duration.ofHours(1), fired::incrementAndGet);
            s.beforeTimerRemoveForTest = () -> {
                if (moves.get() < MOVES) {
                    // The timer is in one of the two heaps: move it to the other, as a shrink would.
                    P from = s.p(0).timers.size() > 0 ? s.p(0) : s.p(1);
                    P to = from == s.p(0) ? s.p(1) : s.p(0);
                    moves.addAndGet(from.timers.moveAllTo(to.timers));
                }
            };
            try {
                stopped[0] = t.stop();
            } finally {
                s.beforeTimerRemoveForTest = null;
            }
            left[0] = s.p(0).timers.size() + s.p(1).timers.size();
        });
        assertTrue(stopped[0], "Stop of an active timer moved while it ran answered false (not active), after "
                + moves.get() + " moves; timers left in the heaps: " + left[0]);
        assertEquals(MOVES, moves.get(), "the timer moved while Stop ran");
        assertEquals(0, left[0], "the stopped timer is in no heap (it would fire)");
        assertEquals(0, fired.get());
        s.close();
    }
}
