package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A thread that allocates while marking (allocate-black: its bytes counted as marked on its own
 * mutator, Mutator.blackBytes) and unregisters before mark termination: its marked bytes stay the
 * cycle's (ThreadWorld.takeDepartedBytesMarked). The objects stay marked and survive the sweep, so
 * the cycle's marked bytes (heapMarked, the next goal's base) must count them; they were dropped
 * with the mutator's gcWork until session 21 (found by review21).
 */
class UnregisterMarkedBytesTest {
    static final Type NODE = AllocFastPathTest.NODE;

    Heap heap;
    Collector gc;
    ThreadWorld world;

    void start() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        world.register(8);
    }

    @AfterEach
    void stop() {
        if (gc != null) {
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            world.unregister();
            gc.close();
            heap.close();
        }
    }

    @Test
    void bytesAllocatedBlackByAThreadThatLeftAreCountedAsMarked() throws Exception {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 10_000);
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
        t.join(30_000);
        assertNull(failure.get());
        gc.resume();
        gc.awaitIdle(10_000);
        assertTrue(gc.pacer().heapMarked() >= (long) n * NODE.size(), "the cycle's marked bytes " + gc.pacer().heapMarked()
                + " include the " + (long) n * NODE.size() + " bytes the thread allocated black before it left");
    }
}
