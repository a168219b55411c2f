package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;

/**
 * The child JVM of {@link HardDecommitTest}: in harddecommit mode, allocates a large object, frees
 * it, releases every free page, then reads the stale address, which must fault. Prints a marker
 * before each step so the parent can tell how far it got. Not a test by itself.
 */
public final class HardDecommitChild {
    private HardDecommitChild() {
    }

    public static void main(String[] args) {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withHardDecommit(true),
                PosixOsMemory.get());
        MCache cache = heap.newCache();
        long p = cache.alloc(1 << 20, true);
        NativeMemory.putLong(p, 42);
        cache.free(p);
        long released = heap.freeOSMemory();
        System.out.println("released " + released + " bytes; reading released memory at 0x" + Long.toHexString(p));
        System.out.flush();
        long v = NativeMemory.getLong(p); // must fault: harddecommit left the page PROT_NONE
        System.out.println("STALE READ NOT DETECTED: read " + v);
        System.exit(0);
    }
}
