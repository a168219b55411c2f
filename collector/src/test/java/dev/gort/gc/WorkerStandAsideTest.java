package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A platform mark worker in the middle of a chunk of marking stands aside at a stop request
 * within one object, not at the end of its 64 KiB chunk: the rest of the chunk held a CPU that the
 * woken stopper or a mutator on its way to its safepoint needed (binary-trees' pauses ending
 * right after "stood aside: gort-gc-worker-0 at 1.0-2.6 ms", session 15, jitpause). The workers
 * mark a long list (one grey object at a time, so one chunk is 64 KiB of nodes scanned in turn);
 * the test stops and restarts the world while a worker is inside a chunk, and reads the scan
 * work that chunk credited once it stood aside: a whole chunk (at least the 64 KiB budget)
 * without the check, a part of one with it.
 */
class WorkerStandAsideTest extends ThreadWorldFixture {
    static final long CHUNK = 64 << 10;

    @Test
    void aWorkerMidChunkStandsAsideBeforeTheChunksEnd() throws Exception {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator m = world.register(2);
        Global list = gc.newGlobal();      // the list stays live across cycles after this thread leaves the world
        long head = 0;
        for (int i = 0; i < 600_000; i++) {           // 19 MB of 32-byte nodes: ~300 chunks to mark
            long p = gc.alloc(m, CollectorTest.NODE);
            Mem.storePtr(p, CollectorTest.A, head);
            head = p;
            list.set(head);
        }
        gc.gc();                                                      // no cycle left running: runTo starts the next
        world.unregister();                                           // this thread stops the world below

        // A starved machine can let the workers mark the whole list between two stops, so the
        // samples are gathered over as many cycles as they need (CI once met only 2 in one cycle).
        List<Long> chunks = new ArrayList<>();
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int cycle = 0; cycle < 10 && chunks.size() < 20 && System.nanoTime() < deadline; cycle++) {
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);     // the list's head is greyed, the workers not started
            long cycles = gc.cycles();
            gc.resume();
            sampleChunks(chunks, cycles, deadline);
        }
        list.close();
        assertTrue(chunks.size() >= 3, "too few stops met a worker inside a chunk: " + chunks);
        long cut = chunks.stream().filter(c -> c < CHUNK).count();
        assertTrue(cut * 2 > chunks.size(), "a worker asked to stand aside mid-chunk finished its chunk first (scan work per chunk: "
                + chunks + ")");
    }

    /** Stops the world while a worker marks, until the cycle that was running ends, and records each chunk's scan work. */
    private void sampleChunks(List<Long> chunks, long cycles, long deadline) {
        while (chunks.size() < 20 && System.nanoTime() < deadline) {
            if (gc.workersMarkingForTest() == 0) {
                if (gc.cycles() > cycles) {
                    return;
                }
                Thread.onSpinWait();
                continue;
            }
            long before = gc.pacer().heapScanWork.get();
            world.stopTheWorld("test");
            long after = before;
            long waitEnd = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < waitEnd && (gc.workersMarkingForTest() > 0 || (after = gc.pacer().heapScanWork.get()) == before)) {
                Thread.onSpinWait();      // the chunk ends (the worker stands aside), then credits its scan work
            }
            world.startTheWorld();
            if (after > before) {
                chunks.add(after - before);
            }
            if (gc.cycles() > cycles) {
                return;                   // the list is marked: the cycle ended
            }
        }
    }
}
