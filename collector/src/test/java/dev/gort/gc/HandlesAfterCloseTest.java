package dev.gort.gc;

import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Handles whose slots live in a {@link GlobalRoots} table that was closed (its collector or
 * runtime ended): every access throws IllegalStateException naming what was closed, and the JVM
 * stays up. Before the fix a Global's get and a buffered PtrChan's send after the table's close
 * read or wrote unmapped memory: SIGSEGV (checked by hand with a program that kept them past
 * Gort.run).
 */
class HandlesAfterCloseTest {

    private static void assertClosedMessage(IllegalStateException e, String what) {
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertTrue(e.getMessage().contains("global root table holding its slots is closed"), e.getMessage());
        assertTrue(e.getMessage().contains("usable only while the collector that made them runs"), e.getMessage());
    }

    @Test
    void globalAfterItsTableClosedThrows() {
        GlobalRoots roots = new GlobalRoots(PosixOsMemory.get(), 64 << 10);
        Global g = Global.of(roots);
        Global other = Global.of(roots);
        assertEquals(0, g.get());
        roots.close();
        assertClosedMessage(assertThrows(IllegalStateException.class, g::get), "Global.get");
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> g.set(0)), "Global.set");
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> g.compareAndSet(0, 0)), "Global.compareAndSet");
        other.close();                                  // nothing left to free: quietly done
        assertThrows(IllegalStateException.class, other::get);
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> Global.of(roots)), "a new global slot");
        roots.close();                                  // idempotent
    }

    /** The liveness check costs no allocation while the table is open (its message is built only on failure). */
    @Test
    void openGlobalAccessAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (GlobalRoots roots = new GlobalRoots(PosixOsMemory.get(), 64 << 10)) {
            Global g = Global.of(roots);
            long best = Long.MAX_VALUE;
            long sink = 0;
            // Best of up to ten rounds: rounds run before compilation may allocate in the interpreter.
            for (int round = 0; round < 10 && best >= 64 * 1024; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 50_000; i++) {
                    g.set(0);
                    sink += g.get() + 1;
                }
                best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, sink % 50_000, "get() after set(0) reads 0");
            // 100,000 accesses a round: a message string per access would be several MB.
            assertTrue(best < 64 * 1024, "100000 Global accesses allocated " + best + " bytes of Java heap");
        }
    }

    @Test
    void closedGlobalThrowsWhileItsTableIsOpen() {
        try (GlobalRoots roots = new GlobalRoots(PosixOsMemory.get(), 64 << 10)) {
            Global g = Global.of(roots);
            g.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, g::get);
            assertTrue(e.getMessage().contains("was closed; accepted: a Global before its close()"), e.getMessage());
            Global reuse = Global.of(roots);            // the freed slot is reused: the old handle must not see it
            assertEquals(g.address(), reuse.address());
            assertThrows(IllegalStateException.class, () -> g.set(0));
            assertEquals(0, reuse.get());
        }
    }

    @Test
    void ptrChanAfterItsTableClosedOrAfterFreeThrows() {
        GlobalRoots roots = new GlobalRoots(PosixOsMemory.get(), 64 << 10);
        PtrChan buffered = new PtrChan(roots, 4);
        PtrChan unbuffered = new PtrChan(roots, 0);
        PtrChan freed = new PtrChan(roots, 2);
        freed.close();
        freed.free();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> freed.send(0));
        assertTrue(e.getMessage().contains("PtrChan used after free(); accepted: a channel before its free()"), e.getMessage());
        roots.close();
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> buffered.send(0)), "PtrChan (capacity 4)");
        assertClosedMessage(assertThrows(IllegalStateException.class, buffered::recv), "PtrChan (capacity 4)");
        assertClosedMessage(assertThrows(IllegalStateException.class, buffered::buffered), "PtrChan (capacity 4)");
        assertClosedMessage(assertThrows(IllegalStateException.class, buffered::close), "PtrChan (capacity 4)");
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> unbuffered.send(0)), "PtrChan (capacity 0)");
        assertEquals(0, buffered.len());                // Java-side figures stay readable
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> new PtrChan(roots, 1)), "a new global slot");
    }

    /** Handles made inside a run, used after it: the runtime's table was closed by then. */
    @Test
    void globalPtrChanAndPtrPoolKeptPastTheirRuntimeThrow() {
        AtomicReference<Global> global = new AtomicReference<>();
        AtomicReference<PtrChan> chan = new AtomicReference<>();
        AtomicReference<PtrPool> pool = new AtomicReference<>();
        SchedCollectorTest.withRuntime(1, PtrPoolTest.OPTS, gc -> {
            Global g = gc.newGlobal();
            g.set(SchedCollectorTest.node(gc, 1));
            global.set(g);
            PtrChan c = PtrChan.create(gc, 3);
            c.send(SchedCollectorTest.node(gc, 2));
            chan.set(c);
            PtrPool p = new PtrPool(gc);
            p.put(SchedCollectorTest.node(gc, 3));
            pool.set(p);
        });
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> global.get().get()), "Global.get");
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> chan.get().recv()), "PtrChan (capacity 3)");
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> pool.get().get()), "PtrPool.get");
        assertClosedMessage(assertThrows(IllegalStateException.class, () -> pool.get().put(8)), "PtrPool.put");
        pool.get().close();                             // closing a handle of a closed table is a quiet no-op
        global.get().close();
    }

    /** checkptr's two parts: the setting's parsing, and the open-arena test it applies (a closed heap's arena is refused). */
    @Test
    void checkptrSettingAndOpenArenaCheck() {
        assertTrue(Mem.checkptrSetting("1", null));
        assertTrue(Mem.checkptrSetting(null, "gctrace=1, checkptr=1"));
        assertFalse(Mem.checkptrSetting(null, "checkptr=0,gctrace=1"));
        assertFalse(Mem.checkptrSetting("0", "checkptr=1"), "the property wins");
        assertFalse(Mem.checkptrSetting(null, null));
        for (String bad : new String[] {"true", "2", "", "yes"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mem.checkptrSetting(bad, null));
            assertTrue(e.getMessage().contains("-Dgort.checkptr=" + bad) && e.getMessage().contains("accepted are 0"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mem.checkptrSetting(null, "gctrace=1,checkptr=on"));
        assertTrue(e.getMessage().contains("checkptr=on") && e.getMessage().contains("accepted are 0"), e.getMessage());
        dev.gort.arena.Heap heap = dev.gort.arena.Heap.create(dev.gort.arena.HeapConfig.defaults().withArenaReservation(1L << 30),
                PosixOsMemory.get());
        long p;
        try {
            p = heap.threadCache().alloc(64, true);
            assertTrue(dev.gort.arena.Heap.inOpenArena(p, 64));
            assertFalse(dev.gort.arena.Heap.inOpenArena(0x1000, 8));
            assertFalse(dev.gort.arena.Heap.inOpenArena(heap.arenaBase() + heap.arenaCommittedBytes(), 8), "past the committed arena");
        } finally {
            heap.close();
        }
        assertFalse(dev.gort.arena.Heap.inOpenArena(p, 64), "the heap was closed");
    }
}
