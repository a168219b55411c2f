package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S1/J1 in the jcstress style: many short races, each started from a spin barrier so the two
 * sides really overlap, each checked exactly (not one long race checked once). Sizes scale with
 * {@code -Dgort.stress.runqRace=<iterations>}.
 */
@Timeout(120)
class RunQueueRaceTest {
    private static final int ITERS = Integer.getInteger("gort.stress.runqRace", 10_000);

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

    /**
     * Two threads meet here twice per round: each adds 1 and waits until both have. Quiet, both are
     * on a CPU and the wait is a spin, so the two sides leave it together and really overlap. When
     * the other side is off its CPU (a loaded machine: on 2 shared cores the two threads then rarely
     * run at once) a side that has spun 1,000 times parks, and the side that arrives unparks it:
     * the rounds go on at the pace of a wake-up instead of waiting for the two to be scheduled
     * together, which yielding waited for (a class took 47-63 s beside two busy loops and passed its
     * 120 s timeout at load 40-50). Such a round overlaps less; every round is still checked.
     */
    private static final class Meeting {
        private final AtomicInteger arrived = new AtomicInteger();
        /** Per side: 1 while that side is parked (or about to park) in {@link #meet}. */
        private final AtomicIntegerArray parked = new AtomicIntegerArray(2);
        private final Thread[] threads = new Thread[2];

        void meet(int side, int round) {
            threads[side] = Thread.currentThread(); // published by the volatile writes below
            arrived.incrementAndGet();
            if (parked.get(1 - side) != 0) {
                LockSupport.unpark(threads[1 - side]);
            }
            int target = 2 * (round + 1);
            for (int spins = 0; arrived.get() < target; spins++) {
                if (spins < 1000) {
                    Thread.onSpinWait();
                } else {
                    // Announce, then look again: the other side either sees the announcement after
                    // its arrival (and unparks) or arrived before the look (no park).
                    parked.set(side, 1);
                    if (arrived.get() < target) {
                        LockSupport.parkNanos(1_000_000); // bounded: a lost unpark costs 1 ms, not the test
                    }
                    parked.set(side, 0);
                }
            }
        }
    }

    /**
     * The owner drains its queue with runqget while a thief steals from it (runnext included), at
     * fill levels 1..40 with and without a runnext: every G is taken exactly once, by one side.
     */
    @Test
    void stealVersusGetTakesEveryGExactlyOnce() throws Exception {
        long owner = newQueue();
        long thief = newQueue();
        int maxFill = 40;
        // taken[round % 2][g]: who took G g in this round (1 = owner, 2 = thief); reset per round.
        int[][] takenBy = new int[2][maxFill + 2];
        Meeting barrier = new Meeting();
        AtomicReference<String> err = new AtomicReference<>();
        int[] fills = new int[ITERS];
        for (int r = 0; r < ITERS; r++) {
            fills[r] = 1 + (r * 7) % maxFill;
        }
        Thread t = new Thread(() -> {
            boolean[] inh = new boolean[1];
            for (int r = 0; r < ITERS && err.get() == null; r++) {
                barrier.meet(1, 2 * r);
                int[] mine = takenBy[r & 1];
                for (int tries = 0; tries < 4; tries++) {
                    long g = RunQueue.steal(thief, owner, true);
                    if (g == 0) {
                        continue;
                    }
                    mine[(int) g] |= 2;
                    long x;
                    while ((x = RunQueue.get(thief, inh)) != 0) {
                        mine[(int) x] |= 2;
                    }
                }
                barrier.meet(1, 2 * r + 1); // the owner checks the round after this
            }
        });
        t.start();
        boolean[] inh = new boolean[1];
        for (int r = 0; r < ITERS && err.get() == null; r++) {
            int n = fills[r];
            boolean useNext = (r & 1) == 0;
            int[] seen = takenBy[r & 1];
            java.util.Arrays.fill(seen, 0);
            for (int g = 1; g <= n; g++) {
                RunQueue.put(owner, g, useNext && g == n, batch, NO_OVERFLOW);
            }
            barrier.meet(0, 2 * r);
            long x;
            while ((x = RunQueue.get(owner, inh)) != 0) {
                seen[(int) x] |= 1;
            }
            barrier.meet(0, 2 * r + 1);
            for (int g = 1; g <= n; g++) {
                int by = seen[g];
                if (by != 1 && by != 2) {
                    err.compareAndSet(null, "round " + r + " (fill " + n + ", runnext " + useNext + "): G " + g
                            + (by == 0 ? " lost" : " taken by both"));
                }
            }
            if (!RunQueue.isEmpty(owner) || !RunQueue.isEmpty(thief)) {
                err.compareAndSet(null, "round " + r + ": a queue is not empty after both drained it");
            }
        }
        t.join();
        assertNull(err.get());
    }

    /**
     * Go's RunSchedLocalQueueEmptyTest: while the owner puts a second G (possibly kicking the first
     * out of runnext into the ring) and gets one, another thread's runqempty must never see an
     * empty queue: at every instant at least one G is queued.
     */
    @Test
    void emptyIsNeverReportedWhileAGIsQueued() throws Exception {
        long q = newQueue();
        Meeting barrier = new Meeting();
        AtomicReference<String> err = new AtomicReference<>();
        Thread checker = new Thread(() -> {
            for (int r = 0; r < ITERS; r++) {
                barrier.meet(1, 2 * r);
                if (RunQueue.isEmpty(q)) {
                    err.compareAndSet(null, "round " + r + ": queue reported empty (next0 " + ((r & 1) == 0) + ", next1 "
                            + ((r & 2) == 0) + ")");
                }
                barrier.meet(1, 2 * r + 1);
            }
        });
        checker.start();
        boolean[] inh = new boolean[1];
        for (int r = 0; r < ITERS; r++) {
            RunQueue.put(q, 1, (r & 1) == 0, batch, NO_OVERFLOW);
            barrier.meet(0, 2 * r);
            RunQueue.put(q, 2, (r & 2) == 0, batch, NO_OVERFLOW);
            assertTrue(RunQueue.get(q, inh) != 0);
            barrier.meet(0, 2 * r + 1);
            assertTrue(RunQueue.get(q, inh) != 0);
            assertTrue(RunQueue.isEmpty(q));
        }
        checker.join();
        assertNull(err.get());
    }

    /**
     * The GOMAXPROCS=1 mode (stealable = false: plain stores for runnext and head) keeps the queue
     * discipline: put/get at every fill level, runnext first, the kicked runnext at the tail.
     */
    @Test
    void ownerOnlyModeKeepsTheQueueDiscipline() {
        long q = newQueue();
        boolean[] inherit = new boolean[1];
        for (int i = 0; i <= PDescriptor.RUNQ_SIZE; i++) {
            for (int j = 0; j < i; j++) {
                RunQueue.put(q, j + 1, false, batch, NO_OVERFLOW, false);
            }
            RunQueue.put(q, 1000, true, batch, NO_OVERFLOW, false);
            if (i < PDescriptor.RUNQ_SIZE) {
                RunQueue.put(q, 1001, true, batch, NO_OVERFLOW, false); // kicks 1000 to the tail
            }
            assertFalse(RunQueue.isEmpty(q));
            if (i < PDescriptor.RUNQ_SIZE) {
                assertEquals(1001, RunQueue.get(q, inherit, false));
                assertTrue(inherit[0]);
            } else {
                assertEquals(1000, RunQueue.get(q, inherit, false));
                assertTrue(inherit[0]);
            }
            for (int j = 0; j < i; j++) {
                assertEquals(j + 1, RunQueue.get(q, inherit, false), "fill level " + i);
                assertFalse(inherit[0]);
            }
            if (i < PDescriptor.RUNQ_SIZE) {
                assertEquals(1000, RunQueue.get(q, inherit, false));
            }
            assertEquals(0, RunQueue.get(q, inherit, false));
            assertTrue(RunQueue.isEmpty(q));
        }
    }
}
