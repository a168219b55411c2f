package dev.gort.gc;

import dev.gort.sched.Go;
import dev.gort.sched.WaitReason;
import dev.gort.sys.CpuClock;

import java.util.function.BooleanSupplier;

/**
 * Mark assists (Go's gcAssistAlloc): a mutator that allocates while marking pays for it in scan
 * work, stealing the background workers' banked credit first, then draining grey objects itself,
 * and waiting in the {@link AssistQueue} when work is owed but there is none to do.
 *
 * <p>{@link #alloc} runs on the allocating mutator (its {@link Mutator} is touched only by it);
 * the queue is shared with the background workers, whose credit flushes pay parked assists.
 */
final class Assists {
    /**
     * Scan work an assist does (or steals from the background credit) beyond its debt, as Go's
     * gcOverAssistWork: the surplus becomes allocation credit, so the mutator's next ~64 KiB of
     * scan work worth of allocations pay nothing and take the fast path, instead of every
     * allocation stealing a few bytes of credit with a CAS on the pacer's shared counter.
     */
    static final long OVER_ASSIST_WORK = 64 << 10;

    /**
     * The most allocation credit one conversion gives: at GOGC=off (revise's GOGC=100000, an
     * infinite goal) bytes per unit of work reach 1e13-1e16, and 64 KiB of work bought more than
     * a long holds; a cast saturates at Long.MAX_VALUE and {@code 1 +} that, or adding it to a
     * credit already positive, wrapped to a huge debt. 2^62 bytes is "the rest of the cycle" at
     * any allocation rate, and the sums stay far from overflow.
     */
    static final long MAX_CREDIT_BYTES = 1L << 62;

    private final Collector c;
    private final World world;
    private final Marker marker;
    private final Pacer pacer;
    /** Goroutine mutators park themselves (Go.park); thread mutators wait in runBlocking. */
    private final boolean goroutines;
    /** world::preemptRequested, made once (an assist must not allocate a method reference per call). */
    private final BooleanSupplier stopRequested;
    /** The queue of assists waiting for background credit; its flush is the workers' only way to bank credit. */
    final AssistQueue queue;
    /** The coordinator is held at a test breakpoint (written under the control lock). */
    volatile boolean paused;
    /** Test hook: see {@link Collector#setAssistWaitsWhilePausedForTest}. */
    volatile boolean waitsWhilePaused;
    /**
     * Run after each draining assist, its leftovers published (MarkWorkers.noteMaybeDrained, set
     * once the workers exist, before any cycle): an assist is often the one that takes and marks
     * the last grey objects (Go's gcAssistAlloc1 checks for mark completion as a worker does).
     */
    volatile Runnable afterDrain = () -> { };

    Assists(Collector c, WorkbufPool pool) {
        this.c = c;
        this.world = c.world;
        this.marker = c.marker;
        this.pacer = c.pacer;
        this.goroutines = world instanceof SchedWorld;
        this.stopRequested = world::preemptRequested;
        // Published work wakes the queue's head in both worlds (see AssistQueue: over threads the
        // waiter's CPU is nobody's; under the scheduler nothing wakes an idle P for published work).
        this.queue = new AssistQueue(pacer.bgScanCredit, this::waitGoesOn, pool, true);
    }

    /** True while a queued assist may stay parked: the mark phase runs and nothing ends it early. */
    private boolean waitGoesOn() {
        return c.phase == Collector.MARK && !c.closed && (!paused || waitsWhilePaused) && !world.exiting();
    }

    /**
     * Go's gcAssistAlloc, for a mutator whose allocation credit ({@link Mutator#assistBytes})
     * went negative: convert the debt to scan work at the pacer's current ratio (at least
     * {@link #OVER_ASSIST_WORK}), steal what the background workers have banked, do the rest by
     * draining grey objects, and if work is still owed with none to do, wait for credit. The credit
     * one pass takes is at most its debt or the heap left to the goal, whichever is larger
     * ({@link #maxBalanceAfter}; per assist, not for the heap). Returns
     * the calling mutator (re-read when it waited or yielded: under the scheduler it may come back
     * on another P).
     *
     * <p>As Go's gcAssistAlloc, the allocation does not go ahead in debt while the mark phase
     * runs: an assist that broke off for a stop or a ragged round it owes yields to it at the
     * assist's safepoint ({@link World#assistSafepointThenCurrent}: it answers the request the pass
     * saw, preempt flag or not; Go: {@code if gp.preempt { Gosched(); goto retry }}) and then assists
     * again from the top, at the ratio of that moment; one whose wait was refused, or ended, because work was published
     * (gort's wake for work, see AssistQueue; Go: gcParkAssist returning false) assists again at
     * once. It returns in debt only when the wait ended otherwise (the mark phase over, the
     * collector closed or held at a test breakpoint, the world exiting), or when the caller is the
     * stopper of the pending stop ({@link World#stoppedByCaller}): its next allocation assists
     * again if marking still runs. No Java object is allocated on any of these paths.
     */
    Mutator alloc(Mutator m) {
        if (MarkMutatorStats.ON) {
            m.markStats[MarkMutatorStats.ASSISTS]++;
        }
        for (;;) {
            m = assistOnce(m);
            if (m == null) {
                return null;     // no mutator after a wait: the world exiting (not inside a pause)
            }
            // The pass's outcome, read before the safepoint (under the scheduler the goroutine may
            // come back on another P, whose mutator holds its own).
            int outcome = m.assistOutcome;
            // The safepoint comes right after every pass, before any branch on its outcome: the
            // retry is rarely taken, so C2 may compile its branch as an uncommon trap, and a pass
            // that broke off for a stop would then deoptimize on its way to the stop, inside the
            // pause (sessions 21-22; review33b). Here the stop is answered first, and a trap on the
            // retry's branch fires after the restart. With nothing pending it is one flag read
            // (two under the scheduler: the request the pass saw is answered here too, flag or
            // not, so a pass that broke off for a stop yields to it at once; branch pace34).
            m = world.assistSafepointThenCurrent(m);
            if (m == null || (outcome == DONE | m.assistBytes >= 0 | c.phase != Collector.MARK)) {
                return m;        // paid (now or meanwhile), or the cycle over (mark termination zeroes every debt)
            }
            // Debt left with the mark phase on: the pass broke off for a stop or a ragged round
            // this mutator owes (the safepoint above yielded to it, or this thread is the
            // stopper), or
            // its wait was refused or woken for published work: assist again (Go's gp.preempt,
            // Gosched, goto retry).
            if (world.stoppedByCaller()) {
                // The stop is this thread's own: its safepoint passed without parking and the stop
                // stays pending until it restarts the world, so retrying would spin for ever. It
                // allocates in debt, as Go's gcAssistAlloc returns while preemption is off (which
                // a stop-the-world sets); its next allocation assists again if marking still runs.
                return m;
            }
            if (MarkMutatorStats.ON) {
                m.markStats[MarkMutatorStats.RETRIES]++;
            }
        }
    }

    // assistOnce's outcomes (Mutator.assistOutcome).
    /** Return: the debt is paid (credit stolen, work drained, the wait paid it), or the wait ended otherwise. */
    static final int DONE = 0;
    /** Assist again: debt left after breaking off for a stop or a round, or after a wait refused or woken for published work. */
    static final int RETRY = 1;

    /**
     * One pass of Go's gcAssistAlloc from its retry label: steal, drain, wait. Returns the mutator
     * it ends on (a wait may resume a goroutine on another P) with its {@link Mutator#assistOutcome} set.
     */
    private Mutator assistOnce(Mutator m) {
        double workPerByte = pacer.assistWorkPerByte();
        double bytesPerWork = pacer.assistBytesPerWork();
        long debtBytes = -m.assistBytes;
        // The most this pass may leave in m.assistBytes: the credit it takes is capped at its debt
        // or the heap left to the goal (read once), whichever is larger (see maxBalanceAfter).
        long maxBalance = maxBalanceAfter(debtBytes, pacer.assistRunway());
        long scanWork = (long) (workPerByte * debtBytes);
        if (scanWork < OVER_ASSIST_WORK) {
            // Go's over-assist: an assist does at least OVER_ASSIST_WORK of scan work and takes
            // what that buys at the current ratio as credit, the debt included, up to maxBalance.
            // (Until session 28 the credit was capped at 64 KiB of bytes, when scan work past the
            // estimate priced the work left at revise's floor; limit34 raised that floor to 64
            // KiB instead; limitfix34 caps the credit here, where the 65x runway came from.)
            scanWork = OVER_ASSIST_WORK;
            debtBytes = creditBytes(bytesPerWork * OVER_ASSIST_WORK);
        }
        // A capped pass takes only the work whose credit it may keep (limit35): the rest of the
        // background credit stays banked for the other assists, and the drain does no work whose
        // credit the cap would drop. debtBytes becomes the credit the capped work buys.
        long roomBytes = maxBalance - m.assistBytes;       // >= the debt: maxBalance >= 0 > assistBytes
        boolean capped = debtBytes > roomBytes;
        if (capped) {
            scanWork = workWithinCredit(scanWork, roomBytes, workPerByte);
            debtBytes = roomBytes;
        }
        // Steal background credit first.
        long credit = pacer.bgScanCredit.get();
        if (credit > 0) {
            long stolen;
            if (credit < scanWork) {
                stolen = credit;
                m.assistBytes = addCredit(m.assistBytes, creditBytes(1 + bytesPerWork * stolen), maxBalance);
            } else {
                stolen = scanWork;
                m.assistBytes = addCredit(m.assistBytes, debtBytes, maxBalance);
            }
            pacer.bgScanCredit.addAndGet(-stolen);     // may dip below 0 for a moment, as Go's does
            scanWork -= stolen;
            if (m.assistBytes >= 0) {
                if (MarkMutatorStats.ON) {
                    m.markStats[MarkMutatorStats.CREDIT_ONLY]++;
                }
                m.assistOutcome = DONE;
                return m;
            }
        }
        // The assist's CPU, not its wall time: a descheduled thread is not assisting (gctrace's
        // assist figure and GCCPUFraction). The drain does not yield, so the thread stays the same.
        long t0 = CpuClock.threadCpuNanos();
        if (MarkMutatorStats.ON) {
            m.markStats[MarkMutatorStats.DRAIN_PASSES]++;
        }
        m.site = Mutator.SITE_ASSIST;
        // Drain in 64 KiB chunks and stop early if the world is being stopped: an assist must not
        // hold up a stop-the-world (Go's assists are preemptible). The rest of the debt stays.
        long done = 0;
        long probe = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
        while (true) {
            // The debt paid and a pending stop leave by one branch: `|` makes both reads, so the
            // stop has no branch of its own in this method's profile. With `&& !preempt` that
            // branch was never taken when C2 compiled this method (no stop had found an assist
            // yet), C2 compiled it as an uncommon trap, and the first stop that did deoptimized
            // the assist on its way to the safepoint (the drain's checks are built the same way).
            if (done >= scanWork | world.preemptRequested()) {
                break;
            }
            long d = marker.drain(m.gcw, Math.min(64 << 10, scanWork - done), stopRequested);
            if (MarkMutatorStats.ON) {
                m.markStats[MarkMutatorStats.DRAIN_CALLS]++;
                m.markStats[d == 0 ? MarkMutatorStats.DRAIN_EMPTY : MarkMutatorStats.WORK_DONE] += d == 0 ? 1 : d;
            }
            if (d == 0) {
                break;
            }
            done += d;
        }
        if (dev.gort.sys.PathProbe.ON) {
            dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.ASSIST_DRAIN, probe);
        }
        if (done > 0) {
            m.assistBytes = addCredit(m.assistBytes,
                    drainCredit(done, scanWork, bytesPerWork, capped, maxBalance - m.assistBytes), maxBalance);
        }
        if (!m.gcw.empty()) {
            // Publish what the assist left (it took whole buffers): the background workers finish
            // it, instead of it waiting in this mutator's gcWork until mark completion finds it as
            // late work and has to restart marking.
            m.gcw.dispose();
        }
        afterDrain.run();          // it may have marked the last grey objects: is the mark drained now?
        m.site = Mutator.SITE_USER;
        long dt = CpuClock.threadCpuNanos() - t0;
        m.assistNanos += dt;
        pacer.assistTime.addAndGet(dt);
        if (done > 0) {
            pacer.heapScanWork.addAndGet(done);   // live figure for revise(); recomputed exactly at termination
        }
        // Paid, or in debt with a stop or a round this mutator owes pending (the drain's check):
        // one exit, the answer or-ed in with no branch of its own (StopAnswerBranchTest), and the
        // debt's sign bit, not a branch, says which: DONE (0) when paid, RETRY (1) in debt, and
        // then alloc yields to the stop and assists again (Go: gp.preempt, Gosched, goto retry).
        if (m.assistBytes >= 0 | world.preemptRequested()) {
            m.assistOutcome = (int) (m.assistBytes >>> 63);
            return m;
        }
        return waitForCredit(m, workPerByte);
    }

    /**
     * The most allocation credit one assist pass may leave a mutator that owed {@code debtBytes}
     * (positive) with {@code runwayBytes} left to the pacer's goal ({@link Pacer#assistRunway()}):
     * the credit the pass takes (stolen, drained or over-assisted) is at most the larger of the
     * two, so the balance after it is at most {@code max(debt, runway) - debt}, never negative.
     * Why: near the end of marking the work left is revise's 1000-unit floor, the ratio is
     * (goal - heapLive) / 1000 bytes per unit, and a 64 KiB over-assist bought 65 times the runway
     * (limit34: a mutator allocated to 31 MiB against a 13 MiB goal before mark termination came).
     * The cap is per assist, not for the heap: mutators whose assists come before heapLive moves
     * each take the whole runway (Go has the same gap, with no cap at all).
     */
    static long maxBalanceAfter(long debtBytes, long runwayBytes) {
        return runwayBytes > debtBytes ? runwayBytes - debtBytes : 0;
    }

    /**
     * The scan work whose credit is {@code roomBytes} at {@code workPerByte}, rounded up and at least
     * one unit, at most {@code scanWork}: what a pass whose credit is capped ({@link #maxBalanceAfter})
     * steals or drains instead of its whole over-assist. Before limit35 the pass took the whole 64 KiB
     * of stolen background credit and kept only the capped share, so near the end of a mark (where
     * one unit of work buys (goal - heapLive) / 1000 bytes) up to 64 KiB of the workers' banked work
     * was lost to the assists after it, which then drained nothing and parked.
     */
    static long workWithinCredit(long scanWork, long roomBytes, double workPerByte) {
        double w = Math.ceil(roomBytes * workPerByte);
        return w >= scanWork ? scanWork : Math.max(1, (long) w);
    }

    /**
     * The credit a drain of {@code done} units of work earns when the pass set out to do
     * {@code scanWork} (what the steal left): {@code 1 + bytesPerWork * done}, as Go's; but a
     * capped pass ({@link #workWithinCredit}) that did all its work earns at least
     * {@code roomLeftBytes}, the room up to its cap, as the steal branch credits the whole debt when
     * the credit covers the work. Why: the work was sized with the workPerByte this pass read, the
     * credit priced with the bytesPerWork it read separately, and a revise at a span refill between
     * the two reads can make them disagree; the pass then ended a few bytes in debt and assisted
     * once more (review35a F2, limitfix35).
     */
    static long drainCredit(long done, long scanWork, double bytesPerWork, boolean capped, long roomLeftBytes) {
        long credit = creditBytes(1 + bytesPerWork * done);
        return capped & done >= scanWork ? Math.max(credit, roomLeftBytes) : credit;     // `&`: one branch, not two
    }

    /** {@code balance + credit}, at most {@code maxBalance} (a balance already above it stays). */
    static long addCredit(long balance, long credit, long maxBalance) {
        long b = balance + credit;
        return b > maxBalance ? Math.max(balance, maxBalance) : b;
    }

    /** {@code bytes} of allocation credit as a long, at most {@link #MAX_CREDIT_BYTES}. */
    static long creditBytes(double bytes) {
        return bytes >= MAX_CREDIT_BYTES ? MAX_CREDIT_BYTES : (long) bytes;
    }

    /**
     * The mutator still owes scan work but there is none to do (the grey set is held by workers):
     * it parks in Go's assist queue ({@link AssistQueue}) until a background worker's credit
     * flush pays its debt, or work is published (see AssistQueue), or the wait ends (mark
     * termination, close, the world's exit). Nobody polls. A goroutine parks itself
     * ({@code Go.park}, Go's gcParkAssist): its P runs other goroutines or an idle mark worker
     * meanwhile. A platform thread parks inside {@link World#runBlocking}, counting as stopped, so
     * a stop-the-world never waits for it. Woken with debt left while still marking (published
     * work, a test breakpoint), it takes the rest back into {@link Mutator#assistBytes} at the
     * ratio it was converted at, so its next allocation assists again (Go's parked assist retries
     * from the top when woken); woken by the end of the mark phase, the rest is dropped (the next
     * cycle starts with no debt). This is what keeps the heap goal when a mutator allocates faster
     * than the workers mark. Returns the calling mutator, re-read after the wait (a goroutine may
     * come back on another P, whose mutator state this one must not touch until it is current).
     */
    private Mutator waitForCredit(Mutator m, double workPerByte) {
        long debt = Math.max(1, (long) Math.ceil(-m.assistBytes * workPerByte));
        if (MarkMutatorStats.ON) {
            m.markStats[MarkMutatorStats.WAITS]++;
        }
        m.assistBytes = 0;
        AssistQueue.Waiter w = queue.acquire(debt);
        if (goroutines) {
            Go.park(AssistQueue::parkCommit, w, WaitReason.GC_ASSIST_WAIT);
        } else {
            world.runBlocking(m, w);
        }
        long left = w.debt;
        int state = w.state;
        queue.release(w);
        Mutator now = world.current();
        if (left > 0 && c.phase == Collector.MARK && now != null) {
            now.assistBytes -= Math.max(1, creditBytes(Math.ceil(left / workPerByte)));
        }
        if (now != null) {
            // Refused or woken because work was published: assist again with it before allocating
            // (Go's gcParkAssist returning false: goto retry). Any other end returns.
            now.assistOutcome = state == AssistQueue.WORK ? RETRY : DONE;
        }
        return now;
    }
}
