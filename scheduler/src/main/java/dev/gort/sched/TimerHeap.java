package dev.gort.sched;

/**
 * A P's timers (Go's {@code p.timers}): a binary min-heap on (when, seq) under its own lock, since
 * other Ms run a P's due timers while stealing. {@link #nextWhen()} is readable without the lock.
 * Stopped timers are removed at once (not lazily), so a non-empty heap always means a real pending
 * timer: the deadlock detector relies on that.
 */
final class TimerHeap {
    final RtLock lock = new RtLock();
    private final P owner;
    private Timer[] heap = new Timer[16];
    private int size;
    private long seq;
    /** when of the earliest timer, Long.MAX_VALUE if none. */
    private volatile long next = Long.MAX_VALUE;

    TimerHeap(P owner) {
        this.owner = owner;
    }

    long nextWhen() {
        return next;
    }

    int size() {
        return size;
    }

    void add(Timer t) {
        lock.lock();
        try {
            if (t.pp != null) {
                throw new IllegalStateException("timer already in a heap");
            }
            if (t.period > 0 && t.fireLock == null) {
                t.fireLock = new RtLock();      // published by this lock to whoever runs the heap's timers
            }
            t.pp = owner;
            t.seq = seq++;
            push(t);
            next = heap[0].when;
        } finally {
            lock.unlock();
        }
    }

    /** Removes t if it is in this heap; returns whether it was. */
    boolean remove(Timer t) {
        lock.lock();
        try {
            if (t.pp != owner || t.heapIndex < 0) {
                return false;
            }
            removeAt(t.heapIndex);
            next = size == 0 ? Long.MAX_VALUE : heap[0].when;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs every timer due at {@code now}, earliest first; a periodic one is rescheduled before its
     * function runs. Functions run without the lock held. Returns the number fired.
     *
     * <p>Two Ms can run one heap's due timers at once (its P's M in findRunnable, a stealing M in
     * stealWork), each taking a due timer under the lock and firing it after. A periodic timer
     * (a ticker) can therefore be due again and taken by the second M while the first has not yet
     * run its earlier firing: its firings run under the timer's own lock and one whose {@code now}
     * is not after the last that ran is dropped, as a tick a slow reader misses (without this a
     * ticker's channel received an earlier time after a later one under load, TimerTest).
     * A periodic timer is rescheduled in place and never leaves the heap while it fires, so
     * {@link Scheduler#stopTimer}, which reads {@code t.pp} without the lock, always finds it.
     */
    int runDue(long now) {
        if (next > now) {
            return 0;
        }
        int fired = 0;
        for (;;) {
            Timer t;
            lock.lock();
            try {
                if (size == 0 || heap[0].when > now) {
                    next = size == 0 ? Long.MAX_VALUE : heap[0].when;
                    return fired;
                }
                t = heap[0];
                if (t.period > 0) {
                    long behind = now - t.when;
                    t.when += t.period * (1 + behind / t.period);
                    t.seq = seq++;
                    siftDown(0);        // only its key grew: it stays in this heap, t.pp unchanged
                } else {
                    removeAt(0);
                }
                next = size == 0 ? Long.MAX_VALUE : heap[0].when;
            } finally {
                lock.unlock();
            }
            if (t.period > 0) {
                if (firePeriodic(t, now)) {
                    fired++;
                }
            } else {
                t.f.fire(t.arg, now);
                fired++;
            }
        }
    }

    /** One firing of a periodic timer, in order (see {@link #runDue}); false if a later one ran first. */
    private static boolean firePeriodic(Timer t, long now) {
        RtLock fl = t.fireLock;
        fl.lock();
        try {
            if (now <= t.lastFiredNow) {
                return false;
            }
            t.lastFiredNow = now;
            t.f.fire(t.arg, now);
            return true;
        } finally {
            fl.unlock();
        }
    }

    /**
     * Moves every timer to {@code to} (procresize: this heap's P goes away; Go's timers.take).
     * Both locks are held for the move, so a concurrent {@code stopTimer} either finds a timer here
     * or, after retrying, in {@code to}: never nowhere. The two locks are only ever nested here,
     * with the world stopped, so the order cannot invert. Ties keep their relative order (new
     * sequence numbers are handed out in the old order). Returns the number moved.
     */
    int moveAllTo(TimerHeap to) {
        if (to == this) {
            return 0;
        }
        lock.lock();
        try {
            to.lock.lock();
            try {
                Timer[] moving = java.util.Arrays.copyOf(heap, size);
                java.util.Arrays.sort(moving, (a, b) -> less(a, b) ? -1 : less(b, a) ? 1 : 0);
                for (int i = 0; i < size; i++) {
                    heap[i] = null;
                }
                size = 0;
                next = Long.MAX_VALUE;
                for (Timer t : moving) {
                    t.pp = to.owner;
                    t.seq = to.seq++;
                    to.push(t);
                }
                if (to.size > 0) {
                    to.next = to.heap[0].when;
                }
                return moving.length;
            } finally {
                to.lock.unlock();
            }
        } finally {
            lock.unlock();
        }
    }

    // --- heap mechanics (lock held) ---

    private static boolean less(Timer a, Timer b) {
        return a.when < b.when || (a.when == b.when && a.seq < b.seq);
    }

    private void push(Timer t) {
        if (size == heap.length) {
            heap = java.util.Arrays.copyOf(heap, size * 2);
        }
        heap[size] = t;
        t.heapIndex = size;
        siftUp(size++);
    }

    private void removeAt(int i) {
        Timer t = heap[i];
        int last = --size;
        if (i != last) {
            heap[i] = heap[last];
            heap[i].heapIndex = i;
            heap[last] = null;
            siftDown(i);
            siftUp(i);
        } else {
            heap[last] = null;
        }
        t.heapIndex = -1;
        t.pp = null;
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timer p = heap[parent];
            if (!less(t, p)) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = t;
        t.heapIndex = i;
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        for (;;) {
            int c = 2 * i + 1;
            if (c >= size) {
                break;
            }
            if (c + 1 < size && less(heap[c + 1], heap[c])) {
                c++;
            }
            if (!less(heap[c], t)) {
                break;
            }
            heap[i] = heap[c];
            heap[i].heapIndex = i;
            i = c;
        }
        heap[i] = t;
        t.heapIndex = i;
    }

    /** Slow check for tests: heap order and back-pointers. */
    void verify() {
        lock.lock();
        try {
            for (int i = 0; i < size; i++) {
                if (heap[i].heapIndex != i || heap[i].pp != owner) {
                    throw new IllegalStateException("timer heap index broken at " + i);
                }
                if (i > 0 && less(heap[i], heap[(i - 1) / 2])) {
                    throw new IllegalStateException("timer heap order broken at " + i);
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
