package dev.gort.bench.arena;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.CpuClock;
import dev.gort.sys.LibC;
import dev.gort.sys.PosixOsMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import java.util.Arrays;
import java.util.Locale;

/**
 * A development probe beside the JMH suites (not a replacement: JMH's tables are the figures
 * reported): the same allocate+free shapes as {@link AllocFreePairBench} and {@link
 * AllocFreeRingBench}, timed by the thread's CPU clock in short rounds that alternate between the
 * allocators, keeping each one's fastest round. On a machine shared with other builds, the
 * minimum of thread CPU time over alternating rounds is the figure least disturbed by other load,
 * so ratios between allocators are stable from run to run where JMH's wall clock is not.
 *
 * <p>Run: {@code java <gort flags> -cp <benchmarks classpath> dev.gort.bench.arena.PairCpuProbe
 * [size] [rounds] [comma-separated names to run]}. Like JMH's loop, size and cache are read from fields on every call and every
 * result goes to a field, so nothing is hoisted out of the loop that JMH would not hoist.
 */
public final class PairCpuProbe {
    static final int RING = 64;

    int size;
    MCache cache;
    long sink;
    final long[] ring = new long[RING];
    final ByteBuf[] bufRing = new ByteBuf[RING];
    int pos;

    long gort(int n) {
        for (int i = 0; i < n; i++) {
            long p = cache.alloc(size, true);
            cache.free(p);
            sink += p;
        }
        return sink;
    }

    long malloc(int n) {
        for (int i = 0; i < n; i++) {
            long p = LibC.malloc(size);
            LibC.free(p);
            sink += p;
        }
        return sink;
    }

    long netty(int n) {
        for (int i = 0; i < n; i++) {
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size);
            sink += b.capacity();
            b.release();
        }
        return sink;
    }

    long gortRing(int n) {
        for (int i = 0; i < n; i++) {
            int k = pos++ & (RING - 1);
            cache.free(ring[k]);
            ring[k] = cache.alloc(size, true);
        }
        return sink;
    }

    long mallocRing(int n) {
        for (int i = 0; i < n; i++) {
            int k = pos++ & (RING - 1);
            LibC.free(ring[k]);
            ring[k] = LibC.malloc(size);
        }
        return sink;
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        String only = args.length > 2 ? "," + args[2] + "," : null;
        String[] names = {"gort", "malloc", "netty", "gortRing", "mallocRing"};
        PairCpuProbe p = new PairCpuProbe();
        p.size = size;
        try (Heap heap = Heap.create(HeapConfig.defaults(), PosixOsMemory.get())) {
            p.cache = heap.newCache();
            for (int k = 0; k < RING; k++) {
                p.ring[k] = p.cache.alloc(size, true);
            }
            long[] mallocRing = new long[RING];
            for (int k = 0; k < RING; k++) {
                mallocRing[k] = LibC.malloc(size);
            }
            long[] gortRing = p.ring.clone();
            double[] best = new double[names.length];
            Arrays.fill(best, Double.MAX_VALUE);
            int n = 1_000_000;
            for (int r = 0; r < rounds; r++) {
                for (int b = 0; b < names.length; b++) {
                    if (only != null && !only.contains("," + names[b] + ",")) {
                        continue;
                    }
                    if (b == 3) {
                        System.arraycopy(gortRing, 0, p.ring, 0, RING);
                    } else if (b == 4) {
                        System.arraycopy(mallocRing, 0, p.ring, 0, RING);
                    }
                    long t0 = CpuClock.threadCpuNanos();
                    switch (b) {
                        case 0 -> p.gort(n);
                        case 1 -> p.malloc(n);
                        case 2 -> p.netty(n);
                        case 3 -> p.gortRing(n);
                        default -> p.mallocRing(n);
                    }
                    long t = CpuClock.threadCpuNanos() - t0;
                    if (b == 3) {
                        System.arraycopy(p.ring, 0, gortRing, 0, RING);
                    } else if (b == 4) {
                        System.arraycopy(p.ring, 0, mallocRing, 0, RING);
                    }
                    if (r >= rounds / 4) { // the first quarter is warm-up
                        best[b] = Math.min(best[b], (double) t / n);
                    }
                }
            }
            for (long q : gortRing) {
                p.cache.free(q);
            }
            for (long q : mallocRing) {
                LibC.free(q);
            }
            heap.releaseCache(p.cache);
            System.out.printf(Locale.ROOT, "size %d, min thread-CPU ns per pair over %d rounds of %d:%n", size, rounds - rounds / 4, n);
            for (int b = 0; b < names.length; b++) {
                if (best[b] == Double.MAX_VALUE) {
                    continue; // not run
                }
                double base = names[b].endsWith("Ring") ? best[4] : best[1];
                System.out.printf(Locale.ROOT, "  %-10s %7.2f ns  (x%.2f of malloc)%n", names[b], best[b], best[b] / base);
            }
            System.out.println("sink " + (p.sink & 1));
        }
    }
}
