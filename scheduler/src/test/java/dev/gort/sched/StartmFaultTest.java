package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A startm that throws before an M took its P (a new M's allocation failing) gives the P back and
 * drops its spinning count: here wakep's, from a {@code go} statement, at GOMAXPROCS=2. Before,
 * the P stayed IDLE on no list and nmspinning stayed 1, so no later wakep started an M: the
 * program ran on one P for good (the two goroutines below, each waiting for the other to start
 * without yielding, then never met). The restart's hand-off is StopFaultTest's "startm" case.
 */
@Timeout(180)
class StartmFaultTest {

    @Test
    void aFailedStartmGivesItsPBackAndTheNextGoUsesIt() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicReference<Throwable> fromGo = new AtomicReference<>();
        int[] afterFault = new int[2];
        AtomicInteger started = new AtomicInteger();
        AtomicBoolean met = new AtomicBoolean(true);
        AtomicBoolean armed = new AtomicBoolean(true);
        s.run(() -> {
            s.mpool.faultForTest = where -> {
                if (armed.getAndSet(false)) {
                    throw new StopFaultTest.InjectedFault(where);
                }
            };
            try {
                Go.go(() -> { });           // queued; its wakep's startm fails
            } catch (Throwable t) {
                fromGo.set(t);
            } finally {
                s.mpool.faultForTest = null;
            }
            afterFault[0] = s.npidle.get();
            afterFault[1] = s.nmspinning.get();
            // Two goroutines that can only both start on two Ps: each spins, without a safepoint,
            // until the other started (10 s at most).
            Chan<Boolean> done = new Chan<>(2);
            for (int i = 0; i < 2; i++) {
                Go.go(() -> {
                    started.incrementAndGet();
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (started.get() < 2) {
                        if (System.nanoTime() - deadline > 0) {
                            met.set(false);
                            break;
                        }
                        Thread.onSpinWait();
                    }
                    done.send(true);
                });
            }
            done.recv();
            done.recv();
        });
        assertInstanceOf(StopFaultTest.InjectedFault.class, fromGo.get(), "the go statement got startm's failure");
        assertEquals(1, afterFault[0], "the failed startm's P is back on the idle list");
        assertEquals(0, afterFault[1], "the failed startm's spinning count was dropped");
        assertTrue(met.get(), "two goroutines ran at once on the two Ps after the failure");
        s.close();
    }
}
