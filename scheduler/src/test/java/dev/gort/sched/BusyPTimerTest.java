package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A timer in the heap of a P whose goroutine runs a loop without safepoints (so it never yields
 * and its M never looks at its P's timers), GOMAXPROCS=2, the other P idle. Older Go's sysmon (about
 * 1.14-1.15) started an M for timers overdue on such a P; later ones do only on netbsd (a kernel bug),
 * because the M that waits for the next timer waits for the earliest timer of every P and a
 * spinning M runs other Ps' due timers (stealWork). gort does the same: the idle M polls
 * until {@code earliestTimer()} (all Ps), then takes the idle P and its stealWork runs the busy
 * P's due timers. This test pins that (session 34: no sysmon change was needed). The loop waits
 * for the timer's effect itself, so a timer that only fired once the loop yielded would keep it
 * spinning until its 60 s guard. No sysmon here: the scheduler runs alone.
 */
@Timeout(180)
class BusyPTimerTest {

    @Test
    void aTimerOnAPBusyInALoopWithoutSafepointsFiresOnTheOtherM() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean fired = new AtomicBoolean();
        AtomicReference<String> firedOn = new AtomicReference<>("");
        AtomicReference<String> result = new AtomicReference<>("");
        try {
            s.run(() -> {
                M own = (M) Scheduler.carrier();
                int ownP = own.p.id;
                Time.afterFunc(Duration.ofMillis(20), () -> {
                    Thread t = Scheduler.carrier();
                    firedOn.set(t == own ? "the busy P's M" : "another thread");
                    fired.set(true);
                });
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!fired.get() && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();    // no safepoint: this P never schedules, its timers wait for others
                }
                result.set("fired " + fired.get() + " (P" + ownP + " busy the whole time)");
            });
            assertEquals("fired true (P0 busy the whole time)", result.get(),
                    "the timer on the busy P fired while its goroutine looped without safepoints");
            assertEquals("another thread", firedOn.get());
        } finally {
            s.close();
        }
    }
}
