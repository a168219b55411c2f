package dev.gort.cli;

import dev.gort.Gort;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MemStats;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Mutator;
import dev.gort.gc.ThreadWorld;
import dev.gort.gc.stress.GraphModel;
import dev.gort.gc.stress.PoolChurn;
import dev.gort.gc.stress.Slots;
import dev.gort.gc.stress.TreeSwapLoad;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sys.PosixOsMemory;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ./gort soak [minutes]}: TESTING.md N1. For the given time (and, with both worlds, at least
 * one round of each), in one JVM, rounds of the
 * collector's reference-model loads ({@link GraphModel} x2 with pointer channels, {@link TreeSwapLoad},
 * {@link PoolChurn} x2) run at GOMAXPROCS=2 with gccheckmark and gcpoison on, alternating the two
 * worlds: goroutines under a booted gort runtime (scheduler, sysmon with its forced-GC and
 * scavenger periods shortened so they fire in every round's quiet end), then registered threads
 * over a ThreadWorld collector on a heap of their own (a ticker thread plays the scavenger).
 *
 * <p>Why alternate rather than run both worlds at once: the write barrier's on/off flag and its
 * shader are process-wide ({@code WriteBarrier.enabled}), so one collector marks at a time per
 * JVM, and gort runs one runtime per JVM (as Go one per process).
 *
 * <p>Checks: every load checks its objects after every cycle (payloads, fields, tree shape, pool
 * exclusivity); checkmark re-marks the heap after every concurrent mark; at each round's end the
 * loads stop, one more cycle runs, the heap's live objects and bytes must equal exactly what the
 * models reach plus the trees, {@code verifyHeap} must pass, and once every root is dropped one
 * cycle must return the heap to its start. Any failure is printed with the seed and the soak exits 1.
 * The RSS slope (N1: under 1 % per 10 minutes after warm-up) is reported and judged in the output,
 * not in the exit code: on a shared machine RSS also moves with the JVM and the other processes'
 * pressure, and a 10-minute run has too few samples to fail a build on.
 */
final class Soak {
    /** sysmon periods for goroutine rounds: short enough to fire many times in each quiet end. */
    static final String FORCEGC_PERIOD = "1s";
    static final String SCAVENGE_PERIOD = "1s";
    static final String SCAVENGE_IDLE = "2s";
    static final long SCAVENGE_IDLE_NANOS = 2_000_000_000L;
    static final int PROCS = 2;

    private final SoakSettings s;
    private final PrintStream out;
    private final PrintStream err;
    private final SoakMonitor monitor;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<long[]> roundEndRss = new ArrayList<>();   // {world 0/1, bytes}
    private int rounds;
    private long checkedObjects;
    private long modelOps;
    private long treeSwaps;
    private long poolGets;

    Soak(SoakSettings s, PrintStream out, PrintStream err) {
        this.s = s;
        this.out = out;
        this.err = err;
        this.monitor = new SoakMonitor(out, s.reportMillis(), s.millis());
    }

    /** Runs the soak; 0 when every check passed, 1 otherwise. */
    int run() throws InterruptedException {
        out.printf(Locale.ROOT, "soak: %.1f min, seed %d, worlds %s, rounds of %d s (%d s quiet), GOMAXPROCS=%d, GOGC=%d, "
                        + "gccheckmark=1 gcpoison=1, forced GC every %s and scavenger every %s (idle %s) in goroutine rounds%n",
                s.millis() / 60_000.0, s.seed(), s.worlds(), s.roundMillis() / 1000, s.quietMillis() / 1000, PROCS, s.gogc(),
                FORCEGC_PERIOD, SCAVENGE_PERIOD, SCAVENGE_IDLE);
        out.println("soak: replay the operations with --seed " + s.seed() + " (the interleaving is the machine's)");
        monitor.start();
        long end = System.nanoTime() + s.millis() * 1_000_000L;
        while (failure.get() == null) {
            long left = (end - System.nanoTime()) / 1_000_000L;
            // A soak of both worlds runs a round of each, even past its time: on a starved
            // machine its first round can take the whole time (SoakTest at load ~38, session 14),
            // and a "both" soak that never ran threads checked half of what it says.
            boolean eachWorldRan = rounds >= 2 || !"both".equals(s.worlds());
            if (left < 1_000 && eachWorldRan) {
                break;
            }
            long round = left < 1_000 ? s.roundMillis() : Math.min(s.roundMillis(), left);
            long quiet = Math.min(s.quietMillis(), round / 4);
            long busy = round - quiet;
            long seed = s.seed() + 1_000L * rounds;
            try {
                if (s.goroutinesInRound(rounds)) {
                    goroutineRound(seed, busy, quiet);
                } else {
                    threadRound(seed, busy, quiet);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
            rounds++;
        }
        monitor.stop();
        return summary();
    }

    private int summary() {
        double slope = monitor.rssSlopePercentPer10Min();
        out.printf(Locale.ROOT, "soak: %d rounds in %.1f min: %d cycles (%d forced by sysmon), %d barrier stores (slow path), %d objects freed, "
                        + "%d model-reachable objects checked at round ends, %d model ops, %d subtree swaps, %d pool gets, "
                        + "%s scavenged, max pause %.2f ms, peak RSS %s%n",
                rounds, monitor.elapsedMillis() / 60_000.0, monitor.cycles, monitor.forced, monitor.barrierStores(), monitor.frees,
                checkedObjects, modelOps, treeSwaps, poolGets, Format.bytes(monitor.scavengedBytes), monitor.maxPauseNs / 1e6,
                Format.bytes(monitor.peakRss));
        StringBuilder ends = new StringBuilder();
        for (long[] e : roundEndRss) {
            ends.append(ends.isEmpty() ? "" : ", ").append(e[0] == 0 ? "G " : "T ").append(Format.mib(e[1]));
        }
        out.println("soak: RSS at round ends (G goroutines, T threads): " + ends);
        double outside = monitor.rssOutsideJavaHeapSlopePercentPer10Min();
        out.printf(Locale.ROOT, "soak: RSS slope after %.1f min warm-up: %s; RSS outside the Java heap: %s (N1 target: < 1 %%/10 min: %s)%n",
                monitor.warmupMillis() / 60_000.0, percent(slope), percent(outside),
                Double.isNaN(outside) ? "not judged" : Math.abs(outside) < 1.0 ? "met" : "NOT met");
        Throwable f = failure.get();
        if (f != null) {
            err.println("soak: FAILED in round " + (rounds - 1) + " (seed " + s.seed() + ", round seed "
                    + (s.seed() + 1_000L * (rounds - 1)) + "): " + f);
            f.printStackTrace(err);
            return 1;
        }
        out.println("soak: PASS (seed " + s.seed() + ")");
        return 0;
    }

    private static String percent(double slope) {
        return Double.isNaN(slope) ? "n/a (too few samples)" : String.format(Locale.ROOT, "%+.2f %%/10 min", slope);
    }

    private void fail(Throwable t) {
        failure.compareAndSet(null, t);
    }

    private static void expect(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    // ------------------------------------------------------------------ goroutines

    private void goroutineRound(long seed, long busy, long quiet) {
        Map<String, String> env = new HashMap<>(Map.of(
                "GOMAXPROCS", Integer.toString(PROCS),
                "GOGC", Integer.toString(s.gogc()),
                "GORT_DEBUG", "gccheckmark=1,gcpoison=1",
                "GORT_FORCEGC_PERIOD", FORCEGC_PERIOD,
                "GORT_SCAVENGE_PERIOD", SCAVENGE_PERIOD,
                "GORT_SCAVENGE_IDLE", SCAVENGE_IDLE));
        Map<String, String> props = new HashMap<>();
        System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
        int code = Gort.run(new String[0], args -> {
            try {
                goroutineLoads(seed, busy, quiet);
            } catch (Throwable t) {
                fail(t);
            }
        }, new Gort.Options().settings(env, props).stderr(err));
        if (code != 0 && failure.get() == null) {
            fail(new IllegalStateException("the goroutine round's runtime exited with code " + code + " (its report is above)"));
        }
    }

    /** Runs on goroutine 1 of a fresh runtime. */
    private void goroutineLoads(long seed, long busy, long quiet) throws Exception {
        Collector gc = Gort.collector();
        Heap heap = gc.heap();
        Gort.gc();
        long baseObjects = heap.readMemStats().heapObjects();
        long baseBytes = heap.readMemStats().heapAlloc();
        monitor.attach("goroutines", gc, heap, () -> Gort.sysmonStats().scavengedBytes(), () -> Gort.sysmonStats().forcedGcs());
        try {
            GraphModel[] models = {new GraphModel(gc, new Random(seed), 0), new GraphModel(gc, new Random(seed + 1), 1)};
            models[1].selectEcho = true;
            TreeSwapLoad tree = new TreeSwapLoad(gc, new Random(seed + 2), 2, s.treeHeight());
            PoolChurn pool = new PoolChurn(gc);
            AtomicLong done = new AtomicLong();
            List<Runnable> loads = new ArrayList<>();
            for (GraphModel m : models) {
                loads.add(() -> m.run(Long.MAX_VALUE, busy, null));
            }
            loads.add(() -> {
                try (Frame f = Frame.push(1)) {
                    tree.run(busy, Slots.of(f), Go::poll);
                }
            });
            for (int i = 0; i < 2; i++) {
                Random r = new Random(seed + 3 + i);
                loads.add(() -> {
                    try (Frame f = Frame.push(PoolChurn.slots())) {
                        pool.run(r, busy, Slots.of(f), Go::poll);
                    }
                });
            }
            for (Runnable load : loads) {
                Gort.go(() -> {
                    try {
                        load.run();
                    } catch (Throwable t) {
                        fail(t);
                    } finally {
                        done.incrementAndGet();
                    }
                });
            }
            while (done.get() < loads.size()) {
                Gort.sleep(Duration.ofMillis(20));
            }
            roundEnd("goroutines", heap, Gort::gc, models, tree, pool, baseObjects, baseBytes);
            Gort.sleep(Duration.ofMillis(quiet));     // sysmon: forced GCs, scavenger passes
            roundEndRss.add(new long[] {0, dev.gort.sys.ProcessMemory.rssBytes()});
        } finally {
            monitor.detach();
        }
    }

    // ------------------------------------------------------------------ threads

    private void threadRound(long seed, long busy, long quiet) throws Exception {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(4L << 30).withClobberFree(true), PosixOsMemory.get());
        Collector gc = null;
        Thread ticker = null;
        AtomicLong scavenged = new AtomicLong();
        try {
            gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(s.gogc()).withDebug(false, true, true, 0, 0), PROCS);
            Collector c = gc;
            ThreadWorld world = gc.threadWorld();
            monitor.attach("threads", gc, heap, scavenged::get, () -> 0);
            ticker = Thread.ofPlatform().daemon().name("soak-scavenger").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(1_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    scavenged.addAndGet(heap.scavengeIdle(SCAVENGE_IDLE_NANOS));
                }
            });
            GraphModel[] models = new GraphModel[2];
            TreeSwapLoad tree = new TreeSwapLoad(gc, new Random(seed + 2), 2, s.treeHeight());
            PoolChurn pool = new PoolChurn(gc);
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int id = w;
                models[w] = new GraphModel(gc, new Random(seed + w), w);
                threads.add(mutatorThread("soak-model-" + w, world, GraphModel.SLOTS,
                        m -> models[id].run(Long.MAX_VALUE, busy, m.roots())));
            }
            threads.add(mutatorThread("soak-tree", world, 1, m -> tree.run(busy, Slots.of(m.roots()), world::poll)));
            for (int i = 0; i < 2; i++) {
                Random r = new Random(seed + 3 + i);
                threads.add(mutatorThread("soak-pool-" + i, world, PoolChurn.slots(),
                        m -> pool.run(r, busy, Slots.of(m.roots()), world::poll)));
            }
            for (Thread t : threads) {
                t.join(busy + 300_000);
                expect(!t.isAlive(), t.getName() + " did not finish within 5 minutes of its deadline (hung?)");
            }
            if (failure.get() != null) {
                return;
            }
            // The round end's own pointer stores (the pool's close, the models' and trees' globals
            // let go) come from this thread: it registers, so a stop-the-world stops it between
            // reading the barrier flag and storing (the rule for every pointer store; a plain
            // thread's late deletion shade left objects grey for the next cycle: docs/soak.md).
            world.register(1);
            try {
                roundEnd("threads", heap, c::gc, models, tree, pool, 0, 0);
            } finally {
                world.unregister();
            }
            Thread.sleep(quiet);
            roundEndRss.add(new long[] {1, dev.gort.sys.ProcessMemory.rssBytes()});
        } finally {
            monitor.detach();
            if (ticker != null) {
                ticker.interrupt();
                ticker.join();
            }
            if (gc != null) {
                gc.close();
            }
            heap.close();
        }
    }

    interface MutatorBody {
        void run(Mutator m);
    }

    private Thread mutatorThread(String name, ThreadWorld world, int slots, MutatorBody body) {
        return Thread.ofPlatform().name(name).start(() -> {
            Mutator m = world.register(slots);
            try {
                body.run(m);
            } catch (Throwable t) {
                fail(t);
            } finally {
                world.unregister();
            }
        });
    }

    // ------------------------------------------------------------------ round end

    /**
     * The loads have stopped: one cycle, then live == what the models reach + the trees exactly,
     * every reachable object checked, verifyHeap; then every root dropped and the heap back to its start.
     */
    private void roundEnd(String world, Heap heap, Runnable fullGc, GraphModel[] models, TreeSwapLoad tree, PoolChurn pool,
                          long baseObjects, long baseBytes) {
        if (failure.get() != null) {
            return;
        }
        pool.close();
        fullGc.run();
        long objects = tree.liveObjects();
        for (GraphModel m : models) {
            var reach = m.reachable();
            m.verify(reach);
            objects += reach.size();
            modelOps += m.ops;
        }
        checkedObjects += objects;
        treeSwaps += tree.swaps;
        poolGets += pool.gets.get();
        MemStats ms = heap.readMemStats();
        if (ms.heapObjects() - baseObjects != objects) {
            throw new IllegalStateException(world + " round end: " + (ms.heapObjects() - baseObjects)
                    + " live objects, the models reach " + objects + " (freed early or leaked); "
                    + SoakDiagnosis.unexpectedObjects(heap, models, tree));
        }
        expect(ms.heapAlloc() - baseBytes == objects * GraphModel.NODE_SLOT, world + " round end: live bytes "
                + (ms.heapAlloc() - baseBytes) + ", the models reach " + objects * GraphModel.NODE_SLOT);
        heap.verifyHeap();
        for (GraphModel m : models) {
            m.release();
        }
        tree.release();
        fullGc.run();
        MemStats after = heap.readMemStats();
        expect(after.heapObjects() == baseObjects && after.heapAlloc() == baseBytes, world + " round end: "
                + after.heapObjects() + " objects (" + after.heapAlloc() + " bytes) live after every root was dropped; the round began with "
                + baseObjects + " (" + baseBytes + " bytes)");
        heap.verifyHeap();
    }
}
