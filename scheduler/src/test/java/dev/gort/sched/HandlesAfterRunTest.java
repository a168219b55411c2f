package dev.gort.sched;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Handles that outlive their owner: a P from {@code p(id)}, a G, the schedtrace/scheddetail
 * printer after {@link Scheduler#run} returned read the final figures, copied at shutdown before
 * the P blocks and G descriptor chunks are freed (once they were freed with no copy, and
 * scheddetail after run printed freed memory: {@code P0: status=37 syscalltick=140606089218352},
 * {@code P1: runqsize=-2}, seen by hand); a {@link Frame} used
 * after its close, after its goroutine ended or after the scheduler freed the stacks throws
 * IllegalStateException (before: a read of address ~0, SIGSEGV, or silently another frame's slot).
 */
class HandlesAfterRunTest {

    @Test
    void pAndGHandlesAndTheTracePrinterReadFinalFiguresAfterRun() {
        AtomicReference<G> child = new AtomicReference<>();
        long[] goidSeen = new long[1];
        long[] ticksSeen = new long[1];
        Scheduler s = SchedTesting.run(2, () -> {
            List<Chan<Integer>> done = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Chan<Integer> c = new Chan<>(1);
                done.add(c);
                G g = Go.go(() -> c.send(1));
                if (i == 0) {
                    child.set(g);
                }
            }
            for (Chan<Integer> c : done) {
                c.recv();
            }
            goidSeen[0] = child.get().goid();
            Scheduler self = Go.scheduler();
            for (int i = 0; i < self.gomaxprocs(); i++) {
                ticksSeen[0] += self.p(i).schedtick();
            }
        });
        System.gc();    // the blocks must not go while the scheduler (or a handle) is reachable
        int procs = s.gomaxprocs();
        long ticks = 0;
        for (int i = 0; i < procs; i++) {
            P p = s.p(i);
            ticks += p.schedtick();
            assertTrue(p.runqsize() >= 0 && p.runqsize() <= PDescriptor.RUNQ_SIZE, "runqsize " + p.runqsize());
            assertTrue(p.status() >= PStatus.IDLE && p.status() <= PStatus.DEAD, "P" + i + " status " + p.status());
            assertTrue(p.syscalltick() >= 0 && p.syscalltick() < 1_000_000, "P" + i + " syscalltick " + p.syscalltick());
            assertTrue(p.steals() >= 0 && p.steals() < 1_000_000, "P" + i + " steals " + p.steals());
        }
        assertTrue(ticksSeen[0] > 0 && ticks >= ticksSeen[0], "the Ps' final schedticks (" + ticks
                + ") are at least those main read before returning (" + ticksSeen[0] + ")");
        assertEquals(goidSeen[0], child.get().goid(), "a G handle reads its final descriptor after run");
        assertEquals(GStatus.DEAD, child.get().status());
        String trace = s.schedtrace(true);
        assertTrue(trace.startsWith("SCHED "), trace);
        assertTrue(trace.contains("P0: status="), trace);
        assertTrue(trace.contains("\n  G") && trace.contains("\n  M"), trace);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.p(procs + 5));
        assertTrue(e.getMessage().contains("accepted: 0.." + (procs - 1)), e.getMessage());
    }

    @Test
    void aFrameClosedOrOfAnEndedGoroutineOrAfterRunThrows() {
        AtomicReference<Frame> closed = new AtomicReference<>();
        AtomicReference<Frame> ofEnded = new AtomicReference<>();
        AtomicReference<Frame> openAtExit = new AtomicReference<>();
        List<String> messages = new ArrayList<>();
        SchedTesting.run(1, () -> {
            try (Frame f = Frame.push(2)) {
                f.set(1, 42);
                closed.set(f);
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> closed.get().get(1));
            messages.add(e.getMessage());
            Chan<Integer> done = new Chan<>(1);
            G ender = Go.go(() -> {
                Frame f = Frame.push(3);        // never closed: the goroutine ends with it pushed
                f.set(0, 7);
                ofEnded.set(f);
                done.send(1);
            });
            done.recv();
            for (int i = 0; i < 1000 && ender.status() != GStatus.DEAD; i++) {
                Go.gosched();                   // let it finish (goexit0 drops its frames)
            }
            assertEquals(GStatus.DEAD, ender.status());
            e = assertThrows(IllegalStateException.class, () -> ofEnded.get().set(0, 9));
            messages.add(e.getMessage());
            Frame f = Frame.push(1);            // main ends with it pushed: the stacks are freed at shutdown
            f.set(0, 5);
            openAtExit.set(f);
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> openAtExit.get().get(0));
        messages.add(e.getMessage());
        assertThrows(IllegalStateException.class, () -> openAtExit.get().scratch(8));
        assertTrue(messages.get(0).contains("it was closed, or its goroutine ended"), messages.get(0));
        assertTrue(messages.get(1).contains("it was closed, or its goroutine ended"), messages.get(1));
        assertTrue(messages.get(2).contains("the scheduler ended"), messages.get(2));
        for (String m : messages) {
            assertTrue(m.contains("accepted: a frame between its push and its close"), m);
        }
    }

    /**
     * The blocks go when run() returns, the scheduler still reachable (before: once it was
     * unreachable and the next one was made; NativeBlocksFreedTest has the figures).
     */
    @Test
    void blocksAreFreedWhenRunReturns() {
        Scheduler s = SchedTesting.run(2, () -> {
            for (int i = 0; i < 10; i++) {
                Go.go(() -> { });
            }
        });
        assertEquals(0, s.nativeBlocks.count(), "the P blocks and the G chunk were freed when run returned");
        assertTrue(s.goroutinesStarted() >= 11, "the counters outlive the blocks: " + s.goroutinesStarted());
    }
}
