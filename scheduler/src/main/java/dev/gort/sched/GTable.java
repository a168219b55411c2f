package dev.gort.sched;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;

/**
 * Every G ever created by one scheduler (Go's {@code allgs}): index -> G object, and the native
 * descriptors, allocated in chunks of {@value #CHUNK} and never freed while the scheduler is
 * reachable (its {@link NativeBlocks} frees them after; G handles read them after shutdown)
 * (dead Gs are reused, as in Go). Queues store {@code index + 1} ("a G reference"), 0 meaning none.
 * Readers index {@link #all} without a lock: a G is stored before its reference is published
 * through a run queue's release store or a lock.
 */
final class GTable {
    static final int CHUNK = 4096;
    private static final int CHUNK_SHIFT = 12;

    private final RtLock lock = new RtLock();
    private volatile G[] all = new G[CHUNK];
    /**
     * 64-byte aligned start of each chunk's descriptors: {@link #desc} computes a descriptor's
     * address without loading the G object (a cache miss of its own when thousands of Gs are
     * queued or free). Replaced, never changed in place, when it grows.
     */
    private volatile long[] descBases = new long[16];
    private int nchunks;
    private volatile int count;
    private final NativeBlocks blocks;

    GTable(NativeBlocks blocks) {
        this.blocks = blocks;
    }

    G get(long ref) {
        return all[(int) (ref - 1)];
    }

    /** Address of the descriptor of the G with this ref (index + 1). */
    long desc(long ref) {
        long i = ref - 1;
        return descBases[(int) (i >>> CHUNK_SHIFT)] + (i & (CHUNK - 1)) * GDescriptor.SIZE;
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
                if (nchunks == descBases.length) {
                    descBases = java.util.Arrays.copyOf(descBases, nchunks * 2);
                }
                long bytes = CHUNK * GDescriptor.SIZE + 64;
                long raw = LibC.malloc(bytes);
                if (raw == 0) {
                    throw new OutOfMemoryError("malloc(" + bytes + ") for G descriptors failed");
                }
                NativeMemory.fill(raw, bytes, (byte) 0);
                // Descriptors start on a cache line (malloc aligns to 16 only). Published before
                // any ref of this chunk: the ref reaches readers through a release store or a lock.
                descBases[nchunks] = (raw + 63) & ~63L;
                nchunks++;
                blocks.add(raw, bytes);
            }
            long base = descBases[index / CHUNK];
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

}
