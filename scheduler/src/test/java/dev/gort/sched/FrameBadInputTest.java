package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input to {@link Frame} (issue #5's roots API, audited in session 32): each misuse is refused
 * with a message naming what was wrong and what is accepted, nothing is pushed or written, and the
 * goroutine's shadow stack stays usable. AffinityAndStackTest covers a close that is not the
 * innermost, a slot index past the end and a push inside Go.syscall.
 */
@Timeout(120)
class FrameBadInputTest {

    @Test
    void framePushOutsideAGoroutineIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Frame.push(1));
        assertTrue(e.getMessage().startsWith("not running on a gort goroutine (current thread: "), e.getMessage());
        assertTrue(e.getMessage().contains("start goroutines with Scheduler.run / Go.go"), e.getMessage());
    }

    @Test
    void badSlotCountsIndicesAndUsesAfterCloseAreRefusedAndTheStackStaysUsable() {
        AtomicReference<Frame> closed = new AtomicReference<>();
        SchedTesting.run(1, () -> {
            long inUse = Frame.stackInUse();
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> Frame.push(-1));
            assertEquals("frame slot count -1 is negative; accepted: 0 or more", neg.getMessage());
            assertEquals(inUse, Frame.stackInUse(), "a refused push pushes nothing");
            try (Frame f = Frame.push(2)) {
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> f.get(-1));
                assertEquals("frame slot -1 out of range; this frame has 2 slots (0..1)", e.getMessage());
                e = assertThrows(IndexOutOfBoundsException.class, () -> f.set(2, 0x10));
                assertEquals("frame slot 2 out of range; this frame has 2 slots (0..1)", e.getMessage());
                IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> f.scratch(-8));
                assertTrue(s.getMessage().contains("scratch size -8 is negative"), s.getMessage());
                assertEquals(0, f.get(0), "refused stores wrote nothing");
                assertEquals(0, f.get(1));
                f.set(1, 0x20);
                assertEquals(0x20, f.get(1));
                closed.set(f);
            }
            Frame f = closed.get();
            for (Runnable use : new Runnable[] {() -> f.get(0), () -> f.set(0, 1), f::close, f::scratchAddress}) {
                IllegalStateException e = assertThrows(IllegalStateException.class, use::run);
                assertTrue(e.getMessage().contains("is no longer on its goroutine's shadow stack (it was closed, or its goroutine ended); "
                        + "accepted: a frame between its push and its close"), e.getMessage());
            }
            assertEquals(inUse, Frame.stackInUse(), "the refusals left the stack as it was");
            try (Frame g = Frame.push(1)) {                  // usable: a new frame at the same depth works
                g.set(0, 0x30);
                assertEquals(0x30, g.get(0));
            }
            assertEquals(inUse, Frame.stackInUse());
        });
    }
}
