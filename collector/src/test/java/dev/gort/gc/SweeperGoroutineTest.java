package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.sched.G;
import dev.gort.sched.GStatus;
import dev.gort.sched.Go;
import dev.gort.sched.Scheduler;
import dev.gort.sched.Time;
import dev.gort.sched.WaitReason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The background sweeper under the scheduler is a system goroutine ({@link SweeperGoroutine}, Go's
 * bgsweep): no platform thread, not counted, parked in "GC sweep wait" between cycles, sweeping
 * a whole cycle alone when Ps are idle, stopped by a stop-the-world only between batches, yielding
 * its P when none is idle, ended by close. GOGC=off in the tests that need one cycle's sweep left
 * to the background: only the test's {@code runTo} starts a cycle, and it is not forced, so
 * nothing sweeps it but the sweeper (the main goroutine allocates nothing meanwhile).
 */
class SweeperGoroutineTest {
    static final Type NODE = CollectorTest.NODE;
    static final long A = CollectorTest.A;
    static final GcOptions GOGC_OFF = GcOptions.DEFAULT.withGcPercent(-1);
    static final long WAIT_NANOS = 60_000_000_000L;

    static void sleepUntil(java.util.function.BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting until " + what);
            Time.sleepNanos(1_000_000);
        }
    }

    /** {@code live} nodes linked from a global, then {@code garbage} unreachable ones. */
    static Global liveAndGarbage(Collector gc, int live, int garbage) {
        Global head = gc.newGlobal();
        for (int i = 0; i < live; i++) {
            long p = SchedCollectorTest.node(gc, i);
            Mem.storePtr(p, A, head.get());
            head.set(p);
        }
        for (int i = 0; i < garbage; i++) {
            SchedCollectorTest.node(gc, -i);
        }
        return head;
    }

    static void assertListIntact(Global head, int live) {
        long p = head.get();
        for (int i = live - 1; i >= 0; i--) {
            assertNotEquals(0, p, "the live list ends early at id " + i);
            assertEquals(i, Mem.getLong(p, CollectorTest.ID), "live node " + i + " freed");
            p = Mem.loadPtr(p, A);
        }
        assertEquals(0, p);
    }

    /** A non-forced cycle run to its end with the calling goroutine waiting (it allocates nothing after). */
    static void oneBackgroundCycle(Collector gc) {
        gc.awaitIdle(60_000);
        gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, 60_000);
        gc.resume();
        gc.awaitIdle(60_000);
    }

    static boolean onSweeper(Collector gc) {
        if (!Go.onGoroutine()) {
            return false;
        }
        G g = gc.sweeperGoroutine().goroutine();
        return g != null && Go.current() == g;
    }

    static int sweepsInFlight(dev.gort.arena.Heap heap) {
        try {
            var f = dev.gort.arena.Heap.class.getDeclaredField("sweepsInFlight");
            f.setAccessible(true);
            return ((AtomicInteger) f.get(heap)).get();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theSweeperIsAnUncountedGoroutineAndNoThread() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Scheduler sched = Go.scheduler();
            long before = sched.goroutines();
            SchedCollectorTest.node(gc, 1);                // the first per-P state starts the sweeper
            SweeperGoroutine s = gc.sweeperGoroutine();
            assertNotNull(s, "under SchedWorld the collector has a sweeper goroutine");
            sleepUntil(() -> s.goroutine() != null, "the sweeper goroutine ran");
            gc.gc();
            sleepUntil(() -> s.goroutine().status() == GStatus.WAITING, "the sweeper parked");
            assertEquals(WaitReason.GC_SWEEP_WAIT, s.goroutine().waitReason());
            assertEquals(before, sched.goroutines(), "the sweeper (a system goroutine) is not counted");
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                assertNotEquals(Collector.SWEEPER_THREAD, t.getName(), "a sweeper platform thread runs under SchedWorld");
            }
            assertTrue(gc.sweepStats().goroutine());
        });
    }

    /**
     * Idle Ps (the only goroutine waits for the cycle, then sleeps): the sweeper goroutine alone
     * sweeps every span of the cycle; no proportional sweep, no finishsweep, no refill.
     */
    @Test
    void withIdlePsTheSweeperGoroutineSweepsTheWholeCycle() {
        ForcedMode.assumeConcurrentMark("leaves a cycle's sweep to the background sweeper, held at BEFORE_MARK_TERMINATION first");
        SchedCollectorTest.withRuntime(2, GOGC_OFF, gc -> {
            int live = 20_000;
            Global head = liveAndGarbage(gc, live, 300_000);
            GcSupport gcs = gc.heap().gc();
            gc.awaitIdle(60_000);
            gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, 60_000);
            Collector.SweepStats s0 = gc.sweepStats();         // the earlier sweep is finished; this one not begun
            gc.resume();
            gc.awaitIdle(60_000);
            sleepUntil(gcs::sweepDone, "the cycle's sweep is done");
            Collector.SweepStats s1 = gc.sweepStats();
            System.out.println("idle Ps: " + s0 + " -> " + s1);
            long toSweep = s1.pagesToSweep() - s0.pagesToSweep();
            long bg = s1.background() - s0.background();
            assertTrue(toSweep > 1000, "precondition: the cycle had pages to sweep (" + toSweep + ")");
            assertEquals(0, s1.proportional() - s0.proportional(), "no mutator allocated: no proportional sweep");
            assertEquals(0, s1.finish() - s0.finish(), "nothing forced: no finishsweep");
            assertTrue(bg >= toSweep / 2, "the background goroutine swept the cycle: " + bg + " of " + toSweep + " pages");
            assertTrue(s1.backgroundParks() > s0.backgroundParks() || gc.sweeperGoroutine().goroutine().status() != GStatus.RUNNING);
            assertListIntact(head, live);
            gc.gc();
            assertListIntact(head, live);
        });
    }

    /**
     * Stops the world from a platform thread again and again while the sweeper (slowed to ~1 ms a
     * batch by a stall hook inside its claimed batch) sweeps: every stop finds it out of its batch
     * (not in the hook, no sweep in flight, not RUNNING). A platform-thread sweeper would be found
     * in the hook: no stop waits for it.
     */
    @Test
    void aStopTheWorldNeverFindsTheSweeperInsideABatch() {
        ForcedMode.assumeConcurrentMark("leaves a cycle's sweep to the background sweeper, held at BEFORE_MARK_TERMINATION first");
        SchedCollectorTest.withRuntime(2, GOGC_OFF, gc -> {
            int live = 10_000;
            Global head = liveAndGarbage(gc, live, 400_000);
            AtomicBoolean inBatch = new AtomicBoolean();
            gc.heap().gc().setStallHookForTest((point, spc) -> {
                if ((point == GcSupport.STALL_AFTER_CLAIM || point == GcSupport.STALL_DRAIN_HELD) && onSweeper(gc)) {
                    inBatch.set(true);
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                    inBatch.set(false);
                }
            });
            try {
                Scheduler sched = Go.scheduler();
                SweeperGoroutine sw = gc.sweeperGoroutine();
                List<String> bad = new ArrayList<>();
                List<Long> batchesAtStop = new ArrayList<>();
                AtomicBoolean done = new AtomicBoolean();
                AtomicReference<Throwable> err = new AtomicReference<>();
                Thread stopper = new Thread(() -> {
                    try {
                        long deadline = System.nanoTime() + WAIT_NANOS;
                        while (sw.batches.get() == 0 && System.nanoTime() - deadline < 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(100_000);   // the sweep has begun
                        }
                        for (int i = 0; i < 40; i++) {
                            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
                            sched.stopTheWorld("SweeperGoroutineTest");
                            try {
                                int inFlight = sweepsInFlight(gc.heap());
                                int st = sw.goroutine().status();
                                if (inBatch.get() || inFlight != 0 || st == GStatus.RUNNING) {
                                    bad.add("stop " + i + ": inBatch=" + inBatch.get() + " sweepsInFlight=" + inFlight
                                            + " sweeper " + GStatus.name(st));
                                }
                                batchesAtStop.add(sw.batches.get());
                            } finally {
                                sched.startTheWorld();
                            }
                        }
                    } catch (Throwable t) {
                        err.set(t);
                    } finally {
                        done.set(true);
                    }
                }, "sweeper-test-stopper");
                stopper.start();
                oneBackgroundCycle(gc);
                sleepUntil(done::get, "the stopper finished");
                assertNull(err.get());
                sleepUntil(gc.heap().gc()::sweepDone, "the sweep is done");
                long total = sw.batches.get();
                long during = batchesAtStop.stream().filter(b -> b > 0 && b < total).count();
                System.out.println("stops during the sweep: " + during + " of " + batchesAtStop.size() + ", batches " + total
                        + ", " + gc.sweepStats());
                assertEquals(List.of(), bad, "a stop-the-world found the sweeper inside a batch");
                assertTrue(during >= 5, "precondition: at least 5 stops while the sweeper swept (" + during + "): " + batchesAtStop);
            } finally {
                gc.heap().gc().setStallHookForTest(null);
            }
            assertListIntact(head, live);
        });
    }

    /**
     * GOMAXPROCS=1: while the sweeper sweeps (slowed to ~1 ms a batch) no P is idle, so after
     * every batch it yields (Go's goschedIfBusy) and a goroutine woken by its timer every 1 ms
     * runs during the sweep, many times and within a bound. Without the yield it would run only
     * once the sweep is over. The bound is in the sweeper's batches, not wall time: a JVM starved
     * of its CPU for 415 ms of a 642 ms sweep (session 25, beside a benchmark at autogroup -20)
     * stalls the sweeper as long as the ticker, and failed a wall-clock bound with the yield working.
     */
    @Test
    void withNoIdlePTheSweeperYieldsToRunnableGoroutines() {
        ForcedMode.assumeConcurrentMark("leaves a cycle's sweep to the background sweeper, held at BEFORE_MARK_TERMINATION first");
        SchedCollectorTest.withRuntime(1, GOGC_OFF, gc -> {
            int live = 10_000;
            Global head = liveAndGarbage(gc, live, 300_000);
            AtomicLong firstBatch = new AtomicLong();
            AtomicLong lastBatch = new AtomicLong();
            AtomicLong firstBatchCount = new AtomicLong(-1);     // the sweeper's batches done at its first stalled batch
            AtomicLong lastBatchCount = new AtomicLong();        // ... and after its last
            SweeperGoroutine sw = gc.sweeperGoroutine();
            gc.heap().gc().setStallHookForTest((point, spc) -> {
                if ((point == GcSupport.STALL_AFTER_CLAIM || point == GcSupport.STALL_DRAIN_HELD) && onSweeper(gc)) {
                    long now = System.nanoTime();
                    firstBatch.compareAndSet(0, now);
                    firstBatchCount.compareAndSet(-1, sw.batches.get());
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                    lastBatch.set(System.nanoTime());
                    lastBatchCount.set(sw.batches.get() + 1);    // this batch is counted once it returns
                }
            });
            try {
                long[] runs = new long[100_000];
                long[] runsBatches = new long[runs.length];     // the sweeper's batches done at each run
                AtomicInteger nruns = new AtomicInteger();
                AtomicBoolean stop = new AtomicBoolean();
                Go.go(() -> {
                    while (!stop.get()) {
                        Time.sleepNanos(1_000_000);
                        int k = nruns.get();
                        if (k < runs.length) {
                            runs[k] = System.nanoTime();
                            runsBatches[k] = sw.batches.get();
                            nruns.set(k + 1);
                        }
                    }
                });
                Collector.SweepStats s0 = gc.sweepStats();
                oneBackgroundCycle(gc);
                sleepUntil(gc.heap().gc()::sweepDone, "the sweep is done");
                stop.set(true);
                Collector.SweepStats s1 = gc.sweepStats();
                long t0 = firstBatch.get();
                long t1 = lastBatch.get();
                long b0 = firstBatchCount.get();
                long b1 = lastBatchCount.get();
                int during = 0;
                long maxGap = 0;
                long maxGapBatches = 0;
                long prev = t0;
                long prevBatches = b0;
                for (int i = 0; i < nruns.get(); i++) {
                    if (runs[i] > t0 && runs[i] < t1) {
                        during++;
                        maxGap = Math.max(maxGap, runs[i] - prev);
                        maxGapBatches = Math.max(maxGapBatches, runsBatches[i] - prevBatches);
                        prev = runs[i];
                        prevBatches = runsBatches[i];
                    }
                }
                maxGap = Math.max(maxGap, t1 - prev);
                maxGapBatches = Math.max(maxGapBatches, b1 - prevBatches);
                String seen = String.format(java.util.Locale.ROOT, "sweep %.1f ms, %d batches (%d stalled), %d yields; the ticker"
                        + " ran %d times during it, longest gap %d batches, %.1f ms", (t1 - t0) / 1e6,
                        s1.backgroundBatches() - s0.backgroundBatches(), b1 - b0, s1.backgroundYields() - s0.backgroundYields(),
                        during, maxGapBatches, maxGap / 1e6);
                System.out.println("GOMAXPROCS=1: " + seen);
                assertTrue(t0 != 0 && t1 - t0 > 100_000_000L, "precondition: the background sweep lasted over 100 ms (" + seen + ")");
                assertTrue(b1 - b0 >= 40, "precondition: the sweeper swept 40 stalled batches or more (" + seen + ")");
                assertTrue(during >= 10, "a goroutine runnable every 1 ms ran during the sweep 10 times or more (" + seen + ")");
                assertTrue(maxGapBatches < (b1 - b0) / 2, "the runnable goroutine waited half the sweep's batches or more (" + seen + ")");
                assertTrue(s1.backgroundYields() - s0.backgroundYields() > 0, "the sweeper yielded with no idle P");
            } finally {
                gc.heap().gc().setStallHookForTest(null);
            }
            assertListIntact(head, live);
        });
    }

    /** -Dgort.gc.sweeper.goroutine=false (A/B runs): under the scheduler the sweeper is the platform thread again, and it sweeps. */
    @Test
    void theSwitchBringsBackTheSweeperThread() {
        ForcedMode.assumeConcurrentMark("leaves a cycle's sweep to the background sweeper, held at BEFORE_MARK_TERMINATION first");
        boolean saved = Collector.sweeperGoroutine;
        Collector.sweeperGoroutine = false;
        try {
            SchedCollectorTest.withRuntime(2, GOGC_OFF, gc -> {
                assertNull(gc.sweeperGoroutine());
                assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(Collector.SWEEPER_THREAD)
                        && t.isAlive()), "the sweeper thread runs");
                liveAndGarbage(gc, 1000, 100_000);
                oneBackgroundCycle(gc);
                sleepUntil(gc.heap().gc()::sweepDone, "the sweep is done");
                Collector.SweepStats st = gc.sweepStats();
                assertFalse(st.goroutine());
                assertTrue(st.background() > 0, "the thread swept: " + st);
            });
        } finally {
            Collector.sweeperGoroutine = saved;
        }
    }

    @Test
    void closeEndsTheSweeperGoroutine() {
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            SchedCollectorTest.node(gc, 1);
            SweeperGoroutine s = gc.sweeperGoroutine();
            sleepUntil(() -> s.goroutine() != null && s.goroutine().status() == GStatus.WAITING, "the sweeper parked");
            assertFalse(s.exited());
            Go.syscall(gc::close);
            sleepUntil(s::exited, "the sweeper goroutine returned after close");
        });
    }
}
