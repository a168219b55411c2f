package dev.gort.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gort.sys.MemoryMaps;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.Platform;
import dev.gort.sys.PosixOsMemory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * harddecommit (Go's GODEBUG=harddecommit=1, TESTING A8): released pages are PROT_NONE until a span
 * covers them again. In process: the protection is read from /proc/self/maps without touching the
 * pages, and reuse makes them readable zeros again. In a child JVM: a stale read faults.
 */
class HardDecommitTest {
    private static final int MIB = 1 << 20;

    @Test
    void releasedPagesAreInaccessibleUntilReusedThenReadZero() {
        assumeTrue(Platform.current().isLinux(), "/proc/self/maps is Linux's");
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withHardDecommit(true),
                PosixOsMemory.get())) {
            MCache cache = heap.newCache();
            long p = cache.alloc(MIB, true);
            NativeMemory.fill(p, MIB, (byte) 7);
            assertTrue(MemoryMaps.perms(p).startsWith("rw"), MemoryMaps.perms(p));
            cache.free(p);
            assertTrue(MemoryMaps.perms(p).startsWith("rw"), "freed but not released: still accessible");
            assertTrue(heap.freeOSMemory() >= MIB);
            assertTrue(MemoryMaps.perms(p).startsWith("---"), "released under harddecommit: " + MemoryMaps.perms(p));
            assertEquals(0, PosixOsMemory.get().residentPages(p, MIB));
            heap.verifyHeap();

            long q = cache.alloc(MIB, true);  // reuse: the pages come back read-write and zero
            assertTrue(MemoryMaps.perms(q).startsWith("rw"), MemoryMaps.perms(q));
            for (long a = q; a < q + MIB; a += 8) {
                if (NativeMemory.getLong(a) != 0) {
                    throw new AssertionError("reused released memory not zero at +" + (a - q));
                }
            }
            NativeMemory.fill(q, MIB, (byte) 1);
            long small = cache.alloc(32, true); // small spans over released pages too
            NativeMemory.putLong(small, 5);
            cache.free(small);
            cache.free(q);
            heap.verifyHeap();
            assertEquals(0, heap.readMemStats().heapObjects());
            heap.releaseCache(cache);
        }
    }

    @Test
    void withoutHardDecommitReleasedPagesStayAccessible() {
        assumeTrue(Platform.current().isLinux(), "/proc/self/maps is Linux's");
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            MCache cache = heap.newCache();
            long p = cache.alloc(MIB, true);
            NativeMemory.fill(p, MIB, (byte) 7);
            cache.free(p);
            assertTrue(heap.freeOSMemory() >= MIB);
            assertTrue(MemoryMaps.perms(p).startsWith("rw"), "the default keeps released pages mapped: " + MemoryMaps.perms(p));
            assertEquals(0, NativeMemory.getLong(p), "DONTNEED pages read back zero");
            heap.releaseCache(cache);
        }
    }

    @Test
    void aStaleReadOfReleasedMemoryKillsTheChildJvm(@TempDir Path dir) throws Exception {
        assumeTrue(Platform.current().isLinux(), "the crash report's wording is HotSpot-on-Linux's");
        CrashingChildJvm child = CrashingChildJvm.run(dir, HardDecommitChild.class);
        String out = child.output();
        assertNotEquals(0, child.exitValue(), "the child must die, output:\n" + out);
        assertTrue(out.contains("reading released memory"), "the child got to the read, output:\n" + out);
        assertFalse(out.contains("STALE READ NOT DETECTED"), out);
        assertTrue(out.contains("SIGSEGV"), "killed by the fault, output:\n" + out);
        assertEquals(1, child.crashReports(), "one crash report in " + dir);
    }
}
