package dev.gort.arena;

import java.util.List;

/**
 * Allocator statistics under Go's runtime.MemStats names (camel-cased), in bytes or counts.
 *
 * <p>Read by {@link Heap#readMemStats()}: the page figures are taken under the heap lock and are
 * exact; object counts are summed from every mcache's owner-only counters and are exact when no
 * thread allocates or frees during the call (Go stops the world for ReadMemStats; this does not).
 *
 * @param alloc        = heapAlloc
 * @param totalAlloc   cumulative bytes allocated (never decreases)
 * @param sys          all bytes the heap has committed: heapSys + stackSys + mSpanSys + gcSys + otherSys
 * @param mallocs      cumulative objects allocated
 * @param frees        cumulative objects freed (manual frees and GC sweeps)
 * @param heapAlloc    bytes of live objects (size-class bytes, not requested bytes)
 * @param heapSys      bytes of heap pages committed: heapInuse + heapIdle
 * @param heapIdle     bytes in free page runs (includes heapReleased)
 * @param heapInuse    bytes in spans holding objects (small and large)
 * @param heapReleased bytes of free pages returned to the OS (or never touched since commit)
 * @param heapObjects  live objects
 * @param stackInuse   bytes in stack spans
 * @param stackSys     = stackInuse (gort takes stacks from the heap only)
 * @param mSpanInuse   bytes of live span descriptors
 * @param mSpanSys     bytes committed for span descriptors
 * @param gcSys        bytes committed for the pointer bitmap
 * @param otherSys     bytes committed for the spans region and the released-page bits
 * @param heapLive     the pacer's heapLive (Go's gcController.heapLive: cached spans count as full)
 * @param bySize       per size class 1..67: size, mallocs, frees
 */
public record MemStats(long alloc, long totalAlloc, long sys, long mallocs, long frees, long heapAlloc,
                       long heapSys, long heapIdle, long heapInuse, long heapReleased, long heapObjects,
                       long stackInuse, long stackSys, long mSpanInuse, long mSpanSys, long gcSys, long otherSys,
                       long heapLive, List<SizeClassStats> bySize) {

    /** One size class's counts (Go's MemStats.BySize entry). */
    public record SizeClassStats(int size, long mallocs, long frees) {
    }

    /** HeapSys - HeapReleased: what the heap holds from the OS right now (Go's "retained"). */
    public long heapRetained() {
        return heapSys - heapReleased;
    }

    @Override
    public String toString() {
        return "MemStats{HeapAlloc=" + heapAlloc + " HeapSys=" + heapSys + " HeapIdle=" + heapIdle + " HeapInuse="
                + heapInuse + " HeapReleased=" + heapReleased + " HeapObjects=" + heapObjects + " Mallocs=" + mallocs
                + " Frees=" + frees + " TotalAlloc=" + totalAlloc + " StackInuse=" + stackInuse + " Sys=" + sys
                + " MSpanInuse=" + mSpanInuse + " GCSys=" + gcSys + " heapLive=" + heapLive + "}";
    }
}
