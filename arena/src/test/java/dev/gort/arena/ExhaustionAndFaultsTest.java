package dev.gort.arena;

import dev.gort.sys.Advice;
import dev.gort.sys.FaultInjectingOsMemory;
import dev.gort.sys.FaultInjectingOsMemory.Op;
import dev.gort.sys.NativeException;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.Platform;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** TESTING.md A7 and F7-F13: growth and exhaustion with a small reservation, and OS faults injected. */
class ExhaustionAndFaultsTest {
    static final long MiB = 1L << 20;

    static HeapConfig small() {
        return HeapConfig.defaults().withHeapArenaBytes(4 * MiB).withArenaReservation(16 * MiB);
    }

    @Test
    void largeObjectsExhaustTheReservationThenRecover() {
        try (Heap heap = Heap.create(small(), PosixOsMemory.get())) {
            MCache c = heap.newCache();
            List<Long> live = new ArrayList<>();
            HeapExhaustedException e = null;
            for (int i = 0; i < 100 && e == null; i++) {
                try {
                    live.add(c.alloc(MiB, true));
                } catch (HeapExhaustedException x) {
                    e = x;
                }
            }
            assertTrue(e != null, "16 MiB reservation must run out");
            assertEquals(16, live.size(), "exactly the reservation was used");
            String m = e.getMessage();
            assertTrue(m.contains("reserved 16777216 B") && m.contains("committed 16777216 B") && m.contains("in use"), m);
            heap.verifyHeap();
            assertEquals(16 * MiB, heap.readMemStats().heapInuse());
            c.free(live.remove(3));
            long again = c.alloc(MiB, true);
            assertEquals(0, NativeMemory.getLong(again));
            heap.verifyHeap();
        }
    }

    @Test
    void smallObjectsExhaustTheReservationThenRecover() {
        try (Heap heap = Heap.create(small(), PosixOsMemory.get())) {
            MCache c = heap.newCache();
            List<Long> live = new ArrayList<>();
            assertThrows(HeapExhaustedException.class, () -> {
                while (true) {
                    live.add(c.alloc(20_000, false));
                }
            });
            heap.verifyHeap();
            long before = live.size();
            assertTrue(before > 700, "objects before exhaustion: " + before);
            // Free objects scattered over several spans (some cached, most not), then allocate again.
            for (int i = 0; i < live.size(); i += 50) {
                c.free(live.get(i));
            }
            int freed = (live.size() + 49) / 50;
            for (int i = 0; i < freed; i++) {
                c.alloc(20_000, false);
            }
            assertThrows(HeapExhaustedException.class, () -> c.alloc(20_000, false));
            heap.verifyHeap();
        }
    }

    @Test
    void commitFailuresLeaveNothingChanged() {
        for (int skip = 0; skip < 3; skip++) {
            FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
            try (Heap heap = Heap.create(small(), os)) {
                MCache c = heap.newCache();
                os.failAfter(Op.COMMIT, skip, 1, "ENOMEM");
                HeapExhaustedException e = assertThrows(HeapExhaustedException.class, () -> c.alloc(64, true));
                assertInstanceOf(NativeException.class, e.getCause(), e.toString());
                assertEquals("ENOMEM", ((NativeException) e.getCause()).errnoName());
                assertEquals(1, os.injected(Op.COMMIT));
                MemStats st = heap.readMemStats();
                assertEquals(0, st.heapSys(), "skip " + skip + ": nothing committed after the failure");
                assertEquals(0, heap.arenaCommittedBytes());
                heap.verifyHeap();
                long p = c.alloc(64, true);
                NativeMemory.putLong(p, 1);
                c.free(p);
                heap.verifyHeap();
            }
        }
    }

    @Test
    void reserveFailureIsReported() {
        FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
        os.failAfter(Op.RESERVE, 2, 1, "ENOMEM");
        HeapExhaustedException e = assertThrows(HeapExhaustedException.class, () -> Heap.create(small(), os));
        assertTrue(e.getMessage().contains("cannot reserve"), e.getMessage());
        try (Heap heap = Heap.create(small(), os)) {
            heap.newCache().alloc(8, true);
        }
    }

    @Test
    void madviseEagainIsRetriedAndOtherErrorsCountNothing() {
        FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
        try (Heap heap = Heap.create(small(), os)) {
            MCache c = heap.newCache();
            long p = c.alloc(2 * MiB, true);
            NativeMemory.fill(p, 2 * MiB, (byte) 1);
            c.free(p);
            MemStats before = heap.readMemStats();
            os.failNext(Op.RELEASE, 1000, "ENOMEM");
            os.failNext(Op.REMAP, 1000, "ENOMEM");
            assertEquals(0, heap.freeOSMemory(), "a failed madvise and a failed remap release nothing");
            assertEquals(before.heapReleased(), heap.readMemStats().heapReleased(), "and counts nothing");
            heap.verifyHeap();
            os.clear();
            os.failNext(Op.RELEASE, 2, "EAGAIN");
            assertEquals(2 * MiB, heap.freeOSMemory(), "EAGAIN is retried");
            MemStats st = heap.readMemStats();
            assertEquals(st.heapIdle(), st.heapReleased());
            heap.verifyHeap();
        }
    }

    @Test
    void whenMadviseFailsTheRangeIsRemappedWithFreshZeroPages() {
        FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
        try (Heap heap = Heap.create(small(), os)) {
            MCache c = heap.newCache();
            long p = c.alloc(2 * MiB, true);
            NativeMemory.fill(p, 2 * MiB, (byte) 7);
            c.free(p);
            long releasedBefore = heap.readMemStats().heapReleased();
            os.failNext(Op.RELEASE, 1000, "EINVAL"); // DONTNEED itself refused
            long released = heap.freeOSMemory();
            assertEquals(2 * MiB, released, "released through the remap fallback");
            assertTrue(heap.releaseRemaps() > 0, "the fallback was taken");
            assertEquals(releasedBefore + released, heap.readMemStats().heapReleased());
            assertEquals(0, PosixOsMemory.get().residentPages(p, 2 * MiB), "the old pages are gone");
            heap.verifyHeap();
            os.clear();
            long q = c.alloc(2 * MiB, true);
            for (long off = 0; off < 2 * MiB; off += 4096) {
                assertEquals(0, NativeMemory.getLong(q + off), "remapped memory reads zero at +" + off);
            }
            c.free(q);
            heap.releaseCache(c);
            heap.verifyHeap();
        }
    }

    @Test
    void madvFreeEinvalFallsBackToDontneedForGood() {
        assumeTrue(Platform.current().isLinux());
        FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
        try (Heap heap = Heap.create(small().withAdvice(Advice.FREE), os)) {
            MCache c = heap.newCache();
            long p = c.alloc(MiB, true);
            NativeMemory.fill(p, MiB, (byte) 1);
            c.free(p);
            os.failNext(Op.RELEASE, 1, "EINVAL");
            assertEquals(MiB, heap.freeOSMemory());
            assertEquals(Advice.DONTNEED, heap.releaseAdvice(), "switched to MADV_DONTNEED");
            assertEquals(0, PosixOsMemory.get().residentPages(p, MiB), "DONTNEED released at once");
            heap.verifyHeap();
        }
    }

    @Test
    void badConfigurationIsExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HeapConfig.defaults().withHeapArenaBytes(3 * MiB));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> HeapConfig.defaults().withArenaReservation(100 * MiB));
        assertTrue(e.getMessage().contains("multiple of heapArenaBytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> HeapConfig.defaults().withScavengeIdleNanos(-1));
        assertTrue(e.getMessage().contains(">= 0"), e.getMessage());
    }
}
