package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The coordinator's top-ups after the first cycles ({@link Coordinator#TOP_UP_ROUNDS} rounds of
 * the pause path's small methods each) make next to no Java garbage. Each round used to build a
 * StwPause with its steps and two JFR events, ~480 B a round, 30 MiB over binary-trees 21's first
 * 4 s, and the host JVM collected its own heap 5-6 times for it inside the timed run: safepoints
 * that stop the mutator too (session 23, rss23). The coordinator reads its own allocated bytes
 * around each top-up through a test probe (a ThreadMXBean's, so the runtime itself loads no
 * management classes); after a few cycles, each followed by its top-up, the bytes per round must
 * stay far below what one built record costs.
 */
class TopUpAllocationTest extends ThreadWorldFixture {

    /**
     * Bytes a top-up round may allocate on average: the pause timer's one record in
     * {@link PauseTimer#WARMUP_BUILD_EVERY} rounds (~22 B a round), a chunk's timer, a first call's
     * class initialisation, with room for noise; far below one record every round (a StwPause with
     * three steps and its two lists, ~250 B; with the two events ~480 B).
     */
    static final long MAX_BYTES_PER_ROUND = 64;
    /**
     * What the JVM-wide bounded warm-ups may make in all, whichever collector runs them: the JFR
     * event pairs ({@link PauseReporter#EVENT_WARMUP_CALLS}, ~176 B a pair) and the list walks'
     * iterators ({@link Coordinator#LIST_READ_WARMUP_ROUNDS}, ~32 B a walk), with room.
     */
    static final long BOUNDED_WARMUPS_BYTES = PauseReporter.EVENT_WARMUP_CALLS * 200L + Coordinator.LIST_READ_WARMUP_ROUNDS * 40L;
    /** Top-ups measured: enough rounds that one record every round (or unbounded events) would pass the bound. */
    static final int CYCLES = 8;

    @Test
    void theTopUpsAllocateAlmostNoJavaMemoryPerRound() throws Exception {
        Assumptions.assumeTrue(PausePathRehearsal.ROUNDS > 0, "the warm-ups are off (-Dgort.gc.pausewarmup=0): no top-ups to measure");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count a thread's allocated bytes");
        mx.getCurrentThreadAllocatedBytes();        // its first call's own initialisation, here on the test thread
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
        Coordinator.topUpAllocationProbeForNewCollectors = mx::getCurrentThreadAllocatedBytes;
        try {
            gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        } finally {
            Coordinator.topUpAllocationProbeForNewCollectors = null;     // read once, at construction
        }
        world = gc.threadWorld();
        Coordinator co = gc.coordinator;
        // A cycle requested while a top-up runs ends it early (it gives way), so each cycle is
        // requested only once the previous top-up's rounds are all done or a bound passed.
        for (int i = 0; i < CYCLES; i++) {
            int roundsBefore = co.topUpRoundsRun;
            gc.gc();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (co.topUpRoundsRun < roundsBefore + Coordinator.TOP_UP_ROUNDS && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
        int rounds = co.topUpRoundsRun;
        long bytes = co.topUpAllocatedBytes;
        System.out.println("top-ups: " + rounds + " rounds, " + bytes + " B of Java memory (" + bytes / Math.max(1, rounds) + " B a round)");
        assertTrue(rounds >= Coordinator.TOP_UP_ROUNDS, "no whole top-up ran after " + CYCLES + " cycles: " + rounds + " rounds");
        long bound = MAX_BYTES_PER_ROUND * rounds + BOUNDED_WARMUPS_BYTES;
        assertTrue(bytes <= bound, "the top-ups allocated " + bytes + " B of Java memory over " + rounds + " rounds ("
                + bytes / rounds + " B a round); at most " + bound + " B allowed (" + MAX_BYTES_PER_ROUND
                + " B a round and " + BOUNDED_WARMUPS_BYTES + " B for the bounded event and list warm-ups)");
    }
}
