package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.CpuAffinity;
import dev.gort.sys.PosixOsMemory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class AffinityAndStackTest {

    @Test
    void spreadPinsEveryMAndEachReportsItsCpu() {
        Assumptions.assumeTrue(CpuAffinity.supported(), "CPU affinity needs Linux");
        BitSet allowed = CpuAffinity.mask();
        AtomicReference<String> err = new AtomicReference<>();
        Scheduler s = SchedTesting.run(SchedConfig.defaults().gomaxprocs(2).affinity(Affinity.SPREAD), () -> {
            Chan<Boolean> done = new Chan<>(20);
            for (int i = 0; i < 20; i++) {
                Go.go(() -> {
                    // Every goroutine runs on a pinned M: the CPU it is on is its M's CPU.
                    int cpu = CpuAffinity.currentCpu();
                    BitSet mask = CpuAffinity.mask();
                    if (mask.cardinality() != 1 || !mask.get(cpu)) {
                        err.compareAndSet(null, "M" + Go.mid() + " runs on CPU " + cpu + " with mask " + mask);
                    }
                    done.send(true);
                });
            }
            for (int i = 0; i < 20; i++) {
                done.recv();
            }
        });
        assertEquals(null, err.get());
        // An M started late in the run (a wake-up near its end) may not have reached mstart's pin
        // yet when run returns: its CPU after the pin reads -1 until its thread gets there
        // (deopt31's suite at load 53: "M1 ran on CPU -1 right after pinning to 1"). Wait for it.
        int[][] pins = s.pinnedCpus();
        for (long t0 = System.nanoTime(); notAllReported(pins) && System.nanoTime() - t0 < 60_000_000_000L; pins = s.pinnedCpus()) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertTrue(pins.length >= 1);
        List<Integer> cpus = new ArrayList<>();
        for (int m = 0; m < pins.length; m++) {
            int cpu = pins[m][0];
            assertTrue(cpu >= 0 && allowed.get(cpu), "M" + m + " pinned to " + cpu + ", allowed " + allowed);
            assertEquals(cpu, pins[m][1], "M" + m + " ran on CPU " + pins[m][1] + " right after pinning to " + cpu);
            cpus.add(cpu);
            System.out.println("M" + m + " pinned to CPU " + cpu);
        }
        if (pins.length >= 2 && allowed.cardinality() >= 2) {
            assertTrue(!cpus.get(0).equals(cpus.get(1)), "spread put M0 and M1 on the same CPU: " + cpus);
        }
    }

    /** True while some pinned M has not yet read the CPU it runs on after its pin (-1). */
    private static boolean notAllReported(int[][] pins) {
        for (int[] pin : pins) {
            if (pin[0] >= 0 && pin[1] == -1) {
                return true;
            }
        }
        return false;
    }

    /**
     * A list naming a CPU outside the process's mask is refused by Scheduler.create, naming it and
     * the CPUs allowed (before: accepted, and the M pinned there warned "cannot pin ... running
     * unpinned" once it started).
     */
    @Test
    void aListNamingACpuOutsideTheMaskIsRefusedAtCreate() {
        BitSet mask = CpuAffinity.mask();
        int missing = mask.nextClearBit(0);
        Assumptions.assumeTrue(!mask.isEmpty() && missing < 1024, "every CPU number is in this process's mask");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scheduler.create(
                SchedConfig.defaults().gomaxprocs(1).affinity(Affinity.parse("list:" + mask.nextSetBit(0) + "," + missing))));
        assertEquals("GORT_AFFINITY=list:" + mask.nextSetBit(0) + "," + missing + ": CPU " + missing + " is not in this process's"
                + " affinity mask; accepted: the CPUs it allows, " + CpuAffinity.format(mask)
                + " (list:<cpu>[,<cpu>...] of those), spread or none", e.getMessage());
    }

    @Test
    void shadowStackGrowsByCopyingAndKeepsSlots() {
        SchedTesting.run(1, () -> {
            try (Frame a = Frame.push(3)) {
                a.set(0, 0x1000);
                a.set(2, 0x3000);
                assertEquals(0, a.get(1), "slots start null");
                long scratch = a.scratch(24);
                dev.gort.sys.NativeMemory.putLong(scratch, 77);
                assertEquals(2048, Frame.stackSize());
                try (Frame big = Frame.push(1000)) {
                    big.set(999, 0x9990);
                    assertEquals(8192, Frame.stackSize(), "grown by doubling (2 -> 4 -> 8 KiB) to fit 8080 bytes");
                    assertEquals(0x1000, a.get(0));
                    assertEquals(0x3000, a.get(2));
                    assertEquals(77, dev.gort.sys.NativeMemory.getLong(a.scratchAddress()));
                    IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
                    assertTrue(e.getMessage().contains("not the innermost"), e.getMessage());
                }
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> a.set(3, 1));
                assertTrue(e.getMessage().contains("this frame has 3 slots"), e.getMessage());
                List<Integer> counts = new ArrayList<>();
                Go.current().forEachFrame((addr, n) -> counts.add(n));
                assertEquals(List.of(3), counts);
            }
            assertEquals(0, Frame.stackInUse());
        });
    }

    @Test
    void framePushInsideASyscallIsRefusedAndTheGoroutineGoesOn() {
        SchedTesting.run(1, () -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Go.syscall(() -> {
                Frame.push(1);
            }));
            assertTrue(e.getMessage().contains("Frame.push inside Go.syscall"), e.getMessage());
            try (Frame f = Frame.push(1)) {      // usable again after the call
                f.set(0, 0x10);
                assertEquals(0x10, f.get(0));
            }
            assertEquals(0, Frame.stackInUse());
        });
    }

    @Test
    void stackOverflowIsAPanicAndFramesUnwind() {
        AtomicReference<Throwable> panic = new AtomicReference<>();
        SchedTesting.run(SchedConfig.defaults().gomaxprocs(1).stackSizes(2048, 64 << 10).panicHandler((g, t) -> {
            panic.set(t);
            return true;
        }), () -> {
            Chan<Boolean> done = new Chan<>(1);
            Go.go(() -> {
                try {
                    recurse(0);
                } finally {
                    done.send(true);
                }
            });
            done.recv();
        });
        assertTrue(panic.get() instanceof StackOverflowError);
        assertTrue(panic.get().getMessage().contains("goroutine stack exceeds 65536-byte limit"), panic.get().getMessage());
    }

    private static void recurse(int depth) {
        try (Frame f = Frame.push(30)) {
            f.set(0, depth);
            recurse(depth + 1);
        }
    }

    @Test
    void arenaStacksAndMcachesAreWiredIn() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
            AtomicReference<Object> cache = new AtomicReference<>();
            SchedTesting.run(SchedConfig.defaults().gomaxprocs(2).heap(heap), () -> {
                cache.set(Go.arenaCache());
                long obj = Go.arenaCache().alloc(64, false);
                try (Frame f = Frame.push(1)) {
                    f.set(0, obj);
                    try (Frame deep = Frame.push(2000)) {
                        deep.set(1999, obj);
                        assertEquals(obj, f.get(0));
                    }
                }
            });
            assertTrue(cache.get() instanceof dev.gort.arena.MCache);
        }
    }
}
