package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pauses' CPU in GCCPUFraction is Go's cpuStats.GCPauseTime: every pause of the cycle,
 * mark-completion pauses included, at its wall time with the world stopped (from the end of the
 * stop to just before the restart: accumulateGCPauseTime(nanotime() - stw.finishedStopping,
 * work.maxprocs)) x GOMAXPROCS. Until session 33 a mark-completion pause (a stop that found late
 * work and restarted marking) was in no CPU figure, and the two termination pauses counted at
 * their gctrace figures (the stop included, GOMAXPROCS capped at the CPUs).
 *
 * <p>No timing: a mark-completion pause is made by the stop-wait hook, which, in the stop that
 * would end the mark phase, gives the orphan gcWork a grey object (a live, marked one) before the
 * world stops: the stopped flush finds it, and the world restarts to mark it. The relations are
 * exact equalities over what the pause listener reported.
 */
class PauseCpuTest extends ThreadWorldFixture {
    static final Type NODE = RaggedRoundAssistTest.NODE;
    static final long NEXT = RaggedRoundAssistTest.NEXT;
    private final long defaultDefer = Coordinator.markDoneRequestDeferForNewCollectors;

    @AfterEach
    void restore() {
        if (world != null) {
            world.stopWaitHookForTest = null;
        }
        Coordinator.markDoneRequestDeferForNewCollectors = defaultDefer;
    }

    @Test
    void everyPauseOfTheCycleCountsInGcCpuAtItsStoppedWallTimesGomaxprocs() {
        ForcedMode.assumeConcurrentMark("a mark-completion pause restarts a concurrent mark");
        Coordinator.markDoneRequestDeferForNewCollectors = 0;     // the coordinator makes its own request, so its hook runs
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator main = world.register(4);
        long head = 0;
        for (int i = 0; i < 5_000; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NEXT, head);
            head = p;
            main.roots().set(0, head);
        }
        long grey = head;
        gc.gc();
        Map<Long, List<StwPause>> byCycle = new ConcurrentHashMap<>();
        gc.setPauseBreakdownListener(p -> byCycle.computeIfAbsent(p.cycle(), k -> new CopyOnWriteArrayList<>()).add(p));
        AtomicBoolean armed = new AtomicBoolean(true);
        world.stopWaitHookForTest = () -> {
            if (gc.phase == Collector.MARK && armed.getAndSet(false)) {
                synchronized (gc.orphanLock) {
                    gc.orphanWork.put(grey);      // late work the stopped flush finds
                }
            }
        };
        long cpu0 = gc.stats.gcCpuNanos();
        long pauseCpu0 = gc.stats.gcPauseCpuNanos();
        gc.gc();
        world.stopWaitHookForTest = null;
        GcStats.Snapshot s = gc.gcStats();
        GcCycle c = s.lastCycle();
        List<StwPause> pauses = byCycle.get(c.num());
        assertFalse(armed.get(), "the hook gave the late work");
        assertTrue(pauses.stream().anyMatch(p -> p.kind() == StwPause.Kind.MARK_COMPLETION),
                "gc " + c.num() + " had a mark-completion pause: " + pauses);
        long stopped = 0;
        for (StwPause p : pauses) {
            stopped += p.totalNanos() - p.stepNanos("stop") - p.stepNanos("start");
        }
        long pauseCpu = stopped * c.procs();
        assertEquals(pauseCpu + c.assistCpu() + c.backgroundCpu(), gc.stats.gcCpuNanos() - cpu0,
                "gc " + c.num() + "'s GC CPU in GCCPUFraction: every pause (" + pauses.size() + ", mark completion's included)"
                        + " at its stopped wall x GOMAXPROCS, the assists and the workers, idle left out");
        assertEquals(pauseCpu, gc.stats.gcPauseCpuNanos() - pauseCpu0,
                "gc " + c.num() + "'s pause CPU: its pauses' stopped wall x " + c.procs() + " P " + pauses);
        world.unregister();
    }
}
