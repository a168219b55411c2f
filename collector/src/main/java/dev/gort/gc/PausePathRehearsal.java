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

    /**
     * Rounds run before the first cycle even when it is already owed (within its grace, as the
     * warm-up: {@link Coordinator#firstCycleWarmUpMayGoOn}). The first round is what costs in a
     * pause (first calls: constant pool resolution, the interpreter, first touch of the workbufs),
     * not the JIT's thresholds, which the rest of the rounds cross after the first cycles.
     */
    static final int FIRST_CYCLE_ROUNDS = 16;

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
    /**
     * Collectors that may still run chunks ({@link #join}, {@link #leave}; guarded by LOCK). The
     * scratch state lives between chunks (it gives way to cycles), so the last one to leave, done
     * or closed, unmaps it: a collector closed mid-rehearsal left 8 MiB mapped for the JVM's life
     * when no other collector came to finish the rounds.
     */
    private static int users;

    /** Tests: thrown by the next round's start (then cleared), as a failure inside a round would be. */
    static volatile Throwable failNextRoundForTest;
    /** Tests: the scratch heap's arena base while it is mapped, the last one's after (0: none made yet). */
    static volatile long scratchBaseForTest;
    /** Tests: the bytes of the scratch heap's arena from {@link #scratchBaseForTest}, all reserved while it is mapped. */
    static final long SCRATCH_ARENA_BYTES = 8L << 20;

    private final Heap heap;
    private final GcSupport gcs;
    private final Marker marker;
    private final WorkbufPool pool;
    private final GcWork work;
    /**
     * Three caches, as the program's: an idle one that never allocates (a worker's, or a mutator's
     * that allocated nothing this cycle), first in the heap's list, then two that allocate. The real
     * heap always has idle caches: {@code detachForSweep} finds nothing to set aside in them, and
     * the drain walks past them. Rehearsed with two busy caches only, C2 compiled those methods
     * with the empty case as an uncommon trap (session 16, greywarm: a rehearsal-trained method of
     * the sweep trapped on the real sweeper's first use and was compiled again).
     */
    private final MCache[] caches;
    /** The caches that allocate ({@code caches[1..2]}). */
    private final MCache[] busy;
    /** A store gate of its own: the collector's real one is handed to storing threads. */
    private final StoreGate gate = new StoreGate();
    private final Arena slotArena;
    private final long slots;
    private int fresh;

    private PausePathRehearsal(HeapConfig like) {
        long reserve = SCRATCH_ARENA_BYTES;
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
            caches = new MCache[] {heap.newCache(), heap.newCache(), heap.newCache()};
            busy = new MCache[] {caches[1], caches[2]};
            scratchBaseForTest = heap.arenaBase();
            a = Arena.ofShared();
            slotArena = a;
            slots = a.allocate((long) SLOTS << 3, 8).address();
            for (int i = 0; i < SLOTS; i++) {
                NativeMemory.putLong(slots + ((long) i << 3), 0);
            }
            for (int i = 0; i < NODES; i++) {
                setSlot(i, node(busy[i & 1]));
            }
            for (int i = 0; i < NOSCANS; i++) {
                setSlot(NODES + i, busy[i & 1].alloc(32, true));
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
     * none remain (done, off, or given up after a failure, which is reported once on stderr). The
     * caller is between {@link #join} and {@link #leave}.
     *
     * <p>A failure of a round is the rehearsal's: its heap, caches, marker and roots are its own, so
     * nothing of the program's is left half done, and the collector goes on without it. That holds
     * for an {@link Error} too (a LinkageError, an AssertionError under -ea, a StackOverflowError
     * already unwound, an OutOfMemoryError: the JVM's own handling of that, the OnOutOfMemoryError
     * family of flags, ran where it was thrown, and the collector is what can free the program's
     * memory, so the coordinator must not die of it). Only an {@link InternalError} or
     * {@link UnknownError}, the JVM reporting itself broken, is not the rehearsal's to judge: after
     * the scratch state is unmapped it is rethrown, and the coordinator's fatal path hands it to
     * every gc() and allocation past the goal.
     */
    static boolean runChunk(HeapConfig like, java.util.function.BooleanSupplier mayGoOn) {
        return runChunk(like, mayGoOn, ROUNDS);
    }

    /** {@link #runChunk(HeapConfig, java.util.function.BooleanSupplier)} that stops once this JVM has run {@code upTo} rounds. */
    static boolean runChunk(HeapConfig like, java.util.function.BooleanSupplier mayGoOn, int upTo) {
        synchronized (LOCK) {
            if (roundsDone >= ROUNDS || failed) {
                return true;
            }
            int chunk = Math.min(CHUNK, Math.min(ROUNDS, upTo) - roundsDone);
            if (chunk <= 0) {
                return false;               // this caller's bound reached; rounds remain for later calls
            }
            if (like.efence()) {
                roundsDone = ROUNDS;        // a page per object, mprotect per free: a debug mode, its pauses are not timed
                return true;
            }
            try {
                if (current == null) {
                    current = new PausePathRehearsal(like);
                }
                roundsDone += current.rounds(chunk, mayGoOn);
                if (roundsDone >= ROUNDS) {
                    closeCurrent();
                }
            } catch (Throwable t) {
                failed = true;
                closeCurrentAfter(t);
                if (t instanceof InternalError || t instanceof UnknownError) {
                    throw (VirtualMachineError) t;
                }
                System.err.println("gort: warning: the pause path's rehearsal failed and was left (the collector goes on"
                        + " without it; its pauses may hold JIT compiles): " + t);
                return true;
            }
            return roundsDone >= ROUNDS;
        }
    }

    /** A collector's coordinator that will run chunks (before its first). */
    static void join() {
        synchronized (LOCK) {
            users++;
        }
    }

    /**
     * The coordinator leaves: its rounds are done, or its collector closed (or its thread is
     * ending). The last one out unmaps the scratch state; the rounds run so far stay counted, and
     * a later collector's rehearsal makes a fresh one for the rest.
     */
    static void leave() {
        synchronized (LOCK) {
            if (--users == 0 && current != null) {
                closeCurrent();
            }
        }
    }

    /** LOCK held: unmaps the scratch state; a failure to do so is reported and the state dropped. */
    private static void closeCurrent() {
        try {
            closeCurrentAfter(null);
        } catch (RuntimeException | Error e) {
            failed = true;
            System.err.println("gort: warning: the pause path's rehearsal could not unmap its scratch heap: " + e);
        }
    }

    /** LOCK held: closes the scratch state, if any; a failure is added to {@code cause} (suppressed) or, with none, thrown. */
    private static void closeCurrentAfter(Throwable cause) {
        PausePathRehearsal r = current;
        current = null;
        if (r == null) {
            return;
        }
        try {
            r.close();
        } catch (RuntimeException | Error e) {
            if (cause == null) {
                throw e;
            }
            cause.addSuppressed(e);
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
            failIfAskedForTest();
            gate.awaitFree();                           // sweep termination, in its order
            gate.acquire();
            gate.release();
            gcs.setAllocBlack(true);
            marker.scanRootSlots(slots, SLOTS, "rehearsal", -1, work);
            work.dispose();                             // the flush: partial buffers go to the full list
            marker.drain(work, Long.MAX_VALUE);
            work.dispose();
            long marked = work.bytesMarked;
            long scanned = work.heapScanWork;
            work.bytesMarked = 0;
            work.heapScanWork = 0;
            gate.awaitFree();                           // mark termination
            gate.acquire();
            gate.release();
            gcs.setAllocBlack(false);
            gcs.heapLive();
            gcs.startSweepCycleDetached();
            gcs.resetHeapLive(marked);
            gcs.resetHeapScan(scanned);                 // as the pause's, read back at the next start
            gcs.heapScan();
            finishSweep();
            replaceSomeRoots();
            done++;
        }
        return done;
    }

    private static void failIfAskedForTest() {
        Throwable t = failNextRoundForTest;
        if (t != null) {
            failNextRoundForTest = null;
            if (t instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) t;
        }
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
            setSlot(s, node(busy[s & 1]));
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

    /**
     * Unmaps everything, also after a round that failed halfway (a sweep cycle started and not
     * finished, a cache that will not release): the heap's close, which unmaps the arena, runs
     * whatever the steps before it threw.
     */
    private void close() {
        try {
            slotArena.close();
            pool.close();
            for (MCache c : caches) {
                heap.releaseCache(c);
            }
        } finally {
            heap.close();
        }
    }
}
