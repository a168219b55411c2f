package dev.gort.sched;

/**
 * The global run queue (Go's {@code sched.runq}): a FIFO of G refs in a growable ring, guarded by
 * the sched lock (every method requires it).
 *
 * <p>Go links the global queue through each G's {@code schedlink}. Here that costs a cache miss
 * per G whenever thousands are queued: linking a batch of 129 from a full local queue writes 129
 * descriptor lines (and found each descriptor through its G object), and taking a batch back reads
 * them again. One goroutine spawning 20,000 before any ran paid about four misses per goroutine
 * for it. A ring of refs is contiguous: a batch moves with one array copy and touches no G. The
 * ring grows by doubling (an allocation only when more Gs are queued than ever before) and never
 * shrinks; 8 bytes per queued G.
 */
final class GlobalRunQueue {
    private long[] ring = new long[256];
    /** Index of the first ref; {@code (head + size) & mask} is the next free slot. */
    private int head;
    private int size;

    int size() {
        return size;
    }

    void put(long ref) {
        if (size == ring.length) {
            grow(1);
        }
        ring[(head + size) & (ring.length - 1)] = ref;
        size++;
    }

    /** Appends {@code refs[0..n)} in order. */
    void putBatch(long[] refs, int n) {
        if (size + n > ring.length) {
            grow(n);
        }
        long[] r = ring;
        int mask = r.length - 1;
        int t = (head + size) & mask;
        int first = Math.min(n, r.length - t);
        System.arraycopy(refs, 0, r, t, first);
        if (first < n) {
            System.arraycopy(refs, first, r, 0, n - first);
        }
        size += n;
    }

    /** Removes and returns the first ref; 0 if empty. */
    long pop() {
        if (size == 0) {
            return 0;
        }
        long ref = ring[head];
        head = (head + 1) & (ring.length - 1);
        size--;
        return ref;
    }

    /** Removes up to {@code n} refs into {@code dst[0..)}, in order; returns how many. */
    int popBatch(long[] dst, int n) {
        n = Math.min(n, size);
        long[] r = ring;
        int first = Math.min(n, r.length - head);
        System.arraycopy(r, head, dst, 0, first);
        if (first < n) {
            System.arraycopy(r, 0, dst, first, n - first);
        }
        head = (head + n) & (r.length - 1);
        size -= n;
        return n;
    }

    /** Puts {@code refs[0..n)} back at the front, in order (a batch the local queue had no room for). */
    void unpopBatch(long[] refs, int n) {
        if (size + n > ring.length) {
            grow(n);
        }
        long[] r = ring;
        int mask = r.length - 1;
        head = (head - n) & mask;
        for (int i = 0; i < n; i++) {
            r[(head + i) & mask] = refs[i];
        }
        size += n;
    }

    private void grow(int more) {
        int cap = ring.length;
        while (cap < size + more) {
            cap *= 2;
        }
        long[] r = new long[cap];
        int first = Math.min(size, ring.length - head);
        System.arraycopy(ring, head, r, 0, first);
        System.arraycopy(ring, 0, r, first, size - first);
        ring = r;
        head = 0;
    }
}
