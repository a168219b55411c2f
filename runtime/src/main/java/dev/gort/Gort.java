package dev.gort;

import dev.gort.arena.HeapConfig;
import dev.gort.arena.MemStats;
import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.Time;
import dev.gort.sysmon.ScavTrace;
import dev.gort.sysmon.SysmonClock;
import dev.gort.sysmon.SysmonStats;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * gort's public API in one place. Start a program with {@link #run(String[], GoMain)}; inside it,
 * goroutines use the static methods below, which delegate to the scheduler, the heap and sysmon.
 *
 * <pre>
 *   public static void main(String[] args) {
 *       System.exit(Gort.run(args, a -> {
 *           WaitGroup wg = new WaitGroup();
 *           wg.add(1);
 *           Gort.go(() -> { Gort.sleep(Duration.ofMillis(10)); wg.done(); });
 *           wg.await();
 *       }));
 *   }
 * </pre>
 *
 * <h2>Bootstrap (Go's order: asm rt0_go, proc.go schedinit and main)</h2>
 * <ol>
 * <li>args/env: {@link Config} from the environment and system properties (a malformed value
 *     stops here with its message); the two JVM flags are checked ({@link JvmFlags}).</li>
 * <li>osinit: CPU count, physical page size.</li>
 * <li>schedinit: the heap (stack allocator and mallocinit: the arena's regions reserved), goargs,
 *     procresize: the scheduler with GOMAXPROCS Ps, each with an mcache from the heap.</li>
 * <li>runtime.main on goroutine 1: sysmon started on its own thread without a P; runtime inits
 *     (the sync package's view of the scheduler); the registered init hooks in order; main.</li>
 * <li>Shutdown when main returns: sysmon stopped, every M joined, the heap unmapped. Exit code
 *     0; {@link #exit(int)}'s code; 2 after a panic or fatal error, whose report (Go's text) is
 *     printed to stderr first.</li>
 * </ol>
 * One runtime per JVM at a time, as one Go runtime per process.
 */
public final class Gort {
    private Gort() {
    }

    private static final Object LOCK = new Object();
    private static volatile GortRuntime current;
    private static final List<Runnable> REGISTERED_INITS = new ArrayList<>();

    /** Options for {@link #run(String[], GoMain, Options)}: injected settings and extra init hooks (tests, embedders). */
    public static final class Options {
        Map<String, String> env;
        Map<String, String> properties;
        Integer ncpu;
        final List<Runnable> inits = new ArrayList<>();
        PrintStream stderr = System.err;
        HeapConfig heap;
        SysmonClock clock = SysmonClock.SYSTEM;

        /** Settings from these maps instead of the process environment and system properties. */
        public Options settings(Map<String, String> env, Map<String, String> properties) {
            this.env = Map.copyOf(env);
            this.properties = Map.copyOf(properties);
            return this;
        }

        /** Pretend the machine has {@code n} CPUs (GOMAXPROCS default and cap). */
        public Options ncpu(int n) {
            this.ncpu = n;
            return this;
        }

        /** An init hook run on goroutine 1 after the registered ones, before main. */
        public Options init(Runnable hook) {
            inits.add(hook);
            return this;
        }

        /** Where warnings, traces and panic reports go (default System.err). */
        public Options stderr(PrintStream s) {
            this.stderr = s;
            return this;
        }

        /** The heap's settings (reservation size, clock); advice and idle age still come from the settings. */
        public Options heap(HeapConfig c) {
            this.heap = c;
            return this;
        }
    }

    /** Registers an init hook, run on goroutine 1 before main by every later {@link #run} (Go's package init). */
    public static void registerInit(Runnable hook) {
        synchronized (REGISTERED_INITS) {
            REGISTERED_INITS.add(hook);
        }
    }

    /** Boots the runtime, runs {@code main} as goroutine 1 and shuts down; returns the exit code. */
    public static int run(String[] args, GoMain main) {
        return run(args, main, new Options());
    }

    /**
     * As {@link #run(String[], GoMain)} with options. Throws {@link ConfigException} for a
     * malformed setting and IllegalStateException for a missing JVM flag or a runtime already
     * running, before anything starts.
     */
    public static int run(String[] args, GoMain main, Options options) {
        // Refused before anything starts: a null main used to boot the runtime and panic on goroutine 1 (exit 2).
        java.util.Objects.requireNonNull(args, "Gort.run: args is null; accepted: the program's arguments (new String[0] for none)");
        java.util.Objects.requireNonNull(main, "Gort.run: main is null; accepted: the program's main, a GoMain");
        java.util.Objects.requireNonNull(options, "Gort.run: options is null; accepted: new Gort.Options() for the defaults");
        JvmFlags.check();
        int ncpu = options.ncpu != null ? options.ncpu : Runtime.getRuntime().availableProcessors();
        Config config;
        if (options.env != null) {
            config = Config.load(options.env, options.properties, ncpu);
        } else {
            Map<String, String> props = new java.util.HashMap<>();
            System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
            config = Config.load(System.getenv(), props, ncpu);
        }
        config.checkAffinity(dev.gort.sys.CpuAffinity.mask());    // CPUs the process may not run on: refused here, not warned at start
        for (String w : config.warnings()) {
            options.stderr.println("gort: warning: " + w);
        }
        if (config.debug().checkptr() && !dev.gort.gc.Mem.checkptr()) {
            options.stderr.println("gort: warning: GORT_DEBUG=checkptr=1 takes effect only from the process environment, "
                    + "-Dgort.debug or -Dgort.checkptr=1, read when dev.gort.gc.Mem loads; Mem accessors are not checked in this JVM");
        }
        List<Runnable> inits;
        synchronized (REGISTERED_INITS) {
            inits = new ArrayList<>(REGISTERED_INITS);
        }
        inits.addAll(options.inits);
        GortRuntime rt;
        synchronized (LOCK) {
            if (current != null) {
                throw new IllegalStateException("a gort runtime is already running in this JVM; one at a time");
            }
            rt = GortRuntime.boot(config, args, options.stderr, options.heap);
            rt.phases.addFirst("args");
            current = rt;
        }
        try {
            return rt.runMain(inits, main, options.clock);
        } finally {
            synchronized (LOCK) {
                current = null;
            }
        }
    }

    /** The running runtime, or null (tests in this package). */
    static GortRuntime currentRuntime() {
        return current;
    }

    /**
     * The running runtime's collector. The runtime exists before gcenable (on goroutine 1) makes
     * it and after shutdown drops it; a call from another thread in those windows is refused.
     */
    private static dev.gort.gc.Collector gcOf(GortRuntime r) {
        dev.gort.gc.Collector c = r.gc;
        if (c == null) {
            throw new IllegalStateException("gort's collector is not running: the runtime is starting (before gcenable) "
                    + "or shutting down; call the collector from the program, between main's start and its return");
        }
        return c;
    }

    private static GortRuntime rt() {
        GortRuntime r = current;
        if (r == null) {
            throw new IllegalStateException("gort is not running: Gort.run has not started, or its run ended and the runtime "
                    + "shut down; call this from the program, between Gort.run's start and its return");
        }
        return r;
    }

    /** The running runtime's settings. */
    public static Config config() {
        return rt().config;
    }

    /** Bootstrap phases so far, in order (args, osinit, mallocinit, goargs, procresize, gcinit, runtime.main, sysmon, runtime.init, gcenable, main.init, main.main, exit). */
    public static List<String> bootPhases() {
        return List.copyOf(rt().phases);
    }

    // ---- goroutines

    /** Starts {@code fn} as a new goroutine (Go's {@code go fn()}). */
    public static G go(Runnable fn) {
        return Go.go(fn);
    }

    /** Yields the processor (runtime.Gosched). */
    public static void gosched() {
        Go.gosched();
    }

    /** A safepoint: yields if sysmon or a stop-the-world asked this goroutine to; cheap otherwise. Long loops call it. */
    public static void poll() {
        Go.poll();
    }

    /** Parks the goroutine for at least {@code d} (time.Sleep). */
    public static void sleep(Duration d) {
        Time.sleep(d);
    }

    /** Runs a blocking call; the P is handed to another M if it blocks (sysmon retake). */
    public static <T> T syscall(Callable<T> call) throws Exception {
        return Go.syscall(call);
    }

    /** {@link #syscall(Callable)} for a call without result or checked exceptions. */
    public static void syscall(Runnable call) {
        Go.syscall(call);
    }

    /** Wires the goroutine to its thread (runtime.LockOSThread). */
    public static void lockOSThread() {
        Go.lockOSThread();
    }

    /** Undoes one {@link #lockOSThread()}. */
    public static void unlockOSThread() {
        Go.unlockOSThread();
    }

    /** Goroutines alive now (runtime.NumGoroutine). */
    public static long numGoroutine() {
        return rt().sched.goroutines();
    }

    /** The number of Ps now (runtime.GOMAXPROCS(0)). */
    public static int gomaxprocs() {
        return rt().sched.gomaxprocs();
    }

    /**
     * runtime.GOMAXPROCS(n): sets the number of Ps to {@code n} and returns the previous setting;
     * {@code n < 1} only reads it. A change stops the world (after any GC cycle in its mark phase
     * ends) and resizes the Ps as Go's procresize does: see {@code Scheduler.setGomaxprocs}.
     *
     * @throws IllegalArgumentException {@code n} above {@code SchedConfig.MAX_PROCS} (1024); nothing changes
     */
    public static int gomaxprocs(int n) {
        GortRuntime r = rt();
        if (n < 1) {
            return r.sched.gomaxprocs();
        }
        return r.sched.setGomaxprocs(n);
    }

    /** Goroutines started since the runtime began. */
    public static long goroutinesStarted() {
        return rt().sched.goroutinesStarted();
    }

    /** Ms (threads) the scheduler has now. */
    public static int threads() {
        return rt().sched.threads();
    }

    /** Resident bytes of the heap's arena region (mincore), for release checks. */
    public static long heapResidentBytes() {
        return rt().heap.arenaResidentBytes();
    }

    /** Ends the program with {@code code} (os.Exit): deferred work does not run; Gort.run returns the code. */
    public static void exit(int code) {
        rt().exit(code);
    }

    // ---- memory and the collector

    /** Runs a full garbage collection and sweep, blocking the caller until it ends (runtime.GC). */
    public static void gc() {
        gcOf(rt()).gc();
    }

    /**
     * Sets GOGC (a percentage; any negative value, e.g. {@link Config#GOGC_OFF}, turns the
     * collector off) and returns the previous value, {@link Config#GOGC_OFF} if it was off
     * (debug.SetGCPercent). Turning it off waits for a running cycle's mark to end, so no
     * collection runs when it returns (as Go's); the calling goroutine blocks meanwhile.
     */
    public static int setGCPercent(int percent) {
        return gcOf(rt()).setGcPercent(percent);
    }

    /** The collector's figures (NumGC, PauseTotalNs, the PauseNs ring, LastGC, NextGC, GCCPUFraction). */
    public static dev.gort.gc.GcStats.Snapshot gcStats() {
        return gcOf(rt()).gcStats();
    }

    /** The running collector, for allocating typed objects ({@code Gort.collector().alloc(type)}) and globals. */
    public static dev.gort.gc.Collector collector() {
        return gcOf(rt());
    }

    /**
     * A new pool of gort-heap pointers (Go's sync.Pool for objects on the gort heap): its entries
     * are roots of the running collector, aged by each cycle as Go's pools; get returns 0 when
     * empty. Close it when done (frees its root slots). See {@code dev.gort.gc.PtrPool}.
     */
    public static dev.gort.gc.PtrPool newPtrPool() {
        return new dev.gort.gc.PtrPool(gcOf(rt()));
    }

    /** {@link #newPtrPool()} whose get returns {@code newObject.getAsLong()} when empty (Go's New; it may allocate). */
    public static dev.gort.gc.PtrPool newPtrPool(java.util.function.LongSupplier newObject) {
        return new dev.gort.gc.PtrPool(gcOf(rt()), newObject);
    }

    /** The heap's statistics (runtime.ReadMemStats). */
    public static MemStats readMemStats() {
        return rt().heap.readMemStats();
    }

    /**
     * Returns every free heap page to the OS now (debug.FreeOSMemory); returns the bytes released.
     * With scavtrace=1 prints Go's scav line marked (forced).
     */
    public static long freeOSMemory() {
        GortRuntime r = rt();
        dev.gort.gc.Collector c = r.gc;      // one read: shutdown may drop it meanwhile
        if (c != null) {
            c.gc(); // Go's debug.FreeOSMemory: a GC first, so garbage becomes free pages
        }
        long released = r.heap.freeOSMemory();
        if (r.config.debug().scavtrace()) {
            MemStats m = r.heap.readMemStats();
            r.stderr.println(ScavTrace.line(0, released, m.heapReleased(), m.heapInuse(), m.heapRetained(), true));
        }
        return released;
    }

    /**
     * Sets the soft memory limit in bytes (debug.SetMemoryLimit) and returns the previous one; a
     * negative value only reads it. {@link Config#NO_MEMORY_LIMIT} removes it. sysmon keeps the
     * retained heap at or below 95 % of the limit.
     */
    public static long setMemoryLimit(long bytes) {
        GortRuntime r = rt();
        if (bytes < 0) {
            return r.memoryLimit.get();
        }
        long prev = r.memoryLimit.getAndSet(bytes);
        dev.gort.gc.Collector c = r.gc;      // one read: shutdown may drop it meanwhile
        if (c != null) {
            c.setMemoryLimit(bytes); // the pacer's goal under the limit
        }
        dev.gort.sysmon.Sysmon sm = r.sysmon;
        if (sm != null) {
            sm.wake(); // act on the new limit at the next round
        }
        return prev;
    }

    /** sysmon's counters (retakes, preemption requests and those of goroutines in syscalls, forced GCs, scavenger passes). */
    public static SysmonStats sysmonStats() {
        dev.gort.sysmon.Sysmon s = rt().sysmon;
        if (s == null) {
            throw new IllegalStateException("gort's sysmon is not running yet: it starts on goroutine 1 before the init hooks");
        }
        return s.stats();
    }
}
