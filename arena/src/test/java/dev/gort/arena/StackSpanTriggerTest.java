package dev.gort.arena;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack-span count and the trigger that follows it (limit36): every stack span taken from or
 * returned to the page heap moves {@link GcSupport#stackSpanChanges}; a segment carved from a span
 * already held does not. A trigger armed with the count calls {@link HeapTrigger#stacksChanged} at
 * a refill below it while the count differs, until re-armed; armed without one (the two-argument
 * form: no memory limit), never.
 */
class StackSpanTriggerTest {
    Heap heap;
    MCache cache;
    GcSupport gc;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        cache = heap.newCache();
        gc = heap.gc();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    @Test
    void theCountMovesWithTheStackSpansNotWithTheSegments() {
        long c0 = gc.stackSpanChanges();
        long small = heap.stacks().alloc(2048);          // a 32 KiB span for 2 KiB segments
        assertEquals(c0 + 1, gc.stackSpanChanges(), "a new small-stack span");
        long small2 = heap.stacks().alloc(2048);         // carved from the same span
        assertEquals(c0 + 1, gc.stackSpanChanges(), "a segment of a span already held");
        long large = heap.stacks().alloc(64 << 10);      // a span of its own
        assertEquals(c0 + 2, gc.stackSpanChanges(), "a large stack span");
        heap.stacks().free(large, 64 << 10);             // pooled, still StackInuse
        assertEquals(c0 + 2, gc.stackSpanChanges(), "a pooled large segment stays a stack span");
        heap.stacks().flushPools();
        assertEquals(c0 + 3, gc.stackSpanChanges(), "the pooled span returned to the page heap");
        heap.stacks().free(small, 2048);
        heap.stacks().free(small2, 2048);                // the only span of its order: kept
        assertEquals(c0 + 3, gc.stackSpanChanges());
        heap.stacks().flushPools();                      // the empty small-stack span goes
        assertEquals(c0 + 4, gc.stackSpanChanges(), "the empty small-stack span returned");
        assertEquals(0, heap.readMemStats().stackInuse());
    }

    /**
     * An empty small-stack span that is not the only one of its order goes back to the page heap
     * at the free that empties it (not at a flush), and that moves the count (review36a F4).
     */
    @Test
    void anEmptiedSmallStackSpanThatIsNotTheLastOfItsOrderIsCounted() {
        long perSpan = StackAllocator.POOL_SPAN_BYTES / StackAllocator.MIN_STACK;   // 16 segments of 2 KiB
        long[] first = new long[(int) perSpan];
        for (int i = 0; i < first.length; i++) {
            first[i] = heap.stacks().alloc(StackAllocator.MIN_STACK);
        }
        long c0 = gc.stackSpanChanges();
        long other = heap.stacks().alloc(StackAllocator.MIN_STACK);     // the first span is full: a second
        assertEquals(c0 + 1, gc.stackSpanChanges(), "a second small-stack span");
        long inuse = heap.readMemStats().stackInuse();
        for (long seg : first) {
            heap.stacks().free(seg, StackAllocator.MIN_STACK);
        }
        assertEquals(c0 + 2, gc.stackSpanChanges(), "the emptied first span returned to the page heap uncounted");
        assertEquals(inuse - StackAllocator.POOL_SPAN_BYTES, heap.readMemStats().stackInuse(),
                "StackInuse did not drop by the span returned");
        heap.stacks().free(other, StackAllocator.MIN_STACK);           // the only span of its order: kept
        assertEquals(c0 + 2, gc.stackSpanChanges());
    }

    @Test
    void aFollowingTriggerCallsTheHookAtRefillsUntilReArmed() {
        AtomicInteger reached = new AtomicInteger();
        AtomicInteger changed = new AtomicInteger();
        AtomicLong rearmAt = new AtomicLong(-1);
        long trigger = gc.heapLive() + (64L << 20);      // far above what this test allocates
        HeapTrigger hook = new HeapTrigger() {
            @Override
            public void heapReachedTrigger(Heap h, long heapLive) {
                reached.incrementAndGet();
            }

            @Override
            public void stacksChanged(Heap h, long heapLive) {
                if (changed.incrementAndGet() == 2) {
                    long seen = gc.stackSpanChanges();
                    rearmAt.set(seen);
                    gc.setTrigger(trigger, this, seen);  // the follower's re-arm
                }
            }
        };
        gc.setTrigger(trigger, hook, gc.stackSpanChanges());
        refills(4);
        assertEquals(0, changed.get(), "no stack span moved: no call");
        long seg = heap.stacks().alloc(64 << 10);
        refills(8);
        assertEquals(2, changed.get(), "called at each refill until the hook re-armed with the count");
        assertEquals(gc.stackSpanChanges(), rearmAt.get());
        assertEquals(0, reached.get());
        heap.stacks().free(seg, 64 << 10);
        heap.stacks().flushPools();
        refills(2);
        assertTrue(changed.get() >= 3, "a returned stack span is followed too (calls " + changed.get() + ")");
    }

    @Test
    void aTriggerArmedWithoutTheCountIgnoresStacks() {
        AtomicInteger changed = new AtomicInteger();
        HeapTrigger hook = new HeapTrigger() {
            @Override
            public void heapReachedTrigger(Heap h, long heapLive) {
            }

            @Override
            public void stacksChanged(Heap h, long heapLive) {
                changed.incrementAndGet();
            }
        };
        gc.setTrigger(gc.heapLive() + (64L << 20), hook);
        long seg = heap.stacks().alloc(64 << 10);
        refills(4);
        heap.stacks().free(seg, 64 << 10);
        assertEquals(0, changed.get(), "a trigger armed without a stack count (no memory limit) never follows stacks");
    }

    @Test
    void staleIsAFollowingTriggerWhoseCountMoved() {
        gc.setTrigger(1L << 40, (h, l) -> { }, gc.stackSpanChanges());
        assertEquals(false, gc.triggerStacksStale(), "armed with the count now");
        long seg = heap.stacks().alloc(64 << 10);
        assertEquals(true, gc.triggerStacksStale(), "a stack span taken since");
        gc.setTrigger(1L << 40, (h, l) -> { });
        assertEquals(false, gc.triggerStacksStale(), "a trigger that does not follow the stacks is never stale");
        heap.stacks().free(seg, 64 << 10);
    }

    @Test
    void aBadCountIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gc.setTrigger(1 << 20, (h, l) -> { }, -2));
        assertTrue(e.getMessage().contains("stacksSeen -2") && e.getMessage().contains("STACKS_NOT_FOLLOWED"), e.getMessage());
        assertEquals(Long.MAX_VALUE, gc.trigger(), "a refused call arms nothing");
    }

    /** {@code n} span refills of 8 KiB spans (size class 512 B: 16 objects a span, one refill per 16 allocations). */
    private void refills(int n) {
        for (int i = 0; i < n * 16; i++) {
            cache.alloc(512, true);
        }
    }
}
