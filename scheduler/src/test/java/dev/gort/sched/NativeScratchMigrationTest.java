package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.ThreadPriority;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Regression: native-bindings' small calls with out-parameters (ThreadPriority.current, CpuAffinity.mask)
 * made their buffer in an {@code Arena.ofConfined()}, whose owner is {@code Thread.currentThread()}.
 * Inlined into a goroutine's compiled loop that yields between calls, C2 kept the thread of an earlier
 * iteration, and a goroutine resumed on the other M failed with WrongThreadException (seen in
 * RealtimeStopperTest's late goroutine). They now use ownerless scratch (CallScratch).
 */
class NativeScratchMigrationTest {
    @Test
    void goroutinesMovingBetweenMsReadTheirThreadsSettingsInACompiledLoop() {
        int perGoroutine = Integer.getInteger("gort.test.scratchMigration.calls", 150_000);
        AtomicLong calls = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        SchedTesting.run(2, () -> {
            Chan<Boolean> done = new Chan<>(2);
            for (int g = 0; g < 2; g++) {
                Go.go(() -> {
                    try {
                        long sum = 0;
                        for (int i = 0; i < perGoroutine; i++) {
                            sum += ThreadPriority.current().policy();
                            if ((i & 63) == 0) {
                                sum += CpuAffinity.mask().cardinality();
                            }
                            if ((i & 3) == 3) {
                                Go.gosched();      // may resume on the other M
                            }
                            calls.incrementAndGet();
                        }
                        if (sum < 0) {
                            throw new AssertionError("unreachable: " + sum);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        done.send(true);
                    }
                });
            }
            done.recv();
            done.recv();
        });
        assertNull(failure.get(), () -> "a goroutine's native call failed after moving between Ms: " + failure.get());
        assertEquals(2L * perGoroutine, calls.get());
    }
}
