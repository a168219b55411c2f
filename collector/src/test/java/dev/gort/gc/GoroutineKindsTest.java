package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sched.G;
import dev.gort.sched.Go;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The collector names its goroutines for a stopper that waits for a P (the scheduler's
 * StopHolders asks the GC hook): each mark worker by the mode of its current or last stint, the
 * background sweeper as such, anything else not at all.
 */
class GoroutineKindsTest {
    @Test
    void theHookNamesMarkWorkersAndTheSweeperOnly() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            SchedCollectorTest.node(gc, 1);          // the first per-P state starts the workers and the sweeper
            gc.gc();                                 // a whole cycle: the workers have run
            GoroutineWorkers hook = ((SchedWorld) gc.world).workers();
            SweeperGoroutineTest.sleepUntil(() -> gc.sweeperGoroutine().goroutine() != null, "the sweeper ran");
            SweeperGoroutineTest.sleepUntil(() -> hook.workerGoroutines().size() == 2, "both workers ran");
            assertEquals("background sweeper", hook.describeGoroutine(gc.sweeperGoroutine().goroutine()));
            List<G> workers = hook.workerGoroutines();
            for (G w : workers) {
                String kind = hook.describeGoroutine(w);
                assertTrue(List.of("mark worker, dedicated", "mark worker, fractional", "mark worker, idle").contains(kind),
                        "worker goroutine " + w.goid() + " named " + kind);
            }
            assertNull(hook.describeGoroutine(Go.current()), "a user goroutine is not the collector's");
        });
    }
}
