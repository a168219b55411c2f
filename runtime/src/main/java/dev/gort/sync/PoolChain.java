package dev.gort.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An unbounded single-producer / multi-consumer queue built from {@link PoolDequeue}s (Go's
 * sync.poolChain): a doubly linked list whose head ring (the producer's) is the newest and
 * largest. Rings start at 8 slots and double up to 2^30; a full ring is never copied, a new one
 * is linked in front. Consumers drop drained rings from the tail.
 *
 * <pre>
 *   tail (consumers) -> [ring 8] <-> [ring 16] <-> [ring 32] <- head (producer)
 * </pre>
 */
final class PoolChain<T> {
    static final int FIRST_SIZE = 8;
    static final int MAX_SIZE = 1 << 30; // Go: dequeueLimit

    private static final VarHandle TAIL;
    private static final VarHandle NEXT;
    private static final VarHandle PREV;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TAIL = l.findVarHandle(PoolChain.class, "tail", Elt.class);
            NEXT = l.findVarHandle(Elt.class, "next", Elt.class);
            PREV = l.findVarHandle(Elt.class, "prev", Elt.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final class Elt<T> {
        final PoolDequeue<T> ring;
        volatile Elt<T> next; // written by the producer, read by consumers
        volatile Elt<T> prev; // written by consumers (cleared when dropped), read by the producer

        Elt(int size) {
            ring = new PoolDequeue<>(size);
        }
    }

    /** Producer only: the newest ring. */
    private Elt<T> head;
    /** Consumers: the oldest ring still linked. */
    @SuppressWarnings("unused") // accessed through TAIL
    private volatile Elt<T> tail;

    /** Producer only. */
    void pushHead(T value) {
        Elt<T> d = head;
        if (d == null) {
            d = new Elt<>(FIRST_SIZE);
            head = d;
            TAIL.setRelease(this, d);
        }
        if (d.ring.pushHead(value)) {
            return;
        }
        int size = Math.min(d.ring.capacity() * 2, MAX_SIZE);
        Elt<T> d2 = new Elt<>(size);
        d2.prev = d;
        NEXT.setRelease(d, d2);
        head = d2;
        d2.ring.pushHead(value);
    }

    /** Producer only. Newest first. */
    T popHead() {
        @SuppressWarnings("unchecked")
        Elt<T> d = head;
        while (d != null) {
            T v = d.ring.popHead();
            if (v != null) {
                return v;
            }
            // Older rings may still hold values (consumers not yet reached them).
            @SuppressWarnings("unchecked")
            Elt<T> p = (Elt<T>) PREV.getAcquire(d);
            d = p;
        }
        return null;
    }

    /** Any thread. Oldest first. */
    T popTail() {
        @SuppressWarnings("unchecked")
        Elt<T> d = (Elt<T>) TAIL.getAcquire(this);
        if (d == null) {
            return null;
        }
        while (true) {
            // Read next before popping: if d is empty and had no next when we looked, the chain
            // was empty then (a push into d after our pop is a push the producer could make anyway).
            @SuppressWarnings("unchecked")
            Elt<T> d2 = (Elt<T>) NEXT.getAcquire(d);
            T v = d.ring.popTail();
            if (v != null) {
                return v;
            }
            if (d2 == null) {
                return null;
            }
            // d is drained and the producer has moved on to d2: unlink d so nobody looks at it again.
            if (TAIL.compareAndSet(this, d, d2)) {
                PREV.setRelease(d2, null);
            }
            d = d2;
        }
    }
}
