package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Collector#alloc(Mutator, Type)}: a registered thread allocating through the mutator it
 * holds gets what {@link Collector#alloc(Type)} gives (zeroed object, its pointer bits, black while
 * marking, counted), a correct heap under checkmark and poison, and a clear refusal for a mutator
 * that is not its own live one, after which the collector still serves it.
 */
class HeldMutatorAllocTest extends ThreadWorldFixture {
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").longField("id").build();
    static final long LEFT = NODE.offset("left"), RIGHT = NODE.offset("right"), ID = NODE.offset("id");

    Mutator m;

    void start(GcOptions options) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, options, 2);
        world = gc.threadWorld();
        m = world.register(32);
    }

    @Test
    void anObjectFromTheHeldMutatorIsZeroedTypedAndCounted() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        long mallocs0 = heap.readMemStats().mallocs();
        int n = 10_000;
        long prev = 0;
        for (int i = 0; i < n; i++) {
            long p = gc.alloc(m, NODE);
            assertEquals(0, Mem.getLong(p, LEFT), "object " + i + " zeroed");
            assertEquals(0, Mem.getLong(p, ID), "object " + i + " zeroed");
            assertEquals(0b011, heap.gc().pointerBits(p, 3), "object " + i + ": left and right are pointers, id is not");
            assertNotEquals(prev, p);
            Mem.storePtr(p, LEFT, prev);
            Mem.putLong(p, ID, -1L);
            prev = p;
        }
        assertEquals(n, heap.readMemStats().mallocs() - mallocs0, "every allocation counted once");
    }

    @Test
    void duringMarkTheHeldMutatorAllocatesBlack() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start(GcOptions.DEFAULT);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        gc.pacer().bgScanCredit.set(1L << 40);
        long[] garbage = new long[2_000];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = gc.alloc(m, NODE);
            assertTrue(heap.gc().isMarked(garbage[i]), "allocation " + i + " is black");
        }
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        gc.sweepAll();
        for (long p : garbage) {
            assertNotEquals(0, heap.gc().findObject(p), "black garbage survives the cycle it was allocated in");
        }
        gc.gc();
        for (long p : garbage) {
            assertEquals(0, heap.gc().findObject(p), "and is freed by the next");
        }
    }

    /** binary-trees' builder through the held mutator, many cycles under checkmark and poison: every tree checks. */
    @Test
    void treesBuiltThroughTheHeldMutatorSurviveCyclesUnderCheckmarkAndPoison() {
        start(GcOptions.DEFAULT.withGcPercent(25).withDebug(false, true, true, 0, 0));
        long longLived = tree(12);
        m.roots().set(31, longLived);
        long cycles0 = gc.cycles();
        for (int i = 0; i < 300; i++) {
            assertEquals((1 << 11) - 1, check(tree(10)), "short-lived tree " + i);
        }
        assertTrue(gc.cycles() - cycles0 >= 3, "the trees ran cycles: " + (gc.cycles() - cycles0));
        assertEquals((1 << 13) - 1, check(m.roots().get(31)), "the long-lived tree after the cycles");
        gc.gc();
        gc.sweepAll();
        assertEquals(((1 << 13) - 1) * NODE.size(), gc.pacer().heapMarked(), "live = the long-lived tree exactly");
    }

    long tree(int d) {
        long node = gc.alloc(m, NODE);
        Mem.putLong(node, ID, d);
        if (d > 0) {
            m.roots().set(d, node);
            Mem.storePtr(node, LEFT, tree(d - 1));
            Mem.storePtr(node, RIGHT, tree(d - 1));
            m.roots().set(d, 0);
        }
        return node;
    }

    static int check(long node) {
        long l = Mem.loadPtr(node, LEFT);
        int d = (int) Mem.getLong(node, ID);
        assertTrue(d >= 0 && d < 32, "payload intact: " + d);
        return l == 0 ? 1 : 1 + check(l) + check(Mem.loadPtr(node, RIGHT));
    }

    @Test
    void anotherThreadsMutatorIsRefusedNamingItsOwner() throws Exception {
        start(GcOptions.DEFAULT);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread other = new Thread(() -> {
            Mutator mine = world.register(4);
            try {
                gc.alloc(m, NODE);            // the test thread's mutator, not this one's
            } catch (Throwable t) {
                thrown.set(t);
            } finally {
                world.unregister();
            }
            assertNotNull(mine);
        }, "held-mutator-other");
        other.start();
        other.join(60_000);
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, thrown.get());
        assertTrue(e.getMessage().contains("held-mutator-other") && e.getMessage().contains("belongs to thread "
                + Thread.currentThread().getName()), e.getMessage());
        assertTrue(e.getMessage().contains("accepted"), e.getMessage());
        long p = gc.alloc(m, NODE);            // the owner still allocates through it
        assertNotEquals(0, heap.gc().findObject(p));
    }

    @Test
    void anUnregisteredMutatorIsRefusedAndAllocTypeStillWorks() {
        start(GcOptions.DEFAULT);
        Mutator old = m;
        world.unregister();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gc.alloc(old, NODE));
        assertTrue(e.getMessage().contains("was unregistered"), e.getMessage());
        m = world.register(4);
        assertNotEquals(0, heap.gc().findObject(gc.alloc(NODE)), "alloc(Type) after the refusal");
        assertNotEquals(0, heap.gc().findObject(gc.alloc(m, NODE)), "the new mutator serves");
    }

    @Test
    void aMutatorOfAnotherCollectorIsRefused() {
        start(GcOptions.DEFAULT);
        Mutator foreign = m;
        world.unregister();
        gc.close();
        heap.close();
        start(GcOptions.DEFAULT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gc.alloc(foreign, NODE));
        assertTrue(e.getMessage().contains("not a mutator of this collector's ThreadWorld"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> gc.alloc(null, NODE));
        assertTrue(e.getMessage().contains("it is null"), e.getMessage());
        assertNotEquals(0, heap.gc().findObject(gc.alloc(m, NODE)));
    }
}
