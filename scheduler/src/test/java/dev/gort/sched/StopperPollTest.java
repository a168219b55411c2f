package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A goroutine that stops the world keeps its P and runs on through its stop: a preempt request
 * that reaches it inside the stop (sysmon's preemptP reads a P as RUNNING without the sched lock,
 * so its flag can land after the stop's request) must not make its polls yield with the world
 * stopped, which would leave no one to restart it. The request is kept and answered at the first
 * poll after the restart (Go: the stopper runs with preemptoff; releasem then honours the request).
 */
@Timeout(180)
class StopperPollTest {

    @Test
    void aGoroutineStopperFlaggedInsideItsStopPollsThroughItAndYieldsAfterTheRestart() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicReference<String> phase = new AtomicReference<>("start");
        AtomicReference<Throwable> err = new AtomicReference<>();
        AtomicReference<Boolean> flaggedAfterRestart = new AtomicReference<>();
        SchedTesting.Background program = SchedTesting.Background.start(s, () -> {
            try {
                s.stopTheWorld("StopperPollTest: a goroutine stops the world itself");
                try {
                    phase.set("stopped");
                    s.preempt(Go.current());        // a late request, as sysmon's can be
                    phase.set("flagged inside the stop, polling");
                    Go.poll();
                    Go.poll();
                    phase.set("polled through the stop");
                } finally {
                    s.startTheWorld();
                }
                flaggedAfterRestart.set(Go.preemptPending());
                phase.set("restarted");
                Go.poll();                          // answers the kept request
                phase.set("done");
            } catch (Throwable e) {
                err.set(e);
            }
        });
        long guard = System.nanoTime() + 60_000_000_000L;
        while (!phase.get().equals("done") && err.get() == null && System.nanoTime() < guard) {
            Thread.sleep(10);
        }
        assertNull(err.get(), "the stopper failed in phase " + phase.get());
        assertEquals("done", phase.get(), "a goroutine stopper flagged inside its own stop did not run on within 60 s "
                + "(its poll yielded with the world stopped?)");
        assertTrue(flaggedAfterRestart.get(), "the request made inside the stop is kept for the first poll after the restart");
        program.join();
    }
}
