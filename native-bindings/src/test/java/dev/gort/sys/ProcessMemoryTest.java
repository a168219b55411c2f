package dev.gort.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ProcessMemoryTest {

    @Test
    void parsesKibLinesAnywhereInTheText() {
        String status = "Name:\tjava\nVmPeak:\t 5000 kB\nVmRSS:\t   123456 kB\nRssAnon:\t  100 kB\n";
        assertEquals(123456L * 1024, ProcessMemory.kib(status, "VmRSS:"));
        assertEquals(5000L * 1024, ProcessMemory.kib(status, "VmPeak:"));
        assertEquals(-1, ProcessMemory.kib(status, "LazyFree:"), "absent key");
        assertEquals(7L * 1024, ProcessMemory.kib("Rss:   7 kB\n", "Rss:"), "first line");
        assertEquals(-1, ProcessMemory.kib("VmRSS: 1 kB\n", "RSS:"), "keys match whole line starts only");
    }

    @Test
    void statusAndSmapsRollupAgree() {
        assumeTrue(Platform.current().isLinux());
        ProcessMemory m = ProcessMemory.read();
        assertTrue(m.vmRss() > 16L << 20, "a JVM's RSS is over 16 MiB: " + m);
        // Two files read a moment apart on a running JVM: equal within 16 MiB.
        assertTrue(Math.abs(m.vmRss() - m.rss()) < 16L << 20, m.toString());
        assertTrue(m.anonymous() > 0 && m.anonymous() <= m.rss() + (16L << 20), m.toString());
        assertTrue(m.lazyFree() >= 0 && m.anonHugePages() >= 0, m.toString());
        assertTrue(Math.abs(ProcessMemory.rssBytes() - m.vmRss()) < 16L << 20);
    }
}
