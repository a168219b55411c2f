package dev.gort.cli;

import dev.gort.Gort;
import dev.gort.arena.MCache;
import dev.gort.arena.MemStats;
import dev.gort.sched.Chan;
import dev.gort.sched.Go;
import dev.gort.sync.WaitGroup;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.ProcessMemory;
import dev.gort.sysmon.SysmonStats;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./gort demo}: the runtime's main job on embedded defaults, in well under a minute on 2
 * cores. It boots gort and runs three workloads, then prints what the runtime did:
 * <ol>
 * <li>binary-trees (the Benchmarks Game program) on the gort heap: nodes of two 8-byte fields
 *     allocated from the running P's mcache, one goroutine per depth, each tree checked and then
 *     freed node by node (the heap's manual mode);</li>
 * <li>a goroutine pipeline over channels: a generator, a fan-out of square workers, a fan-in
 *     summer; the sum is checked against the closed form;</li>
 * <li>a burst: 256 MiB allocated and touched, freed, and returned to the OS with
 *     {@code Gort.freeOSMemory()}; RSS and mincore residency before and after;</li>
 * <li>the collector: 400,000 objects of garbage through its allocator; GOGC starts off (the parts
 *     above use the heap's manual mode) and is set to 100 here, so the pacer runs the cycles;
 *     cycles, pauses and the heap in use after.</li>
 * </ol>
 */
public final class Demo {
    private Demo() {
    }

    static final long NODE = 16; // left, right: addresses of the children (0 for a leaf)

    /** Runs the demo; returns the exit code (0 when every check held). */
    static int run(int maxDepth, long burstBytes, PrintStream out) {
        long t0 = System.nanoTime();
        long[] rss = new long[4];
        rss[0] = ProcessMemory.rssBytes();
        AtomicLong failures = new AtomicLong();
        // The trees and the burst are allocated from the P's mcache and freed by hand (the heap's
        // manual mode), so the collector stays off: it would sweep objects it cannot see.
        java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
        env.put("GOGC", "off");
        java.util.Map<String, String> props = new java.util.HashMap<>();
        System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
        props.remove("gort.gogc");
        int code = Gort.run(new String[0], args -> {
            out.printf(Locale.ROOT, "gort demo: GOMAXPROCS=%d, %d CPUs%n", Gort.gomaxprocs(), Gort.config().ncpu());

            long tTrees = System.nanoTime();
            long checked = binaryTrees(maxDepth, out, failures);
            double treesMs = (System.nanoTime() - tTrees) / 1e6;
            MemStats afterTrees = Gort.readMemStats();
            out.printf(Locale.ROOT, "binary-trees depth %d: %,d nodes allocated and freed in %.0f ms (%.1f ns/node); HeapSys %.1f MiB%n",
                    maxDepth, checked, treesMs, treesMs * 1e6 / Math.max(1, checked), afterTrees.heapSys() / 1048576.0);

            long tPipe = System.nanoTime();
            long messages = pipeline(200_000, 4, failures);
            double pipeMs = (System.nanoTime() - tPipe) / 1e6;
            out.printf(Locale.ROOT, "pipeline: %,d messages through 3 stages and %d workers in %.0f ms (%.2f us/message end to end)%n",
                    messages, 4, pipeMs, pipeMs * 1e3 / messages);

            rss[1] = ProcessMemory.rssBytes();
            long resident = burst(burstBytes);
            rss[2] = ProcessMemory.rssBytes();
            long released = Gort.freeOSMemory();
            rss[3] = ProcessMemory.rssBytes();
            MemStats m = Gort.readMemStats();
            out.printf(Locale.ROOT, "burst: %d MiB allocated and touched (arena resident %.0f MiB), freed, released %.0f MiB with madvise%n",
                    burstBytes >> 20, resident / 1048576.0, released / 1048576.0);
            out.printf(Locale.ROOT, "RSS: %.0f MiB before the burst, %.0f MiB after freeing it, %.0f MiB after freeOSMemory (HeapReleased %.0f MiB)%n",
                    rss[1] / 1048576.0, rss[2] / 1048576.0, rss[3] / 1048576.0, m.heapReleased() / 1048576.0);
            if (rss[2] - rss[3] < burstBytes / 2 && rss[3] >= 0) {
                out.println("CHECK FAILED: RSS did not drop by half the burst after freeOSMemory");
                failures.incrementAndGet();
            }
            // The collector: nothing manual is live any more, so GOGC goes to 100 and garbage through
            // the collector's allocator makes the pacer start cycles by itself.
            Gort.setGCPercent(100);
            dev.gort.gc.Collector collector = Gort.collector();
            long gcStart = System.nanoTime();
            int garbage = 400_000;
            for (int i = 1; i <= garbage; i++) {
                collector.allocBytes(256);
            }
            double gcMs = (System.nanoTime() - gcStart) / 1e6;
            dev.gort.gc.GcStats.Snapshot g = Gort.gcStats();
            long maxPause = 0;
            for (long p : g.pauseNs()) {
                maxPause = Math.max(maxPause, p);
            }
            MemStats afterGc = Gort.readMemStats();
            out.printf(Locale.ROOT, "GC: %,d objects (%.0f MiB) of garbage in %.0f ms; %d cycles, pauses total %.2f ms, max %.3f ms; HeapInuse after %.1f MiB%n",
                    garbage, garbage * 256 / 1048576.0, gcMs, g.numGC(), g.pauseTotalNs() / 1e6, maxPause / 1e6, afterGc.heapInuse() / 1048576.0);
            if (g.numGC() < 3 || afterGc.heapInuse() > 64L << 20) {
                out.println("CHECK FAILED: the collector did not run its cycles or did not free the garbage");
                failures.incrementAndGet();
            }
            SysmonStats s = Gort.sysmonStats();
            out.printf(Locale.ROOT, "scheduler: %,d goroutines started, %d threads, sysmon: %,d rounds, %d retakes, %d preemption requests (%d in syscalls), %d scavenger passes, %d deep sleeps%n",
                    Gort.goroutinesStarted(), Gort.threads(), s.rounds(), s.retakes(), s.preemptRequests(), s.syscallPreempts(), s.scavengePasses(),
                    s.deepSleeps());
            out.printf(Locale.ROOT, "heap: %,d mallocs, %,d frees, HeapSys %.0f MiB, HeapInuse %.1f MiB, HeapReleased %.0f MiB%n",
                    m.mallocs(), m.frees(), m.heapSys() / 1048576.0, m.heapInuse() / 1048576.0, m.heapReleased() / 1048576.0);
        }, new Gort.Options().settings(env, props));
        out.printf(Locale.ROOT, "done in %.1f s, exit %d%s%n", (System.nanoTime() - t0) / 1e9, code,
                failures.get() == 0 ? "" : ", " + failures.get() + " check(s) failed");
        return code != 0 ? code : failures.get() == 0 ? 0 : 1;
    }

    // ---- binary-trees

    static long binaryTrees(int maxDepth, PrintStream out, AtomicLong failures) {
        int minDepth = 4;
        long stretch = bottomUp(mcache(), maxDepth + 1);
        long c = check(stretch);
        freeTree(mcache(), stretch);
        out.printf("  stretch tree of depth %d\t check: %d%n", maxDepth + 1, c);
        long longLived = bottomUp(mcache(), maxDepth);
        long nodes = c;
        int levels = (maxDepth - minDepth) / 2 + 1;
        String[] lines = new String[levels];
        AtomicLong total = new AtomicLong();
        WaitGroup wg = new WaitGroup();
        wg.add(levels);
        for (int l = 0; l < levels; l++) {
            int depth = minDepth + 2 * l;
            int index = l;
            Gort.go(() -> {
                int iterations = 1 << (maxDepth - depth + minDepth);
                long sum = 0;
                for (int i = 0; i < iterations; i++) {
                    long t = bottomUp(mcache(), depth);
                    sum += check(t);
                    freeTree(mcache(), t);
                    Gort.poll(); // a safepoint per tree: sysmon may preempt here
                }
                long expected = (long) iterations * ((1L << (depth + 1)) - 1);
                if (sum != expected) {
                    failures.incrementAndGet();
                }
                total.addAndGet(sum);
                lines[index] = iterations + "\t trees of depth " + depth + "\t check: " + sum;
                wg.done();
            });
        }
        wg.await();
        for (String line : lines) {
            out.println("  " + line);
        }
        long ll = check(longLived);
        out.printf("  long lived tree of depth %d\t check: %d%n", maxDepth, ll);
        freeTree(mcache(), longLived);
        return nodes + total.get() + ll;
    }

    private static MCache mcache() {
        return (MCache) Go.mcache(); // re-read after any safepoint: the goroutine may have moved to another P
    }

    static long bottomUp(MCache cache, int depth) {
        long node = cache.alloc(NODE, true);
        if (depth > 0) {
            NativeMemory.putLong(node, bottomUp(cache, depth - 1));
            NativeMemory.putLong(node + 8, bottomUp(cache, depth - 1));
        }
        return node;
    }

    static long check(long node) {
        long left = NativeMemory.getLong(node);
        if (left == 0) {
            return 1;
        }
        return 1 + check(left) + check(NativeMemory.getLong(node + 8));
    }

    static void freeTree(MCache cache, long node) {
        long left = NativeMemory.getLong(node);
        if (left != 0) {
            freeTree(cache, left);
            freeTree(cache, NativeMemory.getLong(node + 8));
        }
        cache.free(node);
    }

    // ---- pipeline

    static long pipeline(int n, int workers, AtomicLong failures) {
        Chan<Long> numbers = new Chan<>(128);
        Chan<Long> squares = new Chan<>(128);
        Chan<Long> result = new Chan<>();
        Gort.go(() -> {
            for (long i = 1; i <= n; i++) {
                numbers.send(i);
            }
            numbers.close();
        });
        WaitGroup wg = new WaitGroup();
        wg.add(workers);
        for (int w = 0; w < workers; w++) {
            Gort.go(() -> {
                for (Long x : numbers) {
                    squares.send(x * x);
                }
                wg.done();
            });
        }
        Gort.go(() -> {
            wg.await();
            squares.close();
        });
        Gort.go(() -> {
            long sum = 0;
            for (Long sq : squares) {
                sum += sq;
            }
            result.send(sum);
        });
        long sum = result.recv();
        long nn = n;
        long expected = nn * (nn + 1) * (2 * nn + 1) / 6;
        if (sum != expected) {
            failures.incrementAndGet();
        }
        return n;
    }

    // ---- burst

    /** Allocates and touches {@code bytes} in 64 KiB objects, frees them; returns the arena's residency before the free. */
    static long burst(long bytes) {
        MCache cache = mcache();
        long obj = 64L << 10;
        long[] ps = new long[(int) (bytes / obj)];
        for (int i = 0; i < ps.length; i++) {
            ps[i] = cache.alloc(obj, true);
            for (long a = ps[i]; a < ps[i] + obj; a += 4096) {
                NativeMemory.putLong(a, a);
            }
        }
        long resident = dev.gort.Gort.heapResidentBytes();
        for (long p : ps) {
            cache.free(p);
        }
        return resident;
    }
}
