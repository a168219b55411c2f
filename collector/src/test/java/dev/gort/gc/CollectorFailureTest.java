package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * After a fatal collector error (here a bad pointer in a root) no cycle runs again. The world is
 * left running so the error can be reported, but the heap must not grow without bound meanwhile
 * (a runaway heap ends in the kernel's OOM killer, which reports nothing): an allocation past the
 * heap goal fails with the collector's error.
 */
class CollectorFailureTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");


    @Test
    void afterAFatalCollectorErrorAnAllocationPastTheGoalFailsInsteadOfGrowingTheHeap() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator m = world.register(4);
        long head = 0;
        for (int i = 0; i < (4 << 20) / 32; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NEXT, head);
            head = p;
            m.roots().set(0, head);
        }
        gc.gc();
        long goal = gc.pacer().heapGoal();
        m.roots().set(1, 0x10);                         // not a heap address: the next mark fails
        RuntimeException fatal = assertThrows(RuntimeException.class, gc::gc);
        assertTrue(fatal.getMessage().contains("bad pointer"), fatal.getMessage());
        m.roots().set(1, 0);
        long allocated = 0;
        IllegalStateException refused = null;
        try {
            while (allocated < 64L * goal) {             // 64 goals: far past any bound, if nothing stops it
                gc.alloc(NODE);
                allocated += 32;
            }
        } catch (IllegalStateException e) {
            refused = e;
        }
        assertNotNull(refused, "allocated " + (allocated >> 20) + " MiB with a dead collector and a goal of "
                + (goal >> 20) + " MiB: the heap grows without bound");
        assertTrue(refused.getMessage().contains("the collector failed") && refused.getMessage().contains("bad pointer"),
                refused.getMessage());
        assertSame(fatal.getClass(), refused.getCause().getClass());
        long live = heap.gc().heapLive();
        assertTrue(live <= goal + (1 << 20), "heapLive " + (live >> 20) + " MiB stopped near the goal of " + (goal >> 20) + " MiB");
        assertThrows(IllegalStateException.class, () -> gc.alloc(NODE), "and it keeps refusing");
    }
}
