package dev.gort.sched;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A scheduler's one run and its one end. {@link #run} starts goroutine 1, the retaker and
 * schedtrace threads and the first M, then waits on the caller's thread until the end;
 * {@link #exit} (main returned, {@link Scheduler#close}, a fatal error) tells every M and helper
 * thread to leave; {@link #fatal} records the first fatal report, hands it to the FatalHandler and
 * exits.
 *
 * <p>Owns the started flag (set once: a scheduler runs at most once), the exit note (the caller
 * of run sleeps on it) and the fatal report (written only by the thread that wins
 * {@code fatalOnce}, before it calls exit, so run reads it after the exit note). The scheduler's
 * {@code exiting} flag stays a field of {@link Scheduler} (every scheduling point reads it); exit
 * sets it under the sched lock in the same critical section that copies the M list, so an M
 * created after that copy sees it before it runs anything.
 */
final class SchedulerLifecycle {
    private final Scheduler s;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean fatalOnce = new AtomicBoolean();
    private volatile String fatalReport;
    private volatile Throwable fatalCause;
    private final Note exitNote = new Note();
    /** The schedtrace thread, or null; written and read only by run's (or close's) caller. */
    private Thread tracer;

    SchedulerLifecycle(Scheduler s) {
        this.s = s;
    }

    /** See {@link Scheduler#run}. */
    void run(Runnable main) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("this scheduler already ran; create a new one");
        }
        P p0 = s.allpPublished[0];    // run() may be called on any thread
        G g = GoroutineLifecycle.newG(s, p0, main, 0);
        s.mainG = g;
        RunQueue.put(p0.base, g.ref, false, p0.batch, s.overflow);
        s.retaker.startThread();
        tracer = SchedTracer.startIfConfigured(s);
        s.mainStarted = true;
        s.startm(p0, false);
        exitNote.sleep();
        shutdown();
        if (fatalReport != null) {
            throw new FatalError(fatalReport, fatalCause);
        }
    }

    /** Stops the scheduler: every M leaves its loop at its next scheduling point. */
    void exit() {
        s.lock.lock();
        if (s.exiting) {
            s.lock.unlock();
            return;
        }
        s.exiting = true;
        List<M> ms = s.mpool.snapshotLocked();
        s.lock.unlock();
        for (M m : ms) {
            // Every goroutine on an M (running, or in a syscall it returns from) yields at its next
            // safepoint, and its M leaves instead of running it on (Go's exit stops them all).
            G g = m.curg;
            if (g != null) {
                g.setPreempt(true);
            }
            m.park.wakeup();
            m.stwNote.wakeup();
        }
        s.pollNote.wakeup();
        NetpollHook np = s.netpoll;
        if (np != null) {
            np.wakeup();
        }
        s.world.stopNote.wakeup();
        s.retaker.wakeup();
        exitNote.wakeup();
    }

    private void shutdown() {
        Shutdown.run(s, s.retaker.thread(), tracer);
    }

    /** See {@link Scheduler#close}: before run, ends it here (nothing started); after, as exit. */
    void close() {
        if (!started.get()) {
            started.set(true);
            s.exiting = true;
            shutdown();
        } else {
            exit();
        }
    }

    boolean started() {
        return started.get();
    }

    void goroutinePanicked(G g, Throwable t) {
        PanicHandler h = s.cfg.panicHandler;
        if (h != null) {
            try {
                if (h.recover(g, t)) {
                    return;
                }
            } catch (Throwable ignored) {
                // a failing handler does not recover
            }
        }
        fatal(Reports.panic(g, t), t);
    }

    /** Go's fatal error path: the report goes to the FatalHandler once, then the scheduler stops. */
    void fatal(String report, Throwable cause) {
        if (!fatalOnce.compareAndSet(false, true)) {
            return;
        }
        fatalReport = report;
        fatalCause = cause;
        FatalHandler h = s.cfg.fatalHandler;
        if (h != FatalHandler.THROW) {
            h.fatal(report, 2);
        }
        exit();
    }
}
