package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Mem;
import dev.gort.gc.Type;
import dev.gort.sys.CpuClock;
import dev.gort.sys.PosixOsMemory;

import java.util.Arrays;

/**
 * {@link CollectorAllocBench}'s cases measured in the benchmark thread's CPU time instead of wall
 * time: on a shared 2-core machine at load 10 a thread gets a fraction of a core, so JMH's
 * average time (wall) mostly measures the wait for a CPU; the thread's own CPU nanoseconds per
 * operation survive that (not cache and SMT interference: compare within one run). Each case runs
 * {@code ops} operations per round; the median round is reported.
 *
 * <pre>java ... dev.gort.bench.gc.AllocCpuRun [OPS_MILLIONS=20] [ROUNDS=5]</pre>
 */
public final class AllocCpuRun {
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").build();
    static final Type NOSCAN16 = Type.struct("Pair").longField("a").longField("b").build();
    static volatile long sink;
    static volatile Object osink;

    record JObj(Object p, Object q, long a, long b) {
    }

    public static void main(String[] args) {
        CpuRunArgs a = CpuRunArgs.parse("AllocCpuRun", args, 20, 5, 1);
        long ops = a.ops();
        int rounds = a.rounds();
        String[] names = {"arena alloc+free (32 B)", "collector node16 + 2 barriered stores, GOGC=100",
                "same while marking (cycle held after mark start)", "JVM new (2 refs + 2 longs)",
                "collector node16 alone (pointer bits, no stores), GOGC=100", "collector 16 B noscan alone (no pointer bits), GOGC=100",
                "node16 + 2 barriered stores + 2 root-slot sets (binary-trees' tree), GOGC=100", "ThreadWorld.poll() alone",
                "node16 alone while marking (allocate-black, no stores)",
                "node16 + 2 stores of this cycle's nodes while marking (the barrier's recent-black filter hits, as in binary-trees)",
                "2 barriered stores between this cycle's nodes while marking, no allocation (the filtered barrier alone)",
                "node16 alone through the held mutator (gc.alloc(m, NODE)), GOGC=100",
                "binary-trees' tree through the held mutator (gc.alloc(m, NODE)), GOGC=100",
                "node16 alone through the held mutator while marking"};
        double[][] r = new double[names.length][rounds];

        // One collector at a time: the write barrier's switch and shader are process-wide.
        Heap manual = Heap.create(HeapConfig.defaults(), PosixOsMemory.get());
        MCache cache = manual.newCache();
        long acc = 0;
        for (int round = -1; round < rounds; round++) {       // round -1: warm-up
            long t = CpuClock.threadCpuNanos();
            for (long i = 0; i < ops; i++) {
                long p = cache.alloc(32, false);
                cache.free(p);
                acc += p;
            }
            record(r, 0, round, t, ops);
        }
        manual.releaseCache(cache);
        manual.close();

        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(4L << 30), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        try {
            var me = gc.threadWorld().register(8);
            var roots = me.roots();
            long keep = gc.alloc(NODE);
            roots.set(0, keep);
            for (int round = -1; round < rounds; round++) {
                long t = CpuClock.threadCpuNanos();
                for (long i = 0; i < ops; i++) {
                    long n = gc.alloc(NODE);
                    Mem.storePtr(n, 0, keep);
                    Mem.storePtr(n, 8, keep);
                    acc += n;
                }
                record(r, 1, round, t, ops);
                // The pieces of binary-trees' per-node work, one at a time (same collector and cycles).
                t = CpuClock.threadCpuNanos();
                for (long i = 0; i < ops; i++) {
                    acc += gc.alloc(NODE);
                }
                record(r, 4, round, t, ops);
                t = CpuClock.threadCpuNanos();
                for (long i = 0; i < ops; i++) {
                    acc += gc.alloc(me, NODE);
                }
                record(r, 11, round, t, ops);
                t = CpuClock.threadCpuNanos();
                for (long i = 0; i < ops; i++) {
                    long n = gc.alloc(me, NODE);
                    roots.set(1, n);
                    Mem.storePtr(n, 0, keep);
                    Mem.storePtr(n, 8, keep);
                    roots.set(1, 0);
                    acc += n;
                }
                record(r, 12, round, t, ops);
                t = CpuClock.threadCpuNanos();
                for (long i = 0; i < ops; i++) {
                    acc += gc.alloc(NOSCAN16);
                }
                record(r, 5, round, t, ops);
                t = CpuClock.threadCpuNanos();
                for (long i = 0; i < ops; i++) {
                    long n = gc.alloc(NODE);
                    roots.set(1, n);
                    Mem.storePtr(n, 0, keep);
                    Mem.storePtr(n, 8, keep);
                    roots.set(1, 0);
                    acc += n;
                }
                record(r, 6, round, t, ops);
                var w = gc.threadWorld();
                t = CpuClock.threadCpuNanos();
                for (long i = 0; i < ops; i++) {
                    w.poll();
                    acc += i;
                }
                record(r, 7, round, t, ops);
            }
        } finally {
            gc.threadWorld().unregister();
            gc.close();
            heap.close();
        }

        Heap mheap = Heap.create(HeapConfig.defaults().withArenaReservation(16L << 30), PosixOsMemory.get());
        Collector mgc = Collector.forThreads(mheap, GcOptions.DEFAULT.withGcPercent(100_000), 2);
        try {
            var roots = mgc.threadWorld().register(8).roots();
            long keep = mgc.alloc(NODE);
            roots.set(0, keep);
            for (int round = -1; round < rounds; round++) {
                acc += markingRound(mgc, keep, r, round, ops / 2);
            }
        } finally {
            mgc.threadWorld().unregister();
            mgc.close();
            mheap.close();
        }

        for (int round = -1; round < rounds; round++) {
            long t = CpuClock.threadCpuNanos();
            Object o = null;
            for (long i = 0; i < ops; i++) {
                o = new JObj(o instanceof JObj j && (i & 1023) != 0 ? j.p : null, null, i, acc);
            }
            osink = o;
            record(r, 3, round, t, ops);
        }
        sink = acc;
        System.out.printf("%n| case | thread CPU ns/op (median of %d rounds of %d M ops) | min | max |%n| --- | ---: | ---: | ---: |%n",
                rounds, ops / 1_000_000);
        for (int c = 0; c < names.length; c++) {
            double[] v = r[c].clone();
            Arrays.sort(v);
            System.out.printf("| %s | %.1f | %.1f | %.1f |%n", names[c], v[v.length / 2], v[0], v[v.length - 1]);
        }
        System.out.println("(load average at the end: " + BinaryTreesRun.loadAverage() + ")");
    }

    /** One round of node allocations with the cycle held in its mark phase (assists steal banked credit). */
    private static long markingRound(Collector mgc, long keep, double[][] r, int round, long ops) {
        mgc.runTo(Collector.Breakpoint.AFTER_MARK_START, 60_000);
        mgc.pacer().bgScanCredit.set(1L << 50);
        long acc = 0;
        long t = CpuClock.threadCpuNanos();
        for (long i = 0; i < ops; i++) {
            long n = mgc.alloc(NODE);
            Mem.storePtr(n, 0, keep);
            Mem.storePtr(n, 8, keep);
            acc += n;
        }
        record(r, 2, round, t, ops);
        t = CpuClock.threadCpuNanos();
        for (long i = 0; i < ops; i++) {
            acc += mgc.alloc(NODE);
        }
        record(r, 8, round, t, ops);
        dev.gort.gc.Mutator me = mgc.threadWorld().current();
        t = CpuClock.threadCpuNanos();
        for (long i = 0; i < ops; i++) {
            acc += mgc.alloc(me, NODE);
        }
        record(r, 13, round, t, ops);
        // binary-trees' pattern: the stored pointers are objects this mutator allocated in this mark
        // phase (the previous two nodes), so the barrier's filter skips both shades.
        long prev = mgc.alloc(NODE);
        long prev2 = prev;
        t = CpuClock.threadCpuNanos();
        for (long i = 0; i < ops; i++) {
            long n = mgc.alloc(NODE);
            Mem.storePtr(n, 0, prev);
            Mem.storePtr(n, 8, prev2);
            prev2 = prev;
            prev = n;
        }
        acc += prev;
        record(r, 9, round, t, ops);
        // The filtered barrier alone: stores among 256 nodes allocated black in this mark phase
        // (consecutive addresses: distinct filter slots), no allocation and so no page faults.
        long[] nodes = new long[256];
        for (int k = 0; k < nodes.length; k++) {
            nodes[k] = mgc.alloc(NODE);
        }
        t = CpuClock.threadCpuNanos();
        for (long i = 0; i < ops; i++) {
            long a = nodes[(int) i & 255];
            Mem.storePtr(a, 0, nodes[(int) (i + 1) & 255]);
            Mem.storePtr(a, 8, nodes[(int) (i + 2) & 255]);
        }
        record(r, 10, round, t, ops);
        mgc.setBreakpoint(Collector.Breakpoint.NONE);
        mgc.resume();
        mgc.awaitIdle(60_000);
        mgc.sweepAll();
        return acc;
    }

    private static void record(double[][] r, int c, int round, long t0, long ops) {
        if (round >= 0) {
            r[c][round] = (double) (CpuClock.threadCpuNanos() - t0) / ops;
        }
    }
}
