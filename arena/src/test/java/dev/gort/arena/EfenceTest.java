package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.Platform;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TESTING.md A8 / F5, efence mode (Go's GODEBUG=efence=1): every object gets pages of its own and
 * a free makes them PROT_NONE for good. A read after free kills a child JVM with SIGSEGV (the
 * parent asserts the crash, its signal and how far the child got); in-process, a second free is
 * an InvalidFreeException, the fenced pages are inaccessible (mincore: not resident) and never
 * handed out again, and verifyHeap accounts for them.
 */
class EfenceTest {

    @Test
    void useAfterFreeKillsTheChildJvmWithSigsegv(@TempDir Path dir) throws Exception {
        assumeTrue(Platform.current().isLinux(), "the crash report's wording is HotSpot-on-Linux's");
        CrashingChildJvm child = CrashingChildJvm.run(dir, EfenceChild.class);
        String out = child.output();
        assertNotEquals(0, child.exitValue(), "the child must die, output:\n" + out);
        assertTrue(out.contains("freed; reading after free"), "the child got to the read, output:\n" + out);
        assertFalse(out.contains("USE-AFTER-FREE NOT DETECTED"), out);
        assertTrue(out.contains("SIGSEGV"), "killed by the fault, output:\n" + out);
        assertEquals(1, child.crashReports(), "one crash report in " + dir);
    }

    @Test
    void freedObjectsAreFencedNeverReusedAndADoubleFreeIsReported() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withEfence(true),
                PosixOsMemory.get())) {
            MCache cache = heap.newCache();
            long p = cache.alloc(100, true);
            assertEquals(0, (p - heap.arenaBase()) % SizeClasses.PAGE_SIZE, "efence objects start a page");
            NativeMemory.putLong(p, 1);
            cache.free(p);
            assertEquals(0, PosixOsMemory.get().residentPages(p, SizeClasses.PAGE_SIZE), "fenced pages are released");
            InvalidFreeException e = assertThrows(InvalidFreeException.class, () -> cache.free(p));
            assertTrue(e.getMessage().contains("efence"), e.getMessage());
            for (int i = 0; i < 100; i++) {
                long q = cache.alloc(100, true);
                assertNotEquals(p, q, "a fenced page is never handed out again");
                cache.free(q);
            }
            heap.verifyHeap();
            MemStats st = heap.readMemStats();
            assertEquals(0, st.heapObjects());
            assertEquals(101 * SizeClasses.PAGE_SIZE, st.heapInuse(), "fenced pages stay counted in use");
            heap.releaseCache(cache);
        }
    }
}
