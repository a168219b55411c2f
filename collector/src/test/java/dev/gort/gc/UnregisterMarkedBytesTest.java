package dev.gort.gc;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A thread that allocates while marking (allocate-black: its bytes counted as marked on its own
 * mutator, Mutator.blackBytes) and unregisters before mark termination: its marked bytes stay the
 * cycle's (ThreadWorld.takeDepartedBytesMarked). The objects stay marked and survive the sweep, so
 * the cycle's marked bytes (heapMarked, the next goal's base) must count them; they were dropped
 * with the mutator's gcWork until session 21 (found by review21).
 */
class UnregisterMarkedBytesTest extends ThreadCollectorFixture {
    static final Type NODE = AllocFastPathTest.NODE;

    @Test
    void bytesAllocatedBlackByAThreadThatLeftAreCountedAsMarked() throws Exception {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        gc.pacer().bgScanCredit.set(1L << 40);      // assists steal: no drain, no wait
        int n = 4_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("short-lived").start(() -> {
            world.register(1);
            try {
                for (int i = 0; i < n; i++) {
                    long p = gc.alloc(NODE);
                    assertTrue(heap.gc().isMarked(p), "allocated black");
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                world.unregister();
            }
        });
        t.join(60_000);
        assertNull(failure.get());
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertTrue(gc.pacer().heapMarked() >= (long) n * NODE.size(), "the cycle's marked bytes " + gc.pacer().heapMarked()
                + " include the " + (long) n * NODE.size() + " bytes the thread allocated black before it left");
    }
}
