package dev.gort.gc;

import dev.gort.sched.Chan;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Goroutine stacks under the scheduler are scanned during the mark phase, not in the sweep
 * termination pause: who scanned them ({@link Collector#lastStackScan}), that the stop-the-world
 * mode still walks them in its pause, and a stress of many goroutines parking and waking through
 * pointer channels while cycles run (gccheckmark and gcpoison on).
 */
class StackScanTest {
    static final GcOptions CHECKED = GcOptions.DEFAULT.withDebug(false, true, true, 0, 0);

    /** N goroutines parked with a frame of 4 pointers each; returns after {@code body} ran and they ended. */
    static void withParkedGoroutines(Collector gc, int n, Runnable body) {
        Chan<Integer> gate = new Chan<>();
        withFramedGoroutines(gc, n, 0, blocked -> {
            blocked.incrementAndGet();
            gate.recv();
        }, gate::close, body);
    }

    /** Blocks a goroutine; counts it in {@code blocked} once it really is blocked (parked, in a call). */
    interface Block {
        void run(AtomicInteger blocked) throws Exception;
    }

    /**
     * N goroutines, each with a frame of 4 pointers to fresh objects (ids {@code firstId + 4g + s}),
     * blocked in {@code block}; once all are, runs {@code body}, then {@code release}, waits for
     * them to end and checks that every frame still held its objects intact.
     */
    static void withFramedGoroutines(Collector gc, int n, long firstId, Block block, Runnable release, Runnable body) {
        Chan<Integer> done = new Chan<>(n);
        AtomicInteger blocked = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int g = 0; g < n; g++) {
            final long id = firstId + g * 4L;
            Go.go(() -> {
                try (Frame f = Frame.push(4)) {
                    for (int s = 0; s < 4; s++) {
                        f.set(s, SchedCollectorTest.node(gc, id + s));
                    }
                    block.run(blocked);
                    for (int s = 0; s < 4; s++) {
                        assertEquals(id + s, Mem.getLong(f.get(s), CollectorTest.ID));
                        assertEquals(CollectorTest.check(id + s), Mem.getLong(f.get(s), CollectorTest.CHECK));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                done.send(1);
            });
        }
        while (blocked.get() < n) {
            Go.gosched();
        }
        body.run();
        release.run();
        for (int g = 0; g < n; g++) {
            done.recv();
        }
        assertNull(failure.get(), () -> "a goroutine's frame lost an object: " + failure.get());
    }

    @Test
    void sweepTerminationPauseScansNoStackWhenGoroutinesAreParked() {
        ForcedMode.assumeConcurrentMark("asserts no stack is walked in the sweep termination pause");
        int n = 2000;
        SchedCollectorTest.withRuntime(2, CHECKED, gc -> withParkedGoroutines(gc, n, () -> {
            for (int i = 0; i < 20_000; i++) {
                SchedCollectorTest.node(gc, -1 - i);            // garbage
            }
            gc.gc();
            Collector.StackScanStats s = gc.lastStackScan();
            System.out.println("parked goroutines " + n + ": " + s);
            assertEquals(0, s.inSweepTermination(), "no stack walked in the sweep termination pause");
            long concurrent = s.byWorkers() + s.byCoordinator() + s.beforeRun();
            assertTrue(concurrent >= n, "every parked goroutine scanned during the mark phase: " + s);
            // Left for mark termination: the goroutine blocked in gc() (a syscall) and at most a few
            // that were running when their turn came and never stopped.
            assertTrue(s.inMarkTermination() <= 4, "stacks left for mark termination: " + s);
            assertTrue(s.bytes() >= n * 4L * 8, "the parked frames' slots were read: " + s);
            assertEquals(n * 4L, gc.heap().readMemStats().heapObjects(), "the parked frames' objects live, the garbage freed");
        }));
    }

    @Test
    void stopTheWorldModeStillScansStacksInItsPause() {
        int n = 300;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withDebug(false, false, true, 0, 1), gc -> withParkedGoroutines(gc, n, () -> {
            gc.gc();
            Collector.StackScanStats s = gc.lastStackScan();
            assertTrue(s.inSweepTermination() >= n, "gcstoptheworld=1 walks every goroutine in its one pause: " + s);
            assertEquals(0, s.byWorkers() + s.byCoordinator() + s.beforeRun() + s.inMarkTermination(), s.toString());
            assertEquals(n * 4L, gc.heap().readMemStats().heapObjects());
        }));
    }

    /**
     * Waves of fresh goroutines spawned while a generation is active (the cycle held at
     * AFTER_MARK_START): a runner continuation adopts most of them (Scheduler.adoptNext), which
     * must claim their scan word as execute does; each allocates nodes into its frame, hands one to
     * main through a pointer channel and ends. The nodes survive (checkmark), and the scheduler
     * counted scans before run for them.
     */
    @Test
    void freshGoroutinesStartedAndAdoptedDuringMarking() {
        ForcedMode.assumeConcurrentMark("starts goroutines while the cycle is held at AFTER_MARK_START");
        SchedCollectorTest.withRuntime(1, CHECKED, gc -> {
            int waves = 20;
            int perWave = 50;
            PtrChan out = PtrChan.create(gc, perWave);
            Global keep = gc.newGlobal();
            keep.set(gc.allocArray(Type.POINTER, waves * perWave));
            gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 20_000);
            long adoptedBefore = Go.scheduler().runnerAdoptions();
            long scannedBefore = dev.gort.sched.StackScans.scansOnRun(Go.scheduler());
            for (int w = 0; w < waves; w++) {
                for (int i = 0; i < perWave; i++) {
                    final long id = 1 + (long) w * perWave + i;
                    Go.go(() -> {
                        try (Frame f = Frame.push(2)) {
                            f.set(0, SchedCollectorTest.node(gc, id));
                            f.set(1, SchedCollectorTest.node(gc, -id));      // garbage once the frame pops
                            out.send(f.get(0));
                        }
                    });
                }
                while (out.len() < perWave) {
                    Go.gosched();          // not a parked receiver: a sender would ready main, and the runner would not adopt
                }
                for (int i = 0; i < perWave; i++) {
                    long p = out.recv();
                    Mem.storePtrAt(keep.get(), Mem.getLong(p, CollectorTest.ID) - 1, p);
                }
            }
            long adopted = Go.scheduler().runnerAdoptions() - adoptedBefore;
            long scanned = dev.gort.sched.StackScans.scansOnRun(Go.scheduler()) - scannedBefore;
            System.out.println("fresh goroutines during marking: adopted " + adopted + ", scanned before run " + scanned);
            // A G reused after it ended keeps this generation's word (a fresh G has no frames: black,
            // Go's "new goroutines start with a scanned stack"); the first wave's Gs were new.
            assertTrue(scanned >= perWave / 2, "fresh goroutines were claimed before they ran: " + scanned);
            assertTrue(adopted > 0, "runner continuations adopted fresh goroutines while the generation was active");
            gc.resume();
            gc.gc();
            for (int i = 0; i < waves * perWave; i++) {
                long p = Mem.loadPtrAt(keep.get(), i);
                assertEquals(i + 1, Mem.getLong(p, CollectorTest.ID));
                assertEquals(CollectorTest.check(i + 1), Mem.getLong(p, CollectorTest.CHECK));
            }
            assertEquals(waves * perWave + 1, gc.heap().readMemStats().heapObjects(), "the kept nodes and their array");
            out.close();
            out.free();
        });
    }

    /**
     * Many goroutines in a ring pass tokens (one node each) through buffered and unbuffered pointer
     * channels, parking and waking all the time, while each keeps chains of nodes in its frame and
     * replaces some every round; a goroutine forces cycles meanwhile and GOGC=10 starts more.
     * Every node's payload is checked by its holder, which knows the id it expects in each slot.
     * At the end the heap holds exactly the nodes the goroutines hold. Rounds:
     * {@code -Dgort.stress.ops} (default 300).
     */
    @Test
    void manyGoroutinesParkingAndWakingWhileCyclesRun() {
        int k = 64;
        int slots = 4;
        int chain = 3;
        int rounds = Integer.getInteger("gort.stress.ops", 300);
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        System.out.println("manyGoroutinesParkingAndWakingWhileCyclesRun seed=" + seed + " rounds=" + rounds);
        SchedCollectorTest.withRuntime(2, CHECKED.withGcPercent(10), gc -> {
            PtrChan[] ring = new PtrChan[k];
            for (int i = 0; i < k; i++) {
                ring[i] = PtrChan.create(gc, i % 2);             // buffered and unbuffered in turn
            }
            AtomicLong nextId = new AtomicLong(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger finished = new AtomicInteger();
            Chan<Integer> gate = new Chan<>();
            Chan<Integer> done = new Chan<>(k);
            for (int i = 0; i < k; i++) {
                final int me = i;
                Go.go(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed + me);
                    long[] expect = new long[slots * chain + 1];   // ids in frame slots; the last slot: the token
                    try (Frame f = Frame.push(slots * chain + 1)) {
                        for (int s = 0; s < slots; s++) {
                            newChain(gc, f, s, chain, expect, nextId);
                        }
                        long tid = nextId.getAndIncrement();
                        f.set(slots * chain, SchedCollectorTest.node(gc, tid));
                        expect[slots * chain] = tid;
                        for (int r = 0; r < rounds; r++) {
                            // pass my token on, take my predecessor's (the ids travel in the payload)
                            long tok = f.get(slots * chain);
                            f.set(slots * chain, 0);
                            ring[(me + 1) % k].send(tok);
                            f.set(slots * chain, ring[me].recv());
                            long got = Mem.getLong(f.get(slots * chain), CollectorTest.ID);
                            assertEquals(CollectorTest.check(got), Mem.getLong(f.get(slots * chain), CollectorTest.CHECK),
                                    "token payload (seed " + seed + ")");
                            expect[slots * chain] = got;
                            if (rnd.nextInt(4) == 0) {
                                newChain(gc, f, rnd.nextInt(slots), chain, expect, nextId);
                            }
                            for (int s = 0; s < slots * chain; s++) {
                                assertEquals(expect[s], Mem.getLong(f.get(s), CollectorTest.ID), "slot " + s + " (seed " + seed + ")");
                                assertEquals(CollectorTest.check(expect[s]), Mem.getLong(f.get(s), CollectorTest.CHECK));
                            }
                            for (int g = 0; g < 50; g++) {
                                SchedCollectorTest.node(gc, -1);  // garbage
                            }
                        }
                        finished.incrementAndGet();
                        gate.recv();                               // parked, holding everything, for the count
                        for (int s = 0; s <= slots * chain; s++) {
                            assertEquals(CollectorTest.check(expect[s]), Mem.getLong(f.get(s), CollectorTest.CHECK));
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, new AssertionError("goroutine " + me + ", seed " + seed + ": " + t, t));
                    }
                    done.send(1);
                });
            }
            long forced = 0;
            long beforeRun = 0;
            long concurrent = 0;
            while (finished.get() < k && failure.get() == null) {
                gc.gc();                                           // cycles while they run
                forced++;
                Collector.StackScanStats st = gc.lastStackScan();
                beforeRun += st.beforeRun();
                concurrent += st.byWorkers() + st.byCoordinator();
                if (ForcedMode.concurrentMark()) {
                    assertEquals(0, st.inSweepTermination());
                }
            }
            assertNull(failure.get());
            gc.gc();
            long held = (long) k * (slots * chain + 1);
            assertEquals(held, gc.heap().readMemStats().heapObjects(), "the heap holds exactly the goroutines' nodes (seed " + seed + ")");
            Collector.StackScanStats s = gc.lastStackScan();
            System.out.println("manyGoroutines: cycles=" + gc.cycles() + " forced=" + forced + " stacks scanned before they ran "
                    + beforeRun + ", by workers/coordinator " + concurrent + "; last " + s);
            if (ForcedMode.concurrentMark()) {
                assertTrue(forced == 0 || beforeRun + concurrent > 0, "goroutines were scanned during the mark phases");
                assertEquals(0, s.inSweepTermination());
                assertTrue(s.byWorkers() + s.byCoordinator() + s.beforeRun() >= k, s.toString());
            } else {
                // Forced gcstoptheworld (TESTING.md G2): every parked stack is walked in the one pause.
                assertTrue(s.inSweepTermination() >= k && concurrent == 0, s.toString());
            }
            assertEquals(gc.cycles(), gc.checkmarkCycles(), "every cycle verified by checkmark");
            gate.close();
            for (int i = 0; i < k; i++) {
                done.recv();
            }
            assertNull(failure.get());
            for (PtrChan c : ring) {
                c.close();
                c.free();
            }
            gc.gc();
            assertEquals(0, gc.heap().readMemStats().heapObjects(), "seed " + seed + ": nothing held, nothing left");
        });
    }

    /** Slots [s*chain, s*chain+chain) get a fresh chain; the nodes link through A as well. */
    private static void newChain(Collector gc, Frame f, int s, int chain, long[] expect, AtomicLong nextId) {
        for (int c = 0; c < chain; c++) {
            long id = nextId.getAndIncrement();
            long p = SchedCollectorTest.node(gc, id);
            if (c > 0) {
                Mem.storePtr(p, CollectorTest.A, f.get(s * chain + c - 1));
            }
            f.set(s * chain + c, p);
            expect[s * chain + c] = id;
        }
    }

    /**
     * Goroutines blocked in {@code Go.syscall} with objects only in their frames: their stacks are
     * scanned during the mark phase (a scanner claims a G in SYSCALL; exitsyscall waits for a held
     * claim), not in the mark termination pause, which scanned every one of them before (the
     * pause grew with the goroutines sitting in calls). The objects survive (checkmark on), and
     * after the calls return the frames hold them intact.
     */
    @Test
    void goroutinesInASyscallAreScannedDuringTheMarkPhase() {
        ForcedMode.assumeConcurrentMark("asserts syscall goroutines are scanned during the mark phase");
        int n = 24;
        SchedCollectorTest.withRuntime(2, CHECKED, gc -> {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            withFramedGoroutines(gc, n, 1_000, blocked -> Go.syscall(() -> {
                blocked.incrementAndGet();          // counted inside the call: the G is in SYSCALL
                release.await();
                return null;
            }), release::countDown, () -> {
                for (int i = 0; i < 5_000; i++) {
                    SchedCollectorTest.node(gc, -1 - i);            // garbage
                }
                gc.gc();
                Collector.StackScanStats st = gc.lastStackScan();
                System.out.println("goroutines in a syscall " + n + ": " + st);
                // Before: every one of the n was left for the pause (inMarkTermination >= n).
                assertTrue(st.inMarkTermination() <= 4, "stacks left for the mark termination pause: " + st);
                assertTrue(st.byWorkers() + st.byCoordinator() >= n, "the syscall goroutines were scanned concurrently: " + st);
                assertEquals(n * 4L, gc.heap().readMemStats().heapObjects(), "their frames' objects live, the garbage freed");
            });
        });
    }

    /**
     * Goroutines entering and leaving short syscalls in a loop while cycles run back to back:
     * exitsyscall races the scanners' claims (a G scanned in its call must not return to its
     * frames mid-scan). Each keeps fresh objects only in its frame across the call and checks them
     * after; checkmark and gcpoison are on, so a frame scanned badly shows as a checkmark failure
     * or a poisoned payload.
     */
    @Test
    void syscallExitsRaceConcurrentStackScans() {
        int n = 4;
        int rounds = Integer.getInteger("gort.stress.ops", 5000);
        SchedCollectorTest.withRuntime(2, CHECKED, gc -> {
            Chan<Integer> done = new Chan<>(n);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger running = new AtomicInteger(n);
            // The goroutines go on past their rounds until 3 cycles ran meanwhile: under load the
            // rounds alone could end before the main thread's third gc() (scav31's suite at load 54: 2).
            AtomicInteger cyclesDone = new AtomicInteger();
            for (int g = 0; g < n; g++) {
                final long base = 1L << 40 | (long) g << 32;
                Go.go(() -> {
                    try (Frame f = Frame.push(3)) {
                        for (int r = 0; (r < rounds || cyclesDone.get() < 3) && failure.get() == null; r++) {
                            long id = base + r;
                            f.set(0, SchedCollectorTest.node(gc, id));
                            f.set(1, SchedCollectorTest.node(gc, -id));
                            f.set(2, 0);
                            Go.syscall(() -> {
                                for (int k = 0; k < 50; k++) {
                                    Thread.onSpinWait();
                                }
                            });
                            assertEquals(id, Mem.getLong(f.get(0), CollectorTest.ID));
                            assertEquals(CollectorTest.check(-id), Mem.getLong(f.get(1), CollectorTest.CHECK));
                            for (int k = 0; k < 20; k++) {
                                SchedCollectorTest.node(gc, 0);      // garbage: keeps the cycles coming
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        running.decrementAndGet();
                    }
                    done.send(1);
                });
            }
            int cycles = 0;
            while (running.get() > 0) {
                gc.gc();
                cycles++;
                cyclesDone.set(cycles);
            }
            for (int g = 0; g < n; g++) {
                done.recv();
            }
            System.out.println("syscall exits vs scans: " + cycles + " cycles, " + gc.lastStackScan());
            assertNull(failure.get(), () -> "a frame across a syscall lost an object: " + failure.get());
            assertTrue(cycles >= 3, "cycles ran meanwhile: " + cycles);
        });
    }

    /**
     * exitsyscall waits for a scanner that claimed the goroutine during its syscall: here the
     * scanner still holds the claim when the call returns, and the goroutine must not run on (and
     * change its frames) until the scan is done. Without StackScans.afterSyscall it runs on at once
     * and sees the scan unfinished. The cycle is held at mark start, before any worker or the
     * coordinator claims a stack, so the test's scanner is the only one.
     */
    @Test
    void exitsyscallWaitsForAScannerHoldingTheGoroutine() {
        ForcedMode.assumeConcurrentMark("a concurrent stack scanner holding the goroutine, at AFTER_MARK_START");
        SchedCollectorTest.withRuntime(2, CHECKED, gc -> {
            java.util.concurrent.CountDownLatch inCall = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch returnNow = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean scanDone = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicBoolean sawScanDone = new java.util.concurrent.atomic.AtomicBoolean();
            Chan<Integer> done = new Chan<>(1);
            dev.gort.sched.G g = Go.go(() -> {
                try (Frame f = Frame.push(1)) {
                    f.set(0, SchedCollectorTest.node(gc, 77));
                    Go.syscall(() -> {
                        inCall.countDown();
                        returnNow.await();
                        return null;
                    });
                    sawScanDone.set(scanDone.get());       // the first thing it does back from the call
                    assertEquals(77, Mem.getLong(f.get(0), CollectorTest.ID));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                done.send(1);
            });
            try {
                Go.syscall(() -> {
                    inCall.await();
                    return null;
                });
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 20_000);     // a scan generation is active, no scanner ran
            boolean scanned = dev.gort.sched.StackScans.tryScan(g, (gg, pp) -> {
                returnNow.countDown();                  // the call returns while this scanner holds the goroutine
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                scanDone.set(true);
            }, null);
            assertTrue(scanned, "a goroutine in a syscall is claimed and scanned");
            done.recv();
            assertTrue(sawScanDone.get(), "exitsyscall waited until the scanner let go of the goroutine");
            gc.resume();
            gc.gc();
        });
    }
}
