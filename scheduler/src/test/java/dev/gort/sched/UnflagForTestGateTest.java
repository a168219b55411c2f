package dev.gort.sched;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Scheduler#unflagForTest(G)} (a test seam on a production class, pace34) writes a G's
 * descriptor. It goes through the same gate as {@link Scheduler#preempt(G)} and refuses, by
 * name, a G that is not live (an exited G's descriptor may be another goroutine's) and a
 * scheduler that has ended (its descriptors are freed). Before (review34a F3) it wrote
 * {@code g.desc} directly in every case.
 */
class UnflagForTestGateTest {
    static final long GUARD_NANOS = 60_000_000_000L;

    @Test
    void refusesAnExitedGoroutineAndAnEndedSchedulerByName() {
        AtomicReference<G> child = new AtomicReference<>();
        AtomicReference<String> exitedMessage = new AtomicReference<>();
        Scheduler s = SchedTesting.run(2, () -> {
            Scheduler self = Go.scheduler();
            G me = Go.current();
            self.unflagForTest(me);          // a live goroutine: accepted (sysmon may flag it again at any time)
            Chan<Integer> done = new Chan<>(1);
            child.set(Go.go(() -> done.send(1)));
            done.recv();
            long deadline = System.nanoTime() + GUARD_NANOS;
            while (child.get().status() != GStatus.DEAD) {
                assertTrue(System.nanoTime() - deadline < 0, "the child never exited: " + GStatus.name(child.get().status()));
                Go.gosched();
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> self.unflagForTest(child.get()),
                    "an exited goroutine's descriptor must not be written");
            exitedMessage.set(e.getMessage());
        });
        assertTrue(exitedMessage.get().contains("not live") && exitedMessage.get().contains("accepted"), exitedMessage.get());
        IllegalStateException ended = assertThrows(IllegalStateException.class, () -> s.unflagForTest(child.get()),
                "after run the descriptors are freed");
        assertTrue(ended.getMessage().contains("ended") && ended.getMessage().contains("accepted"), ended.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> s.unflagForTest(null));
        assertTrue(none.getMessage().contains("accepted"), none.getMessage());
    }
}
