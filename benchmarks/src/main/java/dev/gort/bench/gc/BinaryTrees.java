package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Mem;
import dev.gort.gc.Mutator;
import dev.gort.gc.RootSlots;
import dev.gort.gc.StwPause;
import dev.gort.gc.ThreadWorld;
import dev.gort.gc.Type;
import dev.gort.gc.WriteBarrier;
import dev.gort.sys.CpuClock;
import dev.gort.sys.PosixOsMemory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * binary-trees from the Computer Language Benchmarks Game (stretch tree, long-lived tree,
 * iterations per depth), once on the gort heap and once on the JVM heap, in this JVM. Prints the
 * program's usual output and one {@code RESULT} line: wall time, peak RSS (VmHWM), number of GCs,
 * max and p99 stop-the-world pause. {@link BinaryTreesRun} forks one JVM per contender.
 *
 * <p>{@code gort-sched}: the same program on the gort heap as the main goroutine of gort's
 * scheduler at GOMAXPROCS=2 (SchedWorld: mark workers and the background sweeper are goroutines,
 * roots in a shadow-stack frame, a {@code Go.poll} per check call); its mutator CPU is not
 * measured (-1: the goroutine may move between Ms), the process CPU is.
 *
 * <p>{@code gort}: one registered thread allocating through the mutator it holds
 * ({@code gc.alloc(m, NODE)}); {@code -Dgort.bt.alloc=lookup} makes it call {@code gc.alloc(NODE)},
 * which finds the mutator on each call (an A/B of the two in one build).
 *
 * <pre>java ... dev.gort.bench.gc.BinaryTrees gort|gort-sched|jvm DEPTH</pre>
 */
public final class BinaryTrees {
    static final Type NODE = Type.struct("TreeNode").pointer("left").pointer("right").build();
    static final long LEFT = NODE.offset("left"), RIGHT = NODE.offset("right");
    static final int MIN_DEPTH = 4;
    // Written by the collector's coordinator thread only, read after close().
    static volatile long maxStopNanos;
    static volatile long maxWorkNanos;
    static volatile long maxWorkCpuNanos;
    static volatile StwPause worst = new StwPause(0, StwPause.Kind.SWEEP_TERMINATION, 0, java.util.List.of());

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !(args[0].equals("gort") || args[0].equals("gort-sched") || args[0].equals("jvm"))) {
            System.err.println("usage: BinaryTrees gort|gort-sched|jvm DEPTH");
            System.exit(2);
        }
        int n = Integer.parseInt(args[1]);
        List<Long> pauses = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        long mutatorCpu0 = CpuClock.threadCpuNanos();
        long processCpu0 = CpuClock.processCpuNanos();
        CpuClock.Usage usage0 = CpuClock.threadUsage();
        long gcs;
        StringBuilder out = new StringBuilder();
        boolean gort = args[0].startsWith("gort");
        if (args[0].equals("gort")) {
            gcs = runGort(n, out, pauses);
        } else if (args[0].equals("gort-sched")) {
            gcs = runGortSched(n, out, pauses);
        } else {
            gcs = runJvm(n, out, pauses);
        }
        long returned = System.nanoTime();
        // The timed window ends with the program's work (the long-lived tree's check, endOfWork):
        // what comes after it is the harness's (the run's reports, the collector's and the heap's
        // close, the JVM mode's wait for its last JFR events), reported apart as teardown_ms.
        long wall = workEnd.nanos - t0;
        long teardown = returned - workEnd.nanos;
        // CPU figures survive a loaded machine better than wall time: the mutator's own CPU (this
        // thread: allocation, barriers, assists, the program) and the whole process's (+ GC threads).
        long mutatorCpu = args[0].equals("gort-sched") ? -1_000_000 : workEnd.threadCpu - mutatorCpu0;
        long processCpu = workEnd.processCpu - processCpu0;
        // The mutator's CPU split into user and kernel time, and its page faults: with GOGC=off
        // every node is fresh memory, so the kernel's first-touch faults (zeroing pages) are most
        // of the mutator's time, not the allocator; mutator_user_ms is the figure to compare then.
        // (gort-sched: this thread only waited; its figures are read now and mean little.)
        CpuClock.Usage usage1 = workEnd.usage != null ? workEnd.usage : CpuClock.threadUsage();
        long mutatorUser = usage1.userNanos() - usage0.userNanos();
        long mutatorSys = usage1.systemNanos() - usage0.systemNanos();
        long mutatorFaults = usage1.minorFaults() - usage0.minorFaults();
        System.out.print(out);
        List<Long> sorted = new ArrayList<>(pauses);
        Collections.sort(sorted);
        long max = sorted.isEmpty() ? 0 : sorted.getLast();
        long p99 = sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1));
        if (gort) {
            // Time to safepoint (mutator reaching an allocation or poll, or getting a CPU on a
            // loaded machine) vs. the collector's own work while the world was stopped.
            System.out.println("worst " + worst);
        }
        // Read after the run and after the peak: the arena is unmapped by now, so the management
        // classes this loads cannot raise VmHWM (peakRssKb below is the run's).
        long[] host = gort ? hostCollections() : new long[] {-1, -1};
        // Start-up: JVM start to the first tree (the JVM's own start, class loading, FFM linking, the
        // heap and collector set-up) and main's part of it (t0 to the first tree), read after the run.
        long startupMs = gort ? jvmUptimeMillisAt(firstTreeNanos) : -1;
        long setupMs = gort ? (firstTreeNanos - t0) / 1_000_000 : -1;
        // One write: printf writes its pieces one by one, and the harness's child logs its JVM's
        // safepoints on this stdout (SafepointStats), whose line could land inside this one.
        System.out.print(String.format("RESULT mode=%s depth=%d wall_ms=%d peak_rss_mb=%d gcs=%d pauses=%d max_pause_us=%d p99_pause_us=%d"
                        + " max_stop_us=%d max_work_us=%d max_work_cpu_us=%d mutator_cpu_ms=%d process_cpu_ms=%d"
                        + " mutator_user_ms=%d mutator_sys_ms=%d mutator_minflt=%d mutator_vcsw=%d mutator_ivcsw=%d"
                        + " barrier_slow=%d barrier_filtered=%d rt_stops=%d host_gcs=%d host_gc_ms=%d startup_ms=%d setup_ms=%d"
                        + " teardown_ms=%d scavenged_mb=%d memlimit_mb=%d%n",
                args[0], n, wall / 1_000_000, peakRssKb() / 1024, gcs, sorted.size(), max / 1000, p99 / 1000,
                gort ? maxStopNanos / 1000 : -1, gort ? maxWorkNanos / 1000 : -1,
                gort ? maxWorkCpuNanos / 1000 : -1, mutatorCpu / 1_000_000, processCpu / 1_000_000,
                mutatorUser / 1_000_000, mutatorSys / 1_000_000, mutatorFaults,
                usage1.voluntarySwitches() - usage0.voluntarySwitches(), usage1.involuntarySwitches() - usage0.involuntarySwitches(),
                gort ? WriteBarrier.slowStores() : -1, gort ? filteredStores() : -1, realtimeStops, host[0], host[1], startupMs, setupMs,
                teardown / 1_000_000, gort ? scavengedBytes >> 20 : -1, gort ? memoryLimitMb() : -1));
        if (gort) {
            System.out.println(sweepLine);
        }
    }

    static volatile String sweepLine = "";
    /** Bytes the harness's retain scavenger released ({@link RetainScavenger}; 0 with it off). */
    static volatile long scavengedBytes;

    /** The end of the program's work: the figures the RESULT line measures up to. */
    static final class WorkEnd {
        volatile long nanos;
        volatile long processCpu;
        volatile long threadCpu;
        volatile CpuClock.Usage usage;
    }

    static final WorkEnd workEnd = new WorkEnd();

    /**
     * Marks the end of the program's work, called by each mode right after its last check, before
     * any report is built or anything closed: wall time and the process's CPU always; the calling
     * thread's CPU and usage only when it is the thread that started the timing (the gort and jvm
     * modes' main thread; gort-sched's goroutine runs on an M, whose figures would not compare).
     */
    static void endOfWork(boolean onTimingThread) {
        workEnd.nanos = System.nanoTime();
        workEnd.processCpu = CpuClock.processCpuNanos();
        if (onTimingThread) {
            workEnd.threadCpu = CpuClock.threadCpuNanos();
            workEnd.usage = CpuClock.threadUsage();
        }
    }
    /** System.nanoTime() when the gort modes start their first (stretch) tree: the end of start-up. */
    static volatile long firstTreeNanos;
    /** The gort run's stops made at real-time priority ({@code -Dgort.gc.stopper.rtprio}; 0: off or refused), -1 elsewhere. */
    static volatile long realtimeStops = -1;

    /**
     * "sweep: ..." with the shares of the pages swept by the background sweeper, proportional
     * sweep, finishsweep and (by difference) lazily, from {@link Collector.SweepStats}; null stats
     * (collector classes from before {@code sweepStats()}, {@link #sweepStats}) say so. Built after
     * the heap is closed: its strings and formatting are no part of the run.
     */
    static String sweepShares(Collector.SweepStats st) {
        if (st == null) {
            return "sweep: no Collector.sweepStats() in these classes";
        }
        double d = Math.max(1, st.pagesToSweep()) / 100.0;
        return String.format(java.util.Locale.ROOT,
                "sweep: %s pages made unswept %d; background %.1f%%, proportional %.1f%%, finishsweep %.1f%%, lazy or unswept %.1f%%; %s",
                st.goroutine() ? "goroutine sweeper," : "thread sweeper,", st.pagesToSweep(),
                st.background() / d, st.proportional() / d, st.finish() / d, st.lazyOrUnswept() / d, st);
    }

    /** The collector's sweep counters, or null on collector classes from before that method (A/B runs). */
    static Collector.SweepStats sweepStats(Collector gc) {
        try {
            return gc.sweepStats();
        } catch (NoSuchMethodError e) {
            return null;
        }
    }

    /**
     * Barriered stores the BarrierFilter table let through without a shade or a mutator lookup;
     * -1 on collector classes from before that counter (A/B runs put older classes on this path).
     */
    private static long filteredStores() {
        try {
            return WriteBarrier.filteredStores();
        } catch (NoSuchMethodError e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------ gort heap

    static long runGort(int n, StringBuilder out, List<Long> pauses) {
        // -Dgort.bt.sample=MS: sample RSS beside the heap's and pacer's figures (RssSampler), printed at
        // the end. Read (and refused if malformed) before anything is mapped.
        long samplePeriod = sampleMillis();
        boolean held = heldMutator(System.getProperty("gort.bt.alloc"));
        boolean scavenge = scavengeOn(System.getProperty("gort.bt.scavenge"));
        GcOptions options = gcOptions();
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(16L << 30), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, options,
                Math.min(2, Runtime.getRuntime().availableProcessors()));
        recordPauses(gc, pauses);
        RetainScavenger scavenger = scavenge ? newScavenger(heap, gc) : null;
        RssSampler sampler = samplePeriod > 0 ? new RssSampler(heap, gc, samplePeriod) : null;
        // The registered thread holds its mutator and allocates through it (Collector.alloc(Mutator,
        // Type)): no lookup of the caller's mutator per node.
        Mutator m = gc.threadWorld().register(64);
        RootSlots roots = m.roots();
        ThreadWorld w = gc.threadWorld();
        PhaseSplit split = PhaseSplit.enabled() ? new PhaseSplit(gc) : null;       // a diagnostic, off by default
        try {
            int maxDepth = Math.max(MIN_DEPTH + 2, n);
            int stretch = maxDepth + 1;
            firstTreeNanos = System.nanoTime();
            out.append("stretch tree of depth ").append(stretch).append("\t check: ")
               .append(check(w, held ? tree(gc, m, roots, stretch) : tree(gc, roots, stretch))).append('\n');
            long longLived = held ? tree(gc, m, roots, maxDepth) : tree(gc, roots, maxDepth);
            roots.set(63, longLived);
            for (int d = MIN_DEPTH; d <= maxDepth; d += 2) {
                int iterations = 1 << (maxDepth - d + MIN_DEPTH);
                long sum = 0;
                for (int i = 0; i < iterations; i++) {
                    sum += check(w, held ? tree(gc, m, roots, d) : tree(gc, roots, d));
                }
                out.append(iterations).append("\t trees of depth ").append(d).append("\t check: ").append(sum).append('\n');
            }
            out.append("long lived tree of depth ").append(maxDepth).append("\t check: ").append(check(w, roots.get(63))).append('\n');
            endOfWork(true);
            realtimeStops = gc.realtimeStops();
            return gc.cycles();
        } finally {
            // The reports' figures are read here, their strings built after the heap is closed: the
            // formatting, its classes and its garbage (~2 MiB, a host collection) then fall outside
            // both the timed window and the arena's resident life, where they raised the run's peak
            // RSS (the JVM's part grew while the arena still held its last goal's pages).
            if (split != null) {
                split.close();
            }
            String mutatorStats = split != null ? String.valueOf(gc.markMutatorStats(m)) : null;
            gc.threadWorld().unregister();
            Object assists = gc.assistWaitStats();
            Collector.SweepStats sweep = sweepStats(gc);
            if (sampler != null) {
                sampler.close();
            }
            if (scavenger != null) {
                scavenger.close();
                scavengedBytes = scavenger.releasedBytes();
            }
            gc.close();
            heap.close();
            if (split != null) {
                split.print(System.err);
                System.err.println(mutatorStats);
            }
            System.err.println("assist queue: " + assists);    // stderr: stdout is the benchmark's output
            if (sampler != null) {
                sampler.print(System.err, 5);
            }
            sweepLine = sweepShares(sweep);
        }
    }

    /** The retain scavenger over {@code heap} with {@code gc}'s pacer's goal and memory limit, looking every 5 ms. */
    private static RetainScavenger newScavenger(Heap heap, Collector gc) {
        dev.gort.gc.Pacer p = gc.pacer();
        return new RetainScavenger(heap, p::heapGoal, p::memoryLimit, 5);
    }

    /**
     * -Dgort.bt.scavenge: {@code off} (default, absent or blank) runs no scavenger, as the figure's
     * harness always has (the thread world has no sysmon); {@code retain} runs the retained-heap
     * scavenging a booted runtime's sysmon does ({@link RetainScavenger}). Off by default because it
     * did not lower the run's peak RSS (the peak comes while the heap is at its largest goal, when
     * retained memory is within the goal + 10 % anyway) and doubled the mutator's page faults
     * (docs/performance.md, "Session 26, branch {@code rss26}"). Anything else is refused with what is accepted.
     */
    static boolean scavengeOn(String v) {
        if (v == null || v.isBlank() || v.trim().equals("off")) {
            return false;
        }
        if (v.trim().equals("retain")) {
            return true;
        }
        throw new IllegalArgumentException("-Dgort.bt.scavenge=" + v + ": accepted are 'off' (no scavenger, the default) and 'retain' "
                + "(release free pages down to the heap goal + 10 % or 95 % of GOMEMLIMIT, as a booted runtime's sysmon)");
    }

    static long runGortSched(int n, StringBuilder out, List<Long> pauses) {
        GcOptions options = gcOptions();           // refused before anything is mapped
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(16L << 30), PosixOsMemory.get());
        dev.gort.sched.Scheduler sched = dev.gort.sched.Scheduler.create(dev.gort.sched.SchedConfig.defaults()
                .gomaxprocs(Math.min(2, Runtime.getRuntime().availableProcessors())).heap(heap));
        dev.gort.gc.WorkbufPool pool = new dev.gort.gc.WorkbufPool();
        dev.gort.gc.GlobalRoots globals = new dev.gort.gc.GlobalRoots();
        Collector gc = new Collector(heap, new dev.gort.gc.SchedWorld(sched, pool), pool, globals,
                options);
        recordPauses(gc, pauses);
        boolean scavenge = scavengeOn(System.getProperty("gort.bt.scavenge"));
        RetainScavenger scavenger = scavenge ? newScavenger(heap, gc) : null;
        long[] cycles = new long[1];
        Collector.SweepStats sweep = null;
        try {
            sched.run(() -> {
                try (dev.gort.sched.Frame f = dev.gort.sched.Frame.push(64)) {
                    int maxDepth = Math.max(MIN_DEPTH + 2, n);
                    int stretch = maxDepth + 1;
                    firstTreeNanos = System.nanoTime();
                    out.append("stretch tree of depth ").append(stretch).append("\t check: ")
                       .append(checkG(tree(gc, f, stretch))).append('\n');
                    f.set(63, tree(gc, f, maxDepth));
                    for (int d = MIN_DEPTH; d <= maxDepth; d += 2) {
                        int iterations = 1 << (maxDepth - d + MIN_DEPTH);
                        long sum = 0;
                        for (int i = 0; i < iterations; i++) {
                            sum += checkG(tree(gc, f, d));
                        }
                        out.append(iterations).append("\t trees of depth ").append(d).append("\t check: ").append(sum).append('\n');
                    }
                    out.append("long lived tree of depth ").append(maxDepth).append("\t check: ").append(checkG(f.get(63))).append('\n');
                }
                endOfWork(false);
                cycles[0] = gc.cycles();
            });
            sweep = sweepStats(gc);
            return cycles[0];
        } finally {
            Object assists = gc.assistWaitStats();
            if (scavenger != null) {
                scavenger.close();
                scavengedBytes = scavenger.releasedBytes();
            }
            gc.close();
            globals.close();
            pool.close();
            heap.close();
            System.err.println("assist queue: " + assists);
            sweepLine = sweepShares(sweep);
        }
    }

    /** bottomUpTree on a goroutine: frame slot {@code d} roots the node under construction at depth d. */
    static long tree(Collector gc, dev.gort.sched.Frame f, int d) {
        long node = gc.alloc(NODE);
        if (d > 0) {
            f.set(d, node);
            Mem.storePtr(node, LEFT, tree(gc, f, d - 1));
            Mem.storePtr(node, RIGHT, tree(gc, f, d - 1));
            f.set(d, 0);
        }
        return node;
    }

    /** check on a goroutine, a safepoint per call (as {@link #check}). */
    static int checkG(long node) {
        dev.gort.sched.Go.poll();
        long l = Mem.loadPtr(node, LEFT);
        return l == 0 ? 1 : 1 + checkG(l) + checkG(Mem.loadPtr(node, RIGHT));
    }

    /** bottomUpTree on mutator thread {@code m}: slot {@code d} of its roots holds the node under construction at depth d. */
    static long tree(Collector gc, Mutator m, RootSlots roots, int d) {
        long node = gc.alloc(m, NODE);
        if (d > 0) {
            roots.set(d, node);
            Mem.storePtr(node, LEFT, tree(gc, m, roots, d - 1));
            Mem.storePtr(node, RIGHT, tree(gc, m, roots, d - 1));
            roots.set(d, 0);
        }
        return node;
    }

    /** bottomUpTree as a thread that does not keep its mutator writes it: gc.alloc(NODE) finds it on each call. */
    static long tree(Collector gc, RootSlots roots, int d) {
        long node = gc.alloc(NODE);
        if (d > 0) {
            roots.set(d, node);
            Mem.storePtr(node, LEFT, tree(gc, roots, d - 1));
            Mem.storePtr(node, RIGHT, tree(gc, roots, d - 1));
            roots.set(d, 0);
        }
        return node;
    }

    /**
     * -Dgort.bt.alloc: {@code held} (default, absent or blank) allocates through the mutator the
     * thread registered ({@code gc.alloc(m, NODE)}), {@code lookup} through {@code gc.alloc(NODE)},
     * so one build can A/B the two; anything else is refused with what is accepted.
     */
    static boolean heldMutator(String v) {
        if (v == null || v.isBlank() || v.trim().equals("held")) {
            return true;
        }
        if (v.trim().equals("lookup")) {
            return false;
        }
        throw new IllegalArgumentException("-Dgort.bt.alloc=" + v + ": accepted are 'held' (gc.alloc(m, NODE) through the "
                + "registered mutator, the default) and 'lookup' (gc.alloc(NODE))");
    }

    /**
     * check on the gort heap, with a safepoint per call: the Go program's itemCheck is preemptible
     * at every call (the stack-bound check in the function prologue), so a stop-the-world never
     * waits for a whole traversal of a 2^19-node tree. Without it the time to stop the world is
     * the length of the longest check (hundreds of ms before the JIT warms up).
     */
    static int check(ThreadWorld w, long node) {
        w.poll();
        long l = Mem.loadPtr(node, LEFT);
        return l == 0 ? 1 : 1 + check(w, l) + check(w, Mem.loadPtr(node, RIGHT));
    }

    /** A GOGC percentage >= 0, or an error naming what is accepted. */
    /** GOGC from -Dgort.bt.gogc=N|off (default 100; off measures the mutator without cycles), gctrace from GORT_DEBUG. */
    private static GcOptions gcOptions() {
        boolean trace = String.valueOf(System.getenv("GORT_DEBUG")).contains("gctrace=1");
        String gogc = System.getProperty("gort.bt.gogc", "100");
        int percent = gogc.equals("off") ? dev.gort.gc.Pacer.OFF : parsePercent(gogc);
        return GcOptions.DEFAULT.withGcPercent(percent).withMemoryLimit(memoryLimit())
                .withDebug(trace, false, false, 0, 0);
    }

    /**
     * The gort modes' soft memory limit as a booted runtime reads it (dev.gort.Config): system
     * property {@code gort.gomemlimit} over environment variable {@code GOMEMLIMIT}, Go's syntax
     * (e.g. {@code 300MiB}); a bad value is refused naming the key and the accepted form. Unset: no
     * limit ({@link dev.gort.gc.Pacer#INFINITE}).
     */
    static long memoryLimit() {
        return memoryLimit(System.getenv("GOMEMLIMIT"), System.getProperty("gort.gomemlimit"));
    }

    /** As above, from the two raw values (null: unset). */
    static long memoryLimit(String env, String property) {
        java.util.Map<String, String> e = new java.util.HashMap<>(), p = new java.util.HashMap<>();
        if (env != null) {
            e.put("GOMEMLIMIT", env);
        }
        if (property != null) {
            p.put("gort.gomemlimit", property);
        }
        long l = dev.gort.Config.load(e, p, 1).memoryLimit();
        return l == dev.gort.Config.NO_MEMORY_LIMIT ? dev.gort.gc.Pacer.INFINITE : l;
    }

    /** The gort modes' GOMEMLIMIT in MiB for the RESULT line, -1 for none. */
    private static long memoryLimitMb() {
        long l = memoryLimit();
        return l == dev.gort.gc.Pacer.INFINITE ? -1 : l >> 20;
    }

    /** Every pause into {@code pauses}; the longest stop, in-pause work and the worst breakdown into the statics. */
    private static void recordPauses(Collector gc, List<Long> pauses) {
        gc.setPauseListener(pauses::add);
        gc.setPauseBreakdownListener(p -> {
            maxStopNanos = Math.max(maxStopNanos, p.stepNanos("stop"));
            maxWorkNanos = Math.max(maxWorkNanos, p.totalNanos() - p.stepNanos("stop"));
            maxWorkCpuNanos = Math.max(maxWorkCpuNanos, p.workCpuNanos());
            if (p.totalNanos() > worst.totalNanos()) {
                worst = p;
            }
        });
    }

    /** -Dgort.bt.sample=MS: 0 or absent = off; anything but a whole number of milliseconds >= 0 is refused. */
    static long sampleMillis() {
        String v = System.getProperty("gort.bt.sample");
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            long ms = Long.parseLong(v.trim());
            if (ms >= 0) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-Dgort.bt.sample=" + v + ": accepted is a sampling period in whole milliseconds >= 0 (0 or absent: no sampling)");
    }

    private static int parsePercent(String gogc) {
        try {
            int p = Integer.parseInt(gogc.trim());
            if (p >= 0) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-Dgort.bt.gogc=" + gogc + ": accepted are 'off' or a percentage >= 0 (default 100)");
    }

    // ------------------------------------------------------------------ JVM heap

    record JNode(JNode left, JNode right) {
        int check() {
            return left == null ? 1 : 1 + left.check() + right.check();
        }
    }

    static JNode jtree(int d) {
        return d > 0 ? new JNode(jtree(d - 1), jtree(d - 1)) : new JNode(null, null);
    }

    static long runJvm(int n, StringBuilder out, List<Long> pauses) throws Exception {
        try (var rs = new jdk.jfr.consumer.RecordingStream()) {
            rs.enable("jdk.GCPhasePause").withThreshold(java.time.Duration.ZERO);
            rs.onEvent("jdk.GCPhasePause", e -> pauses.add(e.getDuration().toNanos()));
            rs.startAsync();
            int maxDepth = Math.max(MIN_DEPTH + 2, n);
            int stretch = maxDepth + 1;
            out.append("stretch tree of depth ").append(stretch).append("\t check: ").append(jtree(stretch).check()).append('\n');
            JNode longLived = jtree(maxDepth);
            for (int d = MIN_DEPTH; d <= maxDepth; d += 2) {
                int iterations = 1 << (maxDepth - d + MIN_DEPTH);
                long sum = 0;
                for (int i = 0; i < iterations; i++) {
                    sum += jtree(d).check();
                }
                out.append(iterations).append("\t trees of depth ").append(d).append("\t check: ").append(sum).append('\n');
            }
            out.append("long lived tree of depth ").append(maxDepth).append("\t check: ").append(longLived.check()).append('\n');
            endOfWork(true);
            Thread.sleep(300);      // let the stream deliver the last events (after the timed window)
            rs.stop();
        }
        long count = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = b.getName();
            if (name.contains("Pauses") || name.contains("Concurrent")) {
                continue;          // ZGC reports cycles and pauses separately; G1's concurrent cycle is not a collection
            }
            count += Math.max(0, b.getCollectionCount());
        }
        return count;
    }

    /**
     * The gort run's host JVM collecting its own Java heap: {collections, accumulated ms} since the
     * JVM started (the timed run starts in main, so start-up's are included). Each is a safepoint
     * that stops the mutator thread too, yet it is no gort pause: the pause columns do not count it.
     * The gort run's Java objects are the JVM's start-up's and the collector's own (its warm-up
     * rounds, pause records, events): at depth 21 with BinaryTreesRun's -Xmn8m, 4-5 collections in
     * the first second and 5-12 more in the timed run, 0.3-6.9 ms each (session 23, branch rss23).
     * {-1, -1} if no bean answers.
     */
    /** The JVM's uptime (ms since it started) at {@code nanoTime}, a System.nanoTime() reading in the past. */
    static long jvmUptimeMillisAt(long nanoTime) {
        long now = System.nanoTime();
        return ManagementFactory.getRuntimeMXBean().getUptime() - (now - nanoTime) / 1_000_000;
    }

    static long[] hostCollections() {
        long count = 0, ms = 0;
        boolean any = false;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (b.getCollectionCount() >= 0 && b.getCollectionTime() >= 0) {
                count += b.getCollectionCount();
                ms += b.getCollectionTime();
                any = true;
            }
        }
        return any ? new long[] {count, ms} : new long[] {-1, -1};
    }

    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return -1;
    }
}
