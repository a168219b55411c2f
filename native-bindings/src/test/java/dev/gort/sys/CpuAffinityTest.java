package dev.gort.sys;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Affinity against the real scheduler. Each test runs on a fresh platform thread, so the test
 * runner's own mask is never disturbed even if an assertion fails half-way.
 */
class CpuAffinityTest {

    @BeforeEach
    void linuxOnly() {
        assumeTrue(CpuAffinity.supported(), "CPU affinity exists on Linux only");
    }

    /** Runs {@code body} on a new platform thread and rethrows whatever it threw. */
    private static void onFreshThread(Runnable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("affinity-test").start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join();
        if (failure.get() instanceof Error e) {
            throw e;
        }
        if (failure.get() instanceof Exception e) {
            throw e;
        }
    }

    @Test
    void pinningToEachAllowedCpuMovesTheThreadThereAndTheMaskIsRestored() throws Exception {
        onFreshThread(() -> {
            BitSet original = CpuAffinity.mask();
            assertTrue(original.cardinality() >= 1, "a thread may run somewhere");
            assertTrue(original.length() <= CpuAffinity.configuredCpus(), "mask names only configured CPUs: " + original);
            try {
                int pinned = 0;
                // Every online CPU this process may use (a cpuset cgroup can allow fewer than are online).
                for (int cpu = original.nextSetBit(0); cpu >= 0; cpu = original.nextSetBit(cpu + 1)) {
                    CpuAffinity.pin(cpu);
                    BitSet only = new BitSet();
                    only.set(cpu);
                    assertEquals(only, CpuAffinity.mask(), "mask after pin(" + cpu + ")");
                    // sched_setaffinity migrates the calling thread before it returns.
                    assertEquals(cpu, CpuAffinity.currentCpu(), "sched_getcpu after pin(" + cpu + ")");
                    for (int i = 0; i < 1000; i++) {
                        assertEquals(cpu, CpuAffinity.currentCpu(), "a pinned thread stays on its CPU");
                    }
                    pinned++;
                }
                assertEquals(Math.min(original.cardinality(), CpuAffinity.onlineCpus()), pinned);
            } finally {
                CpuAffinity.setMask(original);
            }
            assertEquals(original, CpuAffinity.mask(), "original mask restored");
        });
    }

    @Test
    void pinningToACpuThatDoesNotExistIsEinvalAndChangesNothing() throws Exception {
        onFreshThread(() -> {
            BitSet original = CpuAffinity.mask();
            int missing = CpuAffinity.configuredCpus(); // CPUs are numbered 0..configured-1
            assumeTrue(missing < CpuSet.CPU_SETSIZE, "this machine has CPU_SETSIZE CPUs configured");
            NativeException e = assertThrows(NativeException.class, () -> CpuAffinity.pin(missing));
            assertEquals("sched_setaffinity", e.call());
            assertEquals("EINVAL", e.errnoName(), e.getMessage());
            assertTrue(e.getMessage().contains("EINVAL") && e.getMessage().contains("sched_setaffinity("), e.getMessage());
            assertEquals(original, CpuAffinity.mask(), "a failed pin leaves the mask unchanged");
            int first = original.nextSetBit(0);
            CpuAffinity.pin(first); // the next call works
            assertEquals(first, CpuAffinity.currentCpu());
            CpuAffinity.setMask(original);
            assertEquals(original, CpuAffinity.mask(), "original mask restored");
        });
    }

    @Test
    void outOfRangeCpuNumbersAreRejectedBeforeTheCall() throws Exception {
        onFreshThread(() -> {
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pin(-1));
            assertTrue(neg.getMessage().contains("CPU -1 out of range; accepted: 0..1023"), neg.getMessage());
            assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pin(CpuSet.CPU_SETSIZE));
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> CpuAffinity.setMask(new BitSet()));
            assertTrue(empty.getMessage().contains("at least one CPU"), empty.getMessage());
            BitSet huge = new BitSet();
            huge.set(5000);
            IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class, () -> CpuAffinity.setMask(huge));
            assertTrue(beyond.getMessage().contains("CPU 5000 is beyond CPU_SETSIZE"), beyond.getMessage());
        });
    }

    @Test
    void threadIdsDifferPerThreadAndCpuCountsAreSane() throws Exception {
        long mine = CpuAffinity.threadId();
        AtomicReference<Long> other = new AtomicReference<>();
        onFreshThread(() -> other.set(CpuAffinity.threadId()));
        assertTrue(mine > 0);
        assertNotEquals(mine, (long) other.get(), "gettid differs between threads");
        assertTrue(CpuAffinity.onlineCpus() >= 1 && CpuAffinity.onlineCpus() <= CpuAffinity.configuredCpus());
        int cpu = CpuAffinity.currentCpu();
        assertTrue(cpu >= 0 && cpu < CpuAffinity.configuredCpus(), "sched_getcpu " + cpu);
        assertTrue(LibC.sched_getcpu_noncritical() >= 0);
    }

    @Test
    void masksFormatAsKernelCpuLists() {
        BitSet s = new BitSet();
        assertEquals("(none)", CpuAffinity.format(s));
        s.set(0);
        assertEquals("0", CpuAffinity.format(s));
        s.set(1, 4);
        s.set(8);
        s.set(10, 12);
        assertEquals("0-3,8,10-11", CpuAffinity.format(s));
    }
}
