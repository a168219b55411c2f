package dev.gort.arena;

import dev.gort.sys.Advice;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The age pass ({@link Heap#scavengeIdle}) allocates no Java object under the heap lock. Before
 * session 31 it allocated a {@code long[4]} per candidate run inside its walk's holds (and a list
 * and a {@code long[2]} per released stretch in each run's closing hold): at 50,000 old free runs
 * a host-JVM GC set off by them landed in a hold and stretched it to 33 ms (scav30's probe). The
 * candidates now go into one primitive buffer the scavenger reuses, grown only between holds.
 * Measured with the thread's allocated-bytes counter around a whole pass (the walk, the sort and
 * every release), after a first pass that sized the buffers; interpreted and C1 code included,
 * where nothing is scalar-replaced. The system calls themselves are left out of the count (they run
 * with the heap lock out): {@link CountingOsMemory} measures what each allocates (an FFM downcall
 * with errno capture allocates about 40 bytes before C2 compiles it) and the test subtracts it.
 */
@Timeout(120)
class AgePassAllocationTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    /** The real OS layer; counts the Java heap bytes its range calls allocate on the calling thread. */
    static final class CountingOsMemory implements OsMemory {
        final OsMemory real = PosixOsMemory.get();
        long bytesInCalls;

        @Override public long pageSize() { return real.pageSize(); }
        @Override public long reserve(long bytes) { return real.reserve(bytes); }
        @Override public void commit(long address, long bytes) { real.commit(address, bytes); }
        @Override public void hugePages(long address, long bytes, boolean enable) { real.hugePages(address, bytes, enable); }
        @Override public void unmap(long address, long bytes) { real.unmap(address, bytes); }
        @Override public long residentPages(long address, long bytes) { return real.residentPages(address, bytes); }

        @Override
        public boolean release(long address, long bytes, Advice advice) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                return real.release(address, bytes, advice);
            } finally {
                bytesInCalls += THREADS.getCurrentThreadAllocatedBytes() - before;
            }
        }

        @Override
        public void remap(long address, long bytes) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                real.remap(address, bytes);
            } finally {
                bytesInCalls += THREADS.getCurrentThreadAllocatedBytes() - before;
            }
        }

        @Override
        public void decommit(long address, long bytes) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                real.decommit(address, bytes);
            } finally {
                bytesInCalls += THREADS.getCurrentThreadAllocatedBytes() - before;
            }
        }
    }

    @Test
    void aPassOverManyOldRunsAllocatesNothing() {
        CountingOsMemory os = new CountingOsMemory();
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClock(now::get), os)) {
            MCache c = heap.newCache();
            long[] objects = AgePassLockHoldTest.layout(c);
            int runs = AgePassLockHoldTest.RUNS;
            now.addAndGet(TimeUnit.MINUTES.toNanos(10));
            assertEquals(runs * AgePassLockHoldTest.OBJECT, heap.scavengeIdle(), "the first pass releases every old run");

            THREADS.getCurrentThreadAllocatedBytes();
            long worst = 0;
            for (int round = 0; round < 3; round++) {
                // Every free run handed out and freed again: unreleased, and old ten minutes later.
                long[] again = new long[runs];
                for (int i = 0; i < runs; i++) {
                    again[i] = c.alloc(AgePassLockHoldTest.OBJECT, true);
                }
                for (long p : again) {
                    c.free(p);
                }
                now.addAndGet(TimeUnit.MINUTES.toNanos(10));
                long inCallsBefore = os.bytesInCalls;
                long before = THREADS.getCurrentThreadAllocatedBytes();
                long released = heap.scavengeIdle();
                long bytes = THREADS.getCurrentThreadAllocatedBytes() - before - (os.bytesInCalls - inCallsBefore);
                assertEquals(runs * AgePassLockHoldTest.OBJECT, released, "round " + round + " released every old run");
                worst = Math.max(worst, bytes);
            }
            System.out.println("age pass over " + runs + " old runs: at most " + worst
                    + " bytes allocated outside the system calls");
            // A long[4] per candidate alone is 48 bytes a run, ~38 KB here; allow a few stray objects.
            assertTrue(worst < 4 * 1024, "an age pass releasing " + runs + " old runs allocated " + worst
                    + " bytes of Java heap outside its system calls (nothing is allowed under the heap lock)");
            MemStats st = heap.readMemStats();
            assertEquals(st.heapIdle(), st.heapReleased());
            heap.verifyHeap();
            for (int i = 0; i < objects.length; i += 2) {
                c.free(objects[i]);
            }
            heap.verifyHeap();
        }
    }

    /**
     * The candidates are released oldest first, and runs freed at the same time lowest address
     * first, under a retain target that stops the pass part-way: the heapsort over the buffer keeps
     * the order the list sort gave.
     */
    @Test
    void theOldestRunsGoFirstAndTiesGoByAddress() {
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClock(now::get),
                PosixOsMemory.get())) {
            MCache c = heap.newCache();
            int n = 41;
            long[] objects = new long[2 * n + 1];
            for (int i = 0; i < objects.length; i++) {
                objects[i] = c.alloc(AgePassLockHoldTest.OBJECT, true);
            }
            // Free the odd objects from the top down, two per clock tick: pairs share a free time,
            // and the higher address of each pair is the older one's neighbour in the walk.
            for (int k = 0; k < n; k++) {
                int i = 2 * (n - k) - 1;
                c.free(objects[i]);
                if (k % 2 == 1) {
                    now.addAndGet(1);
                }
            }
            now.addAndGet(TimeUnit.MINUTES.toNanos(10));
            MHeap h = heap.mheap;
            long resident;
            h.lock.lock();
            try {
                resident = (h.pagesCommitted - h.pagesReleased) * SizeClasses.PAGE_SIZE;
            } finally {
                h.lock.unlock();
            }
            int wanted = 7;     // the retain target leaves room for exactly 7 old runs' release
            long released = h.scavenge(TimeUnit.MINUTES.toNanos(5), resident - wanted * AgePassLockHoldTest.OBJECT);
            assertEquals(wanted * AgePassLockHoldTest.OBJECT, released);
            // Age order: the free order k = 0, 1, 2, ... with each pair (one free time) by address.
            java.util.List<Long> expected = new java.util.ArrayList<>();
            for (int k = 0; k < n; k += 2) {
                long first = objects[2 * (n - k) - 1];
                if (k + 1 < n) {
                    expected.add(objects[2 * (n - k - 1) - 1]);    // the lower address of the pair
                }
                expected.add(first);
            }
            for (int j = 0; j < expected.size(); j++) {
                long p = expected.get(j);
                boolean isReleased = h.space.released(h.space.pageIndex(p));
                assertEquals(j < wanted, isReleased, "run " + j + " in age order (0x" + Long.toHexString(p)
                        + ") released: the " + wanted + " oldest are, no other");
            }
            heap.verifyHeap();
        }
    }
}
