package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Mem;
import dev.gort.gc.Mutator;
import dev.gort.gc.RootSlots;
import dev.gort.gc.Type;
import dev.gort.sys.CpuClock;
import dev.gort.sys.PosixOsMemory;

import java.util.Arrays;

/**
 * What the mark phase adds to the mutator's cost per node: the same cases on one collector, in
 * the same swept memory, once between cycles and once with the cycle held right after mark start
 * (allocate-black, the write barrier's filter, assists paid by stealing credit the run banks),
 * in the thread's CPU time, round after round in one JVM so both phases run the same compiled
 * code. {@link AllocCpuRun}'s marking cases run on a collector of their own after another
 * collector's warm-up; their rounds vary 20-75 ns per node between rounds of one run, which hides
 * differences of a few ns.
 *
 * <p>Each round allocates {@code ops} nodes per case and phase and then frees them (a forced
 * cycle after the phase between cycles, the held cycle finished and swept after the marking
 * phase), so from the second round on both phases allocate into spans a cycle freed, as
 * binary-trees does. Rounds after the first two are reported (the first pay the warm-up and fresh
 * memory).
 *
 * <pre>java ... dev.gort.bench.gc.MarkPhaseCpuRun [OPS_MILLIONS=10] [ROUNDS=8]</pre>
 */
public final class MarkPhaseCpuRun {
    static final Type NODE = BinaryTrees.NODE;
    private static final int WARM_ROUNDS = 2;
    private static final int TREE_DEPTH = 10;
    static volatile long sink;

    private static final String[] CASES = {"node alone (gc.alloc(m, NODE))",
            "node + 2 stores of the two nodes before it (the barrier's filter hits while marking)",
            "binary-trees' tree of depth " + TREE_DEPTH + " (node, 2 stores, 2 root-slot sets), per node"};

    public static void main(String[] args) {
        CpuRunArgs a = CpuRunArgs.parse("MarkPhaseCpuRun", args, 10, 8, WARM_ROUNDS + 1);
        long ops = a.ops();
        int rounds = a.rounds();
        // [case][phase: 0 between cycles, 1 marking][round]
        double[][][] r = new double[CASES.length][2][rounds - WARM_ROUNDS];
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(16L << 30), PosixOsMemory.get());
        // GOGC so high that the goal (4 GiB) is never near: no cycle starts by itself.
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(100_000), 2);
        long acc = 0;
        try {
            Mutator m = gc.threadWorld().register(64);
            for (int round = 0; round < rounds; round++) {
                int at = round - WARM_ROUNDS;
                for (int phase = 0; phase < 2; phase++) {
                    if (phase == 1) {
                        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 60_000);
                        gc.pacer().bgScanCredit.set(1L << 50);     // the workers "keep up": assists steal, never wait
                    }
                    acc += runCases(gc, m, ops, r, phase, at);
                    if (phase == 1) {
                        gc.setBreakpoint(Collector.Breakpoint.NONE);
                        gc.resume();
                        gc.awaitIdle(60_000);
                        gc.sweepAll();
                    } else {
                        gc.gc();
                    }
                }
            }
        } finally {
            gc.threadWorld().unregister();
            gc.close();
            heap.close();
        }
        sink = acc;
        System.out.printf("%n| case | between cycles, ns/node | while marking, ns/node | marking - between |%n| --- | ---: | ---: | ---: |%n");
        for (int c = 0; c < CASES.length; c++) {
            double off = median(r[c][0]);
            double on = median(r[c][1]);
            System.out.printf("| %s | %.1f (%.1f-%.1f) | %.1f (%.1f-%.1f) | %+.1f |%n", CASES[c], off, min(r[c][0]), max(r[c][0]),
                    on, min(r[c][1]), max(r[c][1]), on - off);
        }
        System.out.println("(thread CPU, median (min-max) of " + (rounds - WARM_ROUNDS) + " rounds of " + ops / 1_000_000
                + " M nodes; load average at the end: " + BinaryTreesRun.loadAverage() + ")");
    }

    private static long runCases(Collector gc, Mutator m, long ops, double[][][] r, int phase, int at) {
        long acc = 0;
        long t = CpuClock.threadCpuNanos();
        for (long i = 0; i < ops; i++) {
            acc += gc.alloc(m, NODE);
        }
        record(r[0][phase], at, t, ops);

        long prev = gc.alloc(m, NODE);
        long prev2 = prev;
        t = CpuClock.threadCpuNanos();
        for (long i = 0; i < ops; i++) {
            long n = gc.alloc(m, NODE);
            Mem.storePtr(n, BinaryTrees.LEFT, prev);
            Mem.storePtr(n, BinaryTrees.RIGHT, prev2);
            prev2 = prev;
            prev = n;
        }
        record(r[1][phase], at, t, ops);
        acc += prev;

        RootSlots roots = m.roots();
        long perTree = (2L << TREE_DEPTH) - 1;
        long trees = Math.max(1, ops / perTree);
        t = CpuClock.threadCpuNanos();
        for (long i = 0; i < trees; i++) {
            acc += BinaryTrees.tree(gc, m, roots, TREE_DEPTH);
        }
        record(r[2][phase], at, t, trees * perTree);
        return acc;
    }

    private static void record(double[] into, int at, long t0, long nodes) {
        if (at >= 0) {
            into[at] = (double) (CpuClock.threadCpuNanos() - t0) / nodes;
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }
}
