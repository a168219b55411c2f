package dev.gort.sched;

/**
 * A channel's FIFO of waiting sudogs (Go's {@code waitq}); guarded by the channel's lock.
 *
 * <p>{@link #size} alone says how many are queued: when the queue empties, {@code first} and
 * {@code last} keep pointing at the last sudog instead of being cleared. A goroutine ping-ponging
 * on one channel then enqueues the same sudog each time and the conditional stores skip G1's
 * write barrier (the sudogs are small and owned by their Gs, so the stale references retain
 * nothing of note).
 */
final class WaitQueue {
    private Sudog first;
    private Sudog last;
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    void enqueue(Sudog s) {
        s.next = null;
        if (size == 0) {
            s.prev = null;
            if (first != s) {
                first = s;
            }
            if (last != s) {
                last = s;
            }
            size = 1;
            return;
        }
        Sudog x = last;
        s.prev = x;
        x.next = s;
        last = s;
        size++;
    }

    /**
     * Takes the first waiter that can still complete. A select's sudog is skipped if its select
     * was already decided by another channel (the selectDone CAS fails), as in Go's dequeue. A
     * dequeued sudog has prev == next == null.
     */
    Sudog dequeue() {
        for (;;) {
            if (size == 0) {
                return null;
            }
            Sudog s = first;
            if (--size != 0) {
                Sudog y = s.next;
                y.prev = null;
                first = y;
                s.next = null;
            }
            if (s.isSelect && !s.g.casSelectDone()) {
                continue;
            }
            return s;
        }
    }

    /** Removes {@code s} if it is still queued here (select cleanup). */
    void remove(Sudog s) {
        if (size == 0) {
            return;
        }
        Sudog x = s.prev;
        Sudog y = s.next;
        if (x != null) {
            x.next = y;
            if (y != null) {
                y.prev = x;
                s.next = null;
            } else {
                last = x;
            }
            s.prev = null;
            size--;
            return;
        }
        if (first == s) {
            if (--size != 0) {
                y.prev = null;
                first = y;
                s.next = null;
            }
        }
        // else: not queued here (already dequeued by a peer)
    }
}
