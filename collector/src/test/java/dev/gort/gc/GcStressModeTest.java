package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.stress.GraphModel;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code GORT_DEBUG=gcstress=N} (issue #5, "Debug modes for correctness"): a collection every N
 * allocations of a mutator, whatever the pacer says, and what that is for: a pointer kept only in a
 * Java local across an allocation (README, "The rule") loses its object at once. Before session 32
 * only the option's parsing was tested; deleting the collection from {@code Collector.allocChecks}
 * left the suite green.
 */
class GcStressModeTest {
    static final Type NODE = GraphModel.NODE;
    static final long ID = NODE.offset("id");

    Heap heap;
    Collector gc;
    ThreadWorld world;
    Mutator m;

    void start(GcOptions opts) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
        gc = Collector.forThreads(heap, opts, 2);
        world = gc.threadWorld();
        m = world.register(4);
    }

    @AfterEach
    void stop() {
        if (gc != null) {
            world.unregister();
            gc.close();
            heap.close();
        }
    }

    /** With GOGC=off nothing but gcstress starts a cycle: exactly one per N allocations, each a full one. */
    @Test
    void aCollectionEveryNAllocations() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withDebug(false, false, false, 100, 0));
        long kept = gc.alloc(NODE);                    // allocation 1
        Mem.putLong(kept, ID, 7);
        m.roots().set(0, kept);
        for (int i = 2; i <= 1000; i++) {
            gc.alloc(NODE);                            // garbage at once
            assertEquals(i / 100, gc.cycles(), "cycles after allocation " + i + " with gcstress=100");
        }
        assertEquals(10, gc.cycles());
        // The 1000th allocation's cycle ran and swept before it: the kept object and that one allocation remain.
        assertEquals(2, heap.readMemStats().heapObjects(), "gcstress cycles free the garbage though GOGC is off");
        assertNotEquals(0, heap.gc().findObject(kept));
        assertEquals(7, Mem.getLong(kept, ID), "the rooted object keeps its payload");
    }

    /** gcstress=1 with gcpoison makes a rule violation visible at the next allocation. */
    @Test
    void aPointerKeptOnlyInAJavaLocalIsLostAtTheNextAllocation() {
        start(GcOptions.DEFAULT.withDebug(false, false, true, 1, 0));
        long unrooted = gc.alloc(NODE);
        Mem.putLong(unrooted, ID, 42);
        long next = gc.alloc(NODE);                    // a whole cycle runs first: unrooted is garbage
        assertTrue(heap.gc().findObject(unrooted) == 0 || next == unrooted,
                "the unrooted object was freed (or its slot reused by the next allocation)");
        assertNotEquals(42, Mem.getLong(unrooted, ID), "its payload is gone: poisoned or zeroed for reuse");
    }
}
