package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.Platform;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * efence mode on OS pages larger than gort's 8 KiB page (16 KiB: macOS arm64; 64 KiB: arm64 Linux),
 * run on this machine through {@link LargePageOsMemory}, which refuses a range call that is not
 * whole large pages as such a kernel would. What a user of efence expects there is what Go's
 * efence gives: every object on pages of its own, and a freed object's pages faulting. So an
 * efence object covers whole OS pages from an OS page boundary. Before session 31 it was one 8 KiB
 * span: the decommit at its free was refused, the refusal swallowed, and a read after free read
 * the old bytes.
 */
class EfenceLargeOsPageTest {
    static final long KiB = 1L << 10;

    @ParameterizedTest
    @ValueSource(longs = {16 << 10, 64 << 10})
    void freedObjectsCoverWholeOsPagesAndAreMadeInaccessible(long osPage) {
        LargePageOsMemory os = new LargePageOsMemory(osPage);
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withEfence(true), os)) {
            MCache cache = heap.newCache();
            long[] sizes = {100, 8 * KiB, 9 * KiB, 40 * KiB, 70 * KiB};
            long[] objects = new long[sizes.length];
            long inUse = 0;
            for (int i = 0; i < sizes.length; i++) {
                objects[i] = cache.alloc(sizes[i], true);
                NativeMemory.fill(objects[i], sizes[i], (byte) (i + 1));
                inUse += AddressSpace.roundUp(sizes[i], osPage);
            }
            long freed = objects[1];
            long freedBytes = AddressSpace.roundUp(sizes[1], osPage);
            cache.free(freed);
            assertNull(heap.lastFenceError, "the fence of a freed 8 KiB object on " + osPage + " B OS pages failed");
            assertEquals(0, heap.fenceFailures);
            assertEquals(0, os.residentPages(freed / osPage * osPage, osPage),
                    "the freed object's OS page was made inaccessible (released)");
            for (int i = 0; i < sizes.length; i++) {
                assertEquals(0, (objects[i] - heap.arenaBase()) % osPage,
                        "object " + i + " (" + sizes[i] + " B) starts an OS page of " + osPage + " B");
                if (i != 1) {
                    for (long off = 0; off < sizes[i]; off += 4096) {
                        assertEquals((byte) (i + 1), NativeMemory.getByte(objects[i] + off),
                                "object " + i + " keeps its bytes beside a fenced neighbour");
                    }
                }
            }
            InvalidFreeException e = assertThrows(InvalidFreeException.class, () -> cache.free(freed));
            assertTrue(e.getMessage().contains("efence"), e.getMessage());
            for (int i = 0; i < 20; i++) {
                long q = cache.alloc(100, true);
                assertTrue(q + 100 <= freed || q >= freed + freedBytes, "a fenced OS page is never handed out again");
                cache.free(q);
                inUse += osPage;
            }
            heap.verifyHeap();
            MemStats st = heap.readMemStats();
            assertEquals(sizes.length - 1, st.heapObjects());
            assertEquals(inUse, st.heapInuse(), "objects and fenced pages counted in whole OS pages");
            for (int i = 0; i < sizes.length; i++) {
                if (i != 1) {
                    cache.free(objects[i]);
                }
            }
            assertEquals(0, heap.fenceFailures);
            heap.verifyHeap();
            heap.releaseCache(cache);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {16 << 10, 64 << 10})
    void useAfterFreeKillsTheChildJvmOnLargerOsPages(long osPage, @TempDir Path dir) throws Exception {
        assumeTrue(Platform.current().isLinux(), "the crash report's wording is HotSpot-on-Linux's");
        CrashingChildJvm child = CrashingChildJvm.run(dir, EfenceChild.class, Long.toString(osPage));
        String out = child.output();
        assertFalse(out.contains("USE-AFTER-FREE NOT DETECTED"), "on " + osPage + " B OS pages, output:\n" + out);
        assertNotEquals(0, child.exitValue(), "the child must die, output:\n" + out);
        assertTrue(out.contains("freed; reading after free"), "the child got to the read, output:\n" + out);
        assertTrue(out.contains("SIGSEGV"), "killed by the fault, output:\n" + out);
        assertEquals(1, child.crashReports(), "one crash report in " + dir);
    }
}
