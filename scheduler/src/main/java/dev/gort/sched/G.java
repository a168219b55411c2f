package dev.gort.sched;

import dev.gort.sys.NativeMemory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * A goroutine: a {@link Continuation} plus a native descriptor ({@link GDescriptor}). A G object
 * and its descriptor are reused after the goroutine ends (Go's gFree lists). A G is spawned with
 * its function only ({@link #fn}); its continuation is made when it first runs, since a finished
 * continuation cannot be restarted. That continuation is a <em>runner</em> (its entry is
 * {@link #run()}): when the goroutine's function returns, the still-mounted continuation may go
 * on to run the next fresh goroutine of the P's queue ({@code Scheduler.adoptNext}), so a wave of
 * short goroutines shares one continuation. The G that yields in a continuation owns it from then
 * on ({@link #cont}).
 *
 * <p>Other modules see a G as a handle: the netpoller and the collector park goroutines with
 * {@link Go#park} and hand them back to the scheduler (netpoll results, GC workers).
 */
public final class G implements Runnable {
    static final ContinuationScope SCOPE = new ContinuationScope("gort");

    private static final VarHandle SELECT_DONE;

    static {
        try {
            SELECT_DONE = MethodHandles.lookup().findVarHandle(G.class, "selectDone", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Scheduler sched;
    final int index;
    /** Address of the native descriptor. */
    final long desc;
    /** index + 1: how queues refer to this G. */
    final long ref;

    /**
     * The continuation this goroutine resumes in: set by g0 when the goroutine first yields (it
     * may have been made for another G, whose runner adopted this one); null while the goroutine
     * has not yielded yet (fresh, or running without a yield so far) and when it is dead.
     */
    GContinuation cont;
    /**
     * The function of a goroutine that has not started (Go's startpc); null from its start on. A
     * runnable G with a function is fresh: it has no frames, so a runner may adopt it.
     */
    Runnable fn;
    /** goid of the goroutine whose go statement created it (0 for main). */
    long parentGoid;

    /** The M running it (only meaningful while running or in a syscall). */
    M m;
    /** The M it is locked to (lockOSThread, or temporarily while its continuation is pinned). */
    M lockedm;
    /** lockOSThread nesting depth. */
    int lockedExt;

    /** Set by whoever readies a select: the sudog that fired. */
    Sudog param;
    /** 0 while a select is undecided; the first waker CASes it to 1. */
    volatile int selectDone;
    /** Free sudogs of this G for select (a select needs one per case). */
    Sudog sudogCache;
    /**
     * The sudog of this G's plain channel operations (a G is in at most one at a time). Its
     * {@code g} never changes and its {@code c} is left pointing at the last channel, so the
     * common send/recv stores no object references into long-lived objects: under G1 such a
     * store is a write barrier with a StoreLoad fence when it crosses regions (Go's scheduler
     * uses guintptr for the same reason). Its {@code elem} is null while idle.
     */
    final Sudog chanSudog = new Sudog();
    /** ok of the last receive (Chan.recv2). */
    boolean lastRecvOk;
    /** This goroutine's timer for sleep, made on first use. */
    Timer sleepTimer;
    /** Why the last yield failed, or null. */
    volatile Object pinnedReason;
    /** Frame objects by depth, reused. */
    Frame[] frames = new Frame[8];
    int frameDepth;
    /** A runtime goroutine (GC worker): not counted by goroutines() or the deadlock check. */
    boolean system;
    /** The descriptor's figures at shutdown ({@link #keepFiguresAtExit}), published by the gate ({@link NativeReaders}). */
    private long atExitGoid;
    private int atExitStatus;
    private int atExitWaitReason;

    G(Scheduler sched, int index, long desc) {
        this.sched = sched;
        this.index = index;
        this.desc = desc;
        this.ref = index + 1L;
        chanSudog.g = this;
    }

    /** Go's goid. */
    public long goid() {
        return NativeReaders.access(sched, this, GDescriptor.GOID, G::descriptorLong, (g, unused) -> g.atExitGoid);
    }

    /** One of {@link GStatus}. */
    public int status() {
        return (int) NativeReaders.access(sched, this, 0, (g, unused) -> GDescriptor.status(g.desc), (g, unused) -> g.atExitStatus);
    }

    /** Why it is parked (meaningful while {@link GStatus#WAITING}). */
    public WaitReason waitReason() {
        return WaitReason.of((int) NativeReaders.access(sched, this, GDescriptor.WAIT_REASON,
                (g, offset) -> NativeMemory.getInt(g.desc + offset), (g, unused) -> g.atExitWaitReason));
    }

    /**
     * Address of the native descriptor (layout in the package's GDescriptor). Freed when
     * {@link Scheduler#run} returns: only meaningful while the scheduler runs.
     */
    public long descriptorAddress() {
        return desc;
    }

    /** Base address of the shadow stack (0 if none allocated yet, and after the scheduler ended: the stacks are freed). */
    public long stackLo() {
        return readStackWord(GDescriptor.STACK_LO);
    }

    /** Offset + 1 of the top shadow frame from {@link #stackLo()} (0 = no frame, and after the scheduler ended). */
    public long topFrame() {
        return readStackWord(GDescriptor.TOP_FRAME);
    }

    /** A stack word of the descriptor; 0 once the gate closed (the shadow stacks were freed before). */
    private long readStackWord(long offset) {
        return NativeReaders.access(sched, this, offset, G::descriptorLong, NativeReaders::zero);
    }

    /** The descriptor's long at {@code offset}, read in place (the caller may: see {@link NativeReaders#access}). */
    private long descriptorLong(long offset) {
        return NativeMemory.getLong(desc + offset);
    }

    /** Shutdown, every M joined and the gate closed and drained: the descriptor's figures for readers after it is freed. */
    void keepFiguresAtExit() {
        atExitGoid = NativeMemory.getLong(desc + GDescriptor.GOID);
        atExitStatus = GDescriptor.status(desc);
        atExitWaitReason = NativeMemory.getInt(desc + GDescriptor.WAIT_REASON);
    }

    /** Receives one shadow frame: the address of its first pointer slot and the slot count. */
    @FunctionalInterface
    public interface FrameVisitor {
        void frame(long slotsAddress, int nslots);
    }

    /**
     * Visits this goroutine's shadow frames, innermost first (the collector's stack scan). The
     * goroutine must not run meanwhile (world stopped, or it is parked).
     */
    public void forEachFrame(FrameVisitor v) {
        long lo = stackLo();
        long f = topFrame();
        while (f != 0) {
            long hdr = lo + f - 1;
            int nslots = (int) NativeMemory.getLong(hdr);
            v.frame(hdr + ShadowStack.HEADER, nslots);
            f = NativeMemory.getLong(hdr + 8);
        }
    }

    boolean casSelectDone() {
        return SELECT_DONE.compareAndSet(this, 0, 1);
    }

    boolean preemptRequested() {
        return NativeMemory.getIntAcquire(desc + GDescriptor.PREEMPT) != 0;
    }

    void setPreempt(boolean on) {
        NativeMemory.putIntRelease(desc + GDescriptor.PREEMPT, on ? 1 : 0);
    }

    void setWaitReason(WaitReason r) {
        NativeMemory.putInt(desc + GDescriptor.WAIT_REASON, r.ordinal());
    }

    /**
     * The continuation's entry (a runner): runs this G's function, then, while
     * {@code Scheduler.adoptNext} hands it the next fresh G of the P's queue (after doing the
     * finished G's goexit0 itself), that G's function, in a loop: no new continuation, no return
     * to g0. When adoptNext declines, the continuation finishes and g0 ends the last G (the M's
     * {@code curg}), as for a continuation that ran one goroutine.
     */
    @Override
    public void run() {
        G g = this;
        do {
            g.runFunction();
            g = sched.adoptNext(g);
        } while (g != null);
    }

    /** The goroutine's function, with Go's panic semantics. */
    private void runFunction() {
        Runnable f = fn;
        fn = null; // started: no longer adoptable, and the function is not kept past its run
        try {
            f.run();
        } catch (GoexitSignal e) {
            // Go.goexit(): the goroutine ends normally after its frames unwound. If it is main, the
            // program does not end here (Go's rule): it deadlocks once every other goroutine ended.
            if (sched.isMain(this) && !sched.exiting) {
                sched.mainGoexited = true;
            }
        } catch (Throwable t) {
            sched.goroutinePanicked(this, t);
        }
    }

    Sudog acquireSudog() {
        Sudog s = sudogCache;
        if (s != null) {
            sudogCache = s.next;
            s.next = null;
            return s;
        }
        return new Sudog();
    }

    void releaseSudog(Sudog s) {
        s.elem = null;
        s.c = null;
        s.g = null;
        s.prev = null;
        s.waitlink = null;
        s.success = false;
        s.isSelect = false;
        s.next = sudogCache;
        sudogCache = s;
    }

    @Override
    public String toString() {
        return "goroutine " + goid() + " [" + GStatus.name(status()) + "]";
    }

    /**
     * The continuation of a goroutine (a runner: it may run several fresh goroutines one after
     * another, see {@link G#run()}): a failed yield (pinned) is recorded, never thrown.
     */
    static final class GContinuation extends Continuation {
        /** {@code first} is the G it is made for; its entry is {@code first.run()}. */
        GContinuation(G first) {
            super(SCOPE, first);
        }

        @Override
        protected void onPinned(Continuation.Pinned reason) {
            // The JDK's default throws into the yielding code. A pinned goroutine instead keeps its
            // M and blocks it (Go.park/Go.gosched handle the false yield), like a blocking syscall.
            // The yielding G is the M's curg: not necessarily the G this runner was made for.
            Scheduler.currentM().curg.pinnedReason = reason;
        }
    }

    /** Thrown by {@link Go#goexit()} to unwind the goroutine's frames; never seen by user code. */
    static final class GoexitSignal extends Error {
        static final GoexitSignal INSTANCE = new GoexitSignal();

        private GoexitSignal() {
            super("runtime.Goexit", null, false, false);
        }
    }
}
