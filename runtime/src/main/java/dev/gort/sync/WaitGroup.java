package dev.gort.sync;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Waits for a collection of goroutines to finish (Go's sync.WaitGroup): {@link #add} before
 * starting each, {@link #done} when each ends, {@link #await} parks until the counter is zero.
 *
 * <p>{@code state} packs the counter (high 32 bits) and the number of waiters (low 32) so Add can
 * see both in one atomic read: when the counter reaches zero with waiters, it resets the word and
 * releases each waiter once.
 */
public final class WaitGroup {
    private final AtomicLong state = new AtomicLong();
    private final Sema sema = new Sema();

    /** Adds {@code delta} (may be negative) to the counter. */
    public void add(int delta) {
        // Checked and applied in one CAS: a refused add changes nothing, so a done() or await()
        // racing it never sees a negative counter it did not make (an add-then-undo let a
        // concurrent done() fail too, and its waiter park for good).
        long s;
        int v;
        while (true) {
            long old = state.get();
            long sum = (old >> 32) + delta;
            if (sum < 0) {
                throw new IllegalStateException("sync: negative WaitGroup counter (counter " + (old >> 32)
                        + ", add(" + delta + ")); the counter is unchanged: done() or add(-n) only for adds made");
            }
            if (sum > Integer.MAX_VALUE) {
                throw new IllegalStateException("sync: WaitGroup counter overflow (counter " + (old >> 32)
                        + ", add(" + delta + ")); accepted: a counter up to " + Integer.MAX_VALUE + "; unchanged");
            }
            s = (sum << 32) | (old & 0xFFFF_FFFFL);
            if (state.compareAndSet(old, s)) {
                v = (int) sum;
                break;
            }
        }
        int waiters = (int) s;
        if (waiters != 0 && delta > 0 && v == delta) {
            throw new IllegalStateException("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        if (v > 0 || waiters == 0) {
            return;
        }
        // Counter is zero and there are waiters: nobody may change the state now but us.
        if (state.get() != s) {
            throw new IllegalStateException("sync: WaitGroup misuse: Add called concurrently with Wait");
        }
        state.set(0);
        for (; waiters != 0; waiters--) {
            sema.release(false);
        }
    }

    /** {@code add(-1)}. */
    public void done() {
        add(-1);
    }

    /** Parks until the counter is zero (Go's Wait; {@code wait} is taken by Object). */
    public void await() {
        while (true) {
            long s = state.get();
            if ((int) (s >> 32) == 0) {
                return;
            }
            if (state.compareAndSet(s, s + 1)) {
                sema.acquire(false, "sync.WaitGroup.Wait");
                if (state.get() != 0) {
                    throw new IllegalStateException("sync: WaitGroup is reused before previous Wait has returned");
                }
                return;
            }
        }
    }

    /** The counter now (diagnostics). */
    public int count() {
        return (int) (state.get() >> 32);
    }
}
