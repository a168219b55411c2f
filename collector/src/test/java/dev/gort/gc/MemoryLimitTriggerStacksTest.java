package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Under a memory limit the trigger follows goroutine stacks taken between cycles (limit36). Go's
 * trigger test, at each span refill, computes the trigger from memoryLimitHeapGoal read live
 * (gcTrigger.test -> trigger() -> heapGoalInternal), so stacks taken since the last cycle start the
 * next one earlier. Until limit36 gort's trigger moved only at the commit and at setGcPercent /
 * setMemoryLimit: the next cycle started at the old trigger, stacks or not.
 *
 * <p>This class uses only what lead36 already had (the armed trigger, the cycle's figures), so it
 * runs on lead36 as well; {@link MemoryLimitTriggerFollowTest} checks the rest.
 */
class MemoryLimitTriggerStacksTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long STACK_SEGMENT = 64L << 10;
    static final long STACKS = 3L << 20;          // 48 segments of 64 KiB, each a stack span of its own
    static final long LIMIT = 16L << 20;

    @Test
    void stacksTakenBetweenCyclesStartTheNextCycleBelowTheOldTrigger() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        // GOGC=off: the trigger is the memory limit's alone, so the stacks decide it.
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withMemoryLimit(LIMIT), 2);
        world = gc.threadWorld();
        world.register(1);
        gc.gc();                // a committed cycle: the figures and the trigger of a quiet heap
        Pacer pacer = gc.pacer();
        long triggerBefore = heap.gc().trigger();
        long goalBefore = pacer.heapGoal();
        long cyclesBefore = gc.cycles();
        long[] segments = takeStacks(heap, STACKS, STACK_SEGMENT);
        try {
            // Garbage until the heap trigger has started and finished a cycle.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long allocated = 0;
            while (gc.cycles() == cyclesBefore) {
                assertTrue(System.nanoTime() < deadline, "no cycle started within 60 s (heapLive "
                        + (heap.gc().heapLive() >> 10) + " KiB, trigger " + (heap.gc().trigger() >> 10) + " KiB)");
                for (int i = 0; i < 1024; i++) {
                    gc.alloc(NODE);
                }
                allocated += 1024 * NODE.size();
                assertTrue(allocated < 4 * LIMIT, "allocated " + (allocated >> 20) + " MiB with no cycle done");
            }
            GcCycle cycle = gc.gcStats().lastCycle();
            String figures = String.format("limit %d KiB, GOGC=off; before the stacks: trigger %d KiB, goal %d KiB; "
                            + "%d KiB of stacks taken; the next cycle (%s) started at heapLive %d KiB with goal %d KiB",
                    LIMIT >> 10, triggerBefore >> 10, goalBefore >> 10, STACKS >> 10, cycle.trigger(),
                    cycle.heap0() >> 10, cycle.goal() >> 10);
            System.out.println("MemoryLimitTriggerStacksTest: " + figures);
            assertEquals(GcTrigger.HEAP, cycle.trigger(), "the cycle was not the heap trigger's: " + figures);
            assertTrue(cycle.heap0() < triggerBefore - STACKS / 2,
                    "the stacks taken between cycles did not start the next cycle earlier: " + figures);
        } finally {
            freeStacks(heap, segments, STACK_SEGMENT);
        }
    }

    /**
     * The same under the scheduler, with a goroutine's own shadow stack: the main goroutine pushes
     * a 3 MiB frame (its stack grows to a 4 MiB segment of the arena) between two cycles, then
     * allocates garbage; the heap trigger's cycle starts below the trigger armed before the push.
     */
    @Test
    void aGoroutineStackGrownBetweenCyclesStartsTheNextCycleEarlier() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withMemoryLimit(LIMIT), gc -> {
            Heap h = gc.heap();
            gc.gc();
            long triggerBefore = h.gc().trigger();
            long stacksBefore = h.readMemStats().stackInuse();
            long cyclesBefore = gc.cycles();
            try (dev.gort.sched.Frame f = dev.gort.sched.Frame.push((int) (STACKS / 8))) {
                long stacksAfter = h.readMemStats().stackInuse();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                long allocated = 0;
                while (gc.cycles() == cyclesBefore) {
                    assertTrue(System.nanoTime() < deadline, "no cycle started within 60 s (heapLive "
                            + (h.gc().heapLive() >> 10) + " KiB, trigger " + (h.gc().trigger() >> 10) + " KiB)");
                    for (int i = 0; i < 1024; i++) {
                        gc.alloc(NODE);
                    }
                    allocated += 1024 * NODE.size();
                    assertTrue(allocated < 4 * LIMIT, "allocated " + (allocated >> 20) + " MiB with no cycle done");
                }
                GcCycle cycle = gc.gcStats().lastCycle();
                String figures = String.format("limit %d KiB, GOGC=off; trigger %d KiB before the push; StackInuse %d -> %d KiB; "
                                + "the next cycle (%s) started at heapLive %d KiB with goal %d KiB",
                        LIMIT >> 10, triggerBefore >> 10, stacksBefore >> 10, stacksAfter >> 10, cycle.trigger(),
                        cycle.heap0() >> 10, cycle.goal() >> 10);
                System.out.println("MemoryLimitTriggerStacksTest under the scheduler: " + figures);
                assertTrue(stacksAfter - stacksBefore >= STACKS, "the push did not grow the stack: " + figures);
                assertEquals(GcTrigger.HEAP, cycle.trigger(), "the cycle was not the heap trigger's: " + figures);
                assertTrue(cycle.heap0() < triggerBefore - STACKS / 2,
                        "a goroutine stack grown between cycles did not start the next cycle earlier: " + figures);
            }
        });
    }

    /** {@code bytes} of stacks in {@code segment}-byte segments, from the heap's stack allocator. */
    static long[] takeStacks(Heap heap, long bytes, long segment) {
        long[] segments = new long[(int) (bytes / segment)];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = heap.stacks().alloc(segment);
        }
        return segments;
    }

    static void freeStacks(Heap heap, long[] segments, long segment) {
        for (long s : segments) {
            if (s != 0) {
                heap.stacks().free(s, segment);
            }
        }
    }
}
