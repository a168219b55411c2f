package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Global;
import dev.gort.gc.Mem;
import dev.gort.gc.Mutator;
import dev.gort.gc.RootSlots;
import dev.gort.gc.StwPause;
import dev.gort.gc.ThreadWorld;
import dev.gort.gc.Type;
import dev.gort.sys.PosixOsMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.ToLongFunction;

/**
 * The pause benchmark: stop-the-world pause distribution with a 1 GiB live heap and 2
 * mutator threads (target: p99 under 0.5 ms), GOGC=100, pacer-driven cycles.
 *
 * <p>The live heap is a table of buckets (a pointer array held by a global), each bucket a chain of
 * 16 64-byte records (4 pointers, 4 longs). Each mutator owns half of the buckets; after building
 * them it keeps replacing random chains of its half with fresh ones (the old chain becomes garbage,
 * the live heap stays put, every replacement goes through the write barrier) until the time is up.
 * Every pause is recorded with its breakdown; the table prints the distribution of the whole pause,
 * of the time to stop (mutators reaching a safepoint, or getting a CPU) and of the collector's CPU
 * inside the pause.
 *
 * <pre>java ... dev.gort.bench.gc.PauseDistributionRun [LIVE_MIB=1024] [SECONDS=20]</pre>
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
        long buckets = (liveMib << 20) / (CHAIN * RECORD.size());
        String loadStart = BinaryTreesRun.loadAverage();
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(64L << 30), PosixOsMemory.get());
        boolean trace = String.valueOf(System.getenv("GORT_DEBUG")).contains("gctrace=1");
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT.withDebug(trace, false, false, 0, 0), 2);
        List<StwPause> pauses = new ArrayList<>();
        gc.setPauseBreakdownListener(p -> {
            synchronized (pauses) {
                pauses.add(p);
            }
        });
        long[] replaced = new long[MUTATORS];
        int[] steadyFrom = {-1};       // index of the first pause once the whole live heap is built
        CountDownLatch built = new CountDownLatch(MUTATORS);
        Global tableRoot = gc.newGlobal();
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
                    long lo = buckets * id / MUTATORS, hi = buckets * (id + 1) / MUTATORS;
                    for (long b = lo; b < hi; b++) {
                        long chain = chain(gc, roots);
                        Mem.storePtrAt(tableRoot.get(), b, chain);
                    }
                    built.countDown();
                    world.runBlocking(m, () -> {           // waiting counts as stopped
                        try {
                            built.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    synchronized (pauses) {
                        if (steadyFrom[0] < 0) {
                            steadyFrom[0] = pauses.size();
                        }
                    }
                    long end = System.nanoTime() + seconds * 1_000_000_000L;
                    SplittableRandom rnd = new SplittableRandom(id);
                    long n = 0;
                    while (System.nanoTime() < end) {
                        long b = lo + rnd.nextLong(hi - lo);
                        long chain = chain(gc, roots);
                        Mem.storePtrAt(tableRoot.get(), b, chain);
                        n++;
                    }
                    replaced[id] = n;
                } finally {
                    world.unregister();
                }
            });
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        long cycles = gc.cycles();
        GcSummary s;
        synchronized (pauses) {
            s = new GcSummary(List.copyOf(pauses.subList(Math.max(0, steadyFrom[0]), pauses.size())));
        }
        gc.close();
        heap.close();
        System.out.printf(Locale.ROOT, "### STW pauses, %d MiB live (%d buckets x %d records of %d B), %d mutator threads, GOGC=100, %d s%n%n",
                liveMib, buckets, CHAIN, RECORD.size(), MUTATORS, seconds);
        System.out.printf(Locale.ROOT, "%d cycles in all, %d pauses once the live heap was built, %d chains replaced;"
                + " load average at start %s, at end %s%n%n", cycles, s.all.size(), replaced[0] + replaced[1], loadStart, BinaryTreesRun.loadAverage());
        System.out.println("| figure | p50 us | p99 us | max us |");
        System.out.println("| --- | ---: | ---: | ---: |");
        s.row("pause (wall, stop request to restart)", StwPause::totalNanos);
        s.row("time to stop (mutators at a safepoint)", p -> p.stepNanos("stop"));
        s.row("in-pause work (wall)", p -> p.totalNanos() - p.stepNanos("stop"));
        s.row("in-pause work (collector CPU)", StwPause::workCpuNanos);
        System.out.println();
        System.out.println("worst: " + s.worst());
        System.out.printf(Locale.ROOT, "%ntarget p99 < 500 us: %s (p99 %.0f us)%n", s.pct(StwPause::totalNanos, 0.99) < 500_000 ? "met" : "NOT met",
                s.pct(StwPause::totalNanos, 0.99) / 1000.0);
    }

    /** A fresh chain of {@link #CHAIN} records, rooted in slot 0 while it is built. */
    static long chain(Collector gc, RootSlots roots) {
        long head = 0;
        for (int i = 0; i < CHAIN; i++) {
            long r = gc.alloc(RECORD);
            Mem.storePtr(r, NEXT, head);
            head = r;
            roots.set(0, head);
        }
        roots.set(0, 0);
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

        StwPause worst() {
            return all.stream().max(java.util.Comparator.comparingLong(StwPause::totalNanos)).orElse(null);
        }
    }
}
