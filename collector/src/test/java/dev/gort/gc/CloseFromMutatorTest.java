package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.Go;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Review (review11): {@link Collector#close()} called by a thread that is still a registered
 * mutator, while a cycle is in its mark phase. Close wakes the coordinator, which goes on to mark
 * termination and stops the world; the world waits for every registered mutator, the closing
 * thread included, and that thread sits in close's join of the coordinator: neither moves until
 * the join gives up (10 s), and the collector is left with its coordinator alive, so the heap then
 * refuses to close. A close from a mutator must count as stopped while it waits.
 *
 * <p>Bounds: such a stall now lasts close's whole wait for the collector's threads ({@link
 * Collector#CLOSE_WAIT}, 60 s) and then throws, so a close is failed at {@link #CLOSE_BOUND_MS}, half of
 * that: a close that took 5-30 s on a starved machine is not the stall. A new collector's first
 * cycle used to wait for its pause-path warm-up (1-70 s at load 23-32, session 22; a runTo now ends
 * the warm-up's wait at once), and a starved machine still delays it, so the wait for its
 * breakpoint is a hang guard of 60 s (10 s failed twice under checkmark at load ~15 beside 6 busy loops).
 */
class CloseFromMutatorTest extends ThreadWorldFixture {
    /** Longer than any close on a loaded machine; shorter than the stall's 60 s. */
    private static final long CLOSE_BOUND_MS = Collector.CLOSE_WAIT.toMillis() / 2;
    private static final long FIRST_CYCLE_WAIT_MS = 60_000;

    @Test
    void aRegisteredThreadClosesTheCollectorMidCycleWithoutStallingTheStop() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the coordinator at BEFORE_MARK_TERMINATION");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator m = world.register(4);
        long keep = gc.alloc(m, CollectorTest.NODE);
        m.roots().set(0, keep);
        gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, FIRST_CYCLE_WAIT_MS);    // marking drained, world running

        long t0 = System.nanoTime();
        gc.close();                          // still registered: a mutator's thread closes
        long closeMs = (System.nanoTime() - t0) / 1_000_000;

        assertTrue(closeMs < CLOSE_BOUND_MS, "Collector.close() from a registered mutator mid-cycle took " + closeMs
                + " ms (the coordinator's stop waited for the closing thread, which waited for the coordinator)");
        world.unregister();
        heap.close();                        // nothing of the collector may still run: accepted
        assertTrue(heap.isClosed());
    }

    /**
     * CI, session 12 (AssistWaitTest under gcpoison): a plain thread closes while the coordinator is
     * held at BEFORE_MARK_TERMINATION, and another registered thread runs on without polling (here
     * it waits for the closer). The released coordinator must not go on to the ragged round or the
     * stop, which would wait for that thread until close gave up (10 s) with the coordinator alive.
     */
    @Test
    void aCloseMidCycleIsNotHeldByAMutatorThatRunsWithoutPolling() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the coordinator at BEFORE_MARK_TERMINATION");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator m = world.register(4);
        m.roots().set(0, gc.alloc(m, CollectorTest.NODE));
        gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, FIRST_CYCLE_WAIT_MS);    // marking drained, world running

        AtomicLong closeMs = new AtomicLong(-1);
        Thread closer = Thread.ofPlatform().name("plain-closer").start(() -> {
            long t0 = System.nanoTime();
            gc.close();
            closeMs.set((System.nanoTime() - t0) / 1_000_000);
        });
        closer.join(Collector.CLOSE_WAIT.toMillis() + 30_000);     // registered and RUNNING, no safepoint poll meanwhile

        assertFalse(closer.isAlive(), "Collector.close() still running after its own wait and 30 s more");
        assertTrue(closeMs.get() >= 0 && closeMs.get() < CLOSE_BOUND_MS, "Collector.close() from a plain thread mid-cycle took "
                + closeMs.get() + " ms (the released coordinator waited for a running mutator that never polled)");
        world.unregister();
        heap.close();                        // nothing of the collector may still run: accepted
        assertTrue(heap.isClosed());
    }

    /** The same under the scheduler: the stop waits for the P of the goroutine that closes. */
    @Test
    void aGoroutineClosesTheCollectorMidCycleWithoutStallingTheStop() {
        ForcedMode.assumeConcurrentMark("holds the coordinator at BEFORE_MARK_TERMINATION");
        AtomicLong closeMs = new AtomicLong(-1);
        try (RequestAfterExitTest.Rig rig = RequestAfterExitTest.Rig.create()) {
            Collector c = rig.gc();
            rig.sched().run(() -> {
                RequestAfterExitTest.listHeldBeforeMarkTermination(c);     // marking drained, world running
                assertNotNull(Go.currentP(), "the closing goroutine holds a P");
                long t0 = System.nanoTime();
                c.close();
                closeMs.set((System.nanoTime() - t0) / 1_000_000);
            });
            assertTrue(closeMs.get() >= 0 && closeMs.get() < CLOSE_BOUND_MS, "Collector.close() from a goroutine mid-cycle took "
                    + closeMs.get() + " ms (the coordinator's stop waited for the closing goroutine's P)");
        }                                    // the rig closes the heap: refused if the coordinator were still alive
    }
}
