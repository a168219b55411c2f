package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MemStats;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A thread outside the world reading the heap's figures (sysmon's scavenger reads the retained
 * heap at every cycle's end, a sampler or a user thread at any time) is not stopped by a
 * stop-the-world, and may be switched out anywhere in its read. Both pauses take the heap's caches
 * lock (setAllocBlack at sweep termination and mark termination, the caches' detach in mark
 * termination's sweepgen step); until session 32 the read summed the caches under that lock, so
 * the stopped world waited for the reader's thread to get a CPU back. Held here deterministically
 * inside its sum ({@link Heap#setStatsReadHookForTest}): a whole cycle must complete while it is
 * held.
 */
@Timeout(180)
class StatsReaderOutsideTheWorldTest extends ThreadWorldFixture {
    private PollingMutator mutator;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void releaseAndStop() throws InterruptedException {
        release.countDown();
        Heap.setStatsReadHookForTest(null);
        if (mutator != null) {
            mutator.stopAndCheck();
        }
    }

    @Test
    void aCycleCompletesWhileAStatsReaderOutsideTheWorldIsHeldInsideItsRead() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        mutator = PollingMutator.start(world);
        gc.gc();
        MemStats before = heap.readMemStats();

        CountDownLatch held = new CountDownLatch(1);
        Thread[] readerThread = new Thread[1];
        Heap.setStatsReadHookForTest(() -> {
            if (Thread.currentThread() == readerThread[0] && held.getCount() > 0) {
                held.countDown();
                try {
                    release.await(150, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        AtomicReference<MemStats> read = new AtomicReference<>();
        AtomicReference<Throwable> readerFailure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().name("stats-reader").unstarted(() -> {
            try {
                read.set(heap.readMemStats());
            } catch (Throwable t) {
                readerFailure.set(t);
            }
        });
        readerThread[0] = reader;
        reader.start();
        assertTrue(held.await(60, TimeUnit.SECONDS), "the reader reached its hold");

        CountDownLatch cycled = new CountDownLatch(1);
        AtomicReference<Throwable> cycleFailure = new AtomicReference<>();
        long cyclesBefore = gc.cycles();
        Thread cycle = Thread.ofPlatform().name("gc-caller").start(() -> {
            try {
                gc.gc();
            } catch (Throwable t) {
                cycleFailure.set(t);
            } finally {
                cycled.countDown();
            }
        });
        boolean completed = cycled.await(60, TimeUnit.SECONDS);
        String where = completed ? "" : " (" + blockedThreads() + ")";
        assertTrue(completed, "a GC cycle completes while a stats reader outside the world is held in its read" + where);
        assertNull(cycleFailure.get(), () -> "the cycle failed: " + cycleFailure.get());
        assertTrue(gc.cycles() > cyclesBefore, "a cycle ran");
        assertTrue(reader.isAlive(), "the reader was still held when the cycle ended");
        mutator.assertRuns("after the cycle");

        release.countDown();
        reader.join(60_000);
        assertFalse(reader.isAlive(), "the reader finished once released");
        assertNull(readerFailure.get(), () -> "the read failed: " + readerFailure.get());
        assertNotNull(read.get());
        assertTrue(read.get().mallocs() >= before.mallocs(), "the held read's mallocs " + read.get().mallocs()
                + " are no fewer than an earlier read's " + before.mallocs());
        cycle.join(60_000);
    }

    /** The threads blocked on a monitor (the stopped world's step waiting for the caches lock), with their stacks. */
    private static String blockedThreads() {
        StringBuilder b = new StringBuilder();
        for (var e : Thread.getAllStackTraces().entrySet()) {
            if (e.getKey().getState() == Thread.State.BLOCKED) {
                b.append(e.getKey().getName()).append(" BLOCKED ").append(Arrays.toString(e.getValue())).append("; ");
            }
        }
        return b.length() == 0 ? "no thread blocked on a monitor" : b.toString();
    }
}
