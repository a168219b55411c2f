package dev.gort.gc;

import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sys.NativeMemory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongSupplier;

/**
 * A set of temporary gort-heap objects that may be saved and retrieved (Go 1.13+'s sync.Pool for
 * {@code *T}): what {@link PtrChan} is to {@code dev.gort.sched.Chan}, this is to
 * {@code dev.gort.sync.Pool}. Every pooled pointer sits in a slot of the collector's global root
 * table, so a pooled object whose only reference is the pool stays alive, and the victim cache
 * lets it go after two cycles, as Go's.
 *
 * <h2>Structure</h2>
 * <pre>
 *   locals[i]   P i's part (i = the P's id; over a ThreadWorld: thread id mod GOMAXPROCS)
 *     private   one root slot (0 = empty)
 *     shared    ring of root slots: slot[(tail + k) % cap], k in [0, count)
 *               tail = oldest (stealers take it), tail + count - 1 = newest (the owner's end)
 *     lock      a CAS word guarding private and shared
 *   victims[i]  the locals of the previous cycle, same shape
 * </pre>
 * Only the slots' addresses are Java data; the pointers themselves live in native slots the
 * collector scans with the globals (concurrently, every cycle, and again under gccheckmark). A
 * ring grows by taking more slots and reordering the Java array of slot addresses, never by moving
 * a pointer between slots. Slots are kept (zeroed) when entries leave, so a Local asks the root
 * table for slots only at a new high water; a ring beyond twice its peak of the last two cycles
 * gives the rest back at a sweep termination, and {@link #close()} returns them all.
 *
 * <h2>Paths</h2>
 * {@link #put}: the caller's Local: the private slot if empty, else the newest end of the shared
 * ring. {@link #get}: own private; own shared newest; the oldest of every other Local's shared
 * (starting after the own index; a Local whose P was destroyed by a GOMAXPROCS shrink gives its
 * private too, since no owner will take it); then the victims: own private, the oldest of every
 * victim ring starting with the own one, each victim's private after its ring (a victim has no
 * owner any more, so any index may take it; Go leaves another P's victim private to be dropped); then
 * {@code newObject} (outside every lock: it may allocate, which is a safepoint), else 0.
 * Stores into slots go through {@link WriteBarrier#storePointer}: a put shades the new pointer
 * while marking (it may come from a frame not scanned yet), a get's clearing shades the value it
 * takes (it moves into the caller's Java local and frame, which may be scanned already).
 *
 * <h2>Cycles</h2>
 * At every cycle's sweep termination (world stopped, barrier off; the hook every collector gets
 * through {@link Collector#onSweepTermination}, one per collector for all its pools) each
 * victim's slots are cleared and the primaries become the victims, the cleared victims the new
 * (empty) primaries: an unused pooled object survives one cycle in the victim cache and is
 * garbage at the second, as Go's poolCleanup. The hook allocates nothing on the gort heap; a
 * recycled Local whose ring is more than twice its recent peak gives the extra slots back to the
 * root table (a Java array copy, and GlobalRoots' lock, which no stopped mutator holds).
 *
 * <h2>Rules</h2>
 * Only goroutines (with a P, so not inside {@code Go.syscall}) and threads registered with the
 * collector's ThreadWorld may put and get: a plain thread is not stopped by the world, so its
 * store could fall across a whole cycle start and hide the pointer from marking (see
 * {@link WriteBarrier#requireStoppableCaller}); such a caller gets an IllegalStateException.
 * {@link #get} returns the pointer as a Java long: store it in a frame slot, an object or a
 * global before the next safepoint, like any pointer loaded from the heap. {@code put(0)} is
 * refused (Go's Put(nil) is a no-op; here a 0 is more likely a lost pointer). {@link #close()}
 * may be called from any thread (it only clears slots, whose values no mutator can hold without
 * a get's shade; an unstoppable caller clears them inside the store gate, so its deletion shades
 * are never a cycle late, see {@link WriteBarrier#enterStoreGate}); later use throws.
 *
 * <h2>Concurrency</h2>
 * Each Local's lock is a CAS spin word without an owner (a goroutine may continue on another M;
 * PtrChan's lock for the same reasons). Held for a few loads and stores, never across a
 * safepoint, so the world never stops with a lock held and the sweep-termination hook never
 * waits. Go's lock-free poolDequeue was not copied: its owner-only private slot needs an owner
 * that cannot be two threads (a ThreadWorld index can be), and its ring publishes a value by CAS
 * on a head/tail word after a plain slot write, which with root slots would need the barriered
 * store and the index update to be one atomic step so that a concurrent scan, a steal and the
 * owner agree which slot holds the value. An uncontended lock costs one CAS per operation.
 * The owner's P cannot change inside an operation: gort's preemption is cooperative and no path
 * here has a safepoint (Go pins the P with procPin for the same reason).
 *
 * <h2>GOMAXPROCS</h2>
 * Under the scheduler the tables are sized by {@link SchedConfig#MAX_PROCS} references (8 KiB
 * per table); a Local and its slots are made on a P's first use. A P destroyed by a shrink keeps
 * its Local: other Ps steal its shared ring and its private slot, the victim rules drop what is
 * left after two cycles, and a revived P gets it back.
 */
public final class PtrPool implements AutoCloseable {
    private static final VarHandle LOCK;
    private static final VarHandle ELEM = MethodHandles.arrayElementVarHandle(Local[].class);

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(Local.class, "lock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** First ring size; then it doubles. */
    private static final int FIRST_RING = 8;

    private final World world;
    private final GlobalRoots roots;
    private final boolean scheduler;          // SchedWorld: index = P id; else thread id mod GOMAXPROCS
    private final int maxLocals;
    private final LongSupplier newObject;     // may be null
    private final Registry registry;
    private final Local[] locals;             // elements published by setRelease, read by getAcquire;
    private final Local[] victims;            // swapped between the two only by the hook (world stopped)
    private volatile int used;                // 1 + the highest index with a Local (written under this)
    private volatile boolean closed;

    /**
     * One index's part: a private slot and a ring of shared slots, guarded by {@code lock}. Not
     * padded: Locals are made lazily, each on its P's first use, so they are rarely neighbours
     * (dev.gort.sync.Pool pads because its per-P parts are written without a lock).
     */
    static final class Local {
        @SuppressWarnings("unused")
        volatile int lock;
        final long privateSlot;               // slot address
        long[] ring = new long[0];            // ring position -> slot address
        int tail;
        int count;
        int peak;                             // most ring entries since the last trim
        long steals;                          // entries other indices took from here (statistics)
        long victimTakes;                     // entries taken from here while it was a victim

        Local(long privateSlot) {
            this.privateSlot = privateSlot;
        }

        long takePrivate() {
            long p = NativeMemory.getLong(privateSlot);
            if (p != 0) {
                WriteBarrier.storePointer(privateSlot, 0);      // shades p while marking
            }
            return p;
        }

        long popNewest() {
            if (count == 0) {
                return 0;
            }
            long slot = ring[(tail + count - 1) % ring.length];
            count--;
            long p = NativeMemory.getLong(slot);
            WriteBarrier.storePointer(slot, 0);
            return p;
        }

        long popOldest() {
            if (count == 0) {
                return 0;
            }
            long slot = ring[tail];
            tail = (tail + 1) % ring.length;
            count--;
            long p = NativeMemory.getLong(slot);
            WriteBarrier.storePointer(slot, 0);
            return p;
        }

        void pushNewest(long p, GlobalRoots roots) {
            if (count == ring.length) {
                grow(roots);
            }
            WriteBarrier.storePointer(ring[(tail + count) % ring.length], p);
            if (++count > peak) {
                peak = count;
            }
        }

        /** Full ring: the slot addresses in age order, then new slots (values never move). */
        private void grow(GlobalRoots roots) {
            int cap = ring.length;
            int newCap = cap == 0 ? FIRST_RING : cap * 2;
            long[] grown = new long[newCap];
            for (int k = 0; k < cap; k++) {
                grown[k] = ring[(tail + k) % cap];
            }
            int k = cap;
            try {
                for (; k < newCap; k++) {
                    grown[k] = roots.slotAddress(roots.allocSlot());
                }
            } catch (RuntimeException e) {
                for (int j = cap; j < k; j++) {
                    roots.releaseSlot(indexOf(roots, grown[j]));     // a put: a stoppable caller
                }
                throw e;
            }
            ring = grown;
            tail = 0;
        }

        /** Clears every entry (world stopped, or under the lock). */
        void clear() {
            WriteBarrier.storePointer(privateSlot, 0);
            for (int k = 0; k < count; k++) {
                WriteBarrier.storePointer(ring[(tail + k) % ring.length], 0);
            }
            tail = 0;
            count = 0;
        }

        /**
         * After {@link #clear()} (world stopped): gives back the ring slots beyond twice the peak
         * since the last trim (at least {@link #FIRST_RING}), so a burst does not keep its slots
         * in the root table for the pool's life. A Local is trimmed when it is recycled from
         * victim to primary, so the peak covers its last two cycles.
         */
        void trim(GlobalRoots roots) {
            int keep = Math.max(FIRST_RING, Integer.highestOneBit(Math.max(1, peak)) << 1);
            if (ring.length > keep) {
                for (int k = keep; k < ring.length; k++) {
                    roots.releaseSlot(indexOf(roots, ring[k]));      // the coordinator, in the pause: no gate
                }
                ring = java.util.Arrays.copyOf(ring, keep);
            }
            peak = 0;
        }

        int entries() {
            return count + (NativeMemory.getLong(privateSlot) != 0 ? 1 : 0);
        }

        void freeSlots(GlobalRoots roots) {
            roots.releaseSlot(indexOf(roots, privateSlot));     // close() took the store gate first
            for (long slot : ring) {
                roots.releaseSlot(indexOf(roots, slot));
            }
            ring = new long[0];
            tail = 0;
            count = 0;
        }

        void lock() {
            SpinLock.lock(LOCK, this);
        }

        void unlock() {
            SpinLock.unlock(LOCK, this);
        }
    }

    private static long indexOf(GlobalRoots roots, long slotAddress) {
        return (slotAddress - roots.base()) >>> 3;
    }

    /** A pool whose {@link #get} returns 0 when empty. */
    public PtrPool(Collector gc) {
        this(gc, null);
    }

    /**
     * A pool whose {@link #get} returns {@code newObject.getAsLong()} when empty (Go's New; it may
     * allocate; null: get returns 0). Its slots come from {@code gc}'s global root table.
     */
    public PtrPool(Collector gc, LongSupplier newObject) {
        if (gc == null) {
            throw new IllegalArgumentException("PtrPool needs the collector whose global root table holds its slots; got null");
        }
        this.world = gc.world();
        this.roots = gc.globals();
        this.scheduler = world instanceof SchedWorld;
        this.maxLocals = scheduler ? SchedConfig.MAX_PROCS : Math.max(1, world.gomaxprocs());
        this.newObject = newObject;
        this.locals = new Local[maxLocals];
        this.victims = new Local[maxLocals];
        this.registry = Registry.of(gc);
        registry.add(this);
    }

    /** Adds {@code ptr} (a non-zero managed pointer) to the pool. */
    public void put(long ptr) {
        if (ptr == 0) {
            throw new IllegalArgumentException("PtrPool.put(0): accepted: a non-zero pointer to a gort-heap object"
                    + " (Go's Put(nil) is a no-op; here a 0 is refused because it is more likely a lost pointer)");
        }
        Local l = local(index("PtrPool.put"));
        l.lock();
        try {
            checkOpen();
            if (NativeMemory.getLong(l.privateSlot) == 0) {
                WriteBarrier.storePointer(l.privateSlot, ptr);
            } else {
                l.pushNewest(ptr, roots);
            }
        } finally {
            l.unlock();
        }
    }

    /**
     * Takes a pooled pointer (no relation to what the caller put is promised), or returns
     * {@code newObject}'s result, or 0. Store the result in a frame, object or global before the
     * next safepoint.
     */
    public long get() {
        int i = index("PtrPool.get");
        Local own = local(i);
        long p;
        own.lock();
        try {
            checkOpen();
            p = own.takePrivate();
            if (p == 0) {
                p = own.popNewest();
            }
        } finally {
            own.unlock();
        }
        if (p == 0) {
            p = getSlow(i);
        }
        if (p == 0 && newObject != null) {
            p = newObject.getAsLong();
        }
        return p;
    }

    private long getSlow(int i) {
        int n = used;
        int procs = scheduler ? world.gomaxprocs() : maxLocals;
        for (int k = 1; k < n; k++) {
            int j = (i + k) % n;
            Local l = (Local) ELEM.getAcquire(locals, j);
            if (l != null) {
                long p = take(l, j >= procs, false);
                if (p != 0) {
                    return p;
                }
            }
        }
        Local v = (Local) ELEM.getAcquire(victims, i);
        if (v != null) {
            v.lock();
            try {
                checkOpen();
                long p = v.takePrivate();
                if (p != 0) {
                    v.victimTakes++;
                    return p;
                }
            } finally {
                v.unlock();
            }
        }
        for (int k = 0; k < n; k++) {
            int j = (i + k) % n;
            Local l = (Local) ELEM.getAcquire(victims, j);
            if (l != null) {
                long p = take(l, true, true);       // a victim has no owner any more: its private too
                if (p != 0) {
                    return p;
                }
            }
        }
        return 0;
    }

    /** The oldest shared entry of another index's Local, else its private if {@code orphaned} (no owner will take it). */
    private long take(Local l, boolean orphaned, boolean victim) {
        l.lock();
        try {
            checkOpen();
            long p = l.popOldest();
            if (p == 0 && orphaned) {
                p = l.takePrivate();
            }
            if (p != 0) {
                if (victim) {
                    l.victimTakes++;
                } else {
                    l.steals++;
                }
            }
            return p;
        } finally {
            l.unlock();
        }
    }

    /** The caller's index; refuses callers the world does not stop. */
    private int index(String op) {
        roots.requireOpen(op);      // the slots went with the collector's root table: no native access
        if (world.current() == null) {
            throw new IllegalStateException(op + " on " + Thread.currentThread().getName()
                    + ", which is neither a goroutine holding a P nor a thread registered with the collector's"
                    + " ThreadWorld: the stop-the-world does not stop it, so its pointer stores could hide a pointer"
                    + " from marking; call it from a goroutine (outside Go.syscall) or a registered thread");
        }
        if (!scheduler) {
            return (int) Long.remainderUnsigned(Thread.currentThread().threadId(), maxLocals);
        }
        int pid = Go.pid();
        if (pid < 0 || pid >= maxLocals) {
            throw new IllegalStateException(op + ": P id " + pid + " outside [0, " + maxLocals + ")");
        }
        return pid;
    }

    private Local local(int i) {
        Local l = (Local) ELEM.getAcquire(locals, i);
        return l != null ? l : makeLocal(i);
    }

    private synchronized Local makeLocal(int i) {
        checkOpen();
        Local l = (Local) ELEM.getAcquire(locals, i);
        if (l == null) {
            l = new Local(roots.slotAddress(roots.allocSlot()));
            ELEM.setRelease(locals, i, l);
            if (i >= used) {
                used = i + 1;
            }
        }
        return l;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("PtrPool used after close(); accepted: a pool before its close() (make a new PtrPool)");
        }
    }

    /** Go's poolCleanup for this pool: world stopped, barrier off (the registry's hook). */
    private synchronized void sweepTermination() {
        if (closed) {
            return;
        }
        int n = used;
        for (int i = 0; i < n; i++) {
            Local v = (Local) ELEM.getAcquire(victims, i);
            if (v != null) {
                v.lock();          // never held here (no path holds it across a safepoint): one CAS
                v.clear();
                v.trim(roots);
                v.unlock();
            }
            Local primary = (Local) ELEM.getAcquire(locals, i);
            ELEM.setRelease(victims, i, primary);
            ELEM.setRelease(locals, i, v);         // the cleared victim (or null) is the new, empty primary
        }
    }

    /** Entries in the primary Locals now (for tests and debugging; a racy sum while others run). */
    public long pooled() {
        return count(false);
    }

    /** Entries in the victim cache now. */
    public long pooledInVictims() {
        return count(true);
    }

    private synchronized long count(boolean victim) {
        checkOpen();
        long n = 0;
        for (int i = 0; i < used; i++) {
            Local l = (Local) ELEM.getAcquire(victim ? victims : locals, i);
            if (l != null) {
                l.lock();
                n += l.entries();
                l.unlock();
            }
        }
        return n;
    }

    /** Entries one index took from another's shared ring (or a destroyed P's private) so far. */
    public long steals() {
        return sum(false);
    }

    /** Entries taken from the victim cache so far. */
    public long victimTakes() {
        return sum(true);
    }

    private synchronized long sum(boolean victim) {
        long n = 0;
        for (Local[] ls : new Local[][] {locals, victims}) {
            for (int i = 0; i < used; i++) {
                Local l = (Local) ELEM.getAcquire(ls, i);
                if (l != null) {
                    n += victim ? l.victimTakes : l.steals;
                }
            }
        }
        return n;
    }

    /** Root-table slots this pool holds (private and ring slots of both generations). */
    public synchronized long slots() {
        long n = 0;
        for (Local[] ls : new Local[][] {locals, victims}) {
            for (int i = 0; i < used; i++) {
                Local l = (Local) ELEM.getAcquire(ls, i);
                if (l != null) {
                    n += 1 + l.ring.length;
                }
            }
        }
        return n;
    }

    /**
     * Frees every root slot: whatever the pool held is no longer rooted by it. Any thread; later
     * put/get throw IllegalStateException. Idempotent.
     */
    @Override
    public void close() {
        // The store gate first, before this pool's and its Locals' locks (its lock order): an
        // unstoppable caller's clears then fall wholly before or after each barrier flip.
        java.util.concurrent.Semaphore gate = WriteBarrier.enterStoreGate();
        try {
            closeGated();
        } finally {
            WriteBarrier.leaveStoreGate(gate);
        }
    }

    private void closeGated() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;      // every path checks it under a Local's lock, taken below after this
            for (Local[] ls : new Local[][] {locals, victims}) {
                for (int i = 0; i < used; i++) {
                    Local l = (Local) ELEM.getAcquire(ls, i);
                    if (l != null) {
                        l.lock();
                        try {
                            l.freeSlots(roots);
                        } finally {
                            l.unlock();
                        }
                    }
                }
            }
        }
        registry.remove(this);
    }

    /** The pools of one collector and the one sweep-termination hook that ages them all. */
    private static final class Registry implements Runnable {
        private static final Map<Collector, Registry> BY_COLLECTOR = new WeakHashMap<>();
        private volatile PtrPool[] pools = new PtrPool[0];

        static Registry of(Collector gc) {
            synchronized (BY_COLLECTOR) {
                Registry r = BY_COLLECTOR.get(gc);
                if (r == null) {
                    r = new Registry();
                    BY_COLLECTOR.put(gc, r);
                    gc.onSweepTermination(r);
                }
                return r;
            }
        }

        synchronized void add(PtrPool p) {
            PtrPool[] ps = java.util.Arrays.copyOf(pools, pools.length + 1);
            ps[ps.length - 1] = p;
            pools = ps;
        }

        synchronized void remove(PtrPool p) {
            PtrPool[] ps = pools;
            for (int i = 0; i < ps.length; i++) {
                if (ps[i] == p) {
                    PtrPool[] out = new PtrPool[ps.length - 1];
                    System.arraycopy(ps, 0, out, 0, i);
                    System.arraycopy(ps, i + 1, out, i, ps.length - i - 1);
                    pools = out;
                    return;
                }
            }
        }

        /** World stopped, barrier off: every open pool's victims dropped, primaries moved. */
        @Override
        public void run() {
            for (PtrPool p : pools) {
                p.sweepTermination();
            }
        }

        @Override
        public String toString() {
            return "PtrPool cleanup";
        }
    }
}
