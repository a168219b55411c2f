package dev.gort.gc;

import dev.gort.sys.NativeMemory;

/**
 * A lock-free LIFO of native nodes (Go's lfstack), used for the global full and empty workbuf
 * lists.
 *
 * <p>The head is one native 64-bit word holding a <em>packed</em> node: the node's address
 * (2048-aligned, below 2^48, so its upper 37 significant bits) together with the node's push count
 * (27 bits). Every push increments the node's own push count, so a node that was popped, reused and
 * pushed again packs to a different value: a pop that read the old head and its {@code next} cannot
 * succeed with a stale {@code next} (the ABA problem). A wrong pop would need 2^27 pushes of the
 * same node between one thread's read and its CAS.
 *
 * <p>Nodes are never unmapped while the stack is in use, so reading {@code next} of a node that
 * another thread just popped is safe (it may be garbage; the CAS then fails).
 *
 * <p>Ordering: push publishes the node's contents with the CAS (volatile semantics); pop's volatile
 * read of the head and its successful CAS acquire them.
 */
public final class LfStack {
    private static final int COUNT_BITS = 27;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

    private final long head; // address of the native head word

    /** A stack whose head word lives at {@code headAddress} (8-aligned, initially zero). */
    public LfStack(long headAddress) {
        if ((headAddress & 7) != 0 || headAddress == 0) {
            throw new IllegalArgumentException("head word must be a non-null 8-aligned address, got 0x" + Long.toHexString(headAddress));
        }
        this.head = headAddress;
    }

    static long pack(long node, long count) {
        return ((node >>> WorkbufLayout.LOG_SIZE) << COUNT_BITS) | (count & COUNT_MASK);
    }

    static long unpack(long packed) {
        return (packed >>> COUNT_BITS) << WorkbufLayout.LOG_SIZE;
    }

    public void push(long node) {
        if ((node & (WorkbufLayout.SIZE - 1)) != 0 || node == 0 || (node >>> 48) != 0) {
            throw new IllegalArgumentException("lfstack node 0x" + Long.toHexString(node)
                    + " must be non-null, " + WorkbufLayout.SIZE + "-aligned and below 2^48");
        }
        long cnt = NativeMemory.getLong(node + WorkbufLayout.PUSH_COUNT) + 1;
        NativeMemory.putLong(node + WorkbufLayout.PUSH_COUNT, cnt);
        long packed = pack(node, cnt);
        if (unpack(packed) != node) {
            throw new IllegalStateException("lfstack pack(0x" + Long.toHexString(node) + ") does not round-trip");
        }
        for (;;) {
            long old = NativeMemory.getLongVolatile(head);
            NativeMemory.putLong(node + WorkbufLayout.NEXT, old);
            if (NativeMemory.casLong(head, old, packed)) {
                return;
            }
        }
    }

    /** Pops a node, or returns 0 when the stack is empty. */
    public long pop() {
        for (;;) {
            long old = NativeMemory.getLongVolatile(head);
            if (old == 0) {
                return 0;
            }
            long node = unpack(old);
            long next = NativeMemory.getLongVolatile(node + WorkbufLayout.NEXT);
            if (NativeMemory.casLong(head, old, next)) {
                return node;
            }
        }
    }

    public boolean isEmpty() {
        return NativeMemory.getLongVolatile(head) == 0;
    }

    /** Counts the nodes. Only meaningful while no one pushes or pops (a slow check). */
    public long sizeQuiescent(long limit) {
        long n = 0;
        for (long p = NativeMemory.getLongVolatile(head); p != 0; p = NativeMemory.getLong(unpack(p) + WorkbufLayout.NEXT)) {
            if (++n > limit) {
                throw new IllegalStateException("lfstack has more than " + limit + " nodes: a cycle?");
            }
        }
        return n;
    }
}
