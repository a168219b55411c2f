package dev.gort.gc;

import dev.gort.arena.GcSupport;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Proportional sweep (Go's gcPaceSweeper and deductSweepCredit) and the forced sweep: mark
 * termination spreads sweeping every span over the allocation up to the next trigger, and each
 * mutator sweeps its share every {@link #SWEEP_CREDIT_BYTES} it allocates. Also the page counts
 * of who swept ({@link Collector.SweepStats}).
 *
 * <p>The pacing is written by the coordinator (after mark termination's restart, and cleared at
 * the next cycle's start) and read by mutators unlocked: volatile fields, a mutator may see a
 * pacing a moment old, which only moves a few pages of sweeping between it and the others.
 */
final class Sweeping {
    /** Bytes a mutator allocates between two looks at its sweep debt. */
    static final long SWEEP_CREDIT_BYTES = 16 << 10;

    private final GcSupport gcs;
    private final World world;
    volatile boolean paced;
    private volatile double pagesPerByte;
    private volatile long heapLiveBasis;
    /** Pages swept toward the current pacing, tagged with it (Go's pagesSwept; see {@link SweepCredit}). */
    final SweepCredit credit = new SweepCredit();
    /** Pages swept by proportional sweep (mutators' sweep credit), and by finishsweep and forced sweeps ({@link #sweepAll}). */
    final AtomicLong proportionalSweptPages = new AtomicLong();
    final AtomicLong finishSweptPages = new AtomicLong();
    /** Pages made unswept by the cycles so far (the pages in use at each mark termination's pacing). */
    final AtomicLong pagesToSweep = new AtomicLong();

    Sweeping(GcSupport gcs, World world) {
        this.gcs = gcs;
        this.world = world;
    }

    /**
     * Sweeps every unswept span now (the forced collection's final step, and finishsweep). Returns
     * whether anything was left: a span swept here, or another thread's claimed span or set-aside
     * cache waited for (false: the sweep was already finished, finishsweep's usual case).
     */
    boolean sweepAll() {
        long n;
        boolean left = false;
        while ((n = gcs.sweepOne()) != 0) {
            finishSweptPages.addAndGet(n);
            left = true;
        }
        return gcs.awaitSweepsInFlight() != 0 | left;      // spans other threads claimed are swept with no lock held
    }

    /**
     * Go's gcPaceSweeper (after mark termination, sweepgen just advanced): every span is
     * unswept; spread sweeping them over the allocation between now and the next trigger, so that
     * sweeping ends before the next cycle starts and allocation reuses the freed slots instead of
     * growing the heap while the previous cycle's garbage waits for the background sweeper (on a
     * loaded machine that garbage, not yet swept, doubled the peak heap).
     */
    void pace(long pagesInUse, long heapLive, long trigger) {
        long distance = trigger == Long.MAX_VALUE ? Long.MAX_VALUE : trigger - heapLive - (1L << 20);
        distance = Math.max(distance, dev.gort.arena.SizeClasses.PAGE_SIZE);
        credit.newEpoch();
        pagesToSweep.addAndGet(pagesInUse);
        heapLiveBasis = heapLive;
        pagesPerByte = (double) pagesInUse / distance;
        paced = pagesInUse > 0;
    }

    /** Every {@link #SWEEP_CREDIT_BYTES} a mutator allocates (the calling mutator): sweep if sweeping is paced. */
    void payCredit(Mutator m) {
        m.sweepCreditBytes = 0;
        if (paced) {
            m.site = Mutator.SITE_SWEEP;
            long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
            deductCredit();
            if (dev.gort.sys.PathProbe.ON) {
                dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.SWEEP_CREDIT, t);
            }
            m.site = Mutator.SITE_USER;
        }
    }

    /**
     * Go's deductSweepCredit, while sweeping is paced: sweep spans until the pages swept (by
     * anyone) keep up with the bytes allocated since mark termination times the pages-per-byte ratio.
     */
    private void deductCredit() {
        long target = (long) ((gcs.heapLive() - heapLiveBasis) * pagesPerByte);
        while (credit.pages() < target && paced && !world.stopRequested()) {   // a stop waits for no sweep
            long tag = credit.tag();
            long n = gcs.sweepOne();
            if (n == 0) {
                paced = false;
                return;
            }
            credit.credit(tag, n);
            proportionalSweptPages.addAndGet(n);
        }
    }
}
