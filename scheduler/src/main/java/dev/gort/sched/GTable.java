package dev.gort.sched;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;

/**
 * Every G ever created by one scheduler (Go's {@code allgs}): index -> G object, and the native
 * descriptors, allocated in chunks of {@value #CHUNK} and never freed while the scheduler lives
 * (dead Gs are reused, as in Go). Queues store {@code index + 1} ("a G reference"), 0 meaning none.
 * Readers index {@link #all} without a lock: a G is stored before its reference is published
 * through a run queue's release store or a lock.
 */
final class GTable {
    static final int CHUNK = 4096;

    private final RtLock lock = new RtLock();
    private volatile G[] all = new G[CHUNK];
    private long[] chunks = new long[16];
    private int nchunks;
    private volatile int count;

    G get(long ref) {
        return all[(int) (ref - 1)];
    }

    int count() {
        return count;
    }

    G at(int index) {
        return all[index];
    }

    G allocate(Scheduler sched) {
        lock.lock();
        try {
            int index = count;
            if (index % CHUNK == 0) {
                if (nchunks == chunks.length) {
                    chunks = java.util.Arrays.copyOf(chunks, nchunks * 2);
                }
                long bytes = CHUNK * GDescriptor.SIZE + 64;
                long raw = LibC.malloc(bytes);
                if (raw == 0) {
                    throw new OutOfMemoryError("malloc(" + bytes + ") for G descriptors failed");
                }
                NativeMemory.fill(raw, bytes, (byte) 0);
                chunks[nchunks++] = raw;
            }
            // Descriptors start on a cache line (malloc aligns to 16 only).
            long base = (chunks[index / CHUNK] + 63) & ~63L;
            long desc = base + (index % CHUNK) * GDescriptor.SIZE;
            NativeMemory.putInt(desc + GDescriptor.MID, -1);
            G g = new G(sched, index, desc);
            G[] a = all;
            if (index == a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            a[index] = g;
            all = a;
            count = index + 1;
            return g;
        } finally {
            lock.unlock();
        }
    }

    void free() {
        for (int i = 0; i < nchunks; i++) {
            LibC.free(chunks[i]);
        }
        nchunks = 0;
    }
}
