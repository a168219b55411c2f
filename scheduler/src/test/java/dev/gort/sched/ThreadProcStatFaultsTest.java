package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
            try (Arena a = Arena.ofConfined()) {
                // 2 MiB from malloc (above its mmap threshold: fresh anonymous pages); one store a 4 KiB page.
                MemorySegment m = a.allocate((long) PAGES * 4096, 4096);
                for (long off = 0; off < m.byteSize(); off += 4096) {
                    m.set(ValueLayout.JAVA_BYTE, off, (byte) 1);
                }
                assertEquals('R', ps.state(), "the reader itself is running");
                long after = ps.minorFaults;
                // A huge page (THP "always") would take one fault for 512 small ones: at least a few.
                assertTrue(after - before >= 1, "minor faults " + before + " -> " + after + " over " + PAGES + " first touches");
                if (!thpAlways()) {
                    assertTrue(after - before >= PAGES / 2, "minor faults " + before + " -> " + after + " over " + PAGES + " first touches");
                }
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
