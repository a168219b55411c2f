package dev.gort.gc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GcOptionsTest {
    @Test
    void rangesAreChecked() {
        GcOptions o = GcOptions.DEFAULT.withDebug(true, true, true, 100, 2).withGcPercent(Pacer.OFF).withMemoryLimit(1 << 30);
        assertTrue(o.gctrace() && o.gccheckmark() && o.gcpoison());
        assertEquals(100, o.gcstress());
        assertEquals(2, o.gcstoptheworld());
        assertEquals(Pacer.OFF, o.gcPercent());
        var e = assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withGcPercent(-2));
        assertTrue(e.getMessage().contains("non-negative integer or Pacer.OFF"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withMemoryLimit(-1));
        assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withDebug(false, false, false, -1, 0));
        e = assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withDebug(false, false, false, 0, 3));
        assertTrue(e.getMessage().contains("0, 1 or 2"), e.getMessage());
    }
}
