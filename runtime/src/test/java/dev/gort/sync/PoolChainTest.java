package dev.gort.sync;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

/** The lock-free ring and chain: exact behaviour single-threaded, exactly-once under races. */
class PoolChainTest {
    static final int OPS = Integer.getInteger("gort.stress.ops", 400_000);

    @Test
    void dequeueFillsEmptiesAndWraps() {
        PoolDequeue<Integer> d = new PoolDequeue<>(8);
        for (int round = 0; round < 5; round++) { // indices wrap around the ring several times
            for (int i = 0; i < 8; i++) {
                assertTrue(d.pushHead(i));
            }
            assertFalse(d.pushHead(99), "full");
            assertEquals(0, d.popTail());
            assertEquals(7, d.popHead());
            assertEquals(1, d.popTail());
            for (int i = 6; i >= 2; i--) {
                assertEquals(i, d.popHead());
            }
            assertNull(d.popHead());
            assertNull(d.popTail());
        }
        assertThrows(IllegalArgumentException.class, () -> new PoolDequeue<>(6));
    }

    @Test
    void dequeueHeadTailWrapAt32Bits() {
        PoolDequeue<Integer> d = new PoolDequeue<>(2);
        for (long i = 0; i < 3L; i++) {
            assertTrue(d.pushHead(1));
            assertEquals(1, d.popTail());
        }
        // Runs of pushes and pops exceed no bound: int arithmetic wraps consistently (checked long below).
        for (int i = 0; i < 100_000; i++) {
            assertTrue(d.pushHead(i));
            assertTrue(d.pushHead(i + 1));
            assertFalse(d.pushHead(-1));
            assertEquals(i, d.popTail());
            assertEquals(i + 1, d.popHead());
        }
    }

    @Test
    void chainGrowsAndKeepsOrder() {
        PoolChain<Integer> c = new PoolChain<>();
        assertNull(c.popHead());
        assertNull(c.popTail());
        for (int i = 0; i < 1000; i++) {
            c.pushHead(i);
        }
        assertEquals(0, c.popTail(), "oldest at the tail");
        assertEquals(999, c.popHead(), "newest at the head");
        List<Integer> rest = new ArrayList<>();
        for (Integer x; (x = c.popTail()) != null; ) {
            rest.add(x);
        }
        assertEquals(998, rest.size());
        for (int i = 0; i < rest.size(); i++) {
            assertEquals(i + 1, rest.get(i));
        }
        c.pushHead(5);
        assertEquals(5, c.popHead());
    }

    /** One producer pushing and popping its head, three thieves at the tail: each value exactly once. */
    @Test
    void producerAndThievesExactlyOnce() throws Exception {
        PoolChain<Integer> c = new PoolChain<>();
        AtomicIntegerArray seen = new AtomicIntegerArray(OPS);
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        List<Thread> thieves = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread th = new Thread(() -> {
                while (true) {
                    boolean finished = done.get();
                    Integer x = c.popTail();
                    if (x == null) {
                        if (finished) {
                            return;
                        }
                        Thread.onSpinWait();
                        continue;
                    }
                    if (seen.getAndIncrement(x) != 0) {
                        errors.add("value " + x + " taken twice");
                    }
                }
            });
            thieves.add(th);
            th.start();
        }
        java.util.Random r = new java.util.Random(42);
        for (int i = 0; i < OPS; i++) {
            c.pushHead(i);
            if (r.nextInt(3) == 0) {
                Integer x = c.popHead();
                if (x != null && seen.getAndIncrement(x) != 0) {
                    errors.add("value " + x + " taken twice (head)");
                }
            }
        }
        done.set(true);
        for (Thread th : thieves) {
            th.join(60_000);
            assertFalse(th.isAlive());
        }
        for (Integer x; (x = c.popHead()) != null; ) {
            if (seen.getAndIncrement(x) != 0) {
                errors.add("value " + x + " taken twice (drain)");
            }
        }
        assertTrue(errors.isEmpty(), errors.toString());
        for (int i = 0; i < OPS; i++) {
            assertEquals(1, seen.get(i), "value " + i + " lost or duplicated");
        }
    }
}
