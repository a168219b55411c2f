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
        assertEquals(Pacer.OFF, GcOptions.DEFAULT.withGcPercent(-2).gcPercent(), "any negative percentage is off");
        assertEquals(Pacer.OFF, GcOptions.DEFAULT.withGcPercent(Integer.MIN_VALUE).gcPercent());
        assertEquals(0, GcOptions.DEFAULT.withGcPercent(0).gcPercent());
        assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withMemoryLimit(-1));
        assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withDebug(false, false, false, -1, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> GcOptions.DEFAULT.withDebug(false, false, false, 0, 3));
        assertTrue(e.getMessage().contains("0, 1 or 2"), e.getMessage());
    }
}
