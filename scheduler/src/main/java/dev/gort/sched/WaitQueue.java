package dev.gort.sched;

/** A channel's FIFO of waiting sudogs (Go's {@code waitq}); guarded by the channel's lock. */
final class WaitQueue {
    private Sudog first;
    private Sudog last;

    boolean isEmpty() {
        return first == null;
    }

    void enqueue(Sudog s) {
        s.next = null;
        Sudog x = last;
        if (x == null) {
            s.prev = null;
            first = s;
            last = s;
            return;
        }
        s.prev = x;
        x.next = s;
        last = s;
    }

    /**
     * Takes the first waiter that can still complete. A select's sudog is skipped if its select
     * was already decided by another channel (the selectDone CAS fails), as in Go's dequeue.
     */
    Sudog dequeue() {
        for (;;) {
            Sudog s = first;
            if (s == null) {
                return null;
            }
            Sudog y = s.next;
            if (y == null) {
                first = null;
                last = null;
            } else {
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
        Sudog x = s.prev;
        Sudog y = s.next;
        if (x != null) {
            if (y != null) {
                x.next = y;
                y.prev = x;
                s.next = null;
                s.prev = null;
                return;
            }
            x.next = null;
            last = x;
            s.prev = null;
            return;
        }
        if (y != null) {
            y.prev = null;
            first = y;
            s.next = null;
            return;
        }
        if (first == s) {
            first = null;
            last = null;
        }
    }
}
