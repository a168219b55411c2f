package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Global;
import dev.gort.gc.GlobalRoots;
import dev.gort.gc.Mem;
import dev.gort.gc.Mutator;
import dev.gort.gc.RootSlots;
import dev.gort.gc.SchedWorld;
import dev.gort.gc.StwPause;
import dev.gort.gc.ThreadWorld;
import dev.gort.gc.Type;
import dev.gort.gc.WorkbufPool;
import dev.gort.sched.Chan;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.ToLongFunction;

/**
 * The pause benchmark: stop-the-world pause distribution with a 1 GiB live heap and 2
 * mutators (target: p99 under 0.5 ms), GOGC=100, pacer-driven cycles. The mutators are platform
 * threads registered with a ThreadWorld ({@code threads}, the default) or goroutines at
 * GOMAXPROCS=2 under gort's scheduler ({@code goroutines}: SchedWorld, mark workers as goroutines,
 * stops by the scheduler, roots in shadow-stack frames).
 *
 * <p>The live heap is a table of buckets (a pointer array held by a global), each bucket a chain of
 * 16 64-byte records (4 pointers, 4 longs). Each mutator owns half of the buckets; after building
 * them it keeps replacing random chains of its half with fresh ones (the old chain becomes garbage,
 * the live heap stays put, every replacement goes through the write barrier) until the time is up.
 * Every pause is recorded with its breakdown; the table prints the distribution of the whole pause,
 * of the time to stop (mutators reaching a safepoint, or getting a CPU) and of the collector's CPU
 * inside the pause.
 *
 * <p>{@code -Dgort.bench.warmup=S} adds a second table over the pauses that came at least S seconds
 * after the live heap was built: on 2 cores the JIT's compiler threads take the CPUs a stop waits
 * for during the first minute, and that table shows the distribution once compilation settled.
 * The first table always covers every pause.
 *
 * <p>Each table is followed by what its sample can say about p99 ({@link PauseTail}): the count of
 * pauses over 500 us, where the nearest-rank p99 sits (below 100 pauses it is the maximum), and a
 * 95 % upper bound on the share over 500 us. {@code -Dgort.bench.minpauses=N} makes the run long
 * enough for that: the mutators go on past SECONDS until N pauses were recorded after the warm-up
 * (e.g. 100 for a p99 that is not the maximum, 300 for a bound under 1 %), at most
 * {@link #MIN_PAUSES_LIMIT_SECONDS} s in all; the table's header gives the time it took.
 *
 * <pre>java ... dev.gort.bench.gc.PauseDistributionRun [LIVE_MIB=1024] [SECONDS=20] [threads|goroutines]</pre>
 */
public final class PauseDistributionRun {
    static final Type RECORD = Type.struct("Record").pointer("next").pointer("p1").pointer("p2").pointer("p3")
            .longField("a").longField("b").longField("c").longField("d").build();
    static final long NEXT = RECORD.offset("next");
    static final int CHAIN = 16;
    static final int MUTATORS = 2;

    public static void main(String[] args) throws Exception {
        long liveMib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String mode = args.length > 2 ? args[2] : "threads";
        int warmup = warmupSeconds(System.getProperty("gort.bench.warmup", "0"));
        int minPauses = minPauses(System.getProperty("gort.bench.minpauses", "0"));
        if (!mode.equals("threads") && !mode.equals("goroutines")) {
            throw new IllegalArgumentException("mutator kind '" + mode + "': accepted threads or goroutines");
        }
        long buckets = (liveMib << 20) / (CHAIN * RECORD.size());
        // -Dgort.bt.sample=MS: RSS beside the heap's and pacer's figures (RssSampler), printed after the table.
        long samplePeriod = BinaryTrees.sampleMillis();
        String loadStart = BinaryTreesRun.loadAverage();
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(64L << 30), PosixOsMemory.get());
        boolean trace = String.valueOf(System.getenv("GORT_DEBUG")).contains("gctrace=1");
        GcOptions opts = GcOptions.DEFAULT.withDebug(trace, false, false, 0, 0);
        Run run = new Run(buckets, seconds, warmup, minPauses);
        RssSampler sampler = null;
        Collector used;
        if (mode.equals("threads")) {
            Collector gc = Collector.forThreads(heap, opts, 2);
            used = gc;
            sampler = samplePeriod > 0 ? new RssSampler(heap, gc, samplePeriod) : null;
            run.listen(gc);
            run.onThreads(gc);
            run.finish(gc);
        } else {
            Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(MUTATORS).heap(heap));
            WorkbufPool pool = new WorkbufPool();
            GlobalRoots globals = new GlobalRoots();
            Collector gc = new Collector(heap, new SchedWorld(sched, pool), pool, globals, opts);
            used = gc;
            sampler = samplePeriod > 0 ? new RssSampler(heap, gc, samplePeriod) : null;
            run.listen(gc);
            sched.run(() -> run.onGoroutines(gc));
            run.finish(gc);
            // Unmapped only after the report: when run() returns, an M may still be running a
            // mark worker goroutine that touches the work buffers (a run ended in SIGSEGV in
            // GcWork.dispose after pool.close(), losing the table).
            closeAfterReport = () -> {
                globals.close();
                pool.close();
            };
        }
        report(run, liveMib, buckets, seconds, mode, loadStart, warmup);
        if (sampler != null) {
            sampler.close();
            sampler.print(System.out, 10);
        }
        System.out.println("allocations that gave up a refill step for a stop (AllocationYield): " + stopYields(heap));
        // Said, not assumed from the flag: the kernel may refuse the boost (no CAP_SYS_NICE or
        // RLIMIT_RTPRIO; its warning says why).
        System.out.println("stops made at real-time priority (-Dgort.gc.stopper.rtprio): " + used.realtimeStops());
        if (used.world() instanceof dev.gort.gc.SchedWorld sw) {
            System.out.println("Ms boosted late into a stop (-Dgort.gc.stopper.rtmutators): " + sw.scheduler().lateMBoosts());
        }
        if (dev.gort.sys.PathProbe.ON) {
            System.out.print(dev.gort.sys.PathProbe.report());
        }
        closeAfterReport.run();
        heap.close();
    }

    /** GcSupport.stopYields() through reflection: the same benchmark runs on classes from before it existed. */
    private static String stopYields(Heap heap) {
        try {
            Object gcs = heap.gc();
            return String.valueOf(gcs.getClass().getMethod("stopYields").invoke(gcs));
        } catch (ReflectiveOperationException e) {
            return "n/a (no GcSupport.stopYields in these classes)";
        }
    }

    static final java.util.concurrent.atomic.AtomicLong MUTATOR_VCSW = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong MUTATOR_IVCSW = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong MUTATOR_CPU = new java.util.concurrent.atomic.AtomicLong();

    private static Runnable closeAfterReport = () -> { };

    /** Bound on a run that {@code -Dgort.bench.minpauses} extends (seconds of replacing, in all). */
    static final int MIN_PAUSES_LIMIT_SECONDS = 1800;

    /** -Dgort.bench.minpauses: a whole count >= 0 (0: SECONDS alone decides), or an error naming what is accepted. */
    static int minPauses(String value) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-Dgort.bench.minpauses=" + value
                + ": accepted is a whole number of pauses >= 0 to record after the warm-up (default 0: the run lasts SECONDS)");
    }

    /** -Dgort.bench.warmup: whole seconds >= 0, or an error naming what is accepted. */
    static int warmupSeconds(String value) {
        try {
            int s = Integer.parseInt(value.trim());
            if (s >= 0) {
                return s;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-Dgort.bench.warmup=" + value + ": accepted are whole seconds >= 0 (default 0: no warm-up table)");
    }

    private static void report(Run run, long liveMib, long buckets, int seconds, String mode, String loadStart, int warmup) {
        GcSummary s = run.summary;
        String kind = mode.equals("threads") ? MUTATORS + " mutator threads" : MUTATORS + " mutator goroutines at GOMAXPROCS=" + MUTATORS;
        System.out.printf(Locale.ROOT, "### STW pauses, %d MiB live (%d buckets x %d records of %d B), %s, GOGC=100, %d s%s%n%n",
                liveMib, buckets, CHAIN, RECORD.size(), kind, seconds, run.minPauses == 0 ? ""
                        : String.format(Locale.ROOT, " (-Dgort.bench.minpauses=%d: replaced chains for %.0f s%s)", run.minPauses,
                                run.steadySeconds(), run.pausesAfterWarmup() < run.minPauses ? ", stopped at the time limit short of the count" : ""));
        System.out.printf(Locale.ROOT, "%d cycles in all, %d pauses once the live heap was built (%d of them mark completion),"
                + " %d chains replaced; load average at start %s, at end %s%n%n", run.cycles, s.all.size(),
                s.all.stream().filter(p -> p.kind() == StwPause.Kind.MARK_COMPLETION).count(),
                run.replaced[0] + run.replaced[1], loadStart, BinaryTreesRun.loadAverage());
        System.out.println("| figure | p50 us | p99 us | max us |");
        System.out.println("| --- | ---: | ---: | ---: |");
        s.row("pause (wall, stop request to restart)", StwPause::totalNanos);
        s.row("time to stop (mutators at a safepoint)", p -> p.stepNanos("stop"));
        s.row("in-pause work (wall)", p -> p.totalNanos() - p.stepNanos("stop"));
        s.row("in-pause work (collector CPU)", StwPause::workCpuNanos);
        System.out.println();
        System.out.println("worst: " + s.worst());
        if (mode.equals("threads")) {
            System.out.printf(Locale.ROOT, "mutator threads in the steady phase: voluntary switches %d, involuntary %d, CPU %d ms%n",
                    MUTATOR_VCSW.get(), MUTATOR_IVCSW.get(), MUTATOR_CPU.get() / 1_000_000);
        }
        System.out.println("assist queue: " + run.assistWaits + " (process: " + dev.gort.sys.CpuClock.selfUsage() + ")");
        System.out.println(run.sweep);
        System.out.printf(Locale.ROOT, "%ntarget p99 < 500 us: %s (p99 %.0f us)%n", s.pct(StwPause::totalNanos, 0.99) < 500_000 ? "met" : "NOT met",
                s.pct(StwPause::totalNanos, 0.99) / 1000.0);
        System.out.println(s.tail(SLOW_NANOS).describe(s.all().size() / Math.max(1e-9, run.steadySeconds())));
        if (warmup > 0) {
            GcSummary w = run.after(warmup);
            System.out.printf(Locale.ROOT, "%n%d pauses from %d s after the live heap was built (warm-up excluded):%n%n", w.all().size(), warmup);
            System.out.println("| figure | p50 us | p99 us | max us |");
            System.out.println("| --- | ---: | ---: | ---: |");
            w.row("pause (wall, stop request to restart)", StwPause::totalNanos);
            w.row("time to stop (mutators at a safepoint)", p -> p.stepNanos("stop"));
            w.row("in-pause work (collector CPU)", StwPause::workCpuNanos);
            System.out.printf(Locale.ROOT, "%nafter warm-up, over 500 us: %d of %d%n",
                    w.all().stream().filter(p -> p.totalNanos() > SLOW_NANOS).count(), w.all().size());
            System.out.println(w.tail(SLOW_NANOS).describe(w.all().size() / Math.max(1e-9, run.steadySeconds() - warmup)));
            w.printSlowByCause(SLOW_NANOS);
        }
    }

    /** The bound: a pause over it is slow (p99 must stay under it). */
    static final long SLOW_NANOS = 500_000;

    /** One run's workload and records, for either kind of mutator. */
    static final class Run {
        final long buckets;
        final int seconds;
        final int warmup;
        final int minPauses;
        /** Pauses reported at least {@link #warmup} s after steadyAt (listener writes, mutators read). */
        private final java.util.concurrent.atomic.AtomicInteger afterWarmup = new java.util.concurrent.atomic.AtomicInteger();
        /** System.nanoTime() when the first mutator stopped replacing (0: not yet). */
        private volatile long replaceEndAt;
        final List<StwPause> pauses = new ArrayList<>();
        final List<Long> arrivals = new ArrayList<>();   // System.nanoTime() when each pause was reported (guarded by pauses)
        long steadyAt;                                   // System.nanoTime() of steadyFrom (guarded by pauses)
        final long[] replaced = new long[MUTATORS];
        int steadyFrom = -1;       // index of the first pause once the whole live heap is built (guarded by pauses)
        long cycles;
        GcSummary summary;
        Global tableRoot;

        dev.gort.gc.AssistWaitStats assistWaits;

        Run(long buckets, int seconds, int warmup, int minPauses) {
            this.buckets = buckets;
            this.seconds = seconds;
            this.warmup = warmup;
            this.minPauses = minPauses;
        }

        int pausesAfterWarmup() {
            return afterWarmup.get();
        }

        /** Seconds from the live heap's being built to the end of replacing (0 if never steady). */
        double steadySeconds() {
            long from, to = replaceEndAt;
            synchronized (pauses) {
                from = steadyAt;
            }
            return from == 0 || to == 0 ? 0 : (to - from) / 1e9;
        }

        /** Whether a mutator stops replacing at {@code now}: SECONDS are up and the pause count (if asked) reached, or the limit. */
        boolean replacingDone(long now, long end, long limit) {
            return now - end >= 0 && (afterWarmup.get() >= minPauses || now - limit >= 0);
        }

        void listen(Collector gc) {
            tableRoot = gc.newGlobal();
            gc.setPauseBreakdownListener(p -> {
                long now = System.nanoTime();
                synchronized (pauses) {
                    pauses.add(p);
                    arrivals.add(now);
                    if (steadyFrom >= 0 && now - steadyAt >= warmup * 1_000_000_000L) {
                        afterWarmup.incrementAndGet();
                    }
                }
            });
        }

        void steady() {
            synchronized (pauses) {
                if (steadyFrom < 0) {
                    if (dev.gort.sys.PathProbe.ON) {
                        dev.gort.sys.PathProbe.reset();     // the steady phase only
                    }
                    steadyFrom = pauses.size();
                    steadyAt = System.nanoTime();
                }
            }
        }

        /** The steady-state pauses reported at least {@code seconds} after the live heap was built. */
        GcSummary after(int seconds) {
            synchronized (pauses) {
                List<StwPause> out = new ArrayList<>();
                for (int i = Math.max(0, steadyFrom); i < pauses.size(); i++) {
                    if (arrivals.get(i) - steadyAt >= seconds * 1_000_000_000L) {
                        out.add(pauses.get(i));
                    }
                }
                return new GcSummary(out);
            }
        }

        String sweep = "";

        void finish(Collector gc) {
            cycles = gc.cycles();
            assistWaits = gc.assistWaitStats();
            sweep = BinaryTrees.sweepShares(BinaryTrees.sweepStats(gc));
            synchronized (pauses) {
                summary = new GcSummary(List.copyOf(pauses.subList(Math.max(0, steadyFrom), pauses.size())));
            }
            gc.close();
        }

        /** Mutator {@code id}'s half: build its buckets, then replace random chains until the time is up. */
        void build(Collector gc, int id, Root root) {
            long lo = buckets * id / MUTATORS, hi = buckets * (id + 1) / MUTATORS;
            for (long b = lo; b < hi; b++) {
                long chain = chain(gc, root);
                Mem.storePtrAt(tableRoot.get(), b, chain);
            }
        }

        void replace(Collector gc, int id, Root root) {
            long lo = buckets * id / MUTATORS, hi = buckets * (id + 1) / MUTATORS;
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            long limit = start + Math.max(seconds, MIN_PAUSES_LIMIT_SECONDS) * 1_000_000_000L;
            SplittableRandom rnd = new SplittableRandom(id);
            long n = 0;
            while (!replacingDone(System.nanoTime(), end, limit)) {
                long b = lo + rnd.nextLong(hi - lo);
                long chain = chain(gc, root);
                Mem.storePtrAt(tableRoot.get(), b, chain);
                n++;
            }
            replaced[id] = n;
            if (replaceEndAt == 0) {
                replaceEndAt = System.nanoTime();
            }
        }

        void onThreads(Collector gc) throws InterruptedException {
            CountDownLatch built = new CountDownLatch(MUTATORS);
            ThreadWorld world = gc.threadWorld();
            // The table is allocated by the first mutator, before the others start.
            CountDownLatch tableReady = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < MUTATORS; t++) {
                final int id = t;
                Thread th = Thread.ofPlatform().name("mutator-" + t).start(() -> {
                    try {
                        if (id != 0) {
                            tableReady.await();       // not a mutator yet: it must not hold up a stop-the-world
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    Mutator m = world.register(4);
                    RootSlots roots = m.roots();
                    try {
                        if (id == 0) {
                            tableRoot.set(gc.allocArray(Type.POINTER, buckets));
                            tableReady.countDown();
                        }
                        build(gc, id, p -> roots.set(0, p));
                        built.countDown();
                        world.runBlocking(m, () -> {           // waiting counts as stopped
                            try {
                                built.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
                        steady();
                        dev.gort.sys.CpuClock.Usage u0 = dev.gort.sys.CpuClock.threadUsage();
                        replace(gc, id, p -> roots.set(0, p));
                        dev.gort.sys.CpuClock.Usage u1 = dev.gort.sys.CpuClock.threadUsage();
                        MUTATOR_VCSW.addAndGet(u1.voluntarySwitches() - u0.voluntarySwitches());
                        MUTATOR_IVCSW.addAndGet(u1.involuntarySwitches() - u0.involuntarySwitches());
                        MUTATOR_CPU.addAndGet(u1.userNanos() + u1.systemNanos() - u0.userNanos() - u0.systemNanos());
                    } finally {
                        world.unregister();
                    }
                });
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
        }

        /** On the main goroutine: the table, then one goroutine per mutator; roots are frame slots. */
        void onGoroutines(Collector gc) {
            tableRoot.set(gc.allocArray(Type.POINTER, buckets));
            java.util.concurrent.atomic.AtomicInteger builders = new java.util.concurrent.atomic.AtomicInteger(MUTATORS);
            Chan<Integer> done = new Chan<>(MUTATORS);
            for (int t = 0; t < MUTATORS; t++) {
                final int id = t;
                Go.go(() -> {
                    try (Frame f = Frame.push(1)) {
                        build(gc, id, p -> f.set(0, p));
                        if (builders.decrementAndGet() == 0) {
                            steady();                      // the other one is already replacing chains
                        }
                        replace(gc, id, p -> f.set(0, p));
                    }
                    done.send(id);
                });
            }
            for (int t = 0; t < MUTATORS; t++) {
                done.recv();
            }
        }
    }

    /** Where a chain under construction is kept reachable: a root slot or a frame slot. */
    interface Root {
        void set(long p);
    }

    /** A fresh chain of {@link #CHAIN} records, kept in {@code root} while it is built. */
    static long chain(Collector gc, Root root) {
        long head = 0;
        for (int i = 0; i < CHAIN; i++) {
            long r = gc.alloc(RECORD);
            Mem.storePtr(r, NEXT, head);
            head = r;
            root.set(head);
        }
        root.set(0);
        return head;
    }

    record GcSummary(List<StwPause> all) {
        double pct(ToLongFunction<StwPause> f, double q) {
            if (all.isEmpty()) {
                return 0;
            }
            long[] v = all.stream().mapToLong(f).sorted().toArray();
            return v[Math.min(v.length - 1, (int) Math.ceil(v.length * q) - 1)];
        }

        void row(String name, ToLongFunction<StwPause> f) {
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.0f |%n", name, pct(f, 0.5) / 1000, pct(f, 0.99) / 1000, pct(f, 1.0) / 1000);
        }

        /**
         * The pauses over {@code minNanos}, each given the cause that took most of it (as branch
         * {@code stopper} counted them over threads): <i>mutator</i>, request until the last P or
         * mutator stopped (on its way to a safepoint, or waiting for a CPU); <i>stopper</i>, that
         * until the stopper saw it; <i>work</i>, the in-pause steps. Read from the stop detail the
         * world writes ({@code last P stopped at A ms; stopper saw it at B ms} under the scheduler,
         * {@code last to stop: NAME at A ms ...; stopper saw it at B ms} over threads); a pause without
         * one (no pausetrace, no listener) is counted as unknown.
         */
        void printSlowByCause(long minNanos) {
            int mutator = 0, stopper = 0, work = 0, unknown = 0;
            List<String> lines = new ArrayList<>();
            for (StwPause p : all) {
                if (p.totalNanos() <= minNanos) {
                    continue;
                }
                double[] ab = stopTimeline(p.stopDetail());
                String cause;
                if (ab == null) {
                    cause = "unknown";
                    unknown++;
                } else {
                    double total = p.totalNanos() / 1e6;
                    double inPause = total - p.stepNanos("stop") / 1e6;
                    double late = ab[0];
                    double seenLate = ab[1] - ab[0];
                    if (late >= seenLate && late >= inPause) {
                        cause = "mutator";
                        mutator++;
                    } else if (seenLate >= inPause) {
                        cause = "stopper";
                        stopper++;
                    } else {
                        cause = "work";
                        work++;
                    }
                }
                lines.add("  " + cause + ": " + p);
            }
            System.out.printf(Locale.ROOT, "over %d us by cause: mutator %d, stopper %d, work %d, unknown %d%n", minNanos / 1000,
                    mutator, stopper, work, unknown);
            lines.forEach(System.out::println);
        }

        private static final java.util.regex.Pattern LAST_STOPPED = java.util.regex.Pattern.compile(
                "(?:last P stopped at ([0-9.]+) ms|last to stop: .*? at ([0-9.]+) ms|no P had to stop|no mutator was running)[^;]*; "
                        + "(?:stopper saw it at|it ran the stopped steps from|M[0-9]+ ran the stopped steps from) ([0-9.]+) ms");

        /** {A, B}: when the last P (or mutator) stopped and when the stopper saw it, ms after the request; null if not said. */
        static double[] stopTimeline(String detail) {
            if (detail == null) {
                return null;
            }
            java.util.regex.Matcher m = LAST_STOPPED.matcher(detail);
            if (!m.find()) {
                return null;
            }
            String last = m.group(1) != null ? m.group(1) : m.group(2);
            return new double[] {last == null ? 0 : Double.parseDouble(last), Double.parseDouble(m.group(3))};
        }

        PauseTail tail(long thresholdNanos) {
            return new PauseTail(all.size(), (int) all.stream().filter(p -> p.totalNanos() > thresholdNanos).count(), thresholdNanos);
        }

        StwPause worst() {
            return all.stream().max(java.util.Comparator.comparingLong(StwPause::totalNanos)).orElse(null);
        }
    }
}
