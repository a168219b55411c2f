package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * How the trigger follows stacks between cycles under a memory limit (limit36; the cycle's start
 * itself is {@link MemoryLimitTriggerStacksTest}): the refill after stack spans moved re-arms the
 * trigger (down when they were taken, back when they were returned), keeps trigger <= goal, asks
 * for the cycle at once when the trigger fell to or below the heap already allocated, and without a
 * limit nothing of it runs.
 */
class MemoryLimitTriggerFollowTest extends ThreadWorldFixture {
    static final Type NODE = MemoryLimitTriggerStacksTest.NODE;
    static final long STACK_SEGMENT = MemoryLimitTriggerStacksTest.STACK_SEGMENT;
    static final long STACKS = MemoryLimitTriggerStacksTest.STACKS;
    static final long LIMIT = MemoryLimitTriggerStacksTest.LIMIT;
    /** What the trigger may differ from its old place once the stacks are gone (one span's fragmentation). */
    static final long SLACK = 64L << 10;

    private void startCollector(GcOptions options) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, options, 2);
        world = gc.threadWorld();
        world.register(1);
        gc.gc();
    }

    /** Two 8 KiB spans' worth of 32-byte nodes: at least one span refill. */
    private void twoSpans() {
        for (int i = 0; i < (16 << 10) / 32; i++) {
            gc.alloc(NODE);
        }
    }

    private long rearms() {
        return gc.stackFollowRearms();
    }

    @Test
    void aRefillAfterStacksMovedReArmsTheTriggerDownAndBackUp() {
        startCollector(GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withMemoryLimit(LIMIT));
        Pacer pacer = gc.pacer();
        long t0 = heap.gc().trigger();
        long r0 = rearms();
        long[] segments = MemoryLimitTriggerStacksTest.takeStacks(heap, STACKS, STACK_SEGMENT);
        long t1;
        try {
            assertEquals(t0, heap.gc().trigger(), "taking stacks re-arms nothing by itself (the refill does)");
            twoSpans();
            t1 = heap.gc().trigger();
            String figures = String.format("trigger %d KiB before, %d KiB after %d KiB of stacks and a refill; goal %d KiB; re-arms %d",
                    t0 >> 10, t1 >> 10, STACKS >> 10, pacer.heapGoal() >> 10, rearms() - r0);
            System.out.println("MemoryLimitTriggerFollowTest: " + figures);
            assertTrue(rearms() > r0, "no re-arm after the stacks moved: " + figures);
            assertTrue(t1 <= t0 - STACKS / 2, "the trigger did not follow the stacks down: " + figures);
            assertEquals(pacer.trigger(), t1, "the arena's trigger is the pacer's");
            assertTrue(t1 <= pacer.heapGoal(), "trigger > goal: " + figures);
            assertEquals(pacer.heapGoal(), gc.gcStats().nextGC(), "NextGC is the goal now");
        } finally {
            MemoryLimitTriggerStacksTest.freeStacks(heap, segments, STACK_SEGMENT);
        }
        heap.stacks().flushPools();           // the pooled segments back to the page heap: StackInuse 0
        twoSpans();
        long t2 = heap.gc().trigger();
        assertTrue(t2 >= t0 - SLACK && t2 <= pacer.heapGoal(), String.format(
                "the trigger did not come back once the stacks were returned: %d KiB before, %d with the stacks, %d after, goal %d KiB",
                t0 >> 10, t1 >> 10, t2 >> 10, pacer.heapGoal() >> 10));
    }

    @Test
    void aTriggerThatFallsBelowTheHeapAllocatedAsksForTheCycleAtThatRefill() {
        startCollector(GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withMemoryLimit(LIMIT));
        long t0 = heap.gc().trigger();
        long cycles0 = gc.cycles();
        // Garbage up to 1 MiB under the trigger: no cycle yet (GOGC=off, the limit's trigger only).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (heap.gc().heapLive() < t0 - (1L << 20)) {
            assertTrue(System.nanoTime() < deadline, "the heap did not grow to the trigger's neighbourhood within 60 s");
            twoSpans();
        }
        assertEquals(cycles0, gc.cycles(), "a cycle started under the trigger");
        assertFalse(gc.startPending, "a cycle was asked for under the trigger");
        long liveAtStacks = heap.gc().heapLive();
        long[] segments = MemoryLimitTriggerStacksTest.takeStacks(heap, STACKS, STACK_SEGMENT);
        try {
            // One node at a time until the refill that re-arms the trigger, and not one more: the
            // request must come from that refill, not from the heap trigger at a later one.
            for (int i = 0; i < (16 << 10) / 32 && heap.gc().trigger() == t0; i++) {
                gc.alloc(NODE);
            }
            long t1 = heap.gc().trigger();
            String figures = String.format("heapLive %d KiB when %d KiB of stacks were taken, trigger %d KiB before, %d KiB after",
                    liveAtStacks >> 10, STACKS >> 10, t0 >> 10, t1 >> 10);
            assertTrue(t1 < liveAtStacks, "the stacks did not bring the trigger under the heap allocated: " + figures);
            assertTrue(gc.startPending || gc.phase != Collector.OFF || gc.cycles() > cycles0,
                    "the refill that re-armed the trigger under heapLive asked for no cycle: " + figures);
        } finally {
            MemoryLimitTriggerStacksTest.freeStacks(heap, segments, STACK_SEGMENT);
        }
    }

    /**
     * Stacks returned since the trigger was armed raise it before it is tested: a large allocation
     * that takes heapLive past the trigger armed with the stacks, but not past the one without
     * them, asks for no cycle (Go's test reads the stacks live). Before, the refill at or past the
     * armed trigger asked for the cycle without looking at the stacks.
     */
    @Test
    void stacksReturnedRaiseTheTriggerBeforeItIsTested() {
        startCollector(GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withMemoryLimit(LIMIT));
        long tQuiet = heap.gc().trigger();
        long[] segments = MemoryLimitTriggerStacksTest.takeStacks(heap, STACKS, STACK_SEGMENT);
        try {
            gc.gc();                  // committed with the stacks held
        } finally {
            MemoryLimitTriggerStacksTest.freeStacks(heap, segments, STACK_SEGMENT);
        }
        long tStacks = heap.gc().trigger();
        long cycles0 = gc.cycles();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (heap.gc().heapLive() < tStacks - (3L << 19)) {
            assertTrue(System.nanoTime() < deadline, "the heap did not grow to the trigger's neighbourhood within 60 s");
            twoSpans();
        }
        assertEquals(tStacks, heap.gc().trigger(), "nothing moved the stacks yet (they are pooled, still StackInuse)");
        heap.stacks().flushPools();                   // returned to the page heap: StackInuse drops
        gc.allocBytes(3L << 20);                       // one large allocation past the trigger armed with the stacks
        long live = heap.gc().heapLive();
        String figures = String.format("trigger %d KiB without the stacks, %d KiB armed with them; heapLive %d KiB after "
                        + "they were returned and 3 MiB allocated; trigger now %d KiB; a cycle asked for %b",
                tQuiet >> 10, tStacks >> 10, live >> 10, heap.gc().trigger() >> 10, gc.startPending);
        System.out.println("MemoryLimitTriggerFollowTest, stacks returned: " + figures);
        assertTrue(live >= tStacks && live < tQuiet - SLACK, "the test's premise (heapLive between the two triggers): " + figures);
        assertFalse(gc.startPending || gc.phase != Collector.OFF || gc.cycles() != cycles0,
                "the trigger armed with stacks since returned started a cycle: " + figures);
        assertTrue(heap.gc().trigger() > live, "the trigger was not re-armed above heapLive: " + figures);
    }

    @Test
    void withoutALimitStacksMoveNoTriggerAndCostNoReArm() {
        startCollector(GcOptions.DEFAULT);
        long t0 = heap.gc().trigger();
        long goal = gc.pacer().heapGoal();
        long[] segments = MemoryLimitTriggerStacksTest.takeStacks(heap, STACKS, STACK_SEGMENT);
        try {
            twoSpans();
            assertFalse(heap.gc().triggerStacksStale(), "a trigger that follows the stacks without a memory limit");
            assertEquals(0, rearms(), "a re-arm without a memory limit");
            assertEquals(t0, heap.gc().trigger(), "the trigger moved without a memory limit");
            assertEquals(goal, gc.pacer().heapGoal(), "the goal moved without a memory limit");
        } finally {
            MemoryLimitTriggerStacksTest.freeStacks(heap, segments, STACK_SEGMENT);
        }
    }

    @Test
    void aLimitRemovedStopsTheFollowing() {
        startCollector(GcOptions.DEFAULT.withMemoryLimit(LIMIT));
        gc.setMemoryLimit(Pacer.INFINITE);
        long t0 = heap.gc().trigger();
        long[] segments = MemoryLimitTriggerStacksTest.takeStacks(heap, STACKS, STACK_SEGMENT);
        try {
            twoSpans();
            assertFalse(heap.gc().triggerStacksStale(),
                    "the trigger still follows the stacks after the limit was removed (every refill would take ctl)");
            assertEquals(0, rearms(), "a re-arm after the limit was removed");
            assertEquals(t0, heap.gc().trigger());
        } finally {
            MemoryLimitTriggerStacksTest.freeStacks(heap, segments, STACK_SEGMENT);
        }
    }

    /**
     * Two Ps whose refills saw the same stale count both call the hook; the second finds the
     * trigger re-armed under ctl and only tests heapLive against it (review36a F1). Before, each
     * repeated the whole re-arm (heap lock, pacer arithmetic, setNextGC).
     */
    @Test
    void twoRefillsOnTheSameStaleCountReArmOnce() {
        startCollector(GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withMemoryLimit(LIMIT));
        long r0 = rearms();
        long[] segments = MemoryLimitTriggerStacksTest.takeStacks(heap, STACKS, STACK_SEGMENT);
        try {
            assertTrue(heap.gc().triggerStacksStale(), "the test's premise: the stacks moved since the trigger was armed");
            long live = heap.gc().heapLive();
            gc.trigger.stacksChanged(heap, live);       // the first P's refill
            gc.trigger.stacksChanged(heap, live);       // the second P's, on the same stale count
            assertEquals(r0 + 1, rearms(), "two refills on one stale count re-armed the trigger more than once");
            assertFalse(heap.gc().triggerStacksStale());
            assertEquals(gc.pacer().trigger(), heap.gc().trigger(), "the arena's trigger is the pacer's");
            assertFalse(gc.startPending || gc.phase != Collector.OFF, "a cycle asked for with heapLive under the trigger");
        } finally {
            MemoryLimitTriggerStacksTest.freeStacks(heap, segments, STACK_SEGMENT);
        }
    }

    /**
     * A trigger armed to follow the stacks while no limit is set (what armTriggerLocked must never
     * do) corrects itself at the next refill after a stack change: re-armed as one that does not
     * follow them, so refills stop calling the hook (review36a F3). Before, followStacks returned
     * at "no limit" without re-arming, and every later refill took ctl.
     */
    @Test
    void aFollowingTriggerWithoutALimitIsReArmedAsOneThatDoesNotFollow() {
        startCollector(GcOptions.DEFAULT);
        long t0 = heap.gc().trigger();
        heap.gc().setTrigger(t0, gc.trigger, heap.gc().stackSpanChanges());
        long[] segments = MemoryLimitTriggerStacksTest.takeStacks(heap, STACKS, STACK_SEGMENT);
        try {
            assertTrue(heap.gc().triggerStacksStale(), "the test's premise: a following trigger, stacks moved");
            twoSpans();
            assertFalse(heap.gc().triggerStacksStale(), "the following trigger without a limit was left stale");
            assertEquals(t0, heap.gc().trigger(), "the trigger moved without a memory limit");
            assertEquals(0, rearms(), "a re-arm without a memory limit");
        } finally {
            MemoryLimitTriggerStacksTest.freeStacks(heap, segments, STACK_SEGMENT);
        }
    }
}
