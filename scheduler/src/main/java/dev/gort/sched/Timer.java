package dev.gort.sched;

/**
 * A runtime timer (Go's {@code timer}): fires {@code f(arg)} at {@code when} (System.nanoTime()),
 * then every {@code period} ns if period > 0. A timer lives in at most one P's heap.
 * Public handles are made by {@link Time}.
 */
final class Timer {
    long when;
    long period;
    TimerFunc f;
    Object arg;
    /** The P whose heap holds it, or null when not in a heap. Guarded by that heap's lock. */
    P pp;
    /** Position in that heap, -1 if not in one. */
    int heapIndex = -1;
    /** Insertion sequence: ties on {@code when} fire in insertion order. */
    long seq;
    /**
     * A periodic timer's firings run under this lock, one at a time (Go's {@code sendLock}); made by
     * {@link TimerHeap#add} for a periodic timer, null for a one-shot one (fired once, by one M).
     */
    RtLock fireLock;
    /** The {@code now} of the last firing of a periodic timer that ran (guarded by {@link #fireLock}). */
    long lastFiredNow = Long.MIN_VALUE;

    Timer(TimerFunc f, Object arg) {
        this.f = f;
        this.arg = arg;
    }
}
