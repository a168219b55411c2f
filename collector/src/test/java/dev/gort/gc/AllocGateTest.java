package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.ForcedGcModes;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The allocation fast path's two shortcuts of session 20: the collector's state read once
 * ({@link Collector#allocGate}, derived from phase, startPending and gcstress), and the span table
 * the mutator holds ({@link Mutator#spanTable}, the mcache's table for its whole life).
 */
class AllocGateTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").build();
    /** The typed fast path runs: not under a forced gcpoison (clobberFree turns it off). */
    static final boolean FAST = !ForcedGcModes.get().poison(false);

    Mutator m;

    void start(GcOptions options) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, options, 2);
        world = gc.threadWorld();
        m = world.register(8);
    }

    /** The gate as the fields say it must be. */
    static int expectedGate(Collector c, boolean stress) {
        return (c.phase == Collector.MARK ? Collector.GATE_MARKING : 0) | (c.startPending ? Collector.GATE_PENDING : 0)
                | (stress ? Collector.GATE_STRESS : 0);
    }

    @Test
    void theGateFollowsTheCycleAndTheClose() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        boolean stress = (gc.allocGate() & Collector.GATE_STRESS) != 0;
        assertEquals(expectedGate(gc, stress), gc.allocGate(), "idle");
        assertEquals(0, gc.allocGate() & (Collector.GATE_MARKING | Collector.GATE_PENDING), "idle: neither marking nor a start owed");
        gc.alloc(m, NODE);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        assertEquals(Collector.MARK, gc.phase);
        assertEquals(expectedGate(gc, stress), gc.allocGate(), "held after mark start");
        assertNotEquals(0, gc.allocGate() & Collector.GATE_MARKING, "marking");
        gc.setBreakpoint(Collector.Breakpoint.NONE);
        gc.resume();
        gc.gc();        // waits for a whole cycle, so the held one has ended
        assertEquals(Collector.OFF, gc.phase);
        assertEquals(expectedGate(gc, stress), gc.allocGate(), "after the cycle");
        world.unregister();
        gc.close();
        assertTrue(gc.startPending, "close sets startPending for good");
        assertNotEquals(0, gc.allocGate() & Collector.GATE_PENDING, "and the gate with it: no fast-path allocation after close");
    }

    /**
     * Racing writers of phase and startPending leave the gate equal to the fields (the refresh's
     * CAS loop): each round two threads, released together by a spin on a volatile round number
     * (a barrier's park and unpark would stagger them by microseconds), each write a random value
     * a few times, then the gate is compared with what the fields say. On a collector whose
     * coordinator idles (GOGC off, nothing requested) and whose only mutator does not allocate
     * meanwhile; the fields are put back before the close. It caught the first version's ABA (a
     * refresh computed before the other thread's write landing after that thread's two refreshes
     * had put the gate back to the value it had read: 1 round in 20,000), and a refresh with no
     * CAS at all (128 rounds in one run; none in another on this loaded 2-core machine).
     */
    @Test
    void racingWritersLeaveTheGateEqualToTheFields() throws Exception {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        boolean stress = (gc.allocGate() & Collector.GATE_STRESS) != 0;
        int rounds = 20_000;
        java.util.concurrent.atomic.AtomicInteger go = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        Thread phaseWriter = new Thread(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int i = 1; i <= rounds; i++) {
                awaitAtLeast(go, i);
                for (int k = 0; k < 4; k++) {
                    gc.setPhase(r.nextBoolean() ? Collector.MARK : Collector.OFF);
                }
                done.incrementAndGet();
            }
        }, "phase-writer");
        phaseWriter.start();
        int mismatches = 0;
        String first = null;
        try {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int i = 1; i <= rounds; i++) {
                go.set(i);
                for (int k = 0; k < 4; k++) {
                    gc.setStartPending(r.nextBoolean());
                }
                awaitAtLeast(done, i);
                if (expectedGate(gc, stress) != gc.allocGate()) {
                    mismatches++;
                    if (first == null) {
                        first = "round " + i + ": phase " + gc.phase + ", startPending " + gc.startPending
                                + ", gate " + gc.allocGate();
                    }
                }
            }
        } finally {
            go.set(Integer.MAX_VALUE);
            phaseWriter.join();
            gc.setPhase(Collector.OFF);
            gc.setStartPending(false);
        }
        assertEquals(0, mismatches, "rounds whose gate differs from the fields (first: " + first + ")");
        assertEquals(expectedGate(gc, stress), gc.allocGate());
    }

    /** Spins until {@code v} reaches {@code n}, yielding the CPU now and then (the other thread may be descheduled on a loaded machine). */
    private static void awaitAtLeast(java.util.concurrent.atomic.AtomicInteger v, int n) {
        for (int spins = 0; v.get() < n; spins++) {
            if ((spins & 255) == 255) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * The mutator holds its mcache's span table: the same array across mark termination's
     * set-aside (whose entries empty there, so the fast path declines instead of serving a span
     * the sweeper now owns) and the refill after it (which the held table names); a copy of the
     * table is refused.
     */
    @Test
    void aHeldSpanTableFollowsTheSetAsideAndTheRefill() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        MCache mc = m.mcache();
        long[] table = m.spanTable;
        assertSame(mc.spanTable(), table, "the mutator holds the cache's own table");
        int spc = NODE.fastSpanClass;
        long empty = table[spc];
        long first = gc.alloc(m, NODE);
        long cached = table[spc];
        assertNotEquals(empty, cached, "the refill cached a span, named by the held table");
        if (FAST) {
            long next = mc.allocFast(table, spc);
            assertEquals(first + NODE.size(), next, "the fast path serves the next slot through the held table");
            assertEquals(0, mc.allocFast(table.clone(), spc), "a copy of the table is refused");
        }
        m.roots().set(0, first);
        gc.gc();            // mark termination sets the cached spans aside
        assertSame(table, mc.spanTable(), "the table keeps its identity across the set-aside");
        assertSame(table, m.spanTable);
        for (int s = 0; s < table.length; s++) {
            assertEquals(empty, table[s], "span class " + s + " set aside: its entry is empty");
        }
        assertEquals(0, mc.allocFast(table, spc), "nothing cached: the fast path declines");
        long p = gc.alloc(m, NODE);      // refills
        assertNotEquals(empty, table[spc], "the refill after the cycle is named by the held table");
        if (FAST) {
            assertEquals(p + NODE.size(), gc.alloc(m, NODE), "and served from by the fast path");
        }
        assertEquals(first, m.roots().get(0));
        heap.verifyHeap();
    }
}
