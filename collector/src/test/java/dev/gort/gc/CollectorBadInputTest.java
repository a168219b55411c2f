package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.stress.GraphModel;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bad input to the collector's public API (issue #5's Type builder, allocation, GOMEMLIMIT set at
 * run time): each is refused with a message naming what was wrong and what is accepted, before any
 * state changes, and the collector allocates and collects correctly afterwards.
 */
class CollectorBadInputTest {
    static final Type NODE = GraphModel.NODE;
    static final long ID = NODE.offset("id");

    Heap heap;
    Collector gc;
    ThreadWorld world;
    Mutator m;

    @AfterEach
    void stop() {
        if (gc != null) {
            world.unregister();
            gc.close();
            heap.close();
        }
    }

    private static String refused(Class<? extends Throwable> kind, org.junit.jupiter.api.function.Executable call) {
        return assertThrows(kind, call).getMessage();
    }

    @Test
    void typeBuilderRefusalsNameTheFieldAndTheRule() {
        String e = refused(IllegalArgumentException.class, () -> Type.struct(null));
        assertTrue(e.contains("type name must be a non-empty string, got null"), e);
        e = refused(IllegalArgumentException.class, () -> Type.struct("S").field("x", null));
        assertTrue(e.contains("field \"x\" of type S has a null type"), e);
        e = refused(IllegalArgumentException.class, () -> Type.struct("S").longField(""));
        assertTrue(e.contains("field name of type S must be non-empty"), e);
        e = refused(IllegalArgumentException.class, () -> Type.struct("Big").bytes("a", Type.MAX_SIZE).longField("b"));
        assertTrue(e.contains("type Big would exceed " + Type.MAX_SIZE + " bytes at field \"b\""), e);
        e = refused(IllegalArgumentException.class, () -> Type.bytes(-1));
        assertTrue(e.contains("the count must be in [0, "), e);
        e = refused(IllegalArgumentException.class, () -> Type.arrayOf(null, 3));
        assertTrue(e.contains("array element type is null"), e);
        e = refused(IllegalArgumentException.class, () -> Type.struct("S").array("a", Type.POINTER, -2));
        assertTrue(e.contains("array of -2 x pointer") && e.contains("the count must be in [0, "), e);
        // A refused field leaves the builder as it was: it still builds what it had.
        Type.Builder b = Type.struct("Partial").pointer("p");
        assertThrows(IllegalArgumentException.class, () -> b.field("q", null));
        Type t = b.longField("q").build();
        assertEquals(16, t.size());
        assertEquals(8, t.offset("q"));
        assertTrue(t.isPointerWord(0) && !t.isPointerWord(1));
    }

    @Test
    void badAllocationsAndLimitsAreRefusedAndTheCollectorStaysUsable() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        m = world.register(4);
        long kept = gc.alloc(NODE);
        Mem.putLong(kept, ID, 5);
        m.roots().set(0, kept);
        long objects = heap.readMemStats().heapObjects();

        String e = refused(IllegalArgumentException.class, () -> gc.allocBytes(-1));
        assertTrue(e.contains("allocation size -1 must be positive"), e);
        e = refused(IllegalArgumentException.class, () -> gc.allocArray(Type.LONG, -1));
        assertTrue(e.contains("the count must be in [0, "), e);
        long limit = gc.pacer().memoryLimit();
        e = refused(IllegalArgumentException.class, () -> gc.setMemoryLimit(-1));
        assertTrue(e.contains("memoryLimit must be >= 0 bytes (Pacer.INFINITE for none), got -1"), e);
        assertEquals(limit, gc.pacer().memoryLimit(), "a refused limit changes nothing");
        assertEquals(limit, gc.options().memoryLimit());
        e = refused(IllegalArgumentException.class, () -> gc.onSweepTermination(null));
        assertTrue(e.contains("sweep-termination hook is null; accepted: a Runnable"), e);
        // A null type, through both alloc methods (until session 33 a bare NullPointerException
        // from the fast path: "Cannot invoke \"dev.gort.gc.Type.size()\" because \"t\" is null").
        e = refused(IllegalArgumentException.class, () -> gc.alloc(null));
        assertTrue(e.contains("Collector.alloc(Type): the type t is null; accepted: a Type built with Type.struct(name)"), e);
        e = refused(IllegalArgumentException.class, () -> gc.alloc(m, null));
        assertTrue(e.contains("Collector.alloc(Mutator, Type): the type t is null; accepted: "), e);
        assertEquals(objects, heap.readMemStats().heapObjects(), "refusals allocated nothing");

        // Still usable: allocate, collect, the rooted object and only it survives.
        for (int i = 0; i < 10_000; i++) {
            gc.alloc(NODE);
        }
        gc.gc();
        assertEquals(1, heap.readMemStats().heapObjects());
        assertEquals(5, Mem.getLong(kept, ID));
        assertEquals(100, gc.setGcPercent(50));
        assertEquals(limit, gc.setMemoryLimit(64L << 20));
        gc.gc();
        assertEquals(1, heap.readMemStats().heapObjects());
        heap.verifyHeap();
    }

    /**
     * invalidptr=0 through the options a Collector is built with (GORT_DEBUG's key): a global
     * holding a non-heap address is ignored by the mark, as Go ignores it, and cycles go on. Until
     * session 33 only MarkerTest set the marker's switch directly, so the Collector's wiring of the
     * option was untested (the marker's default is fatal).
     */
    @Test
    void invalidptrOffIgnoresABadPointerInACollectorsCycles() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
        GcOptions lenient = new GcOptions(100, Pacer.INFINITE, false, false, false, 0, 0, false);
        gc = Collector.forThreads(heap, lenient, 2);
        world = gc.threadWorld();
        m = world.register(4);
        long kept = gc.alloc(NODE);
        Mem.putLong(kept, ID, 7);
        m.roots().set(0, kept);
        Global bad = gc.newGlobal();
        bad.set(0x10);                       // outside the heap arena: fatal by default ("found bad pointer in heap")
        gc.gc();
        gc.gc();
        assertTrue(gc.cycles() >= 2, "both cycles ran: " + gc.cycles());
        assertEquals(1, heap.readMemStats().heapObjects(), "the rooted object survives, nothing else");
        assertEquals(7, Mem.getLong(kept, ID));
        bad.close();
    }
}
