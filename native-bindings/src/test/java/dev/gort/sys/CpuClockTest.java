package dev.gort.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuClockTest {

    @Test
    void monotonicClockAgreesWithNanoTime() {
        // HotSpot's System.nanoTime is CLOCK_MONOTONIC on Linux and macOS: same clock, same origin.
        long a = System.nanoTime();
        long m = CpuClock.monotonicNanos();
        long b = System.nanoTime();
        assertTrue(a <= m && m <= b, a + " <= " + m + " <= " + b);
    }

    @Test
    void threadCpuTimeGrowsWithWorkAndStaysBelowProcessCpuTime() {
        long t0 = CpuClock.threadCpuNanos();
        long x = 0;
        long until = System.nanoTime() + 50_000_000L;
        while (System.nanoTime() < until) {
            x += Long.numberOfTrailingZeros(x + 1);
        }
        long t1 = CpuClock.threadCpuNanos();
        assertTrue(x >= 0);
        assertTrue(t1 - t0 >= 5_000_000L, "50 ms of spinning used >= 5 ms of this thread's CPU (shared machine), got " + (t1 - t0));
        assertTrue(CpuClock.processCpuNanos() >= t1, "the process used at least this thread's CPU");
    }

    @Test
    void rusageReadsConsistentFigures() {
        CpuClock.Usage self = CpuClock.selfUsage();
        long cpu = CpuClock.processCpuNanos();
        assertTrue(self.userNanos() > 0 && self.systemNanos() >= 0);
        // getrusage ticks more coarsely than clock_gettime; allow 100 ms.
        assertTrue(self.userNanos() + self.systemNanos() <= cpu + 100_000_000L, self + " vs " + cpu);
        assertTrue(self.maxRssBytes() >= 16L << 20, "a JVM's peak RSS is at least 16 MiB: " + self.maxRssBytes());
        assertTrue(self.minorFaults() > 1000, "a JVM faults in thousands of pages at start-up");
        if (Platform.current().isLinux()) {
            long peakBefore = self.maxRssBytes();
            assertTrue(peakBefore >= ProcessMemory.rssBytes() - (8L << 20), "peak >= current RSS");
            CpuClock.Usage mine = CpuClock.threadUsage();
            assertTrue(mine.userNanos() + mine.systemNanos() <= self.userNanos() + self.systemNanos() + 100_000_000L);
            // the microsecond field is read as 32 bits: it must be in range
            assertEquals(0, (self.userNanos() / 1000) % 1_000_000 / 1_000_000);
        }
    }
}
