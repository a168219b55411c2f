package dev.gort.arena;

import dev.gort.sys.Advice;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.Platform;
import dev.gort.sys.PosixOsMemory;
import dev.gort.sys.ProcessMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TESTING.md A4, measured with mincore and RSS: allocate 512 MiB in small objects, free them all,
 * freeOSMemory; arena residency falls under 1% of what it was, RSS falls by at least 480 MiB,
 * HeapReleased grows by exactly the bytes released, and memory allocated again reads zero. The
 * MADV_FREE variant shows the released bytes as LazyFree and still hands out zeroed memory.
 */
class ReleaseTest {
    static final long MiB = 1L << 20;
    static final int[] SIZES = {16, 48, 64, 112, 256, 512, 1024, 2048, 4096};

    /** Zeros to compare fresh objects with (as large as the largest of SIZES). */
    static final MemorySegment ZEROS = Arena.global().allocate(4096);

    /**
     * How many objects of SIZES, in turn, make {@code totalBytes}: the address arrays are sized
     * to it (591,000 for 512 MiB). Sized for 16-byte objects they were 268 MB of Java heap each,
     * first-touched twice a run: on this VM, under load, most of the test's 40-51 s.
     */
    static int objectsFor(long totalBytes) {
        int n = 0;
        for (long done = 0; done < totalBytes; n++) {
            done += SIZES[n % SIZES.length];
        }
        return n;
    }

    static long[] allocateAndTouch(MCache cache, long totalBytes) {
        long[] out = new long[objectsFor(totalBytes)];
        for (int n = 0; n < out.length; n++) {
            int size = SIZES[n % SIZES.length];
            long p = cache.alloc(size, true);
            NativeMemory.putLong(p, p);
            NativeMemory.putLong(p + size - 8, ~p);
            out[n] = p;
        }
        return out;
    }

    @Test
    void release512MiBWithDontneed() {
        assumeTrue(Platform.current().isLinux(), "RSS and mincore figures are checked on Linux");
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(2L << 30), PosixOsMemory.get())) {
            MCache cache = heap.newCache();
            long[] objs = allocateAndTouch(cache, 512 * MiB);
            long residentBefore = heap.arenaResidentBytes();
            assertTrue(residentBefore >= 512 * MiB, "touched arena is resident: " + residentBefore);
            for (long p : objs) {
                cache.free(p);
            }
            heap.releaseCache(cache);
            // RSS right before the release, after the frees: explicit frees write each span's
            // pending-free pair, which lives outside the descriptor (a collected heap never
            // touches it), so the frees themselves make up to 24 MiB of metadata resident here.
            long rssBefore = ProcessMemory.rssBytes();
            MemStats before = heap.readMemStats();
            long t0 = System.nanoTime();
            long released = heap.freeOSMemory();
            long nanos = System.nanoTime() - t0;
            MemStats after = heap.readMemStats();
            long residentAfter = heap.arenaResidentBytes();
            long rssAfter = ProcessMemory.rssBytes();
            System.out.printf("release DONTNEED: %d MiB released in %.1f ms (%.0f MiB/s); arena resident %d -> %d KiB;"
                    + " RSS %d -> %d MiB%n", released / MiB, nanos / 1e6, released / (double) MiB / (nanos / 1e9),
                    residentBefore >> 10, residentAfter >> 10, rssBefore / MiB, rssAfter / MiB);
            assertTrue(residentAfter < residentBefore / 100, "arena residency " + residentAfter + " of " + residentBefore);
            assertTrue(rssBefore - rssAfter >= 480 * MiB, "RSS fell by only " + (rssBefore - rssAfter) / MiB + " MiB");
            assertEquals(released, after.heapReleased() - before.heapReleased(), "HeapReleased grew by the bytes released");
            assertEquals(after.heapIdle(), after.heapReleased(), "every free page is released");
            assertTrue(released >= 512 * MiB, "released " + released);
            heap.verifyHeap();

            MCache again = heap.newCache();
            long[] objs2 = allocateAndTouchCheckingZero(again, 512 * MiB);
            assertEquals(objs.length, objs2.length);
            heap.verifyHeap();
        }
    }

    static long[] allocateAndTouchCheckingZero(MCache cache, long totalBytes) {
        long[] out = new long[objectsFor(totalBytes)];
        for (int n = 0; n < out.length; n++) {
            int size = SIZES[n % SIZES.length];
            long p = cache.alloc(size, true);
            long at = MemorySegment.mismatch(NativeMemory.ALL, p, p + size, ZEROS, 0, size);   // every byte, compared in bulk
            if (at >= 0) {
                throw new AssertionError("re-allocated memory at 0x" + Long.toHexString(p + at) + " is not zero");
            }
            NativeMemory.putLong(p, p);
            out[n] = p;
        }
        return out;
    }

    @Test
    void releaseWithMadvFreeShowsAsLazyFreeAndStillZeroes() {
        assumeTrue(Platform.current().isLinux(), "LazyFree is a Linux smaps figure");
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withAdvice(Advice.FREE),
                PosixOsMemory.get())) {
            MCache cache = heap.newCache();
            long[] objs = allocateAndTouch(cache, 256 * MiB);
            for (long p : objs) {
                cache.free(p);
            }
            heap.releaseCache(cache);
            long lazyBefore = ProcessMemory.read().lazyFree();
            MemStats before = heap.readMemStats();
            long released = heap.freeOSMemory();
            MemStats after = heap.readMemStats();
            long lazyAfter = ProcessMemory.read().lazyFree();
            System.out.printf("release FREE: %d MiB released, advice now %s, LazyFree %d -> %d MiB%n", released / MiB,
                    heap.releaseAdvice(), lazyBefore / MiB, lazyAfter / MiB);
            assumeTrue(heap.releaseAdvice() == Advice.FREE, "kernel refused MADV_FREE (fell back to DONTNEED)");
            assertEquals(released, after.heapReleased() - before.heapReleased());
            assertTrue(lazyAfter - lazyBefore >= released * 9 / 10,
                    "LazyFree grew by " + (lazyAfter - lazyBefore) + " for " + released + " released");
            MCache again = heap.newCache();
            allocateAndTouchCheckingZero(again, 256 * MiB);
            heap.verifyHeap();
        }
    }
}
