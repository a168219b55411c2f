package dev.gort.sched;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A scheduler's end, on the thread that called run() (or close() before run): after exit() told
 * every M to leave, joins the Ms and the helper threads, then frees what only Ms could touch
 * (shadow stacks, mcaches), keeps the statistics, and frees the P blocks and G descriptors once
 * every handle holds its final figures ({@link #freeNativeBlocks}). If an M does not leave
 * (blocked in a syscall), its memory stays: it is the caller's to finish.
 */
final class Shutdown {
    private Shutdown() {
    }

    static void run(Scheduler s, Thread... helpers) {
        GcHook hook = s.gcHook;
        if (hook != null) {
            try {
                hook.schedulerExiting();    // before the Ms are joined and the P and G memory freed
            } catch (RuntimeException | Error e) {
                // The Ms must still be joined and the memory freed: report it and go on.
                System.err.println("gort: GcHook.schedulerExiting failed: " + e);
            }
        }
        List<M> ms = s.allmSnapshot();
        boolean allJoined = true;
        for (M m : ms) {
            if (m == Thread.currentThread()) {
                continue;
            }
            m.park.wakeup();
            // exit() marked the goroutine each M ran then; one an M started just after (g0 had
            // picked it, or a runner adopted it) has no mark and would poll on: mark again every
            // millisecond while waiting, as the stopper re-preempts during a stop-the-world.
            long deadline = System.nanoTime() + 2_000_000_000L;
            try {
                while (m.isAlive() && System.nanoTime() < deadline) {
                    preemptRunning(ms);
                    m.join(1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            allJoined &= !m.isAlive();
        }
        for (Thread t : helpers) {
            if (t != null) {
                LockSupport.unpark(t);
                try {
                    t.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (allJoined) {
            NetpollHook np = s.netpoll;
            if (np != null) {
                np.close(); // no M can poll any more
            }
            // Nothing can touch native scheduler memory any more.
            s.stacksFreed = true;     // Frame refuses access from here on (its slots are in these stacks)
            GTable gtable = s.gtable;
            for (int i = 0; i < gtable.count(); i++) {
                ShadowStack.free(gtable.at(i));
            }
            // The statistics outlive the P blocks (tests and probes read them after run returns).
            s.allpEver.keepCountersAtExit();
            McacheSource mcaches = s.cfg.mcacheSource;
            for (int i = 0; i < s.allpEver.count(); i++) {
                P p = s.allpEver.get(i);
                if (mcaches != null && p.mcache != null) {
                    mcaches.releaseCache(p.mcache);
                    p.mcache = null;
                }
            }
            freeNativeBlocks(s);
        }
        // Not all joined: an M may still run scheduler code on the P blocks and G descriptors; they
        // stay until the scheduler is unreachable (NativeBlocks), the gate open.
    }

    /** How long shutdown waits for a stop in progress, or a reader inside the gate, before it leaves the blocks. */
    private static final long FREE_WAIT_NANOS = 2_000_000_000L;

    /**
     * Every M joined: frees the P blocks and G descriptor chunks now. Under the world lock (a
     * stopper from outside, the collector's coordinator, is between stops; stops after this one
     * find the gate closed and touch nothing), closes the reader gate and waits for the readers
     * inside (sysmon, schedtrace, an embedder's handle), copies every P's and G's final figures
     * into its handle, publishes them (readers refused by the gate wait for that), then frees. If
     * the stop in progress or a reader does not end within {@value #FREE_WAIT_NANOS} ns the
     * handles still answer from their copies, but the blocks stay until the scheduler is unreachable.
     */
    static void freeNativeBlocks(Scheduler s) {
        boolean worldLocked = s.world.lockWorldForShutdown(FREE_WAIT_NANOS);
        try {
            boolean drained = s.readers.closeAndDrain(FREE_WAIT_NANOS);
            try {
                for (int i = 0; i < s.allpEver.count(); i++) {
                    s.allpEver.get(i).keepFiguresAtExit();
                }
                GTable gtable = s.gtable;
                for (int i = 0; i < gtable.count(); i++) {
                    gtable.at(i).keepFiguresAtExit();
                }
            } finally {
                s.readers.publishFinals();  // never left unpublished: refused readers wait for it
            }
            if (worldLocked && drained) {
                s.nativeBlocks.freeNow();
            } else {
                System.err.println("gort: warning: the scheduler's P blocks and G descriptors (" + s.nativeBlocks.bytes()
                        + " bytes) stay until it is unreachable: " + (worldLocked ? "a reader" : "a stop-the-world")
                        + " did not end within " + FREE_WAIT_NANOS / 1_000_000 + " ms of the shutdown");
            }
        } finally {
            if (worldLocked) {
                s.world.unlockWorldForShutdown();
            }
        }
    }

    /** Marks the goroutine each of {@code ms} runs now as preempted. */
    private static void preemptRunning(List<M> ms) {
        for (M m : ms) {
            G g = m.curg;
            if (g != null) {
                g.setPreempt(true);
            }
        }
    }
}
