package dev.gort.cli;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.arena.MemStats;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;

/**
 * release-check's subject: a fresh gort heap in manual mode (explicit free, no collector), so each
 * step is exactly one allocator operation. Objects cycle through four sizes, 1 KiB, 8 KiB,
 * 32 KiB (small: size-classed spans) and 256 KiB (large: a span each), a quarter of the bytes each,
 * so small and large spans are both released.
 */
final class ArenaReleaseSubject implements ReleaseSubject {
    static final long[] SIZES = {1L << 10, 8L << 10, 32L << 10, 256L << 10};

    private final Heap heap;
    private final OsMemory os;
    private MCache cache;
    private long[] objects = new long[0];
    private long[] objectSizes = new long[0];
    private int count;

    ArenaReleaseSubject(ReleaseCheckArgs args) {
        this.os = PosixOsMemory.get();
        HeapConfig cfg = HeapConfig.defaults().withAdvice(args.advice());
        long reserve = Math.max(HeapConfig.DEFAULT_ARENA_RESERVATION, Long.highestOneBit(args.size()) * 4);
        this.heap = Heap.create(cfg.withArenaReservation(reserve), os);
        this.cache = heap.newCache();
    }

    @Override
    public void allocate(long bytes) {
        long quarter = bytes / SIZES.length;
        int n = 0;
        for (long s : SIZES) {
            n += (int) ((quarter + s - 1) / s);
        }
        objects = new long[n];
        objectSizes = new long[n];
        count = 0;
        for (long s : SIZES) {
            for (long done = 0; done < quarter; done += s) {
                objects[count] = cache.alloc(s, true);
                objectSizes[count] = s;
                count++;
            }
        }
    }

    @Override
    public void touch() {
        long page = os.pageSize();
        for (int i = 0; i < count; i++) {
            long p = objects[i];
            long end = p + objectSizes[i];
            for (long a = p; a < end; a += page) {
                NativeMemory.putLong(a, a ^ 0x5EED);
            }
        }
    }

    @Override
    public void free() {
        for (int i = 0; i < count; i++) {
            cache.free(objects[i]);
        }
        count = 0;
        heap.releaseCache(cache); // flush cached spans to their mcentrals: free pages are then the heap's
        cache = heap.newCache();
    }

    @Override
    public long release() {
        return heap.freeOSMemory();
    }

    @Override
    public long arenaResidentBytes() {
        return heap.arenaResidentBytes();
    }

    @Override
    public long[] heapStats() {
        MemStats m = heap.readMemStats();
        return new long[]{m.heapSys(), m.heapInuse(), m.heapIdle(), m.heapReleased()};
    }

    @Override
    public void close() {
        heap.close();
    }
}
