package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

/**
 * The stop trace's per-M minor-fault count ({@link ThreadProcStat#minorFaults}, stat's field 10):
 * it must count this thread's first touches of fresh memory, the measure session 30 (branch
 * fault30) used to tell a late M faulting pages in from one waiting for a CPU.
 */
class ThreadProcStatFaultsTest {
    static final int PAGES = 512;

    @Test
    void countsTheThreadsFirstTouchesOfFreshMemory() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.gort.sys.Platform.current().isLinux(), "/proc is Linux's");
        ThreadProcStat ps = ThreadProcStat.open((int) dev.gort.sys.CpuAffinity.threadId());
        assertNotNull(ps, "this thread's /proc files");
        try {
            assertNotEquals('?', ps.state());
            long before = ps.minorFaults;
            assertTrue(before >= 0, "minflt parsed: " + before);
            // 2 MiB of fresh anonymous pages straight from mmap (malloc may hand back pages an
            // earlier free left resident: jit30 saw 14 faults for 512 touches that way); one store
            // a 4 KiB page.
            OsMemory os = PosixOsMemory.get();
            long bytes = (long) PAGES * 4096;
            long base = os.reserve(bytes);
            try {
                os.commit(base, bytes);
                for (long off = 0; off < bytes; off += 4096) {
                    NativeMemory.putByte(base + off, (byte) 1);
                }
                assertEquals('R', ps.state(), "the reader itself is running");
                long after = ps.minorFaults;
                // A huge page (THP "always") would take one fault for 512 small ones: at least a few.
                assertTrue(after - before >= 1, "minor faults " + before + " -> " + after + " over " + PAGES + " first touches");
                if (!thpAlways()) {
                    assertTrue(after - before >= PAGES / 2, "minor faults " + before + " -> " + after + " over " + PAGES + " first touches");
                }
            } finally {
                os.unmap(base, bytes);
            }
        } finally {
            ps.close();
        }
        assertEquals('?', ps.state(), "closed: unknown");
        assertEquals(-1, ps.minorFaults, "closed: no count");
    }

    private static boolean thpAlways() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/sys/kernel/mm/transparent_hugepage/enabled")).contains("[always]");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
