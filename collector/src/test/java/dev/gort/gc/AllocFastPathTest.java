package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The allocation fast path ({@link Collector#alloc}) and its accounting while marking: allocation
 * credit in bytes (Go's gcAssistBytes), the over-assist that turns one steal from the background
 * credit into credit for the next allocations, allocate-black and the marked-bytes count. Each
 * test stops the coordinator right after mark start, so no worker runs and the test alone moves
 * the pacer's background credit.
 */
class AllocFastPathTest {
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").longField("id").longField("pad").build();
    static final long LEFT = NODE.offset("left"), ID = NODE.offset("id");

    Heap heap;
    Collector gc;
    ThreadWorld world;
    Mutator m;

    void start() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        m = world.register(8);
    }

    @AfterEach
    void stop() {
        if (gc != null) {
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            world.unregister();
            gc.close();
            heap.close();
        }
    }

    /** A rooted list of {@code n} nodes: scan work the next cycle expects, so the assist ratio is > 0. */
    long liveList(int n) {
        long head = 0;
        for (int i = 0; i < n; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, LEFT, head);
            Mem.putLong(p, ID, i);
            head = p;
            m.roots().set(0, head);
        }
        return head;
    }

    @Test
    void oneStealOfBackgroundCreditPaysForTheNextAllocationsExactly() {
        start();
        liveList(20_000);
        gc.gc();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 10_000);
        assertEquals(0, m.assistBytes, "credit starts at zero each cycle");
        long bank = 100L << 20;
        gc.pacer().bgScanCredit.set(bank);
        double bytesPerWork = gc.pacer().assistBytesPerWork();
        double workPerByte = gc.pacer().assistWorkPerByte();
        assertTrue(workPerByte > 0 && workPerByte * NODE.size() < Collector.OVER_ASSIST_WORK,
                "one node's debt is below the over-assist amount: " + workPerByte);

        gc.alloc(NODE);
        long credit = (long) (bytesPerWork * Collector.OVER_ASSIST_WORK) - NODE.size();
        assertEquals(bank - Collector.OVER_ASSIST_WORK, gc.pacer().bgScanCredit.get(),
                "the first allocation steals the over-assist amount of background credit, not its own debt");
        assertEquals(credit, m.assistBytes, "and gets it as allocation credit at the pacer's ratio");

        long n = Math.min(1000, credit / NODE.size());
        assertTrue(n > 10, "the credit covers several allocations: " + credit + " bytes");
        for (long i = 0; i < n; i++) {
            gc.alloc(NODE);
        }
        assertEquals(bank - Collector.OVER_ASSIST_WORK, gc.pacer().bgScanCredit.get(),
                "allocations within the credit do not touch the background credit");
        assertEquals(credit - n * NODE.size(), m.assistBytes, "each pays exactly its size");
    }

    @Test
    void withoutBackgroundCreditTheAssistScansAndBanksItsSurplus() {
        start();
        long holder = gc.alloc(NODE);
        m.roots().set(1, holder);
        long head = liveList(20_000);
        gc.gc();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 10_000);
        // The stack roots (the head, already marked) went to the held coordinator's gcWork: give
        // the assist grey work of its own through the barrier (the store shades the head's
        // successor, still white, onto this mutator's gcWork).
        Mem.storePtr(holder, LEFT, Mem.loadPtr(head, LEFT));
        gc.pacer().bgScanCredit.set(0);
        long scanned0 = gc.pacer().heapScanWork.get();
        gc.alloc(NODE);
        long scanned = gc.pacer().heapScanWork.get() - scanned0;
        assertTrue(scanned >= Collector.OVER_ASSIST_WORK, "the assist scanned the over-assist amount (the list "
                + "is 640 KB of grey work): " + scanned);
        assertTrue(m.assistBytes > 0, "its surplus became credit: " + m.assistBytes);
        assertEquals(0, gc.pacer().bgScanCredit.get(), "nothing was stolen");
    }

    @Test
    void anAllocationDuringMarkIsBlackAndCountedAsMarked() {
        start();
        liveList(1_000);
        gc.gc();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 10_000);
        gc.pacer().bgScanCredit.set(1L << 40);      // assists steal: the fast path after the first allocation
        int n = 5_000;
        long[] garbage = new long[n];
        for (int i = 0; i < n; i++) {
            garbage[i] = gc.alloc(NODE);              // unreachable, but allocated black
            assertTrue(heap.gc().isMarked(garbage[i]), "allocation " + i + " is black");
        }
        gc.resume();
        gc.awaitIdle(10_000);
        gc.sweepAll();
        assertEquals((1_000 + n) * NODE.size(), gc.pacer().heapMarked(),
                "heapMarked = the live list + every object allocated during mark, counted once");
        for (long p : garbage) {
            assertNotEquals(0, heap.gc().findObject(p), "black garbage survives the cycle it was allocated in");
        }
        gc.gc();
        for (long p : garbage) {
            assertEquals(0, heap.gc().findObject(p), "and is freed by the next");
        }
    }

    @Test
    void outsideMarkTheCreditIsLeftAlone() {
        start();
        liveList(100);
        for (int i = 0; i < 1000; i++) {
            gc.alloc(NODE);
        }
        assertEquals(0, m.assistBytes);
    }
}
