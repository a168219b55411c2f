package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** S1: Go's run-queue tests (export_test.go RunSchedLocalQueueTest / StealTest / EmptyTest) on native rings. */
class RunQueueTest {
    private final List<Long> blocks = new ArrayList<>();
    private final long[] batch = new long[PDescriptor.RUNQ_SIZE / 2 + 1];

    private long newQueue() {
        long raw = LibC.malloc(PDescriptor.SIZE + 64);
        NativeMemory.fill(raw, PDescriptor.SIZE + 64, (byte) 0);
        blocks.add(raw);
        return (raw + 63) & ~63L;
    }

    @AfterEach
    void free() {
        blocks.forEach(LibC::free);
    }

    private static final RunQueue.Overflow NO_OVERFLOW = (b, n) -> {
        throw new AssertionError("unexpected overflow of " + n);
    };

    @Test
    void putGetAtEveryFillLevel() {
        long q = newQueue();
        boolean[] inherit = new boolean[1];
        for (int i = 0; i < PDescriptor.RUNQ_SIZE; i++) {
            assertTrue(RunQueue.isEmpty(q));
            for (int j = 0; j < i; j++) {
                RunQueue.put(q, j + 1, false, batch, NO_OVERFLOW);
            }
            assertEquals(i, RunQueue.size(q));
            for (int j = 0; j < i; j++) {
                assertEquals(j + 1, RunQueue.get(q, inherit), "fill level " + i);
                assertFalse(inherit[0]);
            }
            assertEquals(0, RunQueue.get(q, inherit));
        }
    }

    @Test
    void runnextIsTakenFirstAndKicksTheOldOneToTheTail() {
        long q = newQueue();
        boolean[] inherit = new boolean[1];
        RunQueue.put(q, 1, false, batch, NO_OVERFLOW);
        RunQueue.put(q, 2, true, batch, NO_OVERFLOW);
        RunQueue.put(q, 3, true, batch, NO_OVERFLOW); // kicks 2 to the tail
        assertEquals(2, RunQueue.size(q));
        assertEquals(3, RunQueue.get(q, inherit));
        assertTrue(inherit[0], "runnext inherits the time slice");
        assertEquals(1, RunQueue.get(q, inherit));
        assertEquals(2, RunQueue.get(q, inherit));
        assertTrue(RunQueue.isEmpty(q));
    }

    @Test
    void fullQueueMovesHalfPlusOneToOverflowInOrder() {
        long q = newQueue();
        List<Long> spilled = new ArrayList<>();
        RunQueue.Overflow o = (b, n) -> {
            for (int i = 0; i < n; i++) {
                spilled.add(b[i]);
            }
        };
        for (int i = 1; i <= 257; i++) {
            RunQueue.put(q, i, false, batch, o);
        }
        assertEquals(129, spilled.size());
        for (int i = 0; i < 129; i++) {
            assertEquals(i == 128 ? 257L : i + 1L, spilled.get(i));
        }
        assertEquals(128, RunQueue.size(q));
        boolean[] inherit = new boolean[1];
        for (int i = 129; i <= 256; i++) {
            assertEquals(i, RunQueue.get(q, inherit));
        }
    }

    @Test
    void stealTakesHalfRoundedUpAtEveryFillLevel() {
        boolean[] inherit = new boolean[1];
        for (int i = 0; i <= PDescriptor.RUNQ_SIZE; i++) {
            long victim = newQueue();
            long thief = newQueue();
            int inRing = Math.min(i, PDescriptor.RUNQ_SIZE);
            for (int j = 0; j < inRing; j++) {
                RunQueue.put(victim, j + 1, false, batch, NO_OVERFLOW);
            }
            BitSet seen = new BitSet();
            long first = RunQueue.steal(thief, victim, false);
            int stolen = 0;
            if (first != 0) {
                seen.set((int) first);
                stolen = 1;
                long r;
                while ((r = RunQueue.get(thief, inherit)) != 0) {
                    assertFalse(seen.get((int) r), "duplicate " + r);
                    seen.set((int) r);
                    stolen++;
                }
            }
            assertEquals(inRing - inRing / 2, stolen, "fill level " + i);
            long r;
            int left = 0;
            while ((r = RunQueue.get(victim, inherit)) != 0) {
                assertFalse(seen.get((int) r), "duplicate " + r);
                seen.set((int) r);
                left++;
            }
            assertEquals(inRing / 2, left);
            assertEquals(inRing, seen.cardinality());
        }
    }

    @Test
    void runnextIsStolenOnlyWhenAllowed() {
        long victim = newQueue();
        long thief = newQueue();
        RunQueue.put(victim, 7, true, batch, NO_OVERFLOW);
        assertEquals(0, RunQueue.steal(thief, victim, false));
        assertEquals(7, RunQueue.steal(thief, victim, true));
        assertTrue(RunQueue.isEmpty(victim));
    }

    /** Every G exactly once while the owner puts/gets and thieves steal concurrently. */
    @Test
    void everyGExactlyOnceUnderPutStealRace() throws Exception {
        int n = Integer.getInteger("gort.stress.runq", 300_000);
        long owner = newQueue();
        int thieves = 2;
        long[] tq = new long[thieves];
        for (int i = 0; i < thieves; i++) {
            tq[i] = newQueue();
        }
        AtomicLongArray seen = new AtomicLongArray(n + 1);
        AtomicBoolean done = new AtomicBoolean();
        List<Long> overflow = java.util.Collections.synchronizedList(new ArrayList<>());
        RunQueue.Overflow o = (b, k) -> {
            for (int i = 0; i < k; i++) {
                overflow.add(b[i]);
            }
        };
        Thread[] ts = new Thread[thieves];
        for (int t = 0; t < thieves; t++) {
            long mine = tq[t];
            ts[t] = new Thread(() -> {
                boolean[] inh = new boolean[1];
                while (!done.get() || !RunQueue.isEmpty(owner)) {
                    long r = RunQueue.steal(mine, owner, true);
                    if (r != 0) {
                        seen.incrementAndGet((int) r);
                        long x;
                        while ((x = RunQueue.get(mine, inh)) != 0) {
                            seen.incrementAndGet((int) x);
                        }
                    }
                }
            });
            ts[t].start();
        }
        boolean[] inh = new boolean[1];
        for (int i = 1; i <= n; i++) {
            RunQueue.put(owner, i, (i & 3) == 0, batch, o);
            if ((i & 1) == 0) {
                long r = RunQueue.get(owner, inh);
                if (r != 0) {
                    seen.incrementAndGet((int) r);
                }
            }
        }
        done.set(true);
        for (Thread t : ts) {
            t.join();
        }
        long r;
        while ((r = RunQueue.get(owner, inh)) != 0) {
            seen.incrementAndGet((int) r);
        }
        for (long x : overflow) {
            seen.incrementAndGet((int) x);
        }
        for (int i = 1; i <= n; i++) {
            assertEquals(1, seen.get(i), "G " + i + " seen " + seen.get(i) + " times");
        }
    }
}
