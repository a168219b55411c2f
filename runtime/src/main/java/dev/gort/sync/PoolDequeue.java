package dev.gort.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed-size lock-free ring: one producer at the head, any number of consumers at the tail
 * (Go's sync.poolDequeue). head and tail are packed into one 64-bit word (head in the high 32 bits,
 * tail in the low 32) so a consumer's CAS moves the tail and sees the head atomically.
 *
 * <pre>
 *   headTail: [ head (32) | tail (32) ]      indices wrap modulo 2^32 (int arithmetic)
 *   slots:    [ ... tail -> v v v v <- head-1 ... ]   slots[i & mask]; null = free
 * </pre>
 *
 * Invariants: {@code head - tail <= slots.length}; a slot in [tail, head) holds a value once the
 * producer has published head past it; a consumer that took a slot by CAS clears it afterwards
 * (release), and until then the producer treats the ring as full (it never overwrites a slot
 * still being read).
 */
final class PoolDequeue<T> {
    private static final VarHandle HEAD_TAIL;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            HEAD_TAIL = MethodHandles.lookup().findVarHandle(PoolDequeue.class, "headTail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through HEAD_TAIL
    private volatile long headTail;
    private final Object[] slots;
    private final int mask;

    /** {@code size} must be a power of two. */
    PoolDequeue(int size) {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("dequeue size " + size + " is not a positive power of two");
        }
        slots = new Object[size];
        mask = size - 1;
    }

    int capacity() {
        return slots.length;
    }

    private static int head(long ht) {
        return (int) (ht >>> 32);
    }

    private static int tail(long ht) {
        return (int) ht;
    }

    private static long pack(int head, int tail) {
        return ((long) head << 32) | (tail & 0xFFFF_FFFFL);
    }

    /** Producer only. Adds at the head; false when full. */
    boolean pushHead(T value) {
        long ht = (long) HEAD_TAIL.getVolatile(this);
        int head = head(ht);
        int tail = tail(ht);
        if (tail + slots.length == head) {
            return false; // full
        }
        int i = head & mask;
        if (SLOTS.getAcquire(slots, i) != null) {
            return false; // a consumer took this slot by CAS but has not cleared it yet
        }
        SLOTS.setRelease(slots, i, value);
        // Publish: head += 1. Consumers only move the tail, so an add on the whole word is exact.
        HEAD_TAIL.getAndAdd(this, 1L << 32);
        return true;
    }

    /** Producer only. Removes from the head (LIFO, for cache locality); null when empty. */
    @SuppressWarnings("unchecked")
    T popHead() {
        while (true) {
            long ht = (long) HEAD_TAIL.getVolatile(this);
            int head = head(ht);
            int tail = tail(ht);
            if (tail == head) {
                return null;
            }
            head--;
            if (HEAD_TAIL.compareAndSet(this, ht, pack(head, tail))) {
                int i = head & mask;
                Object v = SLOTS.getAcquire(slots, i);
                SLOTS.setRelease(slots, i, null);
                return (T) v;
            }
        }
    }

    /** Any thread. Removes from the tail (FIFO); null when empty. */
    @SuppressWarnings("unchecked")
    T popTail() {
        while (true) {
            long ht = (long) HEAD_TAIL.getVolatile(this);
            int head = head(ht);
            int tail = tail(ht);
            if (tail == head) {
                return null;
            }
            if (HEAD_TAIL.compareAndSet(this, ht, pack(head, tail + 1))) {
                int i = tail & mask;
                Object v = SLOTS.getAcquire(slots, i);
                // Tell the producer the slot may be reused.
                SLOTS.setRelease(slots, i, null);
                return (T) v;
            }
        }
    }
}
