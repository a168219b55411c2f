package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.Collector;
import dev.gort.gc.GcCycle;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Mem;
import dev.gort.gc.RootSlots;
import dev.gort.gc.StwPause;
import dev.gort.gc.ThreadWorld;
import dev.gort.gc.Type;
import dev.gort.sys.PosixOsMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Mark throughput (MB marked per CPU second of one marking thread) and the cost of an allocation
 * while the collector marks vs. while it does not, on the gort heap with one registered mutator
 * thread ({@link ThreadWorld}).
 *
 * <ol>
 *   <li>A live heap of about {@code LIVE_MIB} MiB in three shapes: a binary tree of 16-byte nodes
 *       (two pointers: the pointer-dense small-object case), 128-byte records with 8 pointer and 8
 *       scalar words, and 512-entry pointer arrays (4 KiB, every word a pointer).</li>
 *   <li>Stop-the-world mark ({@code gcstoptheworld=1}): one thread marks the whole heap with the world
 *       stopped; throughput = bytes marked / CPU time of the pause's "mark" step. Repeated, best and
 *       median printed.</li>
 *   <li>Concurrent mark (default mode): forced cycles; throughput per worker = bytes marked /
 *       (background worker CPU + assist time).</li>
 *   <li>Allocation: 32-byte garbage allocated in batches of 4096 while the pacer runs cycles over the
 *       live heap; each batch's ns per allocation is filed under "marking" or "not marking"
 *       (batches that straddle a phase change are dropped).</li>
 * </ol>
 *
 * <pre>java ... dev.gort.bench.gc.MarkThroughputRun [LIVE_MIB=128] [REPEATS=5] [mixed|tree]</pre>
 *
 * <p>{@code tree}: the whole live heap is one binary tree of 16-byte nodes built depth-first, as
 * binary-trees' long-lived tree (the marker's small-object, pointer-chasing case alone).
 */
public final class MarkThroughputRun {
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").build();
    static final long LEFT = NODE.offset("left"), RIGHT = NODE.offset("right");
    static final Type RECORD = Type.struct("Record")
            .pointer("p0").pointer("p1").pointer("p2").pointer("p3")
            .pointer("p4").pointer("p5").pointer("p6").pointer("p7")
            .longField("a0").longField("a1").longField("a2").longField("a3")
            .longField("a4").longField("a5").longField("a6").longField("a7").build();
    static final Type GARBAGE = Type.struct("Garbage").pointer("p").longField("a").longField("b").longField("c").build();
    static final int ARRAY_LEN = 512;

    public static void main(String[] args) {
        // The STW figure is the mark step's CPU from the pause breakdown, which reads the thread CPU
        // clock per step only when asked (a system call per step, PauseTimer): ask before the
        // collector's classes load, unless the command line already decided.
        if (System.getProperty("gort.gc.pausetrace.cpu") == null) {
            System.setProperty("gort.gc.pausetrace.cpu", "true");
        }
        long liveMib = args.length > 0 ? Long.parseLong(args[0]) : 128;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        if (args.length > 2 && args[2].equals("tree")) {
            shape = "tree";
        } else if (args.length > 2 && !args[2].equals("mixed")) {
            throw new IllegalArgumentException("shape must be 'mixed' (default) or 'tree', got " + args[2]);
        }
        System.out.printf(Locale.ROOT, "mark throughput, live heap ~%d MiB (" + shape + "), load average %s%n", liveMib, BinaryTreesRun.loadAverage());
        stwMark(liveMib, repeats);
        if (!dev.gort.sys.TuningProperty.flag("gort.bench.stwOnly", false)) {     // -Dgort.bench.stwOnly=true: the STW figure alone (A/B runs)
            concurrentMarkAndAllocation(liveMib, repeats);
        }
        System.out.printf(Locale.ROOT, "(shared 2-core machine; load average at the end %s)%n", BinaryTreesRun.loadAverage());
    }

    // ------------------------------------------------------------------ live heap

    /** "mixed" (a third each: tree, records, pointer arrays) or "tree" (one binary tree, binary-trees' shape). */
    static String shape = "mixed";

    /** Builds ~{@code mib} MiB of live objects rooted in slots 0..2. */
    static void buildLiveHeap(Collector gc, RootSlots roots, long mib) {
        if (shape.equals("tree")) {
            int depth = 1;
            while ((32L << depth) <= (mib << 20)) {
                depth++;
            }
            roots.set(0, tree(gc, roots, depth - 1));
            return;
        }
        long third = (mib << 20) / 3;
        int depth = 1;
        while ((32L << depth) <= third) {       // 2^(d+1)-1 nodes of 16 bytes
            depth++;
        }
        roots.set(0, tree(gc, roots, depth - 1));
        long records = third / 128;
        long head = 0;
        roots.set(1, 0);
        for (long i = 0; i < records; i++) {
            long r = gc.alloc(RECORD);
            Mem.storePtr(r, 0, head);          // p0 chains the list; p1..p7 point back into it
            for (int k = 1; k < 8; k++) {
                Mem.storePtr(r, 8L * k, head);
            }
            head = r;
            roots.set(1, head);
        }
        long arrays = third / (8L * ARRAY_LEN);
        long prev = 0;
        for (long i = 0; i < arrays; i++) {
            long a = gc.allocArray(Type.POINTER, ARRAY_LEN);
            Mem.storePtr(a, 0, prev);
            for (int k = 1; k < ARRAY_LEN; k++) {
                Mem.storePtr(a, 8L * k, head);
            }
            prev = a;
            roots.set(2, prev);
        }
    }

    static long tree(Collector gc, RootSlots roots, int d) {
        long node = gc.alloc(NODE);
        if (d > 0) {
            roots.set(10 + d, node);
            Mem.storePtr(node, LEFT, tree(gc, roots, d - 1));
            Mem.storePtr(node, RIGHT, tree(gc, roots, d - 1));
            roots.set(10 + d, 0);
        }
        return node;
    }

    static Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(16L << 30), PosixOsMemory.get());
    }

    // ------------------------------------------------------------------ STW mark: one thread

    static void stwMark(long mib, int repeats) {
        Heap heap = newHeap();
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT.withDebug(false, false, false, 0, 1), 2);
        List<StwPause> pauses = new ArrayList<>();
        gc.setPauseBreakdownListener(p -> {
            synchronized (pauses) {
                pauses.add(p);
            }
        });
        ThreadWorld w = gc.threadWorld();
        RootSlots roots = w.register(64).roots();
        try {
            buildLiveHeap(gc, roots, mib);
            gc.gc();                        // settle: the build's garbage and its cycles are gone
            List<Double> mbPerCpuSec = new ArrayList<>();
            long marked = 0;
            for (int i = 0; i < repeats; i++) {
                synchronized (pauses) {
                    pauses.clear();
                }
                gc.gc();
                GcCycle c = gc.gcStats().lastCycle();
                long markCpu;
                synchronized (pauses) {
                    markCpu = pauses.stream().mapToLong(p -> p.steps().stream()
                            .filter(s -> s.name().equals("mark")).mapToLong(StwPause.Step::cpuNanos).sum()).sum();
                }
                marked = c.heap2();
                if (markCpu <= 0) {
                    throw new IllegalStateException("the pause breakdown has no CPU time for the mark step: run without "
                            + "-Dgort.gc.pausetrace.cpu=false (the STW figure needs per-step CPU)");
                }
                mbPerCpuSec.add(marked / 1e6 / (markCpu / 1e9));
            }
            if (dev.gort.sys.TuningProperty.flag("gort.bench.mark.each", false)) {     // each cycle's figure, in order (a shape or a machine change shows as a step)
                System.out.println("STW mark per cycle, MB/s: " + mbPerCpuSec.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList());
            }
            mbPerCpuSec.sort(null);
            System.out.printf(Locale.ROOT, "STW mark, 1 thread: %d MB marked per cycle, %.0f MB/s median, %.0f MB/s best (CPU time of the mark step, %d cycles)%n",
                    marked / 1_000_000, mbPerCpuSec.get(mbPerCpuSec.size() / 2), mbPerCpuSec.getLast(), repeats);
        } finally {
            w.unregister();
            gc.close();
            heap.close();
        }
    }

    // ------------------------------------------------------------------ concurrent mark + allocation cost

    static void concurrentMarkAndAllocation(long mib, int repeats) {
        Heap heap = newHeap();
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        ThreadWorld w = gc.threadWorld();
        RootSlots roots = w.register(64).roots();
        try {
            buildLiveHeap(gc, roots, mib);
            gc.gc();
            List<Double> perWorker = new ArrayList<>();
            long marked = 0;
            for (int i = 0; i < repeats; i++) {
                gc.gc();
                GcCycle c = gc.gcStats().lastCycle();
                marked = c.heap2();
                long cpu = c.backgroundCpu() + c.assistCpu() + c.idleCpu();   // idle workers' marking is its own figure since session 32
                perWorker.add(marked / 1e6 / (cpu / 1e9));
            }
            perWorker.sort(null);
            System.out.printf(Locale.ROOT, "concurrent mark (forced cycles): %d MB marked, %.0f MB/s per worker CPU second median, %.0f best%n",
                    marked / 1_000_000, perWorker.get(perWorker.size() / 2), perWorker.getLast());

            // Allocation cost: garbage batches while the pacer runs cycles over the live heap.
            List<Double> marking = new ArrayList<>();
            List<Double> idle = new ArrayList<>();
            long cycles0 = gc.cycles();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while ((gc.cycles() - cycles0 < 3L * repeats || marking.size() < 50) && System.nanoTime() < deadline) {
                boolean m0 = gc.marking();
                long c0 = gc.cycles();
                long t0 = System.nanoTime();
                for (int k = 0; k < 4096; k++) {
                    gc.alloc(GARBAGE);
                }
                long dt = System.nanoTime() - t0;
                boolean m1 = gc.marking();
                if (m0 == m1 && gc.cycles() == c0) {
                    (m0 ? marking : idle).add(dt / 4096.0);
                }
            }
            marking.sort(null);
            idle.sort(null);
            double mMed = marking.isEmpty() ? Double.NaN : marking.get(marking.size() / 2);
            double iMed = idle.isEmpty() ? Double.NaN : idle.get(idle.size() / 2);
            System.out.printf(Locale.ROOT, "allocation (32 B, batches of 4096): %.1f ns not marking (%d batches), %.1f ns marking (%d batches), ratio %.2f; %d cycles%n",
                    iMed, idle.size(), mMed, marking.size(), mMed / iMed, gc.cycles() - cycles0);
        } finally {
            w.unregister();
            gc.close();
            heap.close();
        }
    }
}
