package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A thread mutator whose allocation owes scan work while a ragged round it has answered is still
 * open (another mutator owes the round its safepoint) does the work: its assist drains. Until
 * session 32 ThreadWorld asked every mutator to yield for the whole round, so the assist broke off
 * before its first drain and the allocation went ahead in debt with no scan work done; while the
 * round stayed open (at load 25-30 its caller waited hundreds of ms for a CPU) the mutator
 * allocated on unpaced: HeapBoundsTest's memory-limit case ran a cycle to 46.4 MiB against a
 * 38.8 MiB goal with 0 ms of assist CPU (branch assist32, docs/performance.md).
 *
 * <p>No timing: the coordinator is held at BEFORE_MARK_TERMINATION (the workers idle, no work left),
 * the background credit is emptied, the mutator's own gcWork is given grey objects (already
 * marked ones of its live list: rescanning them greys nothing new), and the round is held open by
 * a registered thread that waits on a latch without a safepoint.
 */
class RaggedRoundAssistTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long NEXT = NODE.offset("next");
    static final long TIMEOUT_MS = 60_000;
    /**
     * Fewer grey nodes than main's gcWork holds in its two buffers (held + wbuf1 + wbuf2): none is
     * published to the global full list, where a mark worker could take and scan it and earn
     * background credit the assist would then steal instead of draining (CI under gcpoison, session
     * 33: with 1000 nodes, two full buffers published, the assist did 32 bytes of work, credit left
     * 146).
     */
    static final int GREY = WorkbufLayout.CAPACITY + WorkbufLayout.CAPACITY / 2;

    @Test
    void anAssistDrainsWhileARoundItAnsweredWaitsForAnotherMutator() throws Exception {
        ForcedMode.assumeConcurrentMark("stops at the BEFORE_MARK_TERMINATION breakpoint");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        Mutator main = world.register(4);
        long head = 0;
        long[] nodes = new long[GREY];
        for (int i = 0; i < 20_000; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NEXT, head);
            head = p;
            main.roots().set(0, head);
            if (i < GREY) {
                nodes[i] = p;
            }
        }
        gc.gc();
        gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
        gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, TIMEOUT_MS);
        assertTrue(gc.marking(), "held in the mark phase");

        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch releaseOwing = new CountDownLatch(1);
        Thread owing = Thread.ofPlatform().name("owing").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                releaseOwing.await();             // RUNNING, no safepoint: the round stays open
                world.poll();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                world.unregister();
            }
        });
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        AtomicBoolean mainAnswered = new AtomicBoolean();
        Thread round = Thread.ofPlatform().name("round").start(() -> world.forEachMutatorAtSafepoint(m -> {
            if (m == main) {
                mainAnswered.set(true);
            }
        }));
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
        while (!mainAnswered.get()) {             // main answers the round at its own safepoint
            assertTrue(System.nanoTime() < deadline, "the round never reached main");
            world.poll();
            Thread.onSpinWait();
        }
        try {
            assertTrue(round.isAlive(), "the round is still open, waiting for the owing mutator");
            Pacer p = gc.pacer();
            p.bgScanCredit.set(0);                // no credit to steal: the debt is paid by draining or not at all
            for (long n : nodes) {
                main.gcw.put(n);
            }
            long work0 = p.heapScanWork.get();
            main.assistBytes = 0;
            gc.alloc(NODE);                       // owes one node's worth: an assist of 64 KiB of scan work

            long assistWork = p.heapScanWork.get() - work0;
            assertTrue(assistWork >= GREY * NODE.size(), "the assist scanned the " + GREY + " grey nodes ("
                    + GREY * NODE.size() + " bytes of scan work) while the round it had answered waited for another "
                    + "mutator; it did " + assistWork + " (credit left " + main.assistBytes + ")");
            assertTrue(main.gcw.empty(), "the assist's gcWork was drained");
        } finally {
            releaseOwing.countDown();
            round.join(60_000);
            owing.join(60_000);
        }
        assertFalse(round.isAlive(), "the round ended once the owing mutator reached its safepoint");
        gc.setBreakpoint(Collector.Breakpoint.NONE);
        gc.resume();
        gc.awaitIdle(TIMEOUT_MS);
    }
}
