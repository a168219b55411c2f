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
        // Spin until this thread's CPU clock has advanced 20 ms. On a loaded shared machine that
        // may take many times longer in wall time, so the only bound is a generous timeout;
        // one thread's CPU time can never outrun the wall clock.
        long t0 = CpuClock.threadCpuNanos();
        long w0 = System.nanoTime();
        long deadline = w0 + 30_000_000_000L;
        long x = 0;
        long t1;
        do {
            for (int i = 0; i < 10_000; i++) {
                x += Long.numberOfTrailingZeros(x + i);
            }
            t1 = CpuClock.threadCpuNanos();
        } while (t1 - t0 < 20_000_000L && System.nanoTime() < deadline);
        long wall = System.nanoTime() - w0;
        assertTrue(x >= 0);
        assertTrue(t1 - t0 >= 20_000_000L, "thread CPU clock advanced only " + (t1 - t0) + " ns in 30 s of spinning");
        assertTrue(t1 - t0 <= wall + 1_000_000L, "thread CPU " + (t1 - t0) + " ns <= wall " + wall + " ns");
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
        }
    }

    @Test
    void threadSwitchesCountABlockingSleepAsVoluntary() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Platform.current().isLinux(), "RUSAGE_THREAD is Linux's");
        long before = CpuClock.threadSwitches();
        CpuClock.Usage usageBefore = CpuClock.threadUsage();
        for (int i = 0; i < 3; i++) {
            Thread.sleep(2);            // blocks: a voluntary switch each time
        }
        long d = CpuClock.threadSwitches() - before;
        CpuClock.Usage usageAfter = CpuClock.threadUsage();
        assertTrue(CpuClock.voluntary(d) >= 3, "3 sleeps, voluntary switches " + CpuClock.voluntary(d));
        assertTrue(CpuClock.involuntary(d) >= 0, "involuntary switches " + CpuClock.involuntary(d));
        // The same counters as threadUsage's, read between its two reads.
        assertTrue(CpuClock.voluntary(before) >= 1 && CpuClock.voluntary(before) <= usageBefore.voluntarySwitches(),
                CpuClock.voluntary(before) + " vs " + usageBefore);
        assertTrue(CpuClock.voluntary(before) + CpuClock.voluntary(d) <= usageAfter.voluntarySwitches(),
                CpuClock.voluntary(before) + CpuClock.voluntary(d) + " vs " + usageAfter);
    }

    @Test
    void anotherThreadsClockIsReadByItsTidAndIsZeroOnceItEnded() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Platform.current().isLinux(), "a thread's clock by tid is Linux's");
        long[] seen = new long[2];          // the thread's tid, and its own clock read after its burn
        java.util.concurrent.CountDownLatch burnt = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch read = new java.util.concurrent.CountDownLatch(1);
        Thread t = Thread.ofPlatform().name("burner").start(() -> {
            seen[0] = CpuAffinity.threadId();
            long until = CpuClock.threadCpuNanos() + 20_000_000L;
            long x = 0;
            while (CpuClock.threadCpuNanos() < until) {
                x += Long.numberOfTrailingZeros(x + 1);
            }
            seen[1] = CpuClock.threadCpuNanos() + (x & 0);
            burnt.countDown();
            try {
                read.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(burnt.await(60, java.util.concurrent.TimeUnit.SECONDS), "the burner's 20 ms of CPU within 60 s");
        int tid = (int) seen[0];
        long other = CpuClock.threadCpuNanosOf(tid);
        // Its clock, not this thread's: at least what it read after its burn (it is parked since,
        // burning nothing more than its wake-up's few microseconds).
        assertTrue(other >= seen[1] && other < seen[1] + 10_000_000L, "thread " + tid + "'s clock " + other + " vs its own read " + seen[1]);
        read.countDown();
        t.join(60_000);
        assertTrue(!t.isAlive(), "the burner ended");
        // join returns when the Java thread ended; its kernel thread exits a moment later.
        long guard = System.nanoTime() + 60_000_000_000L;
        while (CpuClock.threadCpuNanosOf(tid) != 0 && System.nanoTime() < guard) {
            Thread.sleep(1);
        }
        assertEquals(0, CpuClock.threadCpuNanosOf(tid), "an ended thread's clock reads 0, no exception");
        assertEquals(0, CpuClock.threadCpuNanosOf(0));
        assertEquals(0, CpuClock.threadCpuNanosOf(-1));
    }

    @Test
    void clocksAllocateNothingPerCall() throws Exception {
        // The collector reads the thread CPU clock per assist and per pause step: a Java object per
        // call (an error message built before knowing the call failed, once) is garbage on a hot path.
        // The interpreter and C1 allocate while invoking the downcall (~40-80 B per pair of calls);
        // C2's code must not. In this JVM C2 compiles the loop when its queue gets to it, which in a
        // loaded suite took past 60 s of rounds (the test then failed: session 21-22). So the loop
        // runs in a child JVM with -Xbatch: a compile is made when the loop gets hot and the loop
        // waits for it, so the rounds after the first few are C2's however loaded the machine.
        dev.gort.testing.ChildJvm.Result r = dev.gort.testing.ChildJvm.run(ClockReads.class,
                java.util.List.of("-XX:TieredStopAtLevel=4", "-Xbatch"), java.util.Map.of());
        assertTrue(r.exitCode() == 0, r.toString());
        long best = -1;
        for (String l : r.stdout().split("\n")) {
            if (l.startsWith("best: ")) {
                best = Long.parseLong(l.substring(6).trim());
            }
        }
        // 100,000 calls a round: one 24-byte object per call would be 2.4 MB; allow a few stray objects.
        assertTrue(best >= 0 && best < 64 * 1024, "100000 compiled clock reads allocated " + best + " bytes of Java heap: " + r);
    }

    /** Child: rounds of 100,000 clock reads until one allocates under 64 KiB (at most 100); prints the best round. */
    public static final class ClockReads {
        public static void main(String[] args) {
            var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long best = Long.MAX_VALUE;
            long sink = 0;
            for (int round = 0; round < 100 && best >= 64 * 1024; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 50_000; i++) {
                    sink += CpuClock.threadCpuNanos() + CpuClock.monotonicNanos() + CpuClock.threadSwitches();
                }
                best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
            }
            System.out.println("sink nonzero: " + (sink != 0));
            System.out.println("best: " + best);
        }
    }
}
