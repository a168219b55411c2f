package dev.gort.bench.sched;

import dev.gort.sched.Chan;
import dev.gort.sched.FatalHandler;
import dev.gort.sched.G;
import dev.gort.sched.GcHook;
import dev.gort.sched.P;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.CpuClock;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * A diagnostic companion to the JMH benchmarks, for a shared, loaded machine: runs the floor, the
 * ping-pong and the spawn loops of {@link GoroutineBench} many times in one JVM and prints the
 * best and median per-operation <em>thread CPU time</em> (the M's, at GOMAXPROCS=1) next to wall
 * time. CPU time does not count the time the thread waited for a core, so ratios between the
 * loops stay readable when other processes compete; JMH's wall-clock figures remain the reported
 * ones. Not a JMH benchmark: {@code java ... dev.gort.bench.sched.SwitchProbe [rounds] [modes]}.
 *
 * <p>Modes (second argument, words separated by spaces or commas, anything else is refused; none = floor, ping, spawn, gosched):
 * {@code ping}, {@code spawn}, {@code spawnall}, {@code sched}, {@code vt} (process CPU against
 * virtual threads), {@code nofloor}, and {@code parts}: the pieces of a ping-pong round trip
 * measured apart, to attribute what it costs beyond its two floors: the same alternation of two
 * goroutines without a channel ({@code Go.ready} + {@code Go.park}), the round trip's four
 * channel operations without parking, four carrier lookups ({@code Go.current()}), and floors
 * made harder in one respect each: two continuations resumed alternately, a frame with 16 longs
 * live across the yield, the yield {@code -Dprobe.depth} calls (default 6) below the resumed
 * frame, and a loop that yields {@code -Dprobe.depth} calls above its entry.
 */
public final class SwitchProbe {
    private static final ContinuationScope SCOPE = new ContinuationScope("probe");
    static final int N = 20_000;

    private SwitchProbe() {
    }

    /** A GcHook as the collector's is between cycles: one volatile read, no worker. */
    private static final class NotMarkingHook implements GcHook {
        private volatile boolean marking;

        @Override
        public G findRunnableGCWorker(P p, long nowNanos) {
            if (marking) {
                throw new IllegalStateException("the probe's hook never marks");
            }
            return null;
        }

        @Override
        public G findIdleGCWorker(P p, long nowNanos) {
            if (marking) {
                throw new IllegalStateException("the probe's hook never marks");
            }
            return null;
        }
    }

    /** The words the mode argument may contain. */
    private static final java.util.List<String> MODES =
            java.util.List.of("ping", "spawn", "spawnall", "sched", "parts", "vt", "nofloor");

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        String only = args.length > 1 ? args[1] : "";
        for (String word : only.trim().isEmpty() ? new String[0] : only.trim().split("[\\s,]+")) {
            if (!MODES.contains(word)) {
                throw new IllegalArgumentException("SwitchProbe: unknown mode '" + word + "' in \"" + only
                        + "\"; accepted (separated by spaces or commas; none = ping spawn sched): " + MODES);
            }
        }
        int procs = Integer.getInteger("probe.procs", 1);
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(procs).fatalHandler(FatalHandler.THROW));
        if (Boolean.getBoolean("probe.gchook")) {
            // -Dprobe.gchook=true: a GC hook that, like the collector's between cycles, answers
            // "not marking" from one volatile read: what every scheduling decision under Gort.run pays.
            s.setGcHook(new NotMarkingHook());
        }
        long[][] floor = new long[2][rounds];
        long[][] ping = new long[2][rounds];
        long[][] spawn = new long[2][rounds];
        long[][] gosched = new long[2][rounds];
        long[][] spawnAll = new long[2][rounds];
        long[][] freshFloor = new long[2][rounds];
        long[][] parkReady = new long[2][rounds];
        long[][] selectPing = new long[2][rounds];
        long[][] chanNoPark = new long[2][rounds];
        long[][] lookup = new long[2][rounds];
        long[][] deepFloor = new long[2][rounds];
        long[][] deepLoopFloor = new long[2][rounds];
        long[][] twoFloor = new long[2][rounds];
        long[][] bigFrameFloor = new long[2][rounds];
        long[] sink = new long[1];
        Continuation big = new Continuation(SCOPE, () -> {
            // 16 longs live across the yield: a larger compiled frame to freeze and thaw.
            long a0 = sink[0], a1 = a0 * 3, a2 = a1 * 5, a3 = a2 * 7, a4 = a3 * 11, a5 = a4 * 13, a6 = a5 * 17, a7 = a6 * 19;
            long b0 = a7 * 23, b1 = b0 * 29, b2 = b1 * 31, b3 = b2 * 37, b4 = b3 * 41, b5 = b4 * 43, b6 = b5 * 47, b7 = b6 * 53;
            for (;;) {
                Continuation.yield(SCOPE);
                a0++; a1 += a0; a2 += a1; a3 += a2; a4 += a3; a5 += a4; a6 += a5; a7 += a6;
                b0 += a7; b1 += b0; b2 += b1; b3 += b2; b4 += b3; b5 += b4; b6 += b5; b7 += b6;
                sink[0] = a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7 ^ b0 ^ b1 ^ b2 ^ b3 ^ b4 ^ b5 ^ b6 ^ b7;
            }
        });
        Continuation c2 = new Continuation(SCOPE, () -> {
            for (;;) {
                Continuation.yield(SCOPE);
            }
        });
        Runnable nop = () -> {
        };
        Continuation c = new Continuation(SCOPE, () -> {
            for (;;) {
                Continuation.yield(SCOPE);
            }
        });
        s.run(() -> {
            for (int r = 0; r < rounds + 5; r++) {
                int k = Math.max(0, r - 5); // 5 warm-up rounds, overwritten
                if (r == 5 && !Boolean.getBoolean("probe.young")) {
                    // Make the runtime's long-lived objects (Ms, Ps, Gs, sudogs) old, as they are
                    // in a long-running program and in JMH after its warm-up: a few rounds
                    // allocate too little for a young collection, and reference stores into young
                    // objects skip G1's card-marking barrier, so the probe would measure a
                    // cheaper state than a real one. (-Dprobe.young=true skips this.)
                    System.gc();
                    System.gc();
                }
                if (!only.contains("nofloor")) measure(floor, k, () -> {
                    // On the goroutine's M, but a separate continuation scope nested inside: the
                    // raw resume+yield cost.
                    for (int i = 0; i < 2 * N; i++) {
                        c.run();
                    }
                }, 2 * N);
                if (only.isEmpty() || only.contains("ping")) {
                    measure(ping, k, SwitchProbe::pingpong, N);
                }
                if (only.isEmpty() || only.contains("spawn")) {
                    measure(spawn, k, SwitchProbe::spawnWaves, N);
                }
                if (only.isEmpty() || only.contains("spawn")) {
                    // The floor under a spawn: a new continuation run to completion, no scheduler.
                    measure(freshFloor, k, () -> {
                        for (int i = 0; i < N; i++) {
                            new Continuation(SCOPE, nop).run();
                        }
                    }, N);
                }
                if (only.contains("parts")) {
                    // Attribution of a ping-pong round trip (see pingpong): the same alternation
                    // without a channel (park/ready only), the four channel operations of a round
                    // trip without parking, the carrier lookups alone, and the floor with the
                    // yield made from a deeper stack (as a goroutine parked in a channel op is).
                    measure(parkReady, k, SwitchProbe::parkReady, N);
                    measure(chanNoPark, k, SwitchProbe::chanNoPark, N);
                    measure(selectPing, k, SwitchProbe::selectPingPong, N);
                    measure(lookup, k, () -> {
                        for (int i = 0; i < 4 * N; i++) {
                            Go.current();
                        }
                    }, N);
                    measure(bigFrameFloor, k, () -> {
                        for (int i = 0; i < 2 * N; i++) {
                            big.run();
                        }
                    }, 2 * N);
                    measure(twoFloor, k, () -> {
                        // Two continuations resumed alternately, as two goroutines are.
                        for (int i = 0; i < N; i++) {
                            c.run();
                            c2.run();
                        }
                    }, 2 * N);
                    measure(deepLoopFloor, k, () -> {
                        for (int i = 0; i < 2 * N; i++) {
                            DEEP_LOOP.run();
                        }
                    }, 2 * N);
                    measure(deepFloor, k, () -> {
                        for (int i = 0; i < 2 * N; i++) {
                            DEEP.run();
                        }
                    }, 2 * N);
                }
                if (only.contains("spawnall")) {
                    measure(spawnAll, k, SwitchProbe::spawnAllFirst, N);
                }
                if (only.isEmpty() || only.contains("sched")) {
                    measure(gosched, k, () -> {
                        for (int i = 0; i < N; i++) {
                            Go.gosched();
                        }
                    }, N);
                }
            }
        });
        if (only.contains("vt")) {
            compareWithVirtualThreads(rounds);
        }
        report("floor (resume+yield)", floor, null);
        report("pingpong round trip", ping, floor);
        report("new continuation run", freshFloor, floor);
        report("spawn+complete waves" + WAVE, spawn, floor);
        if (freshFloor[0][0] != 0 && spawn[0][0] != 0) {
            report("spawn / new continuation", spawn, freshFloor);
        }
        report("gosched", gosched, floor);
        report("park/ready round trip", parkReady, floor);
        report("4 chan ops, no park", chanNoPark, floor);
        report("select ping-pong", selectPing, floor);
        report("4 carrier lookups", lookup, floor);
        report("floor, 2 alternating", twoFloor, floor);
        report("floor, 16 longs live", bigFrameFloor, floor);
        report("floor, yield " + DEPTH + " deep", deepFloor, floor);
        report("floor, loop " + DEPTH + " deep", deepLoopFloor, floor);
        report("spawn+complete all first", spawnAll, floor);
        // How many goroutines started inside a finished one's continuation (the runner's fast
        // path) rather than in a continuation of their own.
        System.out.println("runner adoptions: " + s.runnerAdoptions());
    }

    private static void measure(long[][] into, int k, Runnable body, int ops) {
        long w0 = System.nanoTime();
        long c0 = CpuClock.threadCpuNanos();
        body.run();
        long c1 = CpuClock.threadCpuNanos();
        long w1 = System.nanoTime();
        into[0][k] = (w1 - w0) * 1000 / ops;
        into[1][k] = (c1 - c0) * 1000 / ops;
    }

    static void pingpong() {
        Chan<Integer> pingc = new Chan<>();
        Chan<Integer> pongc = new Chan<>();
        Integer v = 7;
        Go.go(() -> {
            for (int i = 0; i < N; i++) {
                pongc.send(pingc.recv());
            }
        });
        for (int i = 0; i < N; i++) {
            pingc.send(v);
            pongc.recv();
        }
    }

    /**
     * The ping-pong's alternation without a channel: each side readies the other (runnext) and
     * parks with no commit; per round trip two switches, two ready CASes, four carrier lookups.
     */
    static void parkReady() {
        G mainG = Go.current();
        G[] other = new G[1];
        other[0] = Go.go(() -> {
            Go.park(null, null, dev.gort.sched.WaitReason.SLEEP);
            for (int i = 0; i < N; i++) {
                Go.ready(mainG);
                Go.park(null, null, dev.gort.sched.WaitReason.SLEEP);
            }
        });
        while (other[0].status() != dev.gort.sched.GStatus.WAITING) {
            Go.gosched(); // the partner runs and parks first
        }
        for (int i = 0; i < N; i++) {
            Go.ready(other[0]);
            Go.park(null, null, dev.gort.sched.WaitReason.SLEEP);
        }
        Go.ready(other[0]); // let it end
        Go.gosched();
    }

    /**
     * The ping-pong with each receive a select over the channel and a nil case (Go's usual
     * {@code select { case v := <-c: ... case <-quit: }} shape): the park happens inside selectgo.
     */
    static void selectPingPong() {
        Chan<Integer> pingc = new Chan<>();
        Chan<Integer> pongc = new Chan<>();
        Integer v = 7;
        Go.go(() -> {
            dev.gort.sched.Select in = new dev.gort.sched.Select().recv(pingc).recv(null);
            for (int i = 0; i < N; i++) {
                in.select();
                pongc.send((Integer) in.value());
            }
        });
        dev.gort.sched.Select back = new dev.gort.sched.Select().recv(pongc).recv(null);
        for (int i = 0; i < N; i++) {
            pingc.send(v);
            back.select();
        }
    }

    /** The four channel operations of a round trip without blocking: one buffered slot, send then receive, twice. */
    static void chanNoPark() {
        Chan<Integer> a = new Chan<>(1);
        Chan<Integer> b = new Chan<>(1);
        Integer v = 7;
        for (int i = 0; i < N; i++) {
            a.send(v);
            a.recv();
            b.send(v);
            b.recv();
        }
    }

    /** A continuation whose yield happens 6 calls deep (not inlined: see deep()). */
    private static final Continuation DEEP = new Continuation(SCOPE, () -> {
        for (;;) {
            deep(SwitchProbe.DEPTH);
        }
    });

    /** -Dprobe.depth: calls between the DEEP continuation's body and its yield. */
    static final int DEPTH = Integer.getInteger("probe.depth", 6);

    /** A continuation that yields in a loop DEPTH calls above its entry (the frames below stay frozen). */
    private static final Continuation DEEP_LOOP = new Continuation(SCOPE, () -> deepLoop(SwitchProbe.DEPTH));

    private static int deepLoop(int n) {
        if (n == 0) {
            for (;;) {
                Continuation.yield(SCOPE);
            }
        }
        return deepLoop(n - 1) + 1;
    }

    private static int deep(int n) {
        if (n == 0) {
            Continuation.yield(SCOPE);
            return 0;
        }
        return deep(n - 1) + 1;
    }

    static void spawnWaves() {
        Chan<Boolean> done = new Chan<>();
        AtomicInteger left = new AtomicInteger(N);
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) {
                done.send(true);
            }
        };
        int wave = WAVE;
        for (int i = 0; i < N; i++) {
            Go.go(task);
            if (i % wave == wave - 1) {
                Go.gosched();
            }
        }
        done.recv();
    }

    /**
     * Spawns per gosched in {@link #spawnWaves} ({@code -Dprobe.wave}, default 64): the cost per
     * goroutine against how many are queued at once (20000 = all queued first).
     */
    static final int WAVE = Integer.getInteger("probe.wave", 64);

    static void spawnAllFirst() {
        Chan<Boolean> done = new Chan<>();
        AtomicInteger left = new AtomicInteger(N);
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) {
                done.send(true);
            }
        };
        for (int i = 0; i < N; i++) {
            Go.go(task);
        }
        done.recv();
    }

    /**
     * Process CPU time (every thread: carriers, Ms, also JIT and GC) per operation, best of the
     * rounds: gort at this GOMAXPROCS against virtual threads (ForkJoinPool carriers), for the
     * SynchronousQueue ping-pong and the spawn. Virtual threads use every core, so wall time
     * would favour them on a loaded machine; CPU time compares the work.
     */
    private static void compareWithVirtualThreads(int rounds) {
        long[] gp = new long[rounds];
        long[] vp = new long[rounds];
        long[] gs = new long[rounds];
        long[] vs = new long[rounds];
        GortHarness h = new GortHarness(Integer.getInteger("probe.procs", 1));
        try {
            for (int r = 0; r < rounds + 5; r++) {
                int k = Math.max(0, r - 5);
                gp[k] = processCpu(() -> h.run(SwitchProbe::pingpong));
                vp[k] = processCpu(SwitchProbe::vthreadPingPong);
                gs[k] = processCpu(() -> h.run(SwitchProbe::spawnWaves));
                vs[k] = processCpu(SwitchProbe::vthreadSpawn);
            }
        } finally {
            try {
                h.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Arrays.sort(gp);
        Arrays.sort(vp);
        Arrays.sort(gs);
        Arrays.sort(vs);
        System.out.printf("process cpu/op best: pingpong gort %.1f, vthread SynchronousQueue %.1f ns (ratio %.2f); "
                + "spawn gort waves64 %.1f, vthread %.1f ns (throughput ratio %.2f)%n", gp[0] / 1000.0, vp[0] / 1000.0,
                (double) gp[0] / vp[0], gs[0] / 1000.0, vs[0] / 1000.0, (double) vs[0] / gs[0]);
    }

    /**
     * Process CPU per operation (ns x 1000) over {@link #PROCESS_CPU_REPS} runs of {@code body}. One
     * run is not enough: the process clock adds a thread that is running on another CPU only up to
     * that thread's last scheduler update (a tick, 4 ms at HZ=250), so a 1-2 ms job on an M that is
     * still on its CPU when the caller reads the clock can measure as almost nothing (a spawn wave
     * read 5 ns per goroutine against 60 ns of the M's own thread CPU). Over 20+ ms the lag is at
     * most one tick in the sum.
     */
    private static long processCpu(Runnable body) {
        long c0 = CpuClock.processCpuNanos();
        for (int i = 0; i < PROCESS_CPU_REPS; i++) {
            body.run();
        }
        return (CpuClock.processCpuNanos() - c0) * 1000 / ((long) N * PROCESS_CPU_REPS);
    }

    /** Runs per process-CPU sample ({@code -Dprobe.cpureps}, default 16). */
    static final int PROCESS_CPU_REPS = positive("probe.cpureps", 16);

    private static int positive(String property, int defaultValue) {
        int v = Integer.getInteger(property, defaultValue);
        if (v < 1) {
            throw new IllegalArgumentException("SwitchProbe: -D" + property + "=" + v + ": accepted a whole number >= 1 (default "
                    + defaultValue + ")");
        }
        return v;
    }

    static void vthreadPingPong() {
        java.util.concurrent.SynchronousQueue<Integer> pingq = new java.util.concurrent.SynchronousQueue<>();
        java.util.concurrent.SynchronousQueue<Integer> pongq = new java.util.concurrent.SynchronousQueue<>();
        Integer v = 7;
        Thread a = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < N; i++) {
                    pongq.put(pingq.take());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread b = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < N; i++) {
                    pingq.put(v);
                    pongq.take();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            a.join();
            b.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void vthreadSpawn() {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger left = new AtomicInteger(N);
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) {
                done.countDown();
            }
        };
        for (int i = 0; i < N; i++) {
            Thread.ofVirtual().start(task);
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void report(String name, long[][] m, long[][] base) {
        if (m[0][0] == 0) {
            return;
        }
        long[] wall = m[0].clone();
        long[] cpu = m[1].clone();
        Arrays.sort(wall);
        Arrays.sort(cpu);
        String ratio = "";
        if (base != null) {
            long[] bc = base[1].clone();
            Arrays.sort(bc);
            ratio = String.format("   cpu ratio to floor: best %.2fx, median %.2fx", (double) cpu[0] / bc[0],
                    (double) cpu[cpu.length / 2] / bc[bc.length / 2]);
        }
        System.out.printf("%-26s wall best %7.1f median %7.1f ns | cpu best %7.1f median %7.1f ns%s%n", name, wall[0] / 1000.0,
                wall[wall.length / 2] / 1000.0, cpu[0] / 1000.0, cpu[cpu.length / 2] / 1000.0, ratio);
    }
}
