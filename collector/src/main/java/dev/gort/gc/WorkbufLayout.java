package dev.gort.gc;

import dev.gort.sys.NativeMemory;

/**
 * Layout of a workbuf, the native block of grey object pointers (Go's {@code workbuf},
 * mgcwork.go). Workbufs are {@value #SIZE} bytes and {@value #SIZE}-aligned, carved from a
 * reservation of their own in {@value #ALLOC_BYTES}-byte batches (Go's workbufAlloc).
 *
 * <pre>
 *   offset  size   field
 *   +0      8      next     lock-free stack link: the packed (address, pushCount) of the node
 *                           below this one, 0 at the bottom (see {@link LfStack})
 *   +8      8      pushCnt  how many times this buffer was pushed on any LfStack: the ABA tag
 *   +16     8      nobj     number of valid entries in obj[]
 *   +24     2024   obj[253] grey pointers (object base addresses), obj[0 .. nobj) valid
 *   +2048
 * </pre>
 *
 * Invariant: a workbuf is owned by exactly one party at a time — a gcWork (wbuf1 or wbuf2), the
 * full list or the empty list — and only its owner touches obj[] and nobj. Ownership moves by the
 * lock-free stack's CAS, which also publishes the contents.
 */
public final class WorkbufLayout {
    private WorkbufLayout() {
    }

    public static final int SIZE = 2048;
    public static final int LOG_SIZE = 11;
    public static final long NEXT = 0;
    public static final long PUSH_COUNT = 8;
    public static final long NOBJ = 16;
    public static final long OBJ = 24;
    /** Pointers per workbuf: (2048 - 24) / 8. */
    public static final int CAPACITY = (SIZE - (int) OBJ) / 8;
    /** Bytes allocated at a time for new workbufs (Go's workbufAlloc). */
    public static final int ALLOC_BYTES = 32 << 10;

    static long nobj(long b) {
        return NativeMemory.getLong(b + NOBJ);
    }

    static void setNobj(long b, long n) {
        NativeMemory.putLong(b + NOBJ, n);
    }

    static long obj(long b, long i) {
        return NativeMemory.getLong(b + OBJ + (i << 3));
    }

    static void setObj(long b, long i, long p) {
        NativeMemory.putLong(b + OBJ + (i << 3), p);
    }

    /** Throws unless {@code b} is a plausible workbuf address with a count in range. */
    static void check(long b, String where) {
        if (b == 0 || (b & (SIZE - 1)) != 0) {
            throw new IllegalStateException(where + ": 0x" + Long.toHexString(b) + " is not a " + SIZE + "-aligned workbuf");
        }
        long n = nobj(b);
        if (n < 0 || n > CAPACITY) {
            throw new IllegalStateException(where + ": workbuf 0x" + Long.toHexString(b) + " has nobj=" + n + ", outside [0, " + CAPACITY + "]");
        }
    }
}
