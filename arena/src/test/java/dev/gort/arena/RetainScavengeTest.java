package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retain scavenger in Go's way (session 27, rss26's (2) and (3)), with real madvise and
 * mincore: it releases from the highest address down in pieces of at most the excess rounded up
 * to 64 KiB, not whole free runs; the rest of a run it releases from stays free and resident; and
 * allocation takes freed resident pages before the never-touched top of the arena.
 */
class RetainScavengeTest {
    static final long KiB = 1L << 10;
    static final long MiB = 1L << 20;
    static final long QUANTUM = 64 * KiB;

    static Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
    }

    static long resident(long address, long bytes) {
        return PosixOsMemory.get().residentPages(address, bytes) * PosixOsMemory.get().pageSize();
    }

    /** On main a retain target 1 MiB below retained released the whole 32 MiB free run. */
    @Test
    void aSmallExcessReleasesTheTopOfARunNotTheWholeRun() {
        try (Heap heap = newHeap()) {
            MCache c = heap.newCache();
            long big = c.alloc(32 * MiB, true);
            long live = c.alloc(MiB, true);     // keeps big's run from joining the arena's fresh top
            NativeMemory.fill(big, 32 * MiB, (byte) 1);
            NativeMemory.fill(live, MiB, (byte) 2);
            c.free(big);
            assertEquals(32 * MiB, resident(big, 32 * MiB), "freed, still resident");
            long excess = MiB + 8 * KiB;
            long retained = heap.heapRetainedBytes();
            long releasedBefore = heap.readMemStats().heapReleased();
            long released = heap.scavengeToRetain(retained - excess);
            assertTrue(released >= excess && released <= excess + QUANTUM,
                    "released " + released + " B for an excess of " + excess + " B: at most one 64 KiB quantum more");
            assertTrue(heap.heapRetainedBytes() <= retained - excess);
            assertEquals(releasedBefore + released, heap.readMemStats().heapReleased(), "HeapReleased counts it");
            long keep = 32 * MiB - released;
            assertEquals(0, resident(big + keep, released), "the top of the run went");
            assertEquals(keep, resident(big, keep), "the rest of the run stays resident");
            assertEquals(MiB, resident(live, MiB));
            assertEquals(0, heap.scavengeToRetain(retained - excess), "already at the target");
            heap.verifyHeap();
            // Released with DONTNEED: reads zero; the pages kept still hold what was written.
            assertEquals(0, NativeMemory.getLong(big + keep));
            assertEquals(0, NativeMemory.getLong(big + 32 * MiB - 8));
            assertEquals(0x0101010101010101L, NativeMemory.getLong(big + keep - 8));
            long again = c.alloc(32 * MiB, true);
            assertEquals(big, again, "the run is whole again after the release");
            for (long off = 0; off < 32 * MiB; off += 4096) {
                if (NativeMemory.getLong(again + off) != 0) {
                    throw new AssertionError("reused memory at +" + off + " is not zero");
                }
            }
            c.free(again);
            c.free(live);
            heap.verifyHeap();
        }
    }

    /** A paced caller's unit: maxBytes caps one call, and the calls add up to the target. */
    @Test
    void maxBytesCapsOneCallAndCallsAddUpToTheTarget() {
        try (Heap heap = newHeap()) {
            MCache c = heap.newCache();
            long a = c.alloc(8 * MiB, true);
            long live = c.alloc(MiB, true);
            NativeMemory.fill(a, 8 * MiB, (byte) 3);
            c.free(a);
            long retained = heap.heapRetainedBytes();
            long target = retained - 2 * MiB;
            assertEquals(QUANTUM, heap.scavengeToRetain(target, QUANTUM));
            assertEquals(QUANTUM, heap.scavengeToRetain(target, 1), "rounded up to one quantum");
            long total = 2 * QUANTUM;
            int calls = 0;
            for (long r; (r = heap.scavengeToRetain(target, QUANTUM)) > 0; calls++) {
                assertEquals(QUANTUM, r);
                total += r;
            }
            assertEquals(2 * MiB, total);
            assertEquals(2 * MiB / QUANTUM - 2, calls);
            assertEquals(target, heap.heapRetainedBytes());
            assertEquals(6 * MiB, resident(a, 6 * MiB));
            assertEquals(0, resident(a + 6 * MiB, 2 * MiB), "highest address first");
            heap.verifyHeap();
            c.free(live);
        }
    }

    /**
     * rss26's (3): after a cycle best fit took the never-touched remainder of the last growth (the
     * smaller run) while a freed, resident run waited. Now the top run is taken last.
     */
    @Test
    void allocationTakesFreedResidentPagesBeforeTheFreshTop() {
        try (Heap heap = newHeap()) {
            MCache c = heap.newCache();
            long a = c.alloc(40 * MiB, true);   // the first 64 MiB growth: 40 + 16 in use, 8 never touched
            long b = c.alloc(16 * MiB, true);
            NativeMemory.fill(a, 40 * MiB, (byte) 1);
            NativeMemory.fill(b, 16 * MiB, (byte) 1);
            long top = b + 16 * MiB;
            c.free(a);
            long x = c.alloc(4 * MiB, true);
            assertEquals(a, x, "a freed resident run is used before the fresh top (0x"
                    + Long.toHexString(top) + " is where the fresh pages start)");
            assertEquals(4 * MiB, resident(x, 4 * MiB), "resident before it is touched");
            long y = c.alloc(8 * KiB, true);    // one page: no exact-size run exists, the freed run again
            assertTrue(y >= a && y < a + 40 * MiB, "one page from the freed run, not the top: 0x" + Long.toHexString(y));
            long z = c.alloc(48 * MiB, true);   // nothing but a growth's run fits
            assertTrue(z >= top, "a request only the top can hold still gets it");
            heap.verifyHeap();
            c.free(x);
            c.free(y);
            c.free(z);
            c.free(b);
            heap.verifyHeap();
        }
    }

    /**
     * Allocation and frees on two threads while a paced scavenger releases 64 KiB at a time to a
     * low target: every object keeps its contents (a released page inside a live object would read
     * zero), and the heap verifies after.
     */
    @Test
    void liveObjectsKeepTheirContentsWhileTheScavengerCarvesRuns() throws Exception {
        churnWhileScavenging(newHeap());
    }

    /** The stress above on {@code heap} (closed at the end unless a thread is still inside it). */
    static void churnWhileScavenging(Heap heap) throws Exception {
        boolean threadsEnded = false;
        try {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong releasedTotal = new AtomicLong();
            Thread scavenger = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        long r = heap.scavengeToRetain(4 * MiB, QUANTUM);
                        releasedTotal.addAndGet(r);
                        if (r == 0) {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "scavenger");
            List<Thread> mutators = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int seed = t;
                mutators.add(new Thread(() -> {
                    MCache c = heap.newCache();
                    SplittableRandom rnd = new SplittableRandom(seed);
                    long[] objs = new long[256];
                    long[] sizes = new long[256];
                    try {
                        // 10,000 rounds: 2-5 s here, ~30 s with gcpoison's clobberFree under load
                        for (int i = 0; i < 10_000 && failure.get() == null && !stop.get(); i++) {
                            int k = rnd.nextInt(objs.length);
                            if (objs[k] != 0) {
                                check(objs[k], sizes[k]);
                                c.free(objs[k]);
                            }
                            long size = rnd.nextInt(4) == 0 ? (40 + rnd.nextInt(400)) * KiB : 16 + rnd.nextInt(4000);
                            objs[k] = c.alloc(size, true);
                            sizes[k] = size;
                            fill(objs[k], size);
                        }
                        for (int k = 0; k < objs.length; k++) {
                            if (objs[k] != 0) {
                                check(objs[k], sizes[k]);
                                c.free(objs[k]);
                            }
                        }
                        heap.releaseCache(c);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "mutator-" + t));
            }
            scavenger.start();
            mutators.forEach(Thread::start);
            long deadline = System.nanoTime() + 240_000_000_000L;    // hang guard
            for (Thread m : mutators) {
                m.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
            boolean hung = mutators.stream().anyMatch(Thread::isAlive);
            stop.set(true);             // ends the scavenger, and the mutators if the guard fired
            for (Thread t : mutators) {
                t.join(60_000);
            }
            scavenger.join(60_000);
            threadsEnded = !scavenger.isAlive() && mutators.stream().noneMatch(Thread::isAlive);
            assertTrue(!hung, "hang guard: the mutators ran longer than 240 s");
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(releasedTotal.get() > 0, "the scavenger released something");
            heap.verifyHeap();
            assertEquals(0, heap.readMemStats().heapObjects());
        } finally {
            if (threadsEnded) {
                heap.close();       // never with a thread still inside the heap: the unmap would crash it
            }
        }
    }

    /** Writes the object's address into its first and last word and into every 4 KiB page. */
    static void fill(long p, long size) {
        long lastWord = (size & ~7L) - 8;
        for (long off = 0; off < lastWord; off += 4096) {
            NativeMemory.putLong(p + off, p ^ off);
        }
        NativeMemory.putLong(p + lastWord, ~p);
    }

    static void check(long p, long size) {
        long lastWord = (size & ~7L) - 8;
        for (long off = 0; off < lastWord; off += 4096) {
            long v = NativeMemory.getLong(p + off);
            if (v != (p ^ off)) {
                throw new AssertionError("object 0x" + Long.toHexString(p) + " (" + size + " B) lost its word at +" + off
                        + ": " + Long.toHexString(v));
            }
        }
        long last = NativeMemory.getLong(p + (size & ~7L) - 8);
        if (last != ~p) {
            throw new AssertionError("object 0x" + Long.toHexString(p) + " (" + size + " B) lost its last word: " + Long.toHexString(last));
        }
    }
}
