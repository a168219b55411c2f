package dev.gort.sched;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;

/**
 * A processor (Go's {@code p}): the right to run goroutines. GOMAXPROCS of them exist; an M must
 * own one to run Go code. The run queue and counters live in a native block ({@link PDescriptor});
 * the Java object holds what other modules attach: the mcache (the allocator's per-P cache) and the
 * timer heap. The block is freed when {@link Scheduler#run} returns ({@link Shutdown}); the public
 * readers go through the scheduler's gate ({@link NativeReaders}) when not on one of its Ms, and
 * once it closed answer from the figures copied at shutdown, so a P kept after run returned reads
 * its final figures and no reader touches the freed block.
 */
public final class P {
    final Scheduler sched;
    final int id;
    /** 64-byte aligned address of the native block. */
    final long base;
    /** The M owning it, or null. */
    volatile M m;
    /**
     * The G that last entered a syscall on this P. entersyscall writes it (plain) before the CAS
     * that publishes SYSCALL, so a reader that sees SYSCALL sees this syscall's G or a later one's
     * (sysmon's preempt of a P whose slice ended in a syscall). Never cleared: read only while
     * the status is SYSCALL; a stale read flags a G that already left, which yields once.
     */
    G syscallG;
    /** Next in the idle list (guarded by the sched lock). */
    P link;
    /**
     * The M that {@link MPool#startm} handed this P to and that has not taken it yet (null: none).
     * Set under the sched lock with the P IDLE and on no list; cleared by whichever of two takes
     * it first, with a CAS: the M when it wakes ({@link #takeHanded}), or a stop-the-world that
     * stops the P in its place, at a timed pass or by the M that stopped the last other P
     * ({@link #stopHanded}, sched lock held), so a stop
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
    /** The block's figures at shutdown ({@link #keepFiguresAtExit}); null until then. Published by the gate. */
    private long[] atExit;
    private int atExitRunqsize;
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
        sched.nativeBlocks.add(raw, bytes);    // freed when the scheduler is unreachable, not at shutdown
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
        return readInt(PDescriptor.STATUS);
    }

    void setStatus(int s) {
        NativeMemory.putIntRelease(base + PDescriptor.STATUS, s);
    }

    boolean casStatus(int from, int to) {
        return NativeMemory.casInt(base + PDescriptor.STATUS, from, to);
    }

    /** Sched lock held, this P IDLE with no M and on no list: it is mp's to take ({@link #takeHanded}). */
    void handTo(M mp) {
        sched.handedPs.incrementAndGet();      // before the P is handed: the count never reads low
        handedTo = mp;
    }

    /** mp, woken with this P as its nextp: true if it now owns it; false if a stop took it first. */
    boolean takeHanded(M mp) {
        if (!HANDED_TO.compareAndSet(this, mp, null)) {
            return false;
        }
        sched.handedPs.decrementAndGet();
        return true;
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
        sched.handedPs.decrementAndGet();
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
        return readLong(PDescriptor.SCHEDTICK);
    }

    public long syscalltick() {
        return readLong(PDescriptor.SYSCALLTICK);
    }

    /** System.nanoTime() when its M entered the current (or last) syscall. */
    public long syscallwhen() {
        return readLong(PDescriptor.SYSCALLWHEN);
    }

    /**
     * When the running goroutine's time slice began: always 0 (not recorded). Reading the clock
     * on every switch cost a tenth of a switch; as in Go, sysmon times a slice from its own first
     * sight of a new {@link #schedtick()}.
     */
    public long schedwhen() {
        return readLong(PDescriptor.SCHEDWHEN);
    }

    /** Gs this P stole from others. */
    public long steals() {
        return readLong(PDescriptor.STEALS);
    }

    public int runqsize() {
        return (int) NativeReaders.access(sched, this, 0, (p, unused) -> RunQueue.size(p.base), (p, unused) -> p.atExitRunqsize);
    }

    /** True if neither the local ring nor runnext holds a G (Go's runqempty; sysmon's retake reads it). */
    public boolean runqempty() {
        return NativeReaders.access(sched, this, 0, (p, unused) -> RunQueue.isEmpty(p.base) ? 1 : 0,
                (p, unused) -> p.atExitRunqsize == 0 && p.readLong(PDescriptor.RUNNEXT) == 0 ? 1 : 0) != 0;
    }

    /** Free Gs cached on this P (scheddetail's gfreecnt). */
    int gfreeCount() {
        return (int) readLong(PDescriptor.GFREE_COUNT);
    }

    /**
     * The block's long at {@code offset}: read in place by this scheduler's Ms and, through the
     * gate ({@link NativeReaders}), by other threads; once the gate closed, from the copy made at
     * shutdown ({@link #keepFiguresAtExit}) since the block is freed.
     */
    private long readLong(long offset) {
        return NativeReaders.access(sched, this, offset, (p, off) -> NativeMemory.getLongVolatile(p.base + off),
                (p, off) -> p.atExit[(int) (off >>> 3)]);
    }

    /** As {@link #readLong} for the int at {@code offset} (4-byte aligned). */
    private int readInt(long offset) {
        return (int) NativeReaders.access(sched, this, offset, (p, off) -> NativeMemory.getIntAcquire(p.base + off), P::intAtExit);
    }

    /** The int at {@code offset} in the copy made at shutdown. */
    private long intAtExit(long offset) {
        long word = atExit[(int) (offset >>> 3)];
        // The copy holds the block's longs as the machine stored them: little-endian (x86-64,
        // aarch64), so the int at a 4-byte offset is the long's high half.
        return (int) (word >>> ((offset & 4) << 3));
    }

    /**
     * Shutdown, every M joined and the gate closed and drained: copies the block (all of it but the
     * run queue ring, whose G refs nobody reads after the end) for the readers that come after it
     * is freed.
     */
    void keepFiguresAtExit() {
        long[] copy = new long[(int) (PDescriptor.RUNQ >>> 3)];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = NativeMemory.getLongVolatile(base + 8L * i);
        }
        atExitRunqsize = RunQueue.size(base);
        atExit = copy;
    }
}
