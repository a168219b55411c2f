package dev.gort.gc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GcOptionsTest {
    @Test
    void gogc() {
        assertEquals(100, GcOptions.parseGogc(null));
        assertEquals(100, GcOptions.parseGogc(""));
        assertEquals(Pacer.OFF, GcOptions.parseGogc("off"));
        assertEquals(0, GcOptions.parseGogc("0"));
        assertEquals(250, GcOptions.parseGogc("250"));
        for (String bad : new String[] {"-1", "abc", "1.5", "OFF", " 100"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> GcOptions.parseGogc(bad));
            assertTrue(e.getMessage().contains("GOGC=\"" + bad + "\"") && e.getMessage().contains("or off"), e.getMessage());
        }
    }

    @Test
    void memoryLimit() {
        assertEquals(Pacer.INFINITE, GcOptions.parseMemoryLimit("off"));
        assertEquals(Pacer.INFINITE, GcOptions.parseMemoryLimit(null));
        assertEquals(512L << 20, GcOptions.parseMemoryLimit("512MiB"));
        assertEquals(3L << 30, GcOptions.parseMemoryLimit("3GiB"));
        assertEquals(1L << 40, GcOptions.parseMemoryLimit("1TiB"));
        assertEquals(4096, GcOptions.parseMemoryLimit("4KiB"));
        assertEquals(12345, GcOptions.parseMemoryLimit("12345"));
        assertEquals(12345, GcOptions.parseMemoryLimit("12345B"));
        for (String bad : new String[] {"512MB", "1.5GiB", "-1", "GiB", "abc", "99999999999TiB"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> GcOptions.parseMemoryLimit(bad));
            assertTrue(e.getMessage().startsWith("malformed GOMEMLIMIT=\"" + bad + "\""), e.getMessage());
        }
    }

    @Test
    void debugKeys() {
        GcOptions o = GcOptions.DEFAULT.withDebug("gctrace=1,schedtrace=1000,gccheckmark=1,gcpoison=1,gcstress=100,gcstoptheworld=2");
        assertTrue(o.gctrace());
        assertTrue(o.gccheckmark());
        assertTrue(o.gcpoison());
        assertEquals(100, o.gcstress());
        assertEquals(2, o.gcstoptheworld());
        assertSame(GcOptions.DEFAULT, GcOptions.DEFAULT.withDebug(""));
        var e = assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withDebug("gctrace=yes"));
        assertTrue(e.getMessage().contains("gctrace=yes") && e.getMessage().contains("0 or 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withDebug("gcstoptheworld=3"));
        assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withDebug("gcstress=-2"));
    }
}
