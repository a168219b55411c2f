package dev.gort.gc;

import dev.gort.sched.Go;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SchedWorld's ragged round is the scheduler's forEachP: every P's collector state runs the round's
 * function exactly once, also a P whose goroutine loops without allocating (its only safepoint
 * the preempt check) and a P whose goroutine sits in a syscall. The partial round before it
 * answered only at allocations and gave up on such a P after 2 ms, leaving its grey buffers to
 * the stop-the-world flush (this test's looping goroutine's state was never run).
 */
@Timeout(180)
class SchedWorldRaggedRoundTest {

    @Test
    void everyPsStateRunsTheRoundOnceWhateverItsGoroutineDoes() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withGcPercent(Pacer.OFF), gc -> {
            SchedWorld world = (SchedWorld) gc.world;
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean looping = new AtomicBoolean();
            Go.go(() -> {
                gc.alloc(SchedCollectorTest.NODE);       // this P gets its collector state
                looping.set(true);
                while (!stop.get()) {
                    Go.poll();                              // no allocation: only the preempt check
                }
            });
            gc.alloc(SchedCollectorTest.NODE);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!looping.get() && System.nanoTime() < deadline) {
                Go.gosched();
            }
            assertTrue(looping.get(), "the looping goroutine started");
            try {
                // The rounds run from a plain thread (the coordinator's kind) while this goroutine
                // waits in a syscall (its P is taken by the round's caller, or retaken, or runs the
                // looping goroutine).
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Thread caller = new Thread(() -> {
                    try {
                        for (int r = 0; r < 200; r++) {
                            Map<Mutator, Integer> runs = new IdentityHashMap<>();
                            boolean complete = world.forEachMutatorAtSafepoint(m -> {
                                synchronized (runs) {
                                    runs.merge(m, 1, Integer::sum);
                                }
                            });
                            assertTrue(complete, "round " + r + " completed");
                            int states = 0;
                            for (int i = 0; i < world.mutatorSlots(); i++) {
                                Mutator m = world.mutatorAt(i);
                                if (m != null) {
                                    states++;
                                    assertEquals(1, runs.getOrDefault(m, 0), "round " + r + ": runs for P" + i + "'s state");
                                }
                            }
                            assertTrue(states >= 1, "some P has collector state");
                            assertEquals(states, runs.size(), "round " + r + " ran only for the Ps' states");
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                }, "round-caller");
                Go.syscall(() -> {
                    caller.start();
                    try {
                        caller.join();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                if (failed.get() instanceof Error e) {
                    throw e;
                }
                assertNull(failed.get());
            } finally {
                stop.set(true);
            }
        });
    }
}
