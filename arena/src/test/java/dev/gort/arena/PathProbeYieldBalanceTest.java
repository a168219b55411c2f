package dev.gort.arena;

import dev.gort.sys.PathProbe;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A refill that gives up for a stop ({@link AllocationYield}) leaves PathProbe's per-thread start
 * stack balanced: MCache's CACHE_SPAN probe and MCentral.cacheSpan's CENTRAL_SWEEPS / CENTRAL_GROW
 * probes end on the throw too, so the enclosing REFILL probe's end finds its own start and keeps the
 * event (found in review of session 20's branch nopoll: the yielded refills, the long ones, were
 * booked as "unknown" and lost). Needs -Dgort.test.argLine=-Dgort.debug.pathprobe=true (skipped
 * otherwise).
 */
class PathProbeYieldBalanceTest {
    Heap heap;
    GcSupport gc;
    MCache cache;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = heap.gc();
        cache = heap.newCache();
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    @Test
    void aYieldedRefillLeavesTheProbeStackBalanced() {
        Assumptions.assumeTrue(PathProbe.ON, "run with -Dgort.debug.pathprobe=true");
        int perSpan = SizeClasses.classToObjects(SizeClasses.sizeToClass(48));
        List<Long> objs = new ArrayList<>();
        for (int i = 0; i < 200 * perSpan; i++) {
            objs.add(cache.alloc(48, true));
        }
        for (long p : objs) {
            gc.tryMark(p);
        }
        gc.flushAllCaches();
        gc.startSweepCycle();
        gc.setStopHook(() -> true);
        PathProbe.reset();
        cache.setStopYield(true);
        assertThrows(AllocationYield.class, () -> cache.alloc(48, true));    // gives up after the first claimed full span
        cache.setStopYield(false);
        String r = PathProbe.report();
        // Same thread throughout: no refill may be booked with an unknown CPU figure.
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("mcache refill[^:]*: (\\d+), .*\\(unknown (\\d+)\\)").matcher(r);
        assertTrue(m.find(), r);
        assertEquals("0", m.group(2), "the yielded refill's probe end found a dangling start (stack unbalanced):\n" + r);
    }
}
