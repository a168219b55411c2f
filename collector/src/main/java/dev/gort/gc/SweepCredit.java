package dev.gort.gc;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The pages swept toward the current cycle's proportional sweep (Go's {@code mheap_.pagesSwept},
 * which {@code gcPaceSweeper} resets), tagged with the pacing it belongs to, so that a batch swept
 * under one cycle's pacing is never credited to the next one.
 *
 * <pre>
 *   one AtomicLong:  63          48 47                                  0
 *                   +--------------+-------------------------------------+
 *                   | epoch (16 b) | pages swept in that epoch (48 b)    |
 *                   +--------------+-------------------------------------+
 * </pre>
 *
 * A sweeper reads {@link #tag()} before it sweeps and passes it to {@link #credit}; a
 * {@link #newEpoch} in between (the next cycle's paceSweeper) makes the credit refused.
 *
 * <p>Why: the background sweeper over {@link ThreadWorld} is a platform thread no stop-the-world
 * waits for. Descheduled between its {@code sweepOne()} and its {@code addAndGet(n)}, it credited
 * a batch of cycle S to cycle S+2 after that cycle's pacing had reset the counter, so the mutators'
 * proportional sweep under-swept S+2 by n pages (docs/performance.md, "Session 9, branch
 * sweeprace"). A sweeper that is a goroutine (under the scheduler) is stopped like any other and
 * cannot be a cycle late, but the tag costs it nothing. The epoch wraps after 65,536 cycles: a
 * sweeper would have to be stalled that long between two instructions to be credited wrongly.
 */
final class SweepCredit implements dev.gort.arena.GcSupport.SweepCredit {
    static final int EPOCH_SHIFT = 48;
    static final long PAGES_MASK = (1L << EPOCH_SHIFT) - 1;
    private static final long EPOCH_MASK = ~PAGES_MASK;

    private final AtomicLong word = new AtomicLong();
    /** Credits refused because a newer pacing began between the sweep and its credit. */
    private final AtomicLong refused = new AtomicLong();

    /** The current pacing's tag: read before a sweep, passed to {@link #credit} after it. */
    @Override
    public long tag() {
        return word.get() & EPOCH_MASK;
    }

    /** Pages credited to the current pacing. */
    long pages() {
        return word.get() & PAGES_MASK;
    }

    /** A new pacing (mark termination's paceSweeper): the next epoch, no pages. */
    void newEpoch() {
        word.getAndUpdate(v -> (v & EPOCH_MASK) + (1L << EPOCH_SHIFT));     // the epoch's carry out of bit 63 is dropped: it wraps
    }

    /**
     * Adds {@code pages} swept by a sweep that read {@code tag} before it began; refuses them
     * (returns false, adds nothing) if a newer pacing began since.
     */
    @Override
    public boolean credit(long tag, long pages) {
        if (pages < 0 || pages > PAGES_MASK) {
            throw new IllegalArgumentException("pages swept must be in [0, 2^48), got " + pages);
        }
        for (;;) {
            long v = word.get();
            if ((v & EPOCH_MASK) != tag) {
                refused.incrementAndGet();
                return false;
            }
            if (word.compareAndSet(v, v + pages)) {
                return true;
            }
        }
    }

    /** Credits refused so far (a sweep overtaken by the next cycle's pacing). */
    long refused() {
        return refused.get();
    }
}
