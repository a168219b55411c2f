package dev.gort.gc;

import dev.gort.arena.MCache;
import dev.gort.sched.Go;
import dev.gort.sched.P;
import dev.gort.sched.Scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * The scheduler's goroutines as mutators: per-P collector state hangs off {@link P#gcState()}
 * (next to the P's mcache), stop-the-world is the scheduler's, stack roots are every live G's
 * shadow-stack frames ({@link dev.gort.sched.G#forEachFrame}), and waiting for the collector is a
 * syscall, which hands the P to the stop-the-world. The collector's mark workers are goroutines
 * here ({@link GoroutineWorkers}, the scheduler's GcHook); they start on the first goroutine that
 * gets a P's collector state, since only a goroutine can start goroutines.
 */
public final class SchedWorld implements World {
    private final Scheduler sched;
    private final WorkbufPool pool;
    /** The collector's goroutine mark workers, started with the first per-P state (null: none). */
    private volatile GoroutineWorkers workers;

    public SchedWorld(Scheduler sched, WorkbufPool pool) {
        this.sched = sched;
        this.pool = pool;
    }

    public Scheduler scheduler() {
        return sched;
    }

    /** The collector installs its goroutine workers: the scheduler's GcHook from now on. */
    void attachWorkers(GoroutineWorkers w) {
        workers = w;
        sched.setGcHook(w);
    }

    @Override
    public int gomaxprocs() {
        return sched.gomaxprocs();
    }

    @Override
    public void stopTheWorld(String reason) {
        sched.stopTheWorld(reason);
    }

    @Override
    public void startTheWorld() {
        sched.startTheWorld();
    }

    @Override
    public Mutator current() {
        if (!Go.onGoroutine()) {
            return null;
        }
        P p = Go.currentP();
        if (p == null) {
            return null;      // in a syscall: no P, no allocation
        }
        Object st = p.gcState();
        if (st == null) {
            // Only the P's owner gets here, so no race creating it.
            Mutator m = new Mutator((MCache) p.mcache(), new GcWork(pool), null, null);
            p.setGcState(m);
            GoroutineWorkers w = workers;
            if (w != null) {
                w.spawnIfNeeded();    // on a goroutine with a P: the worker goroutines can start
            }
            return m;
        }
        return (Mutator) st;
    }

    @Override
    public Iterable<Mutator> mutators() {
        List<Mutator> ms = new ArrayList<>();
        for (int i = 0; i < sched.gomaxprocs(); i++) {
            Object st = sched.p(i).gcState();
            if (st != null) {
                ms.add((Mutator) st);
            }
        }
        return ms;
    }

    @Override
    public long scanStacks(RootSink sink) {
        long[] bytes = {0};
        sched.forEachG(g -> {
            long goid = g.goid();
            if (g.topFrame() != 0 && g.stackLo() == 0) {
                throw new IllegalStateException("goroutine " + goid + " (status " + g.status() + ", " + g.waitReason()
                        + ") has shadow frames (top " + g.topFrame() + ") but no shadow stack");
            }
            g.forEachFrame((addr, n) -> {
                sink.slots(addr, n, "goroutine", goid);
                bytes[0] += 8L * n;
            });
        });
        return bytes[0];
    }

    @Override
    public boolean stopRequested() {
        return sched.worldStopping();
    }

    @Override
    public void safepoint(Mutator m) {
        Go.poll();
    }

    @Override
    public void runBlocking(Mutator m, Runnable wait) {
        Go.syscall(wait);
    }
}
