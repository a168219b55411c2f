package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;

/**
 * A 1 GiB heap, a thread collector with 2 workers and the test thread registered as its mutator
 * (8 root slots); torn down after each test with any breakpoint released first, so a test that
 * failed while holding the cycle still closes the collector.
 */
abstract class ThreadCollectorFixture {
    Heap heap;
    Collector gc;
    ThreadWorld world;
    Mutator m;

    void start() {
        start(GcOptions.DEFAULT);
    }

    void start(GcOptions options) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, options, 2);
        world = gc.threadWorld();
        m = world.register(8);
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
}
