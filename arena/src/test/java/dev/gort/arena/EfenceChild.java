package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;

/**
 * The child JVM of {@link EfenceTest}: allocates in efence mode, frees, then reads the freed
 * object, which must fault (the JVM dies with SIGSEGV). Prints a marker before each step so the
 * parent can tell how far it got. Not a test by itself (no @Test, and Surefire only runs *Test).
 * An argument, an OS page size in bytes, runs the heap on {@link LargePageOsMemory} with that page.
 */
public final class EfenceChild {
    private EfenceChild() {
    }

    public static void main(String[] args) {
        dev.gort.sys.OsMemory os = args.length == 0 ? PosixOsMemory.get() : new LargePageOsMemory(Long.parseLong(args[0]));
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withEfence(true), os);
        MCache cache = heap.newCache();
        long p = cache.alloc(64, true);
        NativeMemory.putLong(p, 42);
        System.out.println("allocated 0x" + Long.toHexString(p) + " holding " + NativeMemory.getLong(p));
        cache.free(p);
        System.out.println("freed; reading after free");
        System.out.flush();
        long v = NativeMemory.getLong(p); // must fault: the page is PROT_NONE
        System.out.println("USE-AFTER-FREE NOT DETECTED: read " + v);
        System.exit(0);
    }
}
