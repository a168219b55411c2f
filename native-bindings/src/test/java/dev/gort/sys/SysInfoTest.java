package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SysInfoTest {

    @Test
    void everyFactIsReadAndAgreesWithTheBindings() {
        Map<String, String> f = SysInfo.facts();
        f.forEach((k, v) -> assertFalse(v.startsWith("unavailable"), k + ": " + v));
        assertTrue(f.get("page size").startsWith(PosixOsMemory.get().pageSize() + " bytes"), f.get("page size"));
        assertTrue(f.get("CPUs").startsWith(CpuAffinity.onlineCpus() + " online"), f.get("CPUs"));
        assertTrue(f.get("JDK").startsWith(Runtime.version().toString()), f.get("JDK"));
        assertTrue(f.get("os / arch").startsWith(Platform.current().toString()));
        if (Platform.current().isLinux()) {
            assertTrue(f.get("kernel").matches("\\d+\\.\\d+.*"), f.get("kernel"));
            assertTrue(f.get("huge page size").matches("\\d+ bytes \\(\\d+ (KiB|MiB|GiB)\\)"), f.get("huge page size"));
            assertTrue(f.get("THP enabled").matches("(always|madvise|never) .*"), f.get("THP enabled"));
            assertTrue(f.get("overcommit").matches("[012] \\(.*"), f.get("overcommit"));
            assertTrue(f.get("max map count").matches("\\d{4,} mappings.*"), "integer sysctls read whole: " + f.get("max map count"));
            assertEquals(CpuAffinity.format(CpuAffinity.mask()), f.get("affinity mask"));
        }
    }

    @Test
    void printsOneAlignedLinePerFact() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SysInfo.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("gort sys: platform facts", lines[0]);
        int column = -1;
        for (int i = 1; i < lines.length; i++) {
            int valueAt = lines[i].indexOf("  ", 2) + 2;
            while (lines[i].charAt(valueAt) == ' ') {
                valueAt++;
            }
            if (column < 0) {
                column = valueAt;
            }
            assertEquals(column, valueAt, "values aligned: " + lines[i]);
        }
    }

    @Test
    void helpersFormatAsDocumented() {
        assertEquals("4096 bytes (4 KiB)", SysInfo.bytes(4096));
        assertEquals("2097152 bytes (2 MiB)", SysInfo.bytes(2 << 20));
        assertEquals("100 bytes", SysInfo.bytes(100));
        assertEquals("1610612736 bytes (1.5 GiB)", SysInfo.bytes(3L << 29));
        assertEquals("madvise  (choices: always|madvise|never)", SysInfo.selected("always [madvise] never"));
        assertTrue(SysInfo.overcommit("2").startsWith("2 (strict"));
    }
}
