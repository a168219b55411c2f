package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * Dead Gs kept for reuse (Go's p.gFree and sched.gFree): each P's own list in its native block
 * (GFREE_HEAD, GFREE_COUNT; only the P's owner touches it), and one global list under its own
 * leaf lock that long P lists spill into and empty ones refill from. Both are linked through the
 * G descriptors' schedlink.
 */
final class GFreeList {
    private final GTable gtable;
    private final RtLock lock = new RtLock();
    /** Global list (lock). */
    private long head;
    /** Global list's length: written under the lock, read without it as a hint by get. */
    private int count;

    GFreeList(GTable gtable) {
        this.gtable = gtable;
    }

    /** Puts a dead G on pp's free list; a long list moves half to the global list (Go's gfput). */
    void put(P pp, G gp) {
        long base = pp.base;
        GDescriptor.setSchedlink(gp.desc, NativeMemory.getLong(base + PDescriptor.GFREE_HEAD));
        NativeMemory.putLong(base + PDescriptor.GFREE_HEAD, gp.ref);
        long n = NativeMemory.getLong(base + PDescriptor.GFREE_COUNT) + 1;
        NativeMemory.putLong(base + PDescriptor.GFREE_COUNT, n);
        if (n >= 64) {
            lock.lock();
            while (n >= 32) {
                long ref = NativeMemory.getLong(base + PDescriptor.GFREE_HEAD);
                long d = gtable.desc(ref);
                NativeMemory.putLong(base + PDescriptor.GFREE_HEAD, GDescriptor.schedlink(d));
                n--;
                GDescriptor.setSchedlink(d, head);
                head = ref;
                count++;
            }
            lock.unlock();
            NativeMemory.putLong(base + PDescriptor.GFREE_COUNT, n);
        }
    }

    /** Takes a free G from pp's list, refilling it with up to 32 from the global list (Go's gfget). */
    G get(P pp) {
        long base = pp.base;
        long n = NativeMemory.getLong(base + PDescriptor.GFREE_COUNT);
        if (n == 0 && count > 0) {
            lock.lock();
            while (n < 32 && head != 0) {
                long ref = head;
                long d = gtable.desc(ref);
                head = GDescriptor.schedlink(d);
                count--;
                GDescriptor.setSchedlink(d, NativeMemory.getLong(base + PDescriptor.GFREE_HEAD));
                NativeMemory.putLong(base + PDescriptor.GFREE_HEAD, ref);
                n++;
            }
            lock.unlock();
            NativeMemory.putLong(base + PDescriptor.GFREE_COUNT, n);
        }
        if (n == 0) {
            return null;
        }
        long ref = NativeMemory.getLong(base + PDescriptor.GFREE_HEAD);
        G g = gtable.get(ref);
        NativeMemory.putLong(base + PDescriptor.GFREE_HEAD, GDescriptor.schedlink(g.desc));
        NativeMemory.putLong(base + PDescriptor.GFREE_COUNT, n - 1);
        GDescriptor.setSchedlink(g.desc, 0);
        return g;
    }

    /** Moves every free G of pp to the global list (Go's gfpurge; pp is being destroyed). */
    void purge(P pp) {
        long base = pp.base;
        lock.lock();
        for (long ref = NativeMemory.getLong(base + PDescriptor.GFREE_HEAD); ref != 0;) {
            long d = gtable.get(ref).desc;
            long next = GDescriptor.schedlink(d);
            GDescriptor.setSchedlink(d, head);
            head = ref;
            count++;
            ref = next;
        }
        lock.unlock();
        NativeMemory.putLong(base + PDescriptor.GFREE_HEAD, 0);
        NativeMemory.putLong(base + PDescriptor.GFREE_COUNT, 0);
    }
}
