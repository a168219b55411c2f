package dev.gort.gc;

import dev.gort.arena.GcSupport;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The background sweeper as a platform thread ({@link Collector#SWEEPER_THREAD}): over
 * ThreadWorld, and under the scheduler with {@code -Dgort.gc.sweeper.goroutine=false} (otherwise
 * it is {@link SweeperGoroutine}). Mark termination's end signals it ({@link #wake}); it sweeps
 * until nothing is left, standing aside for every stop-the-world.
 */
final class ThreadSweeper {
    private final Collector c;
    private final World world;
    private final GcSupport gcs;
    private final SweepCredit credit;
    private final BackgroundThreads background;
    private final boolean onP;
    final Thread thread;
    private final Object signal = new Object();
    private long requests;            // guarded by signal
    private final BooleanSupplier notClosed;
    /** Pages this thread swept. */
    final AtomicLong pagesSwept = new AtomicLong();

    ThreadSweeper(Collector c, SweepCredit credit, BackgroundThreads background, boolean onP) {
        this.c = c;
        this.world = c.world;
        this.gcs = c.gcs;
        this.credit = credit;
        this.background = background;
        this.onP = onP;
        this.notClosed = () -> !c.closed;
        this.thread = Thread.ofPlatform().daemon().name(Collector.SWEEPER_THREAD).unstarted(this::loop);
    }

    /** Mark termination's end, world running: sweep again. */
    void wake() {
        synchronized (signal) {
            requests++;
            signal.notifyAll();
        }
    }

    /** The collector closed: the loop sees it now. */
    void wakeForClose() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    private void loop() {
        background.lowerCurrent(background.sweeperIndex());
        long seen = 0;
        while (!c.closed) {
            synchronized (signal) {
                while (requests == seen && !c.closed) {
                    try {
                        signal.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                seen = requests;
            }
            // Looks at a pending stop before each batch, not after: a stop requested meanwhile
            // finds the sweeper aside and holding no lock (a sweepOne batch is a few microseconds
            // of sweeping between two short mcentral holds; finishsweep waits for one in flight).
            // Over ThreadWorld it sweeps only on an idle P (Go's bgsweep yields its P when none is
            // idle): with every P a running mutator's, the lazy sweep at refills and the
            // proportional sweep credit do the sweeping, and gcStart finishes the rest before it
            // stops the world.
            ThreadWorld tw = onP && world instanceof ThreadWorld t ? t : null;
            boolean holdsP = false;
            try {
                while (!c.closed) {
                    if (world.stopRequested()) {
                        background.standAside(background.sweeperIndex(), notClosed);
                        continue;
                    }
                    if (tw != null && !holdsP) {
                        if (!tw.acquireP(false, notClosed)) {
                            continue;
                        }
                        holdsP = true;
                        continue;
                    }
                    long tag = credit.tag();    // before the sweep: see SweepCredit
                    long n = gcs.sweepOne();
                    if (n == 0) {
                        break;
                    }
                    // Credited only if no later cycle's pacing began meanwhile: this thread may have
                    // been descheduled across a whole mark termination since its sweepOne (no stop
                    // waits for it), and its batch belongs to the cycle before.
                    credit.credit(tag, n);
                    pagesSwept.addAndGet(n);
                    if (tw != null && tw.shouldYieldP(true)) {
                        holdsP = false;
                    }
                    Thread.yield();
                }
            } finally {
                if (holdsP) {
                    tw.releaseP();
                }
            }
            // No write of the sweep pacing here (Go's bgsweep writes no pacing state either): this
            // thread's last sweepOne() == 0 may be a cycle old (no stop waits for the sweeper), and
            // clearing the pacing then turned off the next cycle's proportional sweep with all its
            // spans unswept (StaleSweeperPacingTest). A mutator's deductSweepCredit clears it when
            // it finds nothing left, and a mutator is never a cycle late (a stop waits for it).
        }
    }
}
