package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Over plain threads at GOMAXPROCS=2 with one mutator, the second P has no mutator: the fractional
 * platform worker marks there past its goal, which is Go's idle worker's marking (findRunnableGCWorker
 * gives an idle P an idle worker). That share counts as idle, as under the scheduler: gctrace's idle
 * figure and the pacer's idleMarkTime (endCycle's idle utilization) get it, the background figure and
 * GCCPUFraction do not, and background + idle is still all the worker's thread used. Until session 36
 * the whole stint was background and the idle figure 0 over threads.
 *
 * <p>No timing: the mutator waits in gc() while its P-less partner marks a 200,000-node list, so the
 * worker marks for most of its stint and its marking passes its goal of half the elapsed time; the loop
 * only waits for a cycle where it did (every cycle does, in practice), with a hang guard.
 */
class ThreadWorldIdleMarkTest extends ThreadWorldFixture {
    static final Type NODE = RaggedRoundAssistTest.NODE;
    static final long NEXT = RaggedRoundAssistTest.NEXT;

    @Test
    void theIdlePsMarkingPastTheFractionalGoalIsIdleNotBackground() {
        ForcedMode.assumeConcurrentMark("idle marking happens in the concurrent mark phase");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator main = world.register(4);
        long head = 0;
        for (int i = 0; i < 200_000; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NEXT, head);
            head = p;
            main.roots().set(0, head);
        }
        assertEquals(1, world.idleProcs(), "one of the 2 Ps has no mutator");
        List<Thread> workerThreads = new ArrayList<>();
        gc.markWorkers().addThreads(workerThreads);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, List<StwPause>> byCycle = new ConcurrentHashMap<>();
        gc.setPauseBreakdownListener(p -> byCycle.computeIfAbsent(p.cycle(), k -> new CopyOnWriteArrayList<>()).add(p));
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int round = 0; ; round++) {
            assertTrue(round < 50 && System.nanoTime() - deadline < 0,
                    "no cycle counted idle marking in " + round + " gc() calls (over threads the idle P's worker is all background)");
            long num0 = gc.gcStats().numGC();
            long threadsCpu0 = cpuOf(mx, workerThreads);
            long gcCpu0 = gc.stats.gcCpuNanos();
            gc.gc();
            long threadsCpu = cpuOf(mx, workerThreads) - threadsCpu0;
            GcStats.Snapshot s = gc.gcStats();
            if (s.numGC() != num0 + 1) {
                continue;               // another cycle beside ours: the deltas are not one cycle's
            }
            GcCycle c = s.lastCycle();
            Pacer pacer = gc.pacer;     // its per-cycle counters hold until the next cycle starts
            long idleMark = pacer.idleMarkTime.get();
            long fractionalMark = pacer.fractionalMarkTime.get();
            String figures = "gc " + c.num() + ": " + GcTrace.format(c) + "; worker threads' CPU " + threadsCpu
                    + " ns, pacer idle " + idleMark + " ns fractional " + fractionalMark + " ns dedicated "
                    + pacer.dedicatedMarkTime.get() + " ns, mark wall " + c.markWall() + " ns";
            // Background + idle is what the worker threads used in the cycle (no share counted twice or
            // lost); their waits outside a mark phase are microseconds of it.
            assertTrue(c.backgroundCpu() + c.idleCpu() <= threadsCpu, "counted more than the workers used: " + figures);
            assertTrue(c.backgroundCpu() + c.idleCpu() >= threadsCpu - threadsCpu / 10, "lost some of the workers' CPU: " + figures);
            assertEquals(0, pacer.dedicatedMarkTime.get(), "at 2 P Go has no dedicated worker (0.5 P rounds to a fractional one): " + figures);
            // The fractional share is at most its goal (0.25 of each of the 2 Ps) over the mark phase.
            double goal = pacer.fractionalUtilizationGoal() * c.procs();
            assertEquals(0.5, goal, 1e-12, figures);
            assertTrue(fractionalMark <= goal * c.markWall(), "fractional past its goal on an idle P: " + figures);
            // GCCPUFraction's CPU: the pauses, the assists, the background; idle marking left out.
            long pauseCpu = 0;
            for (StwPause p : byCycle.getOrDefault(c.num(), List.of())) {
                pauseCpu += (p.totalNanos() - p.stepNanos("stop") - p.stepNanos("start")) * c.procs();
            }
            assertEquals(pauseCpu + c.assistCpu() + c.backgroundCpu(), gc.stats.gcCpuNanos() - gcCpu0,
                    "GCCPUFraction's CPU of " + figures);
            if (idleMark > 0 && c.idleCpu() >= 10_000) {       // gctrace prints 0 below 1 us
                assertTrue(GcTrace.format(c).matches(".* ms clock, [0-9.]+\\+[0-9.]+/[0-9.]+/[0-9.]*[1-9][0-9.]*\\+[0-9.]+ ms cpu, .*"),
                        "gctrace's idle figure is not 0: " + figures);
                System.out.println("ThreadWorldIdleMarkTest, after " + (round + 1) + " gc() calls: " + figures);
                break;
            }
        }
        world.unregister();
    }

    private static long cpuOf(ThreadMXBean mx, List<Thread> threads) {
        long sum = 0;
        for (Thread t : threads) {
            long ns = mx.getThreadCpuTime(t.threadId());
            assertTrue(ns >= 0, "thread CPU time of " + t.getName() + " unavailable");
            sum += ns;
        }
        return sum;
    }
}
