package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.SizeClasses;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Session 9, branch sweeprace: the background sweeper's loop ({@code Collector.sweeperLoop} then, {@code ThreadSweeper} now)
 * ends a sweep with {@code sweepPaced = false} after {@code gcs.sweepOne()} answered 0. The
 * answer can be a cycle old: the sweeper, a platform thread no stop-the-world waits for, is
 * stopped here inside its last {@code sweepOne} of cycle S (at the claim point of the last span
 * class, after every other class was found swept), a triggered cycle S+2 runs past it and its
 * mark termination paces the sweep ({@code paceSweeper}: sweepPaced = true, every span
 * unswept), and the released sweeper's call then answers 0 for S and the loop clears the pacing
 * of S+2 with most of S+2's spans still unswept: the mutators' proportional sweep is off for the
 * whole cycle (the heap grows while the garbage waits for a sweeper that is, by assumption,
 * starved). Go's bgsweep writes no pacing state after its loop (its deductSweepCredit clears
 * sweepPagesPerByte only on a mutator, which no mark termination passes).
 *
 * <p>Deterministic: the stall hook orders the threads; the released sweeper is caught again at
 * its next sweep step, after its loop ran the write, and the pacing is read there.
 *
 * <p>It failed on main until the sweeper's loop stopped writing the pacing at all (session 9,
 * lead): only a mutator's deductSweepCredit, which no mark termination can overtake, clears it.
 */
class StaleSweeperPacingTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("PNode").pointer("next").longField("a").longField("b").longField("c").build();
    static final String SWEEPER = "gort-bgsweep";
    static final int LAST_CLASS = SizeClasses.NUM_SPAN_CLASSES - 1;     // no object of it is allocated here

    Mutator m;

    /** Blocks the sweeper at (BEFORE_CLAIM, LAST_CLASS); once released, blocks it again at its next step. */
    final class Hook implements GcSupport.StallHook {
        final Thread testThread = Thread.currentThread();
        final CountDownLatch caught = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch caughtAgain = new CountDownLatch(1);
        final CountDownLatch releaseAgain = new CountDownLatch(1);

        @Override
        public void at(int p, int spc) {
            Thread t = Thread.currentThread();
            if (t.getName().equals(SWEEPER)) {
                if (caught.getCount() > 0) {
                    if (p == GcSupport.STALL_BEFORE_CLAIM && spc == LAST_CLASS) {
                        caught.countDown();
                        await(release);
                    }
                } else if (release.getCount() == 0 && caughtAgain.getCount() > 0) {
                    caughtAgain.countDown();
                    await(releaseAgain);
                }
            } else if (t == testThread && p == GcSupport.STALL_BEFORE_CLAIM && spc == LAST_CLASS && caught.getCount() > 0) {
                try {
                    caught.await(50, TimeUnit.MILLISECONDS);       // let the sweeper reach the point first
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void await(CountDownLatch l) {
            try {
                l.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Allocates until a triggered cycle's mark termination (sweepgen moves inside its pause), then
     * allocates no more and waits, blocked, until the cycle is recorded: its pacer commit, which
     * paces the sweep, comes before the record. The mutator used to allocate until numGC moved;
     * on a loaded machine the coordinator could lose its CPU between pacing the sweep and
     * recording the cycle while the mutator, still allocating, paid its sweep credit until every
     * span was swept and cleared the pacing itself (deductSweepCredit's sweepOne() == 0): the
     * preconditions below then failed without any stale sweeper involved (review10's loaded
     * full run). With no allocation after the pause only the stalled sweeper could sweep.
     */
    void awaitTriggeredCyclePaced() {
        long cycles = gc.gcStats().numGC();
        long sweepgen = heap.gc().sweepgen();
        for (long k = 0; heap.gc().sweepgen() == sweepgen; k++) {
            gc.alloc(NODE);
            assertTrue(k < 50_000_000L, "no triggered cycle");
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        world.runBlocking(m, () -> {
            while (gc.gcStats().numGC() == cycles && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        });
        assertNotEquals(cycles, gc.gcStats().numGC(), "the triggered cycle was not recorded within 60 s of its mark termination");
    }

    static boolean sweepPaced(Collector c) {
        return c.sweepingForTest().paced;
    }

    @Test
    void aSweeperACycleLateDoesNotTurnOffTheNextCyclesProportionalSweep() throws Exception {
        ForcedMode.assumeBackgroundSweep("stalls the background sweeper across cycles");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        m = world.register(4);
        long head = 0;
        for (int i = 0; i < 64 * 1024; i++) {                // 2 MiB live: the next cycle has spans to sweep
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NODE.offset("next"), head);
            head = p;
            m.roots().set(0, head);
        }
        gc.gc();
        Hook hook = new Hook();
        heap.gc().setStallHookForTest(hook);
        for (int i = 0; i < 200 && hook.caught.getCount() > 0; i++) {
            for (int k = 0; k < 20_000; k++) {
                gc.alloc(NODE);
            }
            gc.gc();
        }
        assertEquals(0, hook.caught.getCount(), "the sweeper never reached the last class's claim point");
        // A triggered (not forced) cycle: it leaves its sweep to the sweeper and proportional sweep.
        awaitTriggeredCyclePaced();
        assertTrue(sweepPaced(gc), "precondition: the triggered cycle's mark termination paced its sweep");
        assertFalse(heap.gc().sweepDone(), "precondition: spans of the new cycle are unswept");
        hook.release.countDown();
        assertTrue(hook.caughtAgain.await(60, TimeUnit.SECONDS), "the released sweeper did not reach its next step");
        try {
            assertFalse(heap.gc().sweepDone(), "precondition: spans of the new cycle are still unswept");
            assertTrue(sweepPaced(gc), "a sweeper released from the previous cycle turned off this cycle's "
                    + "proportional sweep with spans still unswept (its sweepOne's 0 was for the cycle before)");
        } finally {
            hook.releaseAgain.countDown();
        }
    }

    static long creditedPages(Collector c) {
        return c.sweepingForTest().credit.pages();
    }

    /** One attempt's latches: the sweeper caught at the end of a drain, released, caught again. */
    static final class DrainCatch {
        final CountDownLatch caught = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch caughtAgain = new CountDownLatch(1);
        final CountDownLatch releaseAgain = new CountDownLatch(1);
    }

    /**
     * Session 9, branch sweeprace's second finding: the sweeper thread's {@code
     * pagesSwept.addAndGet(n)} after a {@code sweepOne()} of cycle S, delayed past a whole cycle
     * S+2 (no stop waits for the thread), credited S's batch to S+2's proportional sweep, whose
     * pacing had just reset the count: the mutators then swept n pages less of S+2 than paced.
     * The sweeper is stopped at the end of a set-aside span's drain (the span swept, its pages
     * about to be returned), a triggered cycle S+2 runs and paces its sweep, the mutator stops
     * allocating, and the released sweeper is caught again at its next sweep step: the pages
     * credited to S+2 must not have moved. A drain can come out empty-handed (another thread took
     * the table's spans first): then there is nothing stale to credit, so the sweeper is caught
     * only at the end of a drain in which it claimed a span (its batch is then held across the
     * cycle, and exactly one credit must be refused). Until session 28 every drain's end was
     * caught and empty ones were tried again, at most 8 times: a bound on how often a loaded
     * machine lets the owner's refill drain the table first.
     */
    @Test
    void aBatchSweptACycleAgoIsNotCreditedToTheNextCyclesProportionalSweep() throws Exception {
        ForcedMode.assumeBackgroundSweep("stalls the background sweeper at the end of a drain across cycles");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        m = world.register(4);
        long head = 0;
        for (int i = 0; i < 64 * 1024; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NODE.offset("next"), head);
            head = p;
            m.roots().set(0, head);
        }
        gc.gc();
        Thread testThread = Thread.currentThread();
        java.util.concurrent.atomic.AtomicReference<DrainCatch> current = new java.util.concurrent.atomic.AtomicReference<>();
        boolean[] sweeperClaimedInDrain = new boolean[1];          // read and written by the sweeper thread only
        heap.gc().setStallHookForTest((p, spc) -> {
            Thread t = Thread.currentThread();
            if (t.getName().equals(SWEEPER)) {
                if (p == GcSupport.STALL_DRAIN_HELD) {
                    sweeperClaimedInDrain[0] = false;              // a drain begins: nothing claimed yet
                } else if (p == GcSupport.STALL_DRAIN_CLAIMED) {
                    sweeperClaimedInDrain[0] = true;               // this drain returns a span: a batch to credit
                }
            }
            DrainCatch c = current.get();
            if (c == null) {
                return;
            }
            try {
                if (t.getName().equals(SWEEPER)) {
                    if (c.caught.getCount() > 0) {
                        if (p == GcSupport.STALL_DRAIN_DONE && sweeperClaimedInDrain[0]) {
                            c.caught.countDown();
                            c.release.await(120, TimeUnit.SECONDS);
                        }
                    } else if (c.release.getCount() == 0 && c.caughtAgain.getCount() > 0) {
                        c.caughtAgain.countDown();
                        c.releaseAgain.await(120, TimeUnit.SECONDS);
                    }
                } else if (t == testThread && p == GcSupport.STALL_DRAIN_HELD && c.caught.getCount() > 0) {
                    c.caught.await(50, TimeUnit.MILLISECONDS);      // let the sweeper drain a span first
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        DrainCatch c = new DrainCatch();
        current.set(c);
        // Cycles until the sweeper's drain claims a span before the owner's refill takes the
        // table (the refill gives it 50 ms a time); 120 s is the hang guard.
        int cycles = 0;
        for (long until = System.nanoTime() + 120_000_000_000L; c.caught.getCount() > 0 && System.nanoTime() - until < 0; cycles++) {
            for (int k = 0; k < 20_000; k++) {
                gc.alloc(NODE);
            }
            gc.gc();
        }
        assertEquals(0, c.caught.getCount(), "in " + cycles + " cycles (120 s) the sweeper never reached the end of a drain that returned a span");
        long refused0 = gc.sweepStats().staleCreditsRefused();
        awaitTriggeredCyclePaced();
        assertTrue(sweepPaced(gc), "precondition: the triggered cycle's mark termination paced its sweep");
        long credited = creditedPages(gc);                   // the mutator allocates no more: nobody else sweeps
        c.release.countDown();
        assertTrue(c.caughtAgain.await(60, TimeUnit.SECONDS), "the released sweeper did not reach its next step");
        try {
            assertFalse(heap.gc().sweepDone(), "precondition: the sweeper reached a step of the new cycle's sweep");
            assertEquals(credited, creditedPages(gc), "the sweeper credited a batch of the cycle before to this "
                    + "cycle's proportional sweep");
            long refused = gc.sweepStats().staleCreditsRefused() - refused0;
            assertEquals(1, refused, "the sweeper's drain held one swept span across the cycle: credits refused");
        } finally {
            current.set(null);
            c.releaseAgain.countDown();
        }
    }
}
