package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Global;
import dev.gort.gc.GlobalRoots;
import dev.gort.gc.Mem;
import dev.gort.gc.SchedWorld;
import dev.gort.gc.StwPause;
import dev.gort.gc.Type;
import dev.gort.gc.WorkbufPool;
import dev.gort.sched.Chan;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What goroutine stacks cost the collector's pauses: N goroutines parked on a channel, each
 * holding one frame of SLOTS pointers into a live table of 4096 records, under gort's scheduler
 * (GOMAXPROCS=2), SchedWorld and the collector; CYCLES forced cycles ({@code Collector.gc()}) are
 * run from the main goroutine while they wait. Prints, per pause kind, the median and maximum of
 * the whole pause, of its "stacks" step (the stack roots walked inside the pause) and of its
 * in-pause work, the stack bytes the cycle scanned and the stacks left for mark termination.
 *
 * <pre>java ... dev.gort.bench.gc.StackScanPauseRun [N=10000] [SLOTS=8] [CYCLES=10]</pre>
 */
public final class StackScanPauseRun {
    static final Type RECORD = Type.struct("Record").pointer("next").longField("a").longField("b").longField("c").build();
    static final int LIVE = 4096;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int slots = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int cycles = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        if (n < 1 || slots < 1 || cycles < 1) {
            throw new IllegalArgumentException("StackScanPauseRun N SLOTS CYCLES: each must be >= 1 (got " + n + " " + slots + " " + cycles + ")");
        }
        String loadStart = BinaryTreesRun.loadAverage();
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(16L << 30), PosixOsMemory.get());
        Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).heap(heap));
        WorkbufPool pool = new WorkbufPool();
        GlobalRoots globals = new GlobalRoots();
        Collector gc = new Collector(heap, new SchedWorld(sched, pool), pool, globals, GcOptions.DEFAULT);
        List<StwPause> pauses = new ArrayList<>();
        boolean[] measuring = new boolean[1];
        gc.setPauseBreakdownListener(p -> {
            synchronized (pauses) {
                if (measuring[0]) {
                    pauses.add(p);
                }
            }
        });
        Global table = gc.newGlobal();
        long[] stackBytes = new long[1];
        sched.run(() -> {
            table.set(gc.allocArray(Type.POINTER, LIVE));
            for (int i = 0; i < LIVE; i++) {
                Mem.storePtrAt(table.get(), i, gc.alloc(RECORD));
            }
            Chan<Integer> gate = new Chan<>(0);
            Chan<Integer> done = new Chan<>(n);
            AtomicInteger parked = new AtomicInteger();
            for (int g = 0; g < n; g++) {
                final int id = g;
                Go.go(() -> {
                    try (Frame f = Frame.push(slots)) {
                        long t = table.get();
                        for (int s = 0; s < slots; s++) {
                            f.set(s, Mem.loadPtrAt(t, (int) (((long) id * slots + s) % LIVE)));
                        }
                        parked.incrementAndGet();
                        gate.recv();                    // parked (WAITING) until the gate closes
                    }
                    done.send(id);
                });
            }
            while (parked.get() < n) {
                Go.gosched();
            }
            gc.gc();                                    // warm-up cycle, not measured
            synchronized (pauses) {
                measuring[0] = true;
            }
            for (int c = 0; c < cycles; c++) {
                gc.gc();
            }
            synchronized (pauses) {
                measuring[0] = false;
            }
            stackBytes[0] = gc.gcStats().lastCycle().stacks();
            gate.close();
            for (int g = 0; g < n; g++) {
                done.recv();
            }
        });
        report(n, slots, cycles, pauses, stackBytes[0], loadStart);
        gc.close();
        globals.close();
        pool.close();
        heap.close();
    }

    private static void report(int n, int slots, int cycles, List<StwPause> pauses, long stackBytes, String loadStart) {
        System.out.printf(Locale.ROOT, "### StackScanPauseRun: %d parked goroutines x 1 frame of %d pointers, %d forced cycles, GOMAXPROCS=2%n%n",
                n, slots, cycles);
        System.out.printf(Locale.ROOT, "stack bytes scanned per cycle: %d; load average at start %s, at end %s%n%n", stackBytes, loadStart,
                BinaryTreesRun.loadAverage());
        System.out.println("| pause | count | total p50 us | total max us | stacks p50 us | stacks max us | work p50 us | work max us |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (StwPause.Kind k : StwPause.Kind.values()) {
            List<StwPause> ps = pauses.stream().filter(p -> p.kind() == k).toList();
            if (ps.isEmpty()) {
                continue;
            }
            long[] total = ps.stream().mapToLong(StwPause::totalNanos).sorted().toArray();
            long[] stacks = ps.stream().mapToLong(p -> p.stepNanos("stacks")).sorted().toArray();
            long[] work = ps.stream().mapToLong(p -> p.totalNanos() - p.stepNanos("stop")).sorted().toArray();
            System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |%n", k.label(), ps.size(),
                    total[total.length / 2] / 1e3, total[total.length - 1] / 1e3, stacks[stacks.length / 2] / 1e3,
                    stacks[stacks.length - 1] / 1e3, work[work.length / 2] / 1e3, work[work.length - 1] / 1e3);
        }
    }
}
