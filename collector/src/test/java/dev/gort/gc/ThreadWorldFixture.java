package dev.gort.gc;

import dev.gort.arena.Heap;
import org.junit.jupiter.api.AfterEach;

/**
 * A heap, a collector over plain threads and its ThreadWorld, for tests that hold the coordinator
 * at breakpoints or stall sweeping threads: after each test the barrier is off, the calling thread
 * unregistered, the coordinator released from any breakpoint, the sweep stall hook removed, and the
 * collector and heap closed (whatever the test created; a field left null is skipped).
 */
abstract class ThreadWorldFixture {
    Heap heap;
    Collector gc;
    ThreadWorld world;

    @AfterEach
    void closeFixture() {
        WriteBarrier.enabled = false;
        if (world != null && world.current() != null) {
            world.unregister();
        }
        if (gc != null) {
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            gc.close();
        }
        if (heap != null) {
            heap.gc().setStallHookForTest(null);
            heap.close();
        }
    }
}
