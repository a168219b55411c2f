package dev.gort.gc;

import dev.gort.arena.Heap;

/**
 * How the coordinator finds that marking is complete, and what it does with the world stopped at
 * the end of marking: the ragged flush of the mutators' grey buffers (Go's gcMarkDone forEachP),
 * the flush inside the stop (the issue-27993 check), draining the rest on the coordinator
 * thread, and gccheckmark's verification. One thread at a time: the coordinator, or over
 * ThreadWorld the mutator that claimed mark termination's stopped steps ({@link StopHandOff}: the
 * coordinator waits for them, and their done flag orders what each side wrote). The ragged flush
 * function runs on each mutator's thread at its safepoint and only sets {@code raggedFoundWork}.
 */
final class MarkCompletion {
    private final Collector c;
    private final Heap heap;
    private final World world;
    private final Marker marker;
    private final WorkbufPool pool;
    private final GlobalRoots globals;
    private final Pacer pacer;
    /** Ragged rounds this cycle (gc debug). */
    int raggedRounds;
    volatile long checkmarkCycles;

    MarkCompletion(Collector c) {
        this.c = c;
        this.heap = c.heap;
        this.world = c.world;
        this.marker = c.marker;
        this.pool = c.pool;
        this.globals = c.globals;
        this.pacer = c.pacer;
    }

    /**
     * Go's ragged mark-completion barrier (gcMarkDone's forEachP): every mutator publishes its grey
     * buffers at its own next safepoint, the world running. Returns true if any mutator (or the
     * orphan buffer) published work since the last round (gcw.flushedWork: assists' leftovers and
     * full buffers count too), so marking must go on; false if this round found none (every
     * mutator answered: SchedWorld's round is the scheduler's forEachP, every P exactly once), or
     * if the world could not run or finish the round (a close, the scheduler's exit): then the
     * stop-the-world that follows is mark termination, and
     * its flush (the issue-27993 check) finds late work only if a barrier shaded a white object
     * between a mutator's flush and the stop.
     */
    boolean raggedFlush() {
        raggedFoundWork = false;
        if (!world.forEachMutatorAtSafepoint(raggedFlushFn)) {
            return false;
        }
        synchronized (c.orphanLock) {
            c.orphanWork.dispose();
            if (c.orphanWork.flushedWork) {
                c.orphanWork.flushedWork = false;
                raggedFoundWork = true;
            }
        }
        raggedRounds++;
        return raggedFoundWork;
    }

    private volatile boolean raggedFoundWork;

    /** Run for each mutator by its own thread at a safepoint, or for it (a field: no lambda per round). */
    private final java.util.function.Consumer<Mutator> raggedFlushFn = m -> {
        m.gcw.dispose();
        if (m.gcw.flushedWork) {
            m.gcw.flushedWork = false;
            raggedFoundWork = true;
        }
    };

    /** World stopped: publish every mutator's (and the orphan) grey buffers; true if any had work. */
    boolean flushMutators() {
        boolean any = false;
        for (int i = 0, n = world.mutatorSlots(); i < n; i++) {      // no iterator in the pause
            Mutator m = world.mutatorAt(i);
            if (m == null) {
                continue;
            }
            if (!m.gcw.empty()) {
                any = true;
            }
            m.gcw.dispose();
        }
        synchronized (c.orphanLock) {
            if (!c.orphanWork.empty()) {
                any = true;
            }
            c.orphanWork.dispose();
        }
        return any;
    }

    /** Drains the whole grey set on the coordinator thread (the stop-the-world modes, and mark termination's stack leftovers). */
    void drainAll(GcWork w) {
        for (;;) {
            pacer.heapScanWork.addAndGet(marker.drain(w, Long.MAX_VALUE));
            if (w.empty() && pool.fullIsEmpty()) {
                break;
            }
        }
        w.dispose();
    }

    /**
     * gccheckmark (world stopped, workers stopped): re-mark from all roots with separate bits and
     * fail, naming the object and its referrer, on any reachable object the mark left white.
     */
    void checkmark() {
        marker.startCheckmarks(heap.arenaBase(), heap.arenaCommittedBytes());
        GcWork cw = new GcWork(pool);
        try {
            world.scanStacks((addr, n, owner, id) -> marker.scanRootSlots(addr, n, owner, id, cw));
            long n = globals.highWater();
            marker.scanRootSlots(globals.slotAddress(0), n, "global", cw);
            while (marker.drain(cw, Long.MAX_VALUE) > 0 || !cw.empty()) {
                // drain the checkmark traversal
            }
        } finally {
            cw.dispose();
            marker.endCheckmarks();
        }
        checkmarkCycles++;
    }
}
