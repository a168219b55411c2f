package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GcHook.schedulerExiting: called once when the scheduler stops for good, after exiting() became
 * true and before the Ms are joined (the collector ends what it runs on them there); a hook that
 * throws must not stop the scheduler from joining its Ms and freeing its memory. Scheduler.exit
 * marks the goroutine on every M preempted, so one looping on safepoints leaves at its next one.
 */
@Timeout(120)
class ExitHookTest {
    @Test
    void theHookRunsOnceBeforeTheMsAreJoinedAndMayFail() {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger sawExiting = new AtomicInteger();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicInteger loops = new AtomicInteger();
        s.setGcHook(new NoGcWorkers() {
            @Override
            public void schedulerExiting() {
                calls.incrementAndGet();
                if (s.exiting()) {
                    sawExiting.incrementAndGet();
                }
                throw new IllegalStateException("a failing exit hook");
            }
        });
        s.run(() -> {
            Go.go(() -> {
                for (;;) {
                    loops.incrementAndGet();
                    Go.poll();                 // a safepoint, never a park: it leaves only if preempted
                }
            });
            while (loops.get() == 0) {
                Go.gosched();
            }
        });
        assertEquals(1, calls.get(), "schedulerExiting calls");
        assertEquals(1, sawExiting.get(), "exiting() was true in the hook");
        assertTrue(s.exiting());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t instanceof M m && m.sched == s) {
                assertTrue(!t.isAlive(), t.getName() + " still alive after run() returned");
            }
        }
    }
}
