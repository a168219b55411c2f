package dev.gort.sched;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A scheduler's end, on the thread that called run() (or close() before run): after exit() told
 * every M to leave, joins the Ms and the helper threads, then frees what only Ms could touch
 * (shadow stacks, mcaches) and keeps the statistics. If an M does not leave (blocked in a
 * syscall), its memory stays: it is the caller's to finish.
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
            // The G descriptors and P blocks stay until this scheduler is unreachable (NativeBlocks):
            // G and P handles, the schedtrace printer and sysmon read their final values.
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
