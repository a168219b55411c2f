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
 * syscall, which hands the P to the stop-the-world.
 */
public final class SchedWorld implements World {
    private final Scheduler sched;
    private final WorkbufPool pool;

    public SchedWorld(Scheduler sched, WorkbufPool pool) {
        this.sched = sched;
        this.pool = pool;
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
