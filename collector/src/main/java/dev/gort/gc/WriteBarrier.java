package dev.gort.gc;

import dev.gort.sys.NativeMemory;

/**
 * Go's hybrid write barrier (Yuasa deletion + Dijkstra insertion, proposal 17503) for stores of
 * managed pointers into heap objects and globals.
 *
 * <p>For {@code *slot = ptr} while marking: shade the pointer being overwritten (so moving an
 * object's only reference from the heap into a frame cannot hide it) and shade the new pointer
 * (so moving it from a not-yet-scanned frame into a black object cannot hide it). Like Go, both are
 * shaded unconditionally: knowing the colour of the current goroutine's stack would need fences.
 * Frame-slot stores are not barriered; that is why stacks are scanned once, never rescanned.
 *
 * <p>The fast path is one read of {@link #enabled}. It is volatile so a mutator can never keep a
 * stale copy in a register across the stop-the-world that turns marking on; on x86 a volatile read
 * is a plain load. It only changes with the world stopped (sweep termination turns it on, mark
 * termination off), so every mutator sees it flip at a safepoint.
 *
 * <p>The slow path hands both pointers to the installed {@link Shader} (the marker, which greys
 * them on the current P's gcWork). Null (0) pointers are filtered here.
 */
public final class WriteBarrier {
    private WriteBarrier() {
    }

    /** Where shaded pointers go. Installed by the collector; tests install recording ones. */
    public interface Shader {
        /** Greys the object containing {@code pointer} (non-zero; may be interior or not in the heap). */
        void shade(long pointer);

        /**
         * Shades the overwritten and the new pointer of one store (either may be 0: skipped), in
         * that order. The collector overrides it to find the calling mutator's gcWork once per
         * store instead of once per pointer.
         */
        default void shadePair(long old, long value) {
            if (old != 0) {
                shade(old);
            }
            if (value != 0) {
                shade(value);
            }
        }

        /**
         * The barrier of {@code *slot = value} where {@code slot} is a field of the object whose
         * base is {@code obj}, before the store: shades the old {@code *slot} and {@code value}.
         * The collector overrides it to skip reading the old value when {@code obj} was allocated
         * black in this mark phase (see {@link WriteBarrier#storeField}).
         */
        default void shadeStore(long obj, long slot, long value) {
            long old = NativeMemory.getLong(slot);
            if ((old | value) != 0) {
                shadePair(old, value);
            }
        }

        /**
         * Whether the calling thread is one the collector's stop-the-world stops (a goroutine with
         * a P under the scheduler, a registered thread under ThreadWorld). Recording shaders in
         * tests have no world: true.
         */
        default boolean callerIsStoppable() {
            return true;
        }

        /**
         * The collector's store gate ({@link WriteBarrier#enterStoreGate}), which its coordinator
         * holds around each flip of {@link WriteBarrier#enabled}; null: none (recording shaders).
         */
        default java.util.concurrent.Semaphore storeGate() {
            return null;
        }
    }

    /**
     * Refuses a pointer store from a thread the stop-the-world does not stop. Such a thread's store
     * reads {@link #enabled} and then stores with nothing in between that a stop waits for, so a
     * whole cycle start (stop, stack scan, restart) can fall between the two: the store then skips
     * the deletion barrier and can hide the overwritten pointer from marking when a goroutine copied
     * it into its (already scanned) frame meanwhile. Checked where a check is cheap next to the work
     * ({@link Mem#copyPtrs}, whose window is the whole copy); single stores are not checked (the
     * fast path stays one flag read), so the rule is the caller's for them.
     */
    static void requireStoppableCaller(String operation) {
        if (!shader.callerIsStoppable()) {
            throw new IllegalStateException(operation + " on " + Thread.currentThread().getName()
                    + ", a thread the collector's stop-the-world does not stop: its pointer stores can hide a pointer "
                    + "from marking; store heap pointers from a goroutine (outside Go.syscall) or a thread registered "
                    + "with the collector's ThreadWorld");
        }
    }

    /** Go's writeBarrier.enabled: true from sweep termination to mark termination. */
    public static volatile boolean enabled;

    /**
     * The store gate: serialises the pointer stores of threads the stop-the-world does not stop
     * with the collector's flips of {@link #enabled}. A goroutine's or registered thread's store
     * has no safepoint between its flag read and its store, so no flip falls between the two; an
     * unstoppable thread's store has nothing a stop waits for, so the whole sweep termination
     * (flag on, stacks scanned) or mark termination (final flush, flag off) can fall between them.
     * Entry points that unstoppable threads may call ({@code Global.close}, {@code PtrPool.close},
     * {@code PtrChan.free}, {@code GlobalRoots.freeSlot}) take it around their stores; the
     * installed collector's coordinator takes it once the world is stopped and holds it until the
     * flag is flipped (sweep termination), and from mark termination's stop through its final
     * flush to the flag turned off, so a gated store reads the flag and stores wholly before or
     * wholly after each flip, and what it shaded into the orphan gcWork while marking is flushed
     * by that mark termination. Mutators never touch it: their fast paths are unchanged.
     *
     * <p>Never held across a stop request: a thread waiting for the gate may hold a lock of its
     * own (an application's monitor) that a mutator blocks on short of its safepoint, so a
     * coordinator holding the gate while it waits for the world to stop deadlocks with it
     * (branch hidden took it before the stop; StoreGateLockOrderTest, session 10 review). Before
     * the stop request the coordinator only waits for the gate to be free (the sections in
     * progress leave outside the pause); taken in the pause, it waits at most for a section begun
     * in between, which needs nothing a stopped mutator holds: the runtime locks inside it (a
     * PtrPool's and its Locals', a PtrChan's, the root table's, the orphan gcWork's) are never
     * held across a safepoint. Lock order: the gate is the first of those locks an unstoppable
     * caller takes.
     *
     * <p>The gate is the installed shader's ({@link Shader#storeGate}: one per collector, so a
     * collector whose coordinator never came back from a stop leaves no held gate to the next
     * one): a fair {@link java.util.concurrent.Semaphore} of one permit. No owner thread (a
     * goroutine inside {@code Go.syscall} may take it, and java.util.concurrent locks name an
     * owner a goroutine moving between Ms gets wrong, see {@link dev.gort.sys.OwnerlessLock}), and
     * FIFO, so a thread clearing handles in a loop cannot re-take it ahead of the coordinator
     * waiting for it (an unfair lock lets a releasing thread barge back in; argued, not measured:
     * StoreGateStressTest passed with the unfair OwnerlessLock too).
     *
     * @return the gate taken (pass it to {@link #leaveStoreGate}), or null: the caller is stoppable,
     *     or no cycle can start any more (collector closed), or the shader has no gate (tests)
     */
    static java.util.concurrent.Semaphore enterStoreGate() {
        Shader s = shader;
        if (s.callerIsStoppable()) {
            return null;
        }
        java.util.concurrent.Semaphore gate = s.storeGate();
        if (gate != null) {
            gate.acquireUninterruptibly();
            if (gate instanceof StoreGate.Gate g) {
                g.holder = Thread.currentThread();      // named for the coordinator's pausetrace
            }
        }
        return gate;
    }

    static void leaveStoreGate(java.util.concurrent.Semaphore gate) {
        if (gate != null) {
            if (gate instanceof StoreGate.Gate g) {
                g.holder = null;
            }
            gate.release();
        }
    }

    private static volatile Shader shader = p -> {
    };

    /**
     * The installed collector's {@link BarrierFilter} table when its mutators are registered threads,
     * else null: {@link #storeFieldSlow} asks it first whether both pointers of a store were allocated
     * black in this mark phase (binary-trees' every store), without the shader's mutator lookup.
     */
    private static volatile long[] filterTable;

    /**
     * Counts barriered stores that took the slow path (a statistic for tests and traces): plain
     * increments of a stripe chosen by thread id, each stripe on its own cache line. Exact for one
     * thread and for threads on different stripes; two threads whose ids are equal modulo
     * {@link #STRIPES} may lose an increment now and then. It replaced a LongAdder, whose
     * uncontended add is a locked CAS on every slow store (two per binary-trees node while marking).
     * A stripe's word 0 counts the slow stores the filter did not let through, word 1 those it did:
     * each store increments one word (the filtered store, binary-trees' every store while marking,
     * pays one increment), and {@link #slowStores} is their sum.
     */
    private static final int STRIPES = 64;
    private static final int STRIPE_LONGS = 8;      // 64 bytes: one cache line per stripe
    private static final long[] slowStoreStripes = new long[STRIPES * STRIPE_LONGS];

    /** Installs the shader; call with the world stopped (or before any goroutine runs). */
    public static void install(Shader s) {
        install(null, s);
    }

    /**
     * Installs the shader and the allocated-black filter table its stores may consult first (null:
     * none; see {@link BarrierFilter}); call with the world stopped (or before any goroutine runs).
     */
    static void install(long[] filter, Shader s) {
        if (s == null) {
            throw new IllegalArgumentException("shader must not be null");
        }
        filterTable = filter;
        shader = s;
    }

    /** Stores {@code value} at {@code slot} applying the barrier. */
    public static void storePointer(long slot, long value) {
        if (enabled) {
            storeSlow(slot, value);
        } else {
            NativeMemory.putLong(slot, value);
        }
    }

    /**
     * Go's sendDirect/recvDirect barrier: {@code value} moves from one goroutine's frame to
     * another's (a channel hand-off to or from a parked goroutine). Frames are scanned once per
     * cycle, each at its own time, so the source may not be scanned yet while the destination is:
     * while marking, the value is shaded. Frame stores are otherwise not barriered.
     */
    public static void frameToFrame(long value) {
        if (enabled && value != 0) {
            shader.shade(value);
        }
    }

    /**
     * Stores {@code value} into field {@code slot} of the object whose base is {@code obj}
     * ({@link Mem#storePtr}), applying the barrier. Knowing the object lets the collector skip the
     * deletion half for an object allocated black in this mark phase: every pointer stored into it
     * since then went through the insertion half (this barrier, {@link #casPointer},
     * {@link #bulkPreWrite}), and it was born zeroed, so its old value is already grey or black.
     * That saves the load of the old value, which in a tree built bottom-up is a cache miss (the
     * parent was allocated a whole subtree earlier).
     */
    public static void storeField(long obj, long slot, long value) {
        if (enabled) {
            storeFieldSlow(obj, slot, value);
        } else {
            NativeMemory.putLong(slot, value);
        }
    }

    private static void storeFieldSlow(long obj, long slot, long value) {
        long tid = Thread.currentThread().threadId();
        int stripe = (int) (tid & (STRIPES - 1)) * STRIPE_LONGS;
        long[] filter = filterTable;
        if (filter != null && BarrierFilter.bothRecentBlack(filter, tid, obj, value)) {
            // Both allocated black in this mark phase: no deletion shade (obj was born zeroed and
            // every pointer stored into it since was shaded) and the new pointer is black already.
            slowStoreStripes[stripe + 1]++;
        } else {
            shader.shadeStore(obj, slot, value);    // shade before the store, as storeSlow does
            slowStoreStripes[stripe]++;
        }
        NativeMemory.putLong(slot, value);
    }

    /** Compare-and-set of a pointer slot applying the barrier when it succeeds. */
    public static boolean casPointer(long slot, long expected, long value) {
        if (enabled) {
            Shader s = shader;
            if (expected != 0) {
                s.shade(expected);
            }
            if (value != 0) {
                s.shade(value);
            }
        }
        return NativeMemory.casLong(slot, expected, value);
    }

    private static void storeSlow(long slot, long value) {
        Shader s = shader;
        long old = NativeMemory.getLong(slot);
        // Shade before the store (Go's wbBuf records both first, then the store happens): a
        // concurrent scan that reads the slot after the store still finds `old` grey.
        if ((old | value) != 0) {
            s.shadePair(old, value);
        }
        slowStoreStripes[(int) (Thread.currentThread().threadId() & (STRIPES - 1)) * STRIPE_LONGS]++;
        NativeMemory.putLong(slot, value);
    }

    /** Bulk barrier before overwriting {@code words} pointer slots starting at {@code dst}
     *  (Go's bulkBarrierPreWrite): shades every old value and every value about to be written. */
    public static void bulkPreWrite(long dst, long src, long words, Type type) {
        if (!enabled) {
            return;
        }
        Shader s = shader;
        for (long w = 0; w < words; w++) {
            if (type == null || type.isPointerWord(w)) {
                long old = NativeMemory.getLong(dst + w * 8);
                if (old != 0) {
                    s.shade(old);
                }
                if (src != 0) {
                    long nv = NativeMemory.getLong(src + w * 8);
                    if (nv != 0) {
                        s.shade(nv);
                    }
                }
            }
        }
    }

    /**
     * Number of field stores since start that the {@link BarrierFilter} table let through without
     * a shade or a mutator lookup (a subset of {@link #slowStores}; same striping and exactness).
     */
    public static long filteredStores() {
        long n = 0;
        for (int i = 1; i < slowStoreStripes.length; i += STRIPE_LONGS) {
            n += slowStoreStripes[i];
        }
        return n;
    }

    /** Number of stores that took the slow path since start (filtered or not). */
    public static long slowStores() {
        long n = 0;
        for (int i = 0; i < slowStoreStripes.length; i += STRIPE_LONGS) {
            n += slowStoreStripes[i] + slowStoreStripes[i + 1];
        }
        return n;
    }
}
