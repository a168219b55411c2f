package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Go tip's goschedImpl: a goroutine preempted because a stop-the-world is pending goes to its own
 * P's runnext, not the global queue, "so it can keep running immediately after the STW". Here, at
 * GOMAXPROCS=1 with no sysmon and no retaker, goroutine a spins on safepoints while b waits in
 * the P's runnext; a plain thread stops and restarts the world. The first of the two to run after
 * the restart must be a. Before, a went to the global queue and b ran first.
 */
@Timeout(180)
class StopPreemptRunnextTest {

    @Test
    void aGoroutinePreemptedForAStopRunsFirstAfterTheRestart() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean aSpinning = new AtomicBoolean();
        AtomicBoolean restarted = new AtomicBoolean();
        AtomicReference<String> firstAfterRestart = new AtomicReference<>();
        Runnable b = () -> firstAfterRestart.compareAndSet(null, "b");
        Runnable a = () -> {
            Go.go(b);                   // b in runnext, behind a on the one P
            aSpinning.set(true);
            long t0 = System.nanoTime();
            while (!restarted.get() && System.nanoTime() - t0 < 60_000_000_000L) {
                Go.poll();              // the stop's preemption request is seen here
            }
            firstAfterRestart.compareAndSet(null, "a");
        };
        SchedTesting.Background program = SchedTesting.Background.start(s, a);
        long t0 = System.nanoTime();
        while (!aSpinning.get() && System.nanoTime() - t0 < 60_000_000_000L) {
            LockSupport.parkNanos(1_000_000);
        }
        s.stopTheWorld("test");
        restarted.set(true);            // nothing runs until the restart below
        s.startTheWorld();
        program.assertEnded();
        assertEquals("a", firstAfterRestart.get(), "the goroutine preempted for the stop ran first after the restart");
    }
}
