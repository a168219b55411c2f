package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TESTING.md A6: the age and retain-target policies with an injected clock (nothing sleeps). */
class ScavengerPolicyTest {
    static final long MiB = 1L << 20;
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClock(now::get),
                PosixOsMemory.get());
    }

    static long resident(long address, long bytes) {
        return PosixOsMemory.get().residentPages(address, bytes) * PosixOsMemory.get().pageSize();
    }

    void advanceMinutes(long m) {
        now.addAndGet(TimeUnit.MINUTES.toNanos(m));
    }

    @Test
    void runsYoungerThanScavengeIdleAreKeptOlderOnesReleased() {
        try (Heap heap = newHeap()) {
            MCache c = heap.newCache();
            long a = c.alloc(MiB, true);
            long s1 = c.alloc(MiB, true); // live separators keep A and B from coalescing
            long b = c.alloc(MiB, true);
            long s2 = c.alloc(MiB, true);
            NativeMemory.fill(a, MiB, (byte) 1);
            NativeMemory.fill(b, MiB, (byte) 1);
            assertEquals(0, heap.scavengeIdle(), "nothing is free and touched yet");
            c.free(a);
            advanceMinutes(4);
            c.free(b);
            advanceMinutes(2); // a idle 6 min, b idle 2 min
            assertEquals(MiB, heap.scavengeIdle(), "only the run idle for >= 5 minutes is released");
            assertEquals(0, resident(a, MiB));
            assertEquals(MiB, resident(b, MiB), "the young run is kept resident");
            assertEquals(0, heap.scavengeIdle(), "nothing more is old enough");
            assertEquals(0, heap.scavengeIdle(TimeUnit.MINUTES.toNanos(3)), "b is 2 minutes idle");
            advanceMinutes(3); // b idle 5 min
            assertEquals(MiB, heap.scavengeIdle());
            assertEquals(0, resident(b, MiB));
            heap.verifyHeap();
            MemStats st = heap.readMemStats();
            assertEquals(st.heapIdle(), st.heapReleased());
            c.free(s1);
            c.free(s2);
            heap.verifyHeap();
        }
    }

    @Test
    void smallObjectsFreedEverywhereAreReleasedOnceIdle() {
        try (Heap heap = newHeap()) {
            MCache c = heap.newCache();
            long[] ps = new long[4096];
            for (int i = 0; i < ps.length; i++) {
                ps[i] = c.alloc(1024, true);
                NativeMemory.putLong(ps[i], i);
            }
            for (long p : ps) {
                c.free(p); // most land in spans this cache no longer holds: pending until folded
            }
            assertEquals(0, heap.scavengeIdle(), "folded now, so idle only from now");
            long inUse = heap.readMemStats().heapInuse();
            assertTrue(inUse <= 8 * 1024, "only the cached span stays in use: " + inUse);
            advanceMinutes(5);
            long released = heap.scavengeIdle();
            assertTrue(released >= 4096L * 1024 - 8 * 1024, "released " + released);
            heap.verifyHeap();
        }
    }

    @Test
    void retainTargetReleasesTheHigherRunFirst() {
        try (Heap heap = newHeap()) {
            MCache c = heap.newCache();
            long a = c.alloc(MiB, true);
            long s1 = c.alloc(MiB, true);
            long b = c.alloc(MiB, true);
            long s2 = c.alloc(MiB, true);
            NativeMemory.fill(a, MiB, (byte) 1);
            NativeMemory.fill(b, MiB, (byte) 1);
            c.free(a); // a is freed first, the oldest: the order was oldest first, it is highest address first (Go's)
            advanceMinutes(1);
            c.free(b);
            MemStats st = heap.readMemStats();
            assertEquals(4 * MiB, st.heapRetained(), "two live and two free-but-unreleased MiB");
            long released = heap.scavengeToRetain(3 * MiB);
            assertEquals(MiB, released);
            assertEquals(0, resident(b, MiB), "the higher run went first");
            assertEquals(MiB, resident(a, MiB));
            assertEquals(3 * MiB, heap.readMemStats().heapRetained());
            assertEquals(3 * MiB, heap.heapRetainedBytes());
            assertEquals(0, heap.scavengeToRetain(3 * MiB), "already at the target");
            assertEquals(MiB, heap.scavengeToRetain(0));
            heap.verifyHeap();
            c.free(s1);
            c.free(s2);
        }
    }

    @Test
    void releasedPagesAreReaccountedWhenReused() {
        try (Heap heap = newHeap()) {
            MCache c = heap.newCache();
            long a = c.alloc(8 * MiB, true);
            NativeMemory.fill(a, 8 * MiB, (byte) 9);
            c.free(a);
            long released = heap.freeOSMemory();
            MemStats st = heap.readMemStats();
            assertEquals(st.heapIdle(), st.heapReleased());
            assertTrue(released >= 8 * MiB);
            long b = c.alloc(8 * MiB, true);
            assertEquals(a, b, "best fit reuses the same run");
            MemStats st2 = heap.readMemStats();
            assertEquals(st.heapReleased() - 8 * MiB, st2.heapReleased(), "reused pages leave HeapReleased");
            for (long i = 0; i < 8 * MiB; i += 4096) {
                assertEquals(0, NativeMemory.getLong(b + i), "released with DONTNEED: reads zero without zeroing");
            }
            heap.verifyHeap();
        }
    }
}
