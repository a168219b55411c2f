package dev.gort.gc;

import dev.gort.sys.NativeMemory;

/**
 * The collector's write-barrier shader ({@link WriteBarrier.Shader}): the barrier's slow path
 * greys the pointers of a store onto the calling mutator's gcWork, with one lookup of the mutator
 * per store. A caller that is no mutator (an unstoppable thread: a plain thread, a goroutine in
 * Go.syscall, the coordinator) shades into the collector's orphan gcWork under its lock.
 *
 * <p>Runs on any storing thread; it holds no state of its own but the test stall hook.
 */
final class BarrierShader implements WriteBarrier.Shader {
    private final Collector c;
    private final World world;
    private final Marker marker;
    private final StoreGate storeGate;

    /**
     * Tests: run by a store from a thread that is not a mutator (an unstoppable caller: a plain
     * thread, a goroutine in Go.syscall, the coordinator) after it read the barrier as on and
     * before it shades into the orphan gcWork; null (the default) costs one volatile read on that
     * path only, never on a mutator's.
     */
    volatile Runnable orphanShadeStallHook;

    BarrierShader(Collector c, StoreGate storeGate) {
        this.c = c;
        this.world = c.world;
        this.marker = c.marker;
        this.storeGate = storeGate;
    }

    /** Both pointers of one barriered store, with one lookup of the calling mutator. */
    @Override
    public void shadePair(long old, long value) {
        Mutator m = world.current();
        if (m == null) {
            shadeFromOrphan(old, value);
        } else {
            shadeFromMutator(m, old, value);
        }
    }

    /**
     * The barrier of a field store into {@code obj} ({@link WriteBarrier#storeField}), with one
     * lookup of the calling mutator. An object this mutator allocated black in this mark phase
     * (its filter names it) needs no deletion shade: it was born zeroed and every pointer stored
     * into it since was shaded by the insertion half, so its old value is not read at all.
     */
    @Override
    public void shadeStore(long obj, long slot, long value) {
        Mutator m = world.current();
        if (m == null) {
            shadeFromOrphan(NativeMemory.getLong(slot), value);
            return;
        }
        long old = m.isRecentBlack(obj) ? 0 : NativeMemory.getLong(slot);
        if ((old | value) == 0) {
            return;         // nothing to shade (as storeSlow: no shader call for 0 over 0)
        }
        shadeFromMutator(m, old, value);
    }

    /** A thread that is no mutator of this world: each pointer through {@link #shade} (the store gate's path). */
    private void shadeFromOrphan(long old, long value) {
        if (old != 0) {
            shade(old);
        }
        if (value != 0) {
            shade(value);
        }
    }

    /**
     * A mutator's two shades into its own gcWork. Objects it allocated in this mark phase are
     * black: shading them is a no-op, so the lookup is skipped for the ones its filter remembers
     * (see Mutator.recentBlack).
     */
    private void shadeFromMutator(Mutator m, long old, long value) {
        m.checkNotBlocked("a barriered pointer store");
        if (old != 0 && !m.isRecentBlack(old)) {
            marker.shade(old, m.gcw);
        }
        if (value != 0 && !m.isRecentBlack(value)) {
            marker.shade(value, m.gcw);
        }
    }

    @Override
    public void shade(long p) {
        Mutator m = world.current();
        if (m != null) {
            m.checkNotBlocked("a barriered pointer store");
            marker.shade(p, m.gcw);
        } else {
            Runnable stall = orphanShadeStallHook;
            if (stall != null) {
                stall.run();        // tests: the thread loses its CPU between the flag read and the shade
            }
            synchronized (c.orphanLock) {
                marker.shade(p, c.orphanWork);
            }
        }
    }

    @Override
    public java.util.concurrent.Semaphore storeGate() {
        return storeGate.semaphore();
    }

    @Override
    public boolean callerIsStoppable() {
        // A goroutine with a P, or a registered thread; anyone once no cycle can start any
        // more (closed, or the scheduler exited), so a closed collector's shader refuses nothing.
        // And the coordinator itself: it makes the flips, so none falls inside its own store
        // (a sweep-termination hook closing a handle runs in the pause, holding the store
        // gate: it must not wait for it).
        return world.current() != null || c.isCoordinatorThread() || c.closed || world.exiting();
    }
}
