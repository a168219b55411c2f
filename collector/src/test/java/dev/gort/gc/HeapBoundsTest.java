package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MemStats;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pacer's promises measured on the real heap with a mutator thread allocating at full speed
 * (issue 5): with GOGC=100 and a steady live heap L the peak heap stays within 2.2 L; GOMEMLIMIT
 * keeps the peak near the limit under a workload whose GOGC goal would exceed it.
 *
 * <p>The peak is MemStats' HeapAlloc (bytes in allocated objects, swept or not: what a cycle must
 * bring down) sampled every 4096 allocations. Set {@code -Dgort.test.gctrace=true} to see the cycles.
 * A failure's message names the assist queue's counts, and with {@code -Dgort.gc.markmutstats=true}
 * what the mutator's assists did (stole, drained, waited): 0 ms of assist CPU alone does not tell
 * assists that waited or stole credit from allocations that were never paced (branch assist32).
 */
class HeapBoundsTest {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");
    static final long NODE_BYTES = 32;

    Heap heap;
    Collector gc;
    ThreadWorld world;
    Mutator m;

    void start(GcOptions opts) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(4L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, opts.withDebug(Boolean.getBoolean("gort.test.gctrace"), false, false, 0, 0), 2);
        world = gc.threadWorld();
        m = world.register(4);
    }

    @AfterEach
    void stop() {
        if (gc != null) {
            world.unregister();
            gc.close();
            heap.close();
        }
    }

    /** A list of {@code bytes / 32} nodes rooted in slot 0: the steady live heap. */
    void buildLive(long bytes) {
        long head = 0;
        for (long i = 0; i < bytes / NODE_BYTES; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NEXT, head);
            head = p;
            m.roots().set(0, head);
        }
    }

    /** Allocates {@code bytes} of garbage; returns the peak HeapAlloc seen meanwhile. */
    long churn(long bytes) {
        long peak = 0;
        for (long i = 0; i < bytes / NODE_BYTES; i++) {
            gc.alloc(NODE);
            if ((i & 4095) == 0) {
                long heapAlloc = heap.readMemStats().heapAlloc();
                if (heapAlloc > peak) {
                    peak = heapAlloc;
                    if (heapAlloc > peakSeen) {
                        peakSeen = heapAlloc;
                        peakAt = String.format("peak %.1f MiB at: %s, pacer goal %.1f MiB, heapLive %.1f MiB, after gc %d",
                                mib(heapAlloc), gc.marking() ? "marking" : "not marking", mib(gc.pacer().heapGoal()),
                                mib(heap.gc().heapLive()), gc.cycles());
                    }
                }
                noteCycle();
            }
        }
        noteCycle();
        return peak;
    }

    // Diagnostics for a failure (it happened once at load 15 and did not reproduce): the cycles as
    // gctrace shows them and where the peak was, so the message tells a late trigger (heap0 near
    // the goal), a cycle running past its goal (heap1 over it) or garbage not yet swept (HeapAlloc
    // well over heapLive) apart.
    long peakSeen;
    String peakAt = "";
    long lastNoted;
    final StringBuilder cycles = new StringBuilder();

    void noteCycle() {
        GcCycle c = gc.gcStats().lastCycle();
        if (c != null && c.num() != lastNoted) {
            lastNoted = c.num();
            cycles.append(String.format("%n  gc %d: %.1f->%.1f->%.1f MiB, goal %.1f MiB, mark %d ms, assist/bg/idle cpu %d/%d/%d ms",
                    c.num(), mib(c.heap0()), mib(c.heap1()), mib(c.heap2()), mib(c.goal()), c.markWall() / 1_000_000,
                    c.assistCpu() / 1_000_000, c.backgroundCpu() / 1_000_000, c.idleCpu() / 1_000_000));
        }
    }

    static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    String diagnosis() {
        return "; " + peakAt + "; load " + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()
                + "; " + gc.assistWaitStats() + "; " + gc.markMutatorStats(m)
                + "; cycles seen (heap0->heap1->marked):" + cycles;
    }

    /**
     * L here is what the collector marks each cycle (Go's heapMarked): the reachable list plus the
     * objects allocated black while marking, which float until the next cycle. Against the list
     * alone the ratio depends on how long marking takes against the allocation rate (2.6 to 3.8 on
     * a shared 2-core machine at load 15): printed, not asserted.
     */
    @Test
    void gogc100SteadyLiveHeapPeaksWithin2point2TimesLive() {
        start(GcOptions.DEFAULT);
        long reachable = 16L << 20;
        buildLive(reachable);
        gc.gc();                                  // the goal now comes from a marked live heap
        long cycles0 = gc.cycles();
        long peak = 0;
        long maxMarked = gc.gcStats().lastCycle().heap2();
        for (int round = 0; round < 16; round++) {
            peak = Math.max(peak, churn(reachable / 2));
            maxMarked = Math.max(maxMarked, gc.gcStats().lastCycle().heap2());
        }
        long cycles = gc.cycles() - cycles0;
        assertTrue(cycles >= 3, "8 L of garbage at GOGC=100 takes several cycles, got " + cycles);
        double ratio = (double) peak / maxMarked;
        String figures = String.format("peak heap %d MiB = %.2f x marked live (%d MiB) = %.2f x reachable (%d MiB), %d cycles",
                peak >> 20, ratio, maxMarked >> 20, (double) peak / reachable, reachable >> 20, cycles);
        System.out.println("HeapBoundsTest GOGC=100: " + figures + diagnosis());
        assertTrue(ratio <= 2.2, figures + ": over GOGC=100's goal of 2 x marked + 10%" + diagnosis());
        assertTrue(peak > 1.2 * reachable, "the heap grew towards its goal (a collector running nonstop is not the pacer): " + figures);
        // Go's cycle count: a cycle triggers no earlier than 45/64 of the way from the marked heap
        // to its goal (2 x marked, marked >= the reachable list), so between two cycle starts at
        // least 45/64 L is allocated: 8 L of garbage make at most 8 / (45/64) ~ 11.4 cycles, plus the
        // one running at each end. More means cycles start early (a low trigger, a stale estimate),
        // each re-marking the whole live heap as binary-trees' long-lived tree is.
        double maxCycles = 8.0 * Pacer.TRIGGER_RATIO_DEN / Pacer.MIN_TRIGGER_RATIO_NUM + 2;
        assertTrue(cycles <= maxCycles, figures + ": more cycles than Go's lowest trigger allows (" + String.format("%.1f", maxCycles) + ")" + diagnosis());
        gc.gc();
        gc.gc();                                  // the last black allocations are garbage now
        assertEquals(reachable, gc.gcStats().lastCycle().heap2(), "the live list survived every cycle, exactly");
    }

    @Test
    void memoryLimitKeepsThePeakNearTheLimitWhereGogcAloneWouldExceedIt() {
        long live = 24L << 20;
        long limit = 40L << 20;                    // GOGC=100 alone: goal 2 L = 48 MiB > limit
        start(GcOptions.DEFAULT.withMemoryLimit(limit));
        buildLive(live);
        gc.gc();
        assertTrue(gc.pacer().heapGoal() < limit, "the limit caps the goal: " + gc.pacer().heapGoal());
        long cycles0 = gc.cycles();
        long peak = churn(6 * live);
        long limitedCycles = gc.cycles() - cycles0;
        MemStats ms = heap.readMemStats();
        // Near the limit: the heap is allowed to grow up to it (not collected at L), and not past
        // it by more than 10%: the limit is soft (allocation runs on past the goal until mark
        // termination, and marking is slow on a loaded 2-core machine); 5% failed 1 run in 4.
        System.out.println("HeapBoundsTest GOMEMLIMIT=" + (limit >> 20) + "MiB: peak heap " + (peak >> 20) + " MiB, live "
                + (live >> 20) + " MiB, " + limitedCycles + " cycles" + diagnosis());
        assertTrue(peak <= limit * 110 / 100, "peak heap " + (peak >> 20) + " MiB with GOMEMLIMIT " + (limit >> 20)
                + " MiB; " + ms + diagnosis());
        assertTrue(peak > live + (limit - live) / 2, "the heap used the room under the limit: peak " + (peak >> 20) + " MiB");

        // Control: the same workload without the limit goes past it.
        gc.setMemoryLimit(Pacer.INFINITE);
        gc.gc();
        long peakUnlimited = churn(6 * live);
        assertTrue(peakUnlimited > limit, "without the limit the workload exceeds " + (limit >> 20) + " MiB: peak "
                + (peakUnlimited >> 20) + " MiB");
        assertTrue(limitedCycles >= 3, "cycles under the limit: " + limitedCycles);
    }
}
