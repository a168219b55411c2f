package dev.gort.gc;

import java.util.concurrent.TimeUnit;

/**
 * Stepping a cycle from tests (Go's runtime test hooks, TESTING.md runTo): the breakpoints the
 * coordinator stops at ({@link Collector.Breakpoint}), running to one, resuming, and waiting for
 * the collector to be idle. The state is guarded by the control lock ({@link CycleControl#ctl});
 * the coordinator calls {@link #breakpoint} at each point and waits there while it is armed.
 */
final class Stepping {
    private final Collector c;
    private final World world;
    private final CycleControl control;
    private final Assists assists;
    private Collector.Breakpoint breakpoint = Collector.Breakpoint.NONE;       // guarded by ctl
    private Collector.Breakpoint atBreakpoint = Collector.Breakpoint.NONE;     // guarded by ctl

    Stepping(Collector c, CycleControl control, Assists assists) {
        this.c = c;
        this.world = c.world;
        this.control = control;
        this.assists = assists;
    }

    /**
     * Both breakpoints lie inside the concurrent mark phase, which gcstoptheworld=1|2 (built or
     * forced by -Dgort.gc.force) does not have: refused at once, instead of the caller waiting out
     * its timeout for a point no cycle reaches (session 10, g2).
     */
    void refuseUnreachable(String what, Collector.Breakpoint bp) {
        int stw = c.options().gcstoptheworld();
        if (bp != Collector.Breakpoint.NONE && stw > 0) {
            dev.gort.sys.ForcedGcModes forced = dev.gort.sys.ForcedGcModes.get();
            throw new IllegalStateException(what + "(" + bp + "): the breakpoint cannot be reached: this collector runs "
                    + "gcstoptheworld=" + stw + (forced.gcstoptheworld() != dev.gort.sys.ForcedGcModes.UNSET
                            ? " (forced by -D" + dev.gort.sys.ForcedGcModes.PROPERTY + "=" + forced + ")" : "")
                    + ", which marks with the world stopped: there is no concurrent mark phase to stop in; "
                    + "breakpoints need gcstoptheworld=0");
        }
    }

    void setBreakpoint(Collector.Breakpoint bp) {
        refuseUnreachable("setBreakpoint", bp);
        control.ctl.lock();
        try {
            breakpoint = bp;
            control.ctlChanged.signalAll();
        } finally {
            control.ctl.unlock();
        }
    }

    /** See {@link Collector#runTo}: the caller is no mutator, or one counting as stopped. */
    void runTo(Collector.Breakpoint bp, long timeoutMillis) {
        control.ctl.lock();
        try {
            breakpoint = bp;
            if (!control.cycleRunning && atBreakpoint == Collector.Breakpoint.NONE) {
                control.markRequestedLocked();
                control.requestAwaited = true;      // as gc(): the caller waits for this cycle
            }
            control.wakeOwedStartLocked();      // the caller waits for the cycle now
            control.ctlChanged.signalAll();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (atBreakpoint != bp) {
                control.rethrowFailure();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("collector did not reach " + bp + " within " + timeoutMillis + " ms");
                }
                control.ctlChanged.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + bp, e);
        } finally {
            control.ctl.unlock();
        }
    }

    /**
     * Lets a cycle stopped at a breakpoint continue and clears that breakpoint. A breakpoint set
     * for a later point while stopped ({@link #setBreakpoint}) stays set: clearing it too let the
     * coordinator run past it before the test's next runTo re-armed it, and that runTo then waited
     * out its timeout for a point the running cycle had already passed.
     */
    void resume() {
        control.ctl.lock();
        try {
            if (breakpoint == atBreakpoint || atBreakpoint == Collector.Breakpoint.NONE) {
                breakpoint = Collector.Breakpoint.NONE;
            }
            atBreakpoint = Collector.Breakpoint.NONE;
            control.ctlChanged.signalAll();
        } finally {
            control.ctl.unlock();
        }
    }

    Collector.Breakpoint stoppedAt() {
        control.ctl.lock();
        try {
            return atBreakpoint;
        } finally {
            control.ctl.unlock();
        }
    }

    /** See {@link Collector#awaitIdle}: the caller is no mutator, or one counting as stopped. */
    void awaitIdle(long timeoutMillis) {
        control.ctl.lock();
        try {
            control.wakeOwedStartLocked();      // a start owed by an allocation: this caller waits for it now
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (control.cycleRunning || control.cycleRequested) {
                control.rethrowFailure();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("collector still busy after " + timeoutMillis + " ms");
                }
                control.ctlChanged.awaitNanos(left);
            }
            control.rethrowFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            control.ctl.unlock();
        }
    }

    /** The coordinator at point {@code here}: waits there while the breakpoint is armed for it. */
    void breakpoint(Collector.Breakpoint here) {
        control.ctl.lock();
        try {
            if (breakpoint != here) {
                return;
            }
            atBreakpoint = here;
            assists.paused = true;             // assists must not wait for a coordinator that is paused
            if (!assists.waitsWhilePaused) {
                assists.queue.wakeAll(!world.exiting());
            }
            control.ctlChanged.signalAll();
            while (atBreakpoint == here && !c.closed && !world.exiting()) {
                control.ctlChanged.awaitUninterruptibly();
            }
            atBreakpoint = Collector.Breakpoint.NONE;     // left by resume(), close() or the world's exit
            assists.paused = false;
        } finally {
            control.ctl.unlock();
        }
    }
}
