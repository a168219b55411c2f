package dev.gort;

import dev.gort.arena.Heap;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.GlobalRoots;
import dev.gort.gc.SchedWorld;
import dev.gort.gc.WorkbufPool;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.Affinity;
import dev.gort.sched.FatalError;
import dev.gort.sched.FatalHandler;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sync.Parking;
import dev.gort.sync.Pool;
import dev.gort.sync.Procs;
import dev.gort.sys.Advice;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import dev.gort.sysmon.Sysmon;
import dev.gort.sysmon.SysmonClock;
import dev.gort.sysmon.SysmonConfig;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.time.Duration;

/**
 * One running gort: the parts the bootstrap built, in the order it built them, and their
 * shutdown. {@link Gort} is the public face; this class does the work.
 */
final class GortRuntime {
    final Config config;
    final PrintStream stderr;
    final List<String> phases = new CopyOnWriteArrayList<>();
    final String[] args;
    final int ncpu;
    final long physPageSize;
    final OsMemory os;
    Heap heap;
    Scheduler sched;
    volatile Sysmon sysmon;
    GcOptions gcOptions;
    volatile Collector gc;
    WorkbufPool workbufs;
    GlobalRoots globals;
    final AtomicLong memoryLimit;
    private final AtomicInteger exitCode = new AtomicInteger(-1);
    /** Ms of earlier runtimes that never ended (reported then), not this one's. */
    private final java.util.Set<Thread> preexisting = new java.util.HashSet<>();

    private GortRuntime(Config config, String[] args, PrintStream stderr, OsMemory os) {
        this.config = config;
        this.args = args.clone();
        this.stderr = stderr;
        this.os = os;
        this.memoryLimit = new AtomicLong(config.memoryLimit());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("gort-M")) {
                preexisting.add(t);
            }
        }
        // osinit: CPU count (what GOMAXPROCS defaults to) and the physical page size.
        this.ncpu = config.ncpu();
        this.physPageSize = os.pageSize();
        phases.add("osinit");
    }

    /** args/env (already parsed into {@code config}) -> osinit -> schedinit. */
    static GortRuntime boot(Config config, String[] args, PrintStream stderr, HeapConfig heapOverride) {
        GortRuntime rt = new GortRuntime(config, args, stderr, PosixOsMemory.get());
        rt.schedinit(heapOverride);
        return rt;
    }

    /** Go's schedinit: stack allocator + mallocinit (the heap), goargs/goenvs, gcinit, procresize. */
    private void schedinit(HeapConfig heapOverride) {
        HeapConfig hc = heapOverride != null ? heapOverride : HeapConfig.defaults();
        hc = hc.withScavengeIdleNanos(config.sysmon().scavengeIdleNanos())
                .withAdvice(config.debug().madvdontneed() ? Advice.DONTNEED : Advice.FREE);
        if (config.debug().gcpoison()) {
            hc = hc.withClobberFree(true);   // gcpoison: sweep fills freed slots, reuse checks the fill
        }
        if (config.debug().harddecommit()) {
            hc = hc.withHardDecommit(true);  // released pages PROT_NONE until reused: stale reads fault
        }
        heap = Heap.create(hc, os);
        phases.add("mallocinit");
        phases.add("goargs");
        SchedConfig sc = SchedConfig.defaults()
                .gomaxprocs(config.gomaxprocs())
                .affinity(Affinity.parse(config.affinity().toString()))
                .schedtrace(0, false) // sysmon prints the SCHED lines (Go's sysmon does), see sysmonConfig()
                .fatalHandler(FatalHandler.THROW)
                .panicHandler((g, t) -> t instanceof ExitSignal)
                .syscallRetake(0) // sysmon retakes Ps from syscalls
                .heap(heap);      // shadow stacks from the heap's stack allocator, one mcache per P
        sched = Scheduler.create(sc);
        phases.add("procresize");
        // gcinit: the pacer's settings. (Go runs gcinit before procresize; here the collector's
        // world is the scheduler, so its settings are fixed after the Ps exist and its threads
        // start in gcenable, on goroutine 1.)
        GortDebug d = config.debug();
        gcOptions = new GcOptions(config.gogc(), config.memoryLimit(), d.gctrace() > 0, d.gccheckmark(), d.gcpoison(),
                d.gcstress(), d.gcstoptheworld(), d.invalidptr());
        phases.add("gcinit");
    }

    /**
     * Runs runtime.main as goroutine 1: sysmon, runtime inits, the init hooks in order, then main.
     * Returns the exit code: 0 when main returns, the code given to {@link Gort#exit}, 2 after a
     * panic or fatal error (whose report goes to stderr first).
     */
    int runMain(List<Runnable> inits, GoMain main, SysmonClock clock) {
        try {
            sched.run(() -> runtimeMain(inits, main, clock));
            int code = exitCode.get();
            return code < 0 ? 0 : code;
        } catch (FatalError e) {
            stderr.print(e.report());
            stderr.flush();
            return 2;
        } finally {
            shutdown();
        }
    }

    private void runtimeMain(List<Runnable> inits, GoMain main, SysmonClock clock) {
        phases.add("runtime.main");
        sysmon = new Sysmon(sysmonConfig(), clock, SysmonPorts.scheduler(sched), SysmonPorts.collector(this),
                SysmonPorts.scavenger(heap), SysmonPorts.netpoll(sched), memoryLimit::get, stderr);
        sysmon.start();
        phases.add("sysmon");
        // runtime package inits: the sync package's view of the scheduler.
        Parking.install(SyncPorts.parker());
        Procs.install(SyncPorts.procs(sched));
        sched.addProcResizeHook(SyncPorts.poolResizeHook());
        phases.add("runtime.init");
        // gcenable: the collector's coordinator thread; its mark workers and background sweeper are
        // system goroutines, started by the first goroutine that gets a P's collector state.
        workbufs = new WorkbufPool();
        globals = new GlobalRoots();
        Collector c = new Collector(heap, new SchedWorld(sched, workbufs), workbufs, globals, gcOptions);
        c.setTraceOutput(stderr);
        c.onSweepTermination(Pool::cleanupAll); // Go's clearpools: pools move to their victim caches each cycle
        gc = c;
        phases.add("gcenable");
        for (Runnable init : inits) {
            init.run();
        }
        phases.add("main.init");
        try {
            phases.add("main.main");
            main.main(args.clone());
        } catch (ExitSignal e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new MainException(e); // a checked exception from main panics like any other
        }
    }

    /** sysmon's periods from the settings, with GORT_DEBUG's schedtrace/scheddetail (sysmon prints them, as Go's). */
    SysmonConfig sysmonConfig() {
        GortDebug d = config.debug();
        return d.schedtrace() > 0 ? config.sysmon().withSchedtrace(d.schedtrace() * 1_000_000L, d.scheddetail())
                : config.sysmon();
    }

    /** os.Exit: records the code, stops the scheduler, and unwinds the calling goroutine. */
    void exit(int code) {
        exitCode.compareAndSet(-1, code);
        sched.close();
        throw new ExitSignal(code);
    }

    /**
     * Tests: how long shutdown's {@link Collector#closeWithin} waits for the collector's threads
     * (null: {@link Collector#close()}'s own wait); a short one makes a real close give up.
     */
    static volatile Duration collectorCloseWaitForTest;

    /** Threads stopped and joined, memory unmapped; the global seams reset. */
    private void shutdown() {
        if (sysmon != null) {
            sysmon.stop();
        }
        Parking.install(null);
        Procs.install(null);
        Collector c = gc;
        boolean collectorEnded = true;
        if (c != null) {
            try {
                // Joins the coordinator; the sweeper and worker goroutines ended with the scheduler.
                Duration wait = collectorCloseWaitForTest;
                if (wait != null) {
                    c.closeWithin(wait);
                } else {
                    c.close();
                }
            } catch (IllegalStateException e) {
                // Closed, but its threads still run (starved or stuck; the message names them) and
                // read the work buffers, the global roots and the heap: none may be unmapped under
                // them (a SIGSEGV in the coordinator's warm-up at load ~60, session 13).
                collectorEnded = false;
                stderr.println("gort: warning: the heap, work buffers and global roots stay mapped: " + e.getMessage());
            }
            gc = null;
        }
        if (!collectorEnded) {
            phases.add("exit");
            return;
        }
        // Unmap only once every M is gone. run() returns after the collector left every M
        // (GcHook.schedulerExiting: worker stints, assists and waits end, the cycle is abandoned),
        // but an M can still be blocked in a user's syscall, and on its return it may allocate.
        List<Thread> alive = gortMsAlive(2_000);
        if (alive.isEmpty()) {
            if (c != null) {
                globals.close();
                workbufs.close();
            }
            try {
                heap.close();
            } catch (IllegalStateException e) {
                // Heap.close refuses while something may still allocate (an mcache the scheduler
                // kept because an M outlived its own 2 s join, then ended): leave it mapped.
                stderr.println("gort: warning: the heap stays mapped: " + e.getMessage());
            }
        } else {
            StringBuilder sb = new StringBuilder("gort: warning: " + alive.size() + " M(s) still running after shutdown; the heap, work buffers and global roots stay mapped");
            for (Thread t : alive) {
                sb.append("\n  ").append(t.getName()).append(" (").append(t.getState()).append(")");
                StackTraceElement[] st = t.getStackTrace();
                for (int i = 0; i < Math.min(8, st.length); i++) {
                    sb.append("\n    at ").append(st[i]);
                }
            }
            stderr.println(sb);
        }
        phases.add("exit");
    }

    /** Ms of this runtime's scheduler still alive, after waiting up to {@code waitMillis} for them to end. */
    List<Thread> gortMsAlive(long waitMillis) {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (true) {
            List<Thread> out = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && t.getName().startsWith("gort-M") && !preexisting.contains(t)) {
                    out.add(t);
                }
            }
            if (out.isEmpty() || System.nanoTime() > deadline) {
                return out;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
    }

    /** A checked exception thrown out of main, reported as Go reports a panic. */
    static final class MainException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MainException(Exception cause) {
            super(cause.toString(), cause);
        }
    }
}
