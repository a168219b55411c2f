package dev.gort.sched;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;

import java.lang.ref.Reference;

/**
 * A processor (Go's {@code p}): the right to run goroutines. GOMAXPROCS of them exist; an M must
 * own one to run Go code. The run queue and counters live in a native block ({@link PDescriptor});
 * the Java object holds what other modules attach: the mcache (the allocator's per-P cache) and the
 * timer heap. The block is freed when the scheduler is unreachable ({@link NativeBlocks}), so a P
 * kept after {@link Scheduler#run} returned reads its final figures; public readers fence
 * {@code this} so the block outlives the read.
 */
public final class P {
    final Scheduler sched;
    final int id;
    /** 64-byte aligned address of the native block. */
    final long base;
    /** The M owning it, or null. */
    volatile M m;
    /** Next in the idle list (guarded by the sched lock). */
    P link;
    /**
     * The M that {@link MPool#startm} handed this P to and that has not taken it yet (null: none).
     * Set under the sched lock with the P IDLE and on no list; cleared by whichever of two takes
     * it first, with a CAS: the M when it wakes ({@link #takeHanded}), or a stop-the-world that
     * stops the P in its place at a timed pass ({@link #stopHanded}, sched lock held), so a stop
     * does not wait for a woken M to get a CPU, and an M that lost the race owns nothing.
     */
    private volatile M handedTo;
    private static final java.lang.invoke.VarHandle HANDED_TO;
    /**
     * The {@link ForEachP} round's word for this P: NONE, PENDING (the round still owes this P its
     * function) or RUNNING (claimed by the one thread that runs it). Read (volatile) where the
     * P's M already looks for preemption; moved PENDING -> RUNNING only by CAS.
     */
    private volatile int safePointFn;
    private static final java.lang.invoke.VarHandle SAFE_POINT_FN;

    static {
        try {
            HANDED_TO = java.lang.invoke.MethodHandles.lookup().findVarHandle(P.class, "handedTo", M.class);
            SAFE_POINT_FN = java.lang.invoke.MethodHandles.lookup().findVarHandle(P.class, "safePointFn", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** The allocator's per-P cache (an {@code MCache} once the arena is wired in), or null. */
    Object mcache;
    final TimerHeap timers;
    /** The collector's per-P state (gcWork, write-barrier buffer): opaque to the scheduler. */
    private volatile Object gcState;
    /** Scratch for runqputslow: half the ring plus the new G. */
    final long[] batch = new long[PDescriptor.RUNQ_SIZE / 2 + 1];

    P(Scheduler sched, int id) {
        this.sched = sched;
        this.id = id;
        long bytes = PDescriptor.SIZE + 64;
        long raw = LibC.malloc(bytes);
        if (raw == 0) {
            throw new OutOfMemoryError("malloc(" + bytes + ") for P " + id + " failed");
        }
        sched.nativeBlocks.add(raw);    // freed when the scheduler is unreachable, not at shutdown
        NativeMemory.fill(raw, bytes, (byte) 0);
        base = (raw + 63) & ~63L;
        NativeMemory.putInt(base + PDescriptor.ID, id);
        this.timers = new TimerHeap(this);
    }

    public int id() {
        return id;
    }

    /** One of {@link PStatus}. */
    public int status() {
        int v = NativeMemory.getIntAcquire(base + PDescriptor.STATUS);
        Reference.reachabilityFence(this);    // the block lives while this P is reachable (NativeBlocks)
        return v;
    }

    void setStatus(int s) {
        NativeMemory.putIntRelease(base + PDescriptor.STATUS, s);
    }

    boolean casStatus(int from, int to) {
        return NativeMemory.casInt(base + PDescriptor.STATUS, from, to);
    }

    /** Sched lock held, this P IDLE with no M and on no list: it is mp's to take ({@link #takeHanded}). */
    void handTo(M mp) {
        handedTo = mp;
    }

    /** mp, woken with this P as its nextp: true if it now owns it; false if a stop took it first. */
    boolean takeHanded(M mp) {
        return HANDED_TO.compareAndSet(this, mp, null);
    }

    /**
     * Sched lock held, a stop pending: if this P is handed to an M that has not taken it, stops it
     * (GCSTOP) in that M's place and returns true; the M, when it runs, finds it gone.
     */
    boolean stopHanded() {
        M h = handedTo;
        if (h == null || !HANDED_TO.compareAndSet(this, h, null)) {
            return false;
        }
        setStatus(PStatus.GCSTOP);
        return true;
    }

    int safePointFn() {
        return safePointFn;
    }

    void setSafePointFn(int v) {
        safePointFn = v;
    }

    boolean casSafePointFn(int from, int to) {
        return SAFE_POINT_FN.compareAndSet(this, from, to);
    }

    /** True while a {@link Scheduler#forEachP} round still owes this P its function (or runs it now). */
    public boolean safePointFnPending() {
        return safePointFn != ForEachP.NONE;
    }

    /** The allocator's cache attached to this P (see SchedConfig.mcacheSource), or null. */
    public Object mcache() {
        return mcache;
    }

    public Object gcState() {
        return gcState;
    }

    public void setGcState(Object state) {
        gcState = state;
    }

    public long schedtick() {
        long v = NativeMemory.getLongVolatile(base + PDescriptor.SCHEDTICK);
        Reference.reachabilityFence(this);
        return v;
    }

    public long syscalltick() {
        long v = NativeMemory.getLongVolatile(base + PDescriptor.SYSCALLTICK);
        Reference.reachabilityFence(this);
        return v;
    }

    /** System.nanoTime() when its M entered the current (or last) syscall. */
    public long syscallwhen() {
        long v = NativeMemory.getLongVolatile(base + PDescriptor.SYSCALLWHEN);
        Reference.reachabilityFence(this);
        return v;
    }

    /**
     * When the running goroutine's time slice began: always 0 (not recorded). Reading the clock
     * on every switch cost a tenth of a switch; as in Go, sysmon times a slice from its own first
     * sight of a new {@link #schedtick()}.
     */
    public long schedwhen() {
        long v = NativeMemory.getLongVolatile(base + PDescriptor.SCHEDWHEN);
        Reference.reachabilityFence(this);
        return v;
    }

    /** Gs this P stole from others. */
    public long steals() {
        long v = NativeMemory.getLongVolatile(base + PDescriptor.STEALS);
        Reference.reachabilityFence(this);
        return v;
    }

    public int runqsize() {
        int v = RunQueue.size(base);
        Reference.reachabilityFence(this);
        return v;
    }

    /** True if neither the local ring nor runnext holds a G (Go's runqempty; sysmon's retake reads it). */
    public boolean runqempty() {
        boolean v = RunQueue.isEmpty(base);
        Reference.reachabilityFence(this);
        return v;
    }

    int gfreeCount() {
        return (int) NativeMemory.getLong(base + PDescriptor.GFREE_COUNT);
    }
}
