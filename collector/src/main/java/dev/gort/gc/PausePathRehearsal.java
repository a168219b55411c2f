package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;

import java.lang.foreign.Arena;

/**
 * A dry run of the code the cycle's stopped steps run, on a heap of its own, so the JIT compiles
 * it (with a profile of real marking and sweeping) before the first pause that needs it: the root
 * scan ({@link Marker#scanRootSlots} and the greyFast it calls), the flush's
 * {@link GcWork#dispose}, the store gate, allocate-black's switch, and the arena's sweep-cycle start
 * ({@link GcSupport#startSweepCycleDetached}: the set-aside drain, every mcache's
 * {@code detachForSweep}) with finishsweep's {@link GcSupport#sweepOne}. Run in the pause for the
 * first time, those methods crossed the JIT's thresholds at fixed cycles of a run (one call or a
 * few a cycle; the root scan's ~90 greyFast calls reached C2 at gc 27-73 of binary-trees 21), and
 * the compile request woke a compiler thread that took the coordinator's CPU for 1.2-6.6 ms of
 * "stacks" or "sweepgen" (docs/performance.md, session 15, jitpause).
 *
 * <p>Nothing of the program's heap is touched: the heap, its mcaches, the work pool, the marker
 * and the root slots here are private, and each round is a whole cycle over them (roots marked,
 * the grey objects drained, the sweep cycle started and finished, so the sweep clears the marks
 * again). The JIT's code and profiles are per method, not per instance, so what it compiles here
 * is what the collector's own heap runs. Per JVM, not per collector: once {@link #ROUNDS} rounds
 * ran, later collectors skip it. {@code -Dgort.gc.pausewarmup=N} sets the rounds (0 = none).
 *
 * <p>All use is under the class's lock (several collectors' coordinators may call it at once).
 */
final class PausePathRehearsal {
    static final String PROPERTY = "gort.gc.pausewarmup";

    /**
     * Rounds in all ({@code -Dgort.gc.pausewarmup=N}, 0..100000, default 6000; 0: none). Methods
     * called once a round need C2's invocation threshold (5000) to be passed, not just C1's: a
     * method left at tier 3 requests tier 4 when its tier-3 code counts past the threshold, which
     * for a method called only inside pauses happens inside one.
     */
    static final int ROUNDS = (int) dev.gort.sys.TuningProperty.whole(PROPERTY, System.getProperty(PROPERTY), "rounds",
            6000, 0, 100_000);

    /** Rounds between two looks at whether the caller must give way (a cycle asked for, a close). */
    static final int CHUNK = 64;

    /** Root slots a round scans: live nodes, noscan objects, nil slots and repeats, like a thread's frames. */
    static final int SLOTS = 64;
    private static final int NODES = 32;
    private static final int NOSCANS = 16;
    private static final int REPEATS = 8;
    /** Roots replaced by fresh objects each round, so each round's mcaches hold spans to set aside. */
    private static final int FRESH = 8;

    private static final Object LOCK = new Object();
    /** Rounds run in this JVM (guarded by LOCK). */
    private static int roundsDone;
    /** The scratch state while rounds remain (guarded by LOCK); null before the first and after the last. */
    private static PausePathRehearsal current;
    /** Set when a round failed: the rehearsal is optional and is not tried again (guarded by LOCK). */
    private static boolean failed;

    private final Heap heap;
    private final GcSupport gcs;
    private final Marker marker;
    private final WorkbufPool pool;
    private final GcWork work;
    /** Two caches, as a mutator's and a worker's: detachCachesForSweep loops over them. */
    private final MCache[] caches;
    /** A store gate of its own: the collector's real one is handed to storing threads. */
    private final StoreGate gate = new StoreGate();
    private final Arena slotArena;
    private final long slots;
    private int fresh;

    private PausePathRehearsal(HeapConfig like) {
        long reserve = 8L << 20;
        HeapConfig cfg = like.withHeapArenaBytes(1L << 20).withArenaReservation(reserve)
                .withMaxStackBytes(Math.min(like.maxStackBytes(), reserve));
        heap = Heap.create(cfg, PosixOsMemory.get());
        WorkbufPool p = null;
        Arena a = null;
        try {
            gcs = heap.gc();
            gcs.claimForCollector("the pause path's rehearsal");
            marker = new Marker(new ArenaMarkHeap(heap));
            p = new WorkbufPool(PosixOsMemory.get(), 1L << 20);
            pool = p;
            work = new GcWork(pool);
            caches = new MCache[] {heap.newCache(), heap.newCache()};
            a = Arena.ofShared();
            slotArena = a;
            slots = a.allocate((long) SLOTS << 3, 8).address();
            for (int i = 0; i < SLOTS; i++) {
                NativeMemory.putLong(slots + ((long) i << 3), 0);
            }
            for (int i = 0; i < NODES; i++) {
                setSlot(i, node(caches[i & 1]));
            }
            for (int i = 0; i < NOSCANS; i++) {
                setSlot(NODES + i, caches[i & 1].alloc(32, true));
            }
            for (int i = 0; i < REPEATS; i++) {
                setSlot(NODES + NOSCANS + i, slot(i * 3));
            }
        } catch (RuntimeException | Error e) {
            if (a != null) {
                a.close();
            }
            if (p != null) {
                p.close();
            }
            heap.close();
            throw e;
        }
    }

    /**
     * Runs up to {@link #CHUNK} rounds while {@code mayGoOn} says so and rounds remain; true when
     * none remain (done, off, or given up after a failure, which is reported once on stderr).
     */
    static boolean runChunk(HeapConfig like, java.util.function.BooleanSupplier mayGoOn) {
        synchronized (LOCK) {
            if (roundsDone >= ROUNDS || failed) {
                return true;
            }
            if (like.efence()) {
                roundsDone = ROUNDS;        // a page per object, mprotect per free: a debug mode, its pauses are not timed
                return true;
            }
            try {
                if (current == null) {
                    current = new PausePathRehearsal(like);
                }
                roundsDone += current.rounds(Math.min(CHUNK, ROUNDS - roundsDone), mayGoOn);
                if (roundsDone >= ROUNDS) {
                    current.close();
                    current = null;
                }
            } catch (RuntimeException e) {
                failed = true;
                System.err.println("gort: warning: the pause path's rehearsal failed and was left (the collector is not affected): " + e);
                if (current != null) {
                    try {
                        current.close();
                    } catch (RuntimeException ignored) {
                        // its memory stays mapped: the process goes on
                    }
                    current = null;
                }
                return true;
            }
            return roundsDone >= ROUNDS;
        }
    }

    /** Rounds run in this JVM so far (tests). */
    static int roundsDone() {
        synchronized (LOCK) {
            return roundsDone;
        }
    }

    /**
     * Up to {@code n} rounds, each one cycle over the private heap in the collector's order:
     * allocate-black on and the roots greyed (sweep termination's stacks), the grey set drained, the
     * flush's dispose, allocate-black off and the sweep cycle started (mark termination's stats and
     * sweepgen), then the sweep finished (the next cycle's finishsweep), which clears the marks;
     * then fresh objects replace a few roots, refilling the caches the sweep cycle's start emptied.
     *
     * <p>The steps are called from here, not from a method per round: the pause calls them from
     * the coordinator's interpreted cycle code, so each must be compiled on its own, not inlined
     * into a compiled caller of the rehearsal's. Called ~100 times in all, with one loop, this
     * method stays in the interpreter (under C1's invocation and on-stack-replacement thresholds);
     * the inner loops are in helpers of their own for that reason.
     */
    private int rounds(int n, java.util.function.BooleanSupplier mayGoOn) {
        int done = 0;
        while (done < n && mayGoOn.getAsBoolean()) {
            gate.awaitFree();                           // sweep termination, in its order
            gate.acquire();
            gate.release();
            gcs.setAllocBlack(true);
            marker.scanRootSlots(slots, SLOTS, "rehearsal", -1, work);
            work.dispose();                             // the flush: partial buffers go to the full list
            marker.drain(work, Long.MAX_VALUE);
            work.dispose();
            long marked = work.bytesMarked;
            work.bytesMarked = 0;
            work.heapScanWork = 0;
            gate.awaitFree();                           // mark termination
            gate.acquire();
            gate.release();
            gcs.setAllocBlack(false);
            gcs.heapLive();
            gcs.startSweepCycleDetached();
            gcs.resetHeapLive(marked);
            finishSweep();
            replaceSomeRoots();
            done++;
        }
        return done;
    }

    private void finishSweep() {
        while (gcs.sweepOne() != 0) {
            // finishsweep
        }
        gcs.awaitSweepsInFlight();
    }

    private void replaceSomeRoots() {
        for (int i = 0; i < FRESH; i++) {
            int s = fresh++ % NODES;
            setSlot(s, node(caches[s & 1]));
        }
    }

    /** A 16-byte node of two pointers (as binary-trees'), each to a fresh pointer-free child node. */
    private long node(MCache c) {
        long n = c.alloc(16, false);
        gcs.writeNewObjectPointerBits(n, 2, 0b11);
        NativeMemory.putLong(n, c.alloc(16, true));
        NativeMemory.putLong(n + 8, c.alloc(16, true));
        return n;
    }

    private void setSlot(int i, long v) {
        NativeMemory.putLong(slots + ((long) i << 3), v);
    }

    private long slot(int i) {
        return NativeMemory.getLong(slots + ((long) i << 3));
    }

    private void close() {
        for (int i = 0; i < SLOTS; i++) {
            setSlot(i, 0);
        }
        slotArena.close();
        pool.close();
        for (MCache c : caches) {
            heap.releaseCache(c);
        }
        heap.close();
    }
}
