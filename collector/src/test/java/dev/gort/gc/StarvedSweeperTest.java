package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A background sweeper that gets no CPU for whole GC cycles (session 9, issue 5's OOM with
 * {@code -Dgort.gc.background.priority=idle}). The sweeper is a platform thread that no
 * stop-the-world waits for, so it can be descheduled at any instruction and resume cycles later;
 * with SCHED_IDLE beside two busy mutators that is the normal case, and at normal priority on a
 * loaded machine it is a matter of time. Each test blocks the sweeper in a test hook
 * ({@link GcSupport#setStallHookForTest}) at a point where it holds state read in one cycle, runs
 * whole cycles past it, releases it, and checks the heap: nothing live freed (the live list's
 * payload, checkmark, verifyHeap), heapLive untouched. Both failed before the fixes in
 * MCentral.sweepOne and MCache.drainStale/detachForSweep. Deterministic: the hooks order the
 * threads; no timing is asserted (the waits are bounded only so a hang fails with a message).
 */
class StarvedSweeperTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");
    static final long ID = NODE.offset("id");
    static final String SWEEPER = "gort-bgsweep";
    static final long WAIT_S = 60;

    Mutator m;

    void start() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClobberFree(true), PosixOsMemory.get());
        // clobberFree: a freed slot is overwritten at once, so a freed live node shows in the walk;
        // checkmark: a live object the concurrent mark or a sweep lost fails the cycle loudly.
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withDebug(false, true, true, 0, 0), 2);
        world = gc.threadWorld();
        m = world.register(4);
    }

    /** A list of {@code n} nodes, ids n-1 .. 0 from the head, rooted in slot 0. */
    long buildLive(int n) {
        long head = 0;
        for (int i = 0; i < n; i++) {
            long p = gc.alloc(NODE);
            Mem.putLong(p, ID, i);
            Mem.storePtr(p, NEXT, head);
            head = p;
            m.roots().set(0, head);
        }
        return head;
    }

    void assertLiveIntact(int n, String when) {
        long p = m.roots().get(0);
        for (int i = n - 1; i >= 0; i--) {
            assertNotEquals(0, p, when + ": the live list ends early, at id " + i);
            assertEquals(i, Mem.getLong(p, ID), when + ": node " + (n - 1 - i) + " of the live list at 0x"
                    + Long.toHexString(p) + " was freed (poisoned or reused)");
            p = Mem.getLong(p, NEXT);
        }
        assertEquals(0, p, when + ": the live list is longer than built");
    }

    void churn(long objects) {
        for (long i = 0; i < objects; i++) {
            gc.alloc(NODE);
        }
    }

    /**
     * A hook that blocks the background sweeper the first time it reaches {@code point} (for span
     * class {@code spanClass}, or any if -1) until released, then notes its next stall point
     * (right after its claim, or at the end of its drain).
     * The test's own thread waits there up to 50 ms for the sweeper to be caught first, so the
     * sweeper, signalled at each cycle's restart, is not beaten to the point by the mutator's
     * sweep (it only makes the catch likely; the test loops until it happens).
     */
    final class Stall implements GcSupport.StallHook {
        final int point;
        final int spanClass;
        final Thread testThread = Thread.currentThread();
        final CountDownLatch caught = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch passedAfterRelease = new CountDownLatch(1);
        volatile long sweepgenAtCatch = -1;

        Stall(int point, int spanClass) {
            this.point = point;
            this.spanClass = spanClass;
        }

        @Override
        public void at(int p, int spc) {
            Thread t = Thread.currentThread();
            if (t.getName().equals(SWEEPER)) {
                if (release.getCount() == 0) {
                    passedAfterRelease.countDown();
                    return;
                }
                if (p == point && (spanClass < 0 || spc == spanClass) && caught.getCount() > 0) {
                    sweepgenAtCatch = heap.gc().sweepgen();
                    caught.countDown();
                    awaitUninterruptibly(release);
                }
            } else if (t == testThread && p == point && caught.getCount() > 0) {
                try {
                    caught.await(50, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Runs cycles until the sweeper is caught; fails after {@code maxCycles}. */
        void catchWithCycles(int maxCycles, Runnable betweenCycles) {
            for (int i = 0; i < maxCycles && caught.getCount() > 0; i++) {
                betweenCycles.run();
                gc.gc();
            }
            assertEquals(0, caught.getCount(), "the background sweeper never reached the stall point in " + maxCycles + " cycles");
        }

        void releaseAndAwaitItsNextStep() {
            release.countDown();
            try {
                assertTrue(passedAfterRelease.await(WAIT_S, TimeUnit.SECONDS),
                        "the released sweeper did not reach its next sweep step within " + WAIT_S + " s");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    static void awaitUninterruptibly(CountDownLatch l) {
        boolean interrupted = false;
        while (true) {
            try {
                l.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The sweeper stopped just before the lock hold that claims a batch of the live list's span
     * class, while an odd number of cycles pass (sweepgen += 2 each: the lists' swept and unswept
     * roles swap). Before the fix it had read sweepgen before that hold, so once released it
     * claimed the spans on the now *swept* lists as unswept, swept them again with their mark bits
     * already cleared, and freed the live nodes in them (the walk found poison; checkmark then
     * found a pointer to a free slot).
     */
    @Test
    void sweeperStalledAcrossMarkTerminationBeforeItsClaimFreesNothingLive() {
        ForcedMode.assumeBackgroundSweep("stalls the background sweeper at a chosen point");
        start();
        int n = 64 * 1024;                                  // 2 MiB of live nodes: 256 spans
        buildLive(n);
        gc.gc();
        Stall stall = new Stall(GcSupport.STALL_BEFORE_CLAIM, NODE.fastSpanClass);
        heap.gc().setStallHookForTest(stall);
        stall.catchWithCycles(200, () -> churn(20_000));
        // An odd number of whole cycles past the sweepgen the sweeper stopped in.
        do {
            gc.gc();
        } while (((heap.gc().sweepgen() - stall.sweepgenAtCatch) / 2) % 2 == 0);
        assertLiveIntact(n, "before the release");
        stall.releaseAndAwaitItsNextStep();
        assertLiveIntact(n, "after the stalled sweeper's claim");
        gc.gc();                                            // checkmark: nothing reachable lost
        gc.gc();
        assertLiveIntact(n, "two cycles later");
        assertEquals((long) n * 32, gc.gcStats().lastCycle().heap2(), "marked bytes == the live list's, exactly");
        heap.verifyHeap();
    }

    /**
     * The sweeper stopped in a set-aside table's drain right after it read the table (the spans a
     * cache held at mark termination), while other threads drain that table, it is retired as
     * the cache's spare, and the next mark termination sets the cache aside again. Before the fix
     * that retired table became the cache's live alloc table, and the released sweeper took a
     * span its owner had just cached out of it: uncached under the owner, its free slots taken
     * off heapLive (the pacer's measure of the heap: allocation it no longer counts).
     */
    @Test
    void drainStalledOnARetiredTableNeverTakesTheOwnersCachedSpan() {
        ForcedMode.assumeBackgroundSweep("stalls the background sweeper at a chosen point");
        start();
        int n = 16 * 1024;
        buildLive(n);
        gc.gc();
        Stall stall = new Stall(GcSupport.STALL_DRAIN_HELD, -1);
        heap.gc().setStallHookForTest(stall);
        // Each cycle's mark termination sets aside the spans the mutator caches: allocate first.
        stall.catchWithCycles(200, () -> churn(1000));
        churn(1000);                                        // cache spans in the current table
        gc.gc();                                            // set them aside; the caller drains and retires them
        churn(1000);                                        // the cache holds a span of NODE's class again
        long live = heap.gc().heapLive();
        assertFalse(gc.marking());
        stall.releaseAndAwaitItsNextStep();
        assertEquals(live, heap.gc().heapLive(), "heapLive changed while nothing allocated: the released sweeper "
                + "uncached a span the mutator still caches");
        churn(100_000);
        gc.gc();
        gc.gc();
        assertLiveIntact(n, "after the release and two cycles");
        heap.verifyHeap();
    }
}
