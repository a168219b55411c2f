package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import jdk.internal.vm.Continuation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runner continuations (G.run, Scheduler.adoptNext): when a goroutine's function returns, its
 * continuation may run the next fresh goroutine of the P's queue. The adopted goroutine must be
 * indistinguishable from one execute started: it runs once, as itself, parks and migrates, panics,
 * exits with Go.goexit, locks its thread, yields while pinned, and lets the world stop. Whether a
 * goroutine was adopted is seen from its continuation: adopted goroutines share one.
 *
 * <p>At GOMAXPROCS=1 the order is known: the last goroutine spawned sits in runnext and runs first
 * (in a new continuation); the others follow from the ring in spawn order, adopted by it.
 */
@Timeout(120)
class RunnerAdoptionTest {

    /** The continuation the calling goroutine runs in. */
    private static Object continuation() {
        return Continuation.getCurrentContinuation(G.SCOPE);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void wavesOfFreshGoroutinesRunOnceAsThemselvesAndAreAdopted(int procs) {
        int n = 50_000;
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        long[] goidSeen = new long[n];
        long[] goidSpawned = new long[n];
        AtomicReference<String> err = new AtomicReference<>();
        Scheduler s = SchedTesting.run(procs, () -> {
            Chan<Boolean> done = new Chan<>();
            AtomicInteger left = new AtomicInteger(n);
            for (int i = 0; i < n; i++) {
                int k = i;
                G g = Go.go(() -> {
                    G me = Go.current();
                    goidSeen[k] = me.goid();
                    if (me.status() != GStatus.RUNNING) {
                        err.compareAndSet(null, "goroutine " + me.goid() + " runs in status " + GStatus.name(me.status()));
                    }
                    if (NativeMid.of(me) != Go.mid()) {
                        err.compareAndSet(null, "goroutine " + me.goid() + " descriptor names M" + NativeMid.of(me)
                                + ", runs on M" + Go.mid());
                    }
                    runs.incrementAndGet(k);
                    if (left.decrementAndGet() == 0) {
                        done.send(true);
                    }
                });
                // Only this goroutine spawns, so g cannot have been reused by the time of this read.
                goidSpawned[k] = g.goid();
                if (k % 64 == 63) {
                    Go.gosched();
                }
            }
            done.recv();
        });
        assertNull(err.get());
        for (int i = 0; i < n; i++) {
            assertEquals(1, runs.get(i), "goroutine #" + i + " runs");
            assertEquals(goidSpawned[i], goidSeen[i], "Go.current() in goroutine #" + i);
        }
        long[] sorted = goidSeen.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < n; i++) {
            assertTrue(sorted[i] != sorted[i - 1], "goid " + sorted[i] + " twice");
        }
        // At one P each wave of 64 runs in one continuation except where the global queue's turn
        // (every 61st tick) sends the runner back to g0; at two some are stolen, the rest adopted.
        long adopted = s.runnerAdoptions();
        assertTrue(procs == 1 ? adopted > n / 2 : adopted > 0, "adoptions " + adopted + " of " + n);
    }

    /**
     * Goroutines that park inside a runner own its continuation from then on: readied, they resume
     * in it (at GOMAXPROCS=2 on whichever M took them), and when their function returns the same
     * continuation adopts the next fresh goroutine. Every goroutine runs once, as itself.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void adoptedGoroutinesParkResumeElsewhereAndAdoptAgain(int procs) {
        int n = 20_000;
        boolean found = false;
        String last = "";
        for (int round = 0; round < 10 && !found; round++) {
            ParkRound r = new ParkRound(n);
            SchedTesting.run(procs, r::spawner);
            assertNull(r.err.get());
            for (int i = 0; i < n; i++) {
                assertEquals(1, r.runs.get(i), "goroutine #" + i + " runs");
            }
            // A goroutine T that parked (and at GOMAXPROCS=2 resumed on another M), then a fresh
            // goroutine U started in T's continuation after T ended: T's runner adopted U.
            Map<Object, List<Integer>> byCont = new IdentityHashMap<>();
            for (int i = 0; i < n; i++) {
                byCont.computeIfAbsent(r.conts[i], c -> new ArrayList<>()).add(i);
            }
            int parkedThenAdopted = 0;
            int migratedThenAdopted = 0;
            for (List<Integer> group : byCont.values()) {
                for (int t : group) {
                    if (!r.parked[t]) {
                        continue;
                    }
                    for (int u : group) {
                        if (r.startTick[u] > r.endTick[t]) {
                            parkedThenAdopted++;
                            if (r.startMid[t] != r.endMid[t]) {
                                migratedThenAdopted++;
                            }
                            break;
                        }
                    }
                }
            }
            last = "round " + round + ": " + parkedThenAdopted + " parked goroutines' continuations adopted again, "
                    + migratedThenAdopted + " of them after resuming on another M";
            found = procs == 1 ? parkedThenAdopted > 0 : migratedThenAdopted > 0;
        }
        assertTrue(found, last);
    }

    /** One run of the park test: waves of 64, every 5th goroutine receives from a channel the spawner feeds. */
    private static final class ParkRound {
        final int n;
        final AtomicIntegerArray runs;
        final Object[] conts;
        final long[] startTick;
        final long[] endTick;
        final int[] startMid;
        final int[] endMid;
        final boolean[] parked;
        final AtomicLong clock = new AtomicLong();
        final AtomicReference<String> err = new AtomicReference<>();

        ParkRound(int n) {
            this.n = n;
            runs = new AtomicIntegerArray(n);
            conts = new Object[n];
            startTick = new long[n];
            endTick = new long[n];
            startMid = new int[n];
            endMid = new int[n];
            parked = new boolean[n];
        }

        void spawner() {
            Chan<Integer> feed = new Chan<>();
            Chan<Boolean> done = new Chan<>();
            AtomicInteger left = new AtomicInteger(n);
            int receivers = 0;
            for (int i = 0; i < n; i++) {
                int k = i;
                boolean receives = k % 5 == 2;
                receivers += receives ? 1 : 0;
                Go.go(() -> {
                    long t0 = clock.incrementAndGet();
                    Object c = continuation();
                    G me = Go.current();
                    int m0 = Go.mid();
                    if (receives) {
                        feed.recv();
                        if (Go.current() != me) {
                            err.compareAndSet(null, "after its park goroutine #" + k + " is " + Go.current());
                        }
                        if (continuation() != c) {
                            err.compareAndSet(null, "goroutine #" + k + " resumed in another continuation");
                        }
                    }
                    conts[k] = c;
                    startTick[k] = t0;
                    startMid[k] = m0;
                    endMid[k] = Go.mid();
                    parked[k] = receives;
                    endTick[k] = clock.incrementAndGet();
                    runs.incrementAndGet(k);
                    if (left.decrementAndGet() == 0) {
                        done.send(true);
                    }
                });
                if (k % 64 == 63 || k == n - 1) {
                    Go.gosched();
                    for (; receivers > 0; receivers--) {
                        feed.send(k);
                    }
                }
            }
            done.recv();
        }
    }

    /** A recovered panic and a Go.goexit() inside adopted goroutines; the runner goes on adopting. */
    @Test
    void recoveredPanicAndGoexitInsideAdoptedGoroutines() {
        int tasks = 7;
        Object[] conts = new Object[tasks];
        G[] self = new G[tasks];
        AtomicReference<G> panicked = new AtomicReference<>();
        AtomicReference<String> panicText = new AtomicReference<>();
        AtomicBoolean goexitFinally = new AtomicBoolean();
        AtomicBoolean afterGoexit = new AtomicBoolean();
        AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
        SchedConfig cfg = SchedConfig.defaults().gomaxprocs(1).panicHandler((g, t) -> {
            panicked.set(g);
            panicText.set(t.getMessage());
            return true;
        });
        Scheduler s = SchedTesting.run(cfg, () -> {
            Chan<Boolean> done = new Chan<>();
            AtomicInteger finished = new AtomicInteger();
            // Spawn order 0..6: 6 runs first (runnext, a new continuation), then 0..5 adopted.
            for (int i = 0; i < tasks; i++) {
                int k = i;
                Go.go(() -> {
                    conts[k] = continuation();
                    self[k] = Go.current();
                    runs.incrementAndGet(k);
                    try {
                        if (k == 1) {
                            throw new IllegalStateException("boom in #1");
                        }
                        if (k == 3) {
                            try {
                                Go.goexit();
                            } finally {
                                goexitFinally.set(true);
                            }
                            afterGoexit.set(true); // never reached
                        }
                    } finally {
                        if (finished.incrementAndGet() == tasks) {
                            done.send(true); // main waits parked (not queued): no global-queue turn
                        }
                    }
                });
            }
            done.recv();
        });
        for (int i = 0; i < tasks; i++) {
            assertEquals(1, runs.get(i), "task " + i);
            assertSame(conts[6], conts[i], "task " + i + " adopted by task 6's runner");
        }
        assertSame(self[1], panicked.get(), "the handler got the adopted goroutine that panicked");
        assertEquals("boom in #1", panicText.get());
        assertTrue(goexitFinally.get(), "Go.goexit ran the finally blocks");
        assertFalse(afterGoexit.get(), "Go.goexit ended the goroutine");
        assertTrue(s.runnerAdoptions() >= tasks - 1, "adoptions " + s.runnerAdoptions());
    }

    /** An unrecovered panic in an adopted goroutine ends the program with Go's report naming that goroutine. */
    @Test
    void fatalPanicInsideAnAdoptedGoroutineNamesIt() {
        Object[] conts = new Object[2];
        long[] goid = new long[1];
        FatalError e = assertThrows(FatalError.class, () -> SchedTesting.run(1, () -> {
            Chan<Boolean> never = new Chan<>();
            Go.go(() -> {
                conts[0] = continuation();
                goid[0] = Go.current().goid();
                throw new IllegalStateException("adopted boom");
            });
            Go.go(() -> conts[1] = continuation()); // runs first (runnext), then adopts the other
            never.recv();
        }));
        assertSame(conts[1], conts[0], "the panicking goroutine was adopted");
        assertTrue(e.report().startsWith("panic: java.lang.IllegalStateException: adopted boom\n\ngoroutine " + goid[0]
                + " [running]:\n"), e.report());
    }

    /**
     * lockOSThread inside an adopted goroutine: it parks with its M (stoplockedm, the P handed to
     * another M), resumes on that same M, unlocks and ends, and its runner adopts the next one,
     * which ends while still locked (the lock is dropped at its exit). Everything after runs.
     */
    @Test
    void lockOSThreadInsideAdoptedGoroutines() {
        Object[] conts = new Object[4];
        int[] mids = new int[2];
        AtomicInteger afterRan = new AtomicInteger();
        SchedTesting.run(1, () -> {
            Chan<Boolean> lockedNow = new Chan<>();
            Chan<Integer> feed = new Chan<>();
            Chan<Boolean> done = new Chan<>();
            Go.go(() -> { // 0: adopted, locks and parks
                conts[0] = continuation();
                Go.lockOSThread();
                mids[0] = Go.mid();
                lockedNow.send(true);
                feed.recv();
                mids[1] = Go.mid();
                Go.unlockOSThread();
            });
            Go.go(() -> { // 1: adopted after 0 resumed and ended; ends locked
                conts[1] = continuation();
                Go.lockOSThread();
            });
            Go.go(() -> { // 2: after 1's locked end: a new continuation from g0
                conts[2] = continuation();
                afterRan.incrementAndGet();
                done.send(true);
            });
            Go.go(() -> conts[3] = continuation()); // runs first, adopts 0
            lockedNow.recv();
            feed.send(1);
            done.recv();
            // The M that ran the locked goroutines serves others again.
            Chan<Boolean> more = new Chan<>(100);
            for (int i = 0; i < 100; i++) {
                Go.go(() -> {
                    afterRan.incrementAndGet();
                    more.send(true);
                });
            }
            for (int i = 0; i < 100; i++) {
                more.recv();
            }
        });
        assertSame(conts[3], conts[0], "goroutine 0 adopted");
        assertSame(conts[0], conts[1], "goroutine 1 adopted by the runner goroutine 0 resumed in");
        assertEquals(mids[0], mids[1], "a locked goroutine resumes on its M");
        assertEquals(101, afterRan.get());
    }

    /** A pinned continuation's failed yield is recorded on the adopted goroutine that yielded (onPinned). */
    @Test
    void pinnedYieldInsideAnAdoptedGoroutine() {
        Object[] conts = new Object[2];
        G[] self = new G[2];
        AtomicReference<Object> reason = new AtomicReference<>();
        AtomicReference<Object> firstsReason = new AtomicReference<>();
        int[] mids = new int[2];
        SchedTesting.run(1, () -> {
            Chan<Boolean> done = new Chan<>();
            Go.go(() -> {
                conts[0] = continuation();
                self[0] = Go.current();
                Continuation.pin();
                try {
                    mids[0] = Go.mid();
                    Go.gosched(); // cannot yield: keeps its M, others run meanwhile
                    mids[1] = Go.mid();
                    reason.set(Go.current().pinnedReason);
                    firstsReason.set(self[1].pinnedReason);
                } finally {
                    Continuation.unpin();
                }
                done.send(true);
            });
            Go.go(() -> {
                conts[1] = continuation();
                self[1] = Go.current();
            });
            done.recv();
        });
        assertSame(conts[1], conts[0], "the pinned goroutine was adopted");
        assertNotNull(reason.get(), "onPinned recorded the reason on the goroutine that yielded");
        assertNull(firstsReason.get(), "not on the goroutine the continuation was made for");
        assertEquals(mids[0], mids[1], "a pinned goroutine keeps its M");
    }

    /**
     * A chain of goroutines, each spawning the next and ending without a safepoint, runs in one
     * runner (every next one is fresh, in runnext). A stop-the-world (setGomaxprocs from a plain
     * thread) must still stop it promptly: the adoption point checks for a pending stop.
     */
    @Test
    void stopTheWorldStopsARunnerAdoptingInALoop() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong links = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>();
                    Go.go(new Runnable() {
                        @Override
                        public void run() {
                            links.incrementAndGet();
                            if (stop.get()) {
                                done.send(true);
                            } else {
                                Go.go(this);
                            }
                        }
                    });
                    done.recv();
                });
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "runner-chain");
        runner.setDaemon(true); // a failure below must not leave the JVM waiting for it
        runner.start();
        try {
            awaitAdoptions(s, 10_000);
            for (int i = 0; i < 6; i++) {
                int n = i % 2 == 0 ? 2 : 1;
                long t0 = System.nanoTime();
                // From a plain thread, watched: a stop the runner ignores would block it for good.
                Thread resize = Thread.ofPlatform().daemon().start(() -> s.setGomaxprocs(n));
                resize.join(60_000);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                // Promptly is milliseconds; the bound only separates that from a hang on a loaded machine.
                assertFalse(resize.isAlive(), "setGomaxprocs(" + n + ") has not returned after " + ms + " ms");
                assertEquals(n, s.gomaxprocs());
                awaitAdoptions(s, s.runnerAdoptions() + 1_000); // the chain adopts again after the restart
            }
        } finally {
            stop.set(true);
            runner.join(60_000);
        }
        assertFalse(runner.isAlive(), "the chain ended and the scheduler returned");
        assertNull(failure.get());
        assertTrue(links.get() > 10_000);
    }

    private static void awaitAdoptions(Scheduler s, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (s.runnerAdoptions() < atLeast) {
            assertTrue(System.nanoTime() < deadline, "adoptions stuck at " + s.runnerAdoptions() + ", want " + atLeast);
            Thread.sleep(1);
        }
    }

    /**
     * The GC hook asked at the adoption point returns a parked worker: the runner cannot run it
     * (it has frames) and hands it to g0, which runs it. Dropping it would lose the worker.
     */
    @Test
    void aGcWorkerFoundAtTheAdoptionPointRuns() {
        AtomicBoolean want = new AtomicBoolean();
        AtomicInteger workerRuns = new AtomicInteger();
        AtomicInteger handedAtAdoption = new AtomicInteger();
        AtomicReference<G> worker = new AtomicReference<>();
        SchedConfig cfg = SchedConfig.defaults().gomaxprocs(1);
        cfg.fatalHandler(FatalHandler.THROW);
        Scheduler s = Scheduler.create(cfg);
        s.setGcHook(new GcHook() {
            @Override
            public G findRunnableGCWorker(P p, long nowNanos) {
                G w = worker.get();
                if (w == null || !want.get() || w.status() != GStatus.WAITING || !calledFromAdoptNext()) {
                    return null;
                }
                handedAtAdoption.incrementAndGet();
                return w;
            }

            @Override
            public G findIdleGCWorker(P p, long nowNanos) {
                return null;
            }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        s.run(() -> {
            try {
                worker.set(Go.goSystem(() -> {
                    for (;;) {
                        Go.park(null, null, WaitReason.GC_WORKER_IDLE);
                        want.set(false);
                        workerRuns.incrementAndGet();
                    }
                }));
                while (worker.get().status() != GStatus.WAITING) {
                    Go.gosched();
                }
                long deadline = System.nanoTime() + 60_000_000_000L;
                Chan<Boolean> done = new Chan<>(64);
                for (int round = 0; workerRuns.get() < 3; round++) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("the worker ran " + workerRuns.get() + " times, handed out at the "
                                + "adoption point " + handedAtAdoption.get() + " times");
                    }
                    want.set(true);
                    for (int i = 0; i < 64; i++) {
                        Go.go(() -> done.send(true));
                    }
                    for (int i = 0; i < 64; i++) {
                        done.recv();
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        assertNull(failure.get());
        assertTrue(handedAtAdoption.get() >= 3, "handed at adoption " + handedAtAdoption.get());
        assertTrue(workerRuns.get() >= 3);
    }

    private static boolean calledFromAdoptNext() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals("adoptNext")));
    }

    /** The descriptor's M id, as sysmon and schedtrace read it. */
    private static final class NativeMid {
        static int of(G g) {
            return dev.gort.sys.NativeMemory.getInt(g.desc + GDescriptor.MID);
        }
    }
}
