package dev.gort.sched;

import dev.gort.sys.CarrierLocal;
import dev.gort.sys.NativeMemory;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One G-M-P scheduler: GOMAXPROCS Ps, the Ms that run them, the global run queue, the free-G
 * lists, stop-the-world, and the hooks other modules install. See the package documentation for
 * the design; method names follow Go's {@code proc.go}.
 *
 * <p>Lock order: the sched lock ({@link #lock}) may be taken while holding a channel lock (goready
 * never takes it on the fast path) but never the other way round; the free-G lock and timer-heap
 * locks are leaves.
 *
 * <p>This file keeps the public API and the switch path (the M loop, execute, findRunnable,
 * park / ready, syscalls); the other jobs are package-private classes listed in the package
 * documentation. A public method whose work moved is a one-line delegate here.
 */
public final class Scheduler implements AutoCloseable {
    static final long FORCE_PREEMPT_NS = 10_000_000L;

    final SchedConfig cfg;
    /**
     * GOMAXPROCS now. Plain on purpose (schedule() reads it): changed only by procresize with the
     * world stopped and under the sched lock, so every M sees the new value once it runs again.
     * Threads that are not Ms read {@link #gomaxprocs()} (volatile) instead.
     */
    int gomaxprocs;
    /**
     * The Ps in use, index = id, length = gomaxprocs. Replaced (never mutated) by procresize with
     * the world stopped, so a reader holding an old array still sees valid Ps (dead ones have
     * status DEAD and empty queues). Plain: read by Ms holding a P, which got it through the sched
     * lock after the last resize (procresize writes it under that lock, the world stopped), and by
     * code holding the sched lock. Every other reader uses {@link #allpPublished}.
     */
    P[] allp;
    /**
     * {@link #allp} for readers without a happens-before edge to the last procresize: threads that
     * are not Ms (the syscall retaker, schedtrace, addTimer from a plain thread, run()'s caller) and
     * an M that has released its P (findRunnable's final re-check and its timer look before it
     * sleeps). A plain read there could see a new array before its elements (racy publication);
     * this volatile copy, written after the array is filled, cannot.
     */
    volatile P[] allpPublished;
    /** Every P ever created (Go's allp backing array) and their counters' sums. */
    final AllPs allpEver = new AllPs(this);
    /** gomaxprocs for readers that are not Ms (sysmon, the collector's coordinator, tests). */
    volatile int gomaxprocsPublished;
    /** Incremented by every procresize (sysmon forgets its per-P observations when it changes). */
    volatile long procresizeGen;
    private final ProcResize resize = new ProcResize(this);
    /**
     * False when GOMAXPROCS is 1: no other P exists, so no thief touches a run queue and its owner
     * updates runnext and head without CASes. Changed only with the world stopped.
     */
    boolean stealable;
    /** P blocks and G descriptor chunks: freed when run returns (Shutdown), else when this scheduler is unreachable (NativeBlocks). */
    final NativeBlocks nativeBlocks = NativeBlocks.of(this);
    /** The gate other threads read the P blocks and G descriptors through (see NativeReaders). */
    final NativeReaders readers = new NativeReaders();
    final GTable gtable = new GTable(nativeBlocks);
    final long startNanos = System.nanoTime();

    /** sched.lock: idle lists, global run queue, counters below, the Ms ({@link MPool}). */
    final RtLock lock = new RtLock();
    /** The Ms: started, parked idle, pinned (Go's allm, midle, mcount). */
    final MPool mpool = new MPool(this);
    /** Ps no M runs: the idle list, handoffp, sysmon's wake-up. */
    final IdlePs idlePs = new IdlePs(this);
    /** Go's forEachP: a function run for every P at its safe point ({@link #forEachP}). */
    final ForEachP forEachP = new ForEachP(this);
    final AtomicInteger npidle = new AtomicInteger();
    final AtomicInteger nmspinning = new AtomicInteger();
    /**
     * Ps that startm handed to an M ({@link P#handTo}) and that neither the M nor a stop has
     * taken yet, or more: raised under the sched lock before the P is handed, lowered after the
     * CAS that takes it ({@link P#takeHanded}, {@link P#stopHanded}). So 0 read under the sched
     * lock means no P is handed, and a stop skips its scan for them (WorldStop.stopHandedLocked).
     */
    final AtomicInteger handedPs = new AtomicInteger();
    volatile boolean needspinning;

    /** Global run queue (sched lock); a ring of G refs, see GlobalRunQueue. */
    private final GlobalRunQueue runq = new GlobalRunQueue();
    /** runq's length, published once per operation for lock-free readers (findRunnable's checks). */
    volatile int runqsize;

    /**
     * A wake-up is owed: set by every counted startm failure ({@link MPool#startm}, under the sched
     * lock, before its P goes back idle), cleared by {@link #wakeForGlobalWork} only once it holds
     * an idle P for its try, under the same lock ({@link #wakepForGlobalWork}). A failed wake-up may have been for work the global queue does not show: a timer
     * (wakeNetPoller), a network waiter, an M that lost its handed P, a handed-off P's timers
     * (session 33). sysmon's rounds and the retaker's passes look at this flag as they look at the
     * global queue, and sysmon does not sleep deeply while it is set. Written and read only on the
     * failure path and by those periodic threads: the schedule loop, go, ready and timer add never read it.
     */
    volatile boolean wakeOwed;

    /** Dead Gs for reuse, per P and global (Go's gFree). */
    final GFreeList gfree = new GFreeList(gtable);

    final AtomicLong goidgen = new AtomicLong();

    /**
     * A stop-the-world is pending or in effect: every M gives up its P at its next scheduling
     * point. Written by {@link #world} under the sched lock; read without it at every scheduling point.
     */
    volatile boolean gcwaiting;
    final WorldStop world;

    // The one M that may sleep for the next timer / block in netpoll.
    final AtomicBoolean polling = new AtomicBoolean();
    private volatile long pollUntil;
    final Note pollNote = new Note();

    volatile NetpollHook netpoll;
    volatile GcHook gcHook;

    // The collector's concurrent stack scan (StackScans): the active generation, 0 outside a mark
    // phase (the one read execute pays then), and the visitor that scans a G before it runs.
    volatile int stackScanGen;
    int lastStackScanGen;
    StackScans.Scanner stackScanner;
    final java.util.concurrent.atomic.AtomicLong stackScansOnRun = new java.util.concurrent.atomic.AtomicLong();

    // Syscalls.
    final AtomicInteger nsyscall = new AtomicInteger();
    final SyscallRetaker retaker = new SyscallRetaker(this);

    // Lifecycle: run once, exit once, fatal errors (SchedulerLifecycle); these fields are read on
    // the switch path, so they stay here.
    private final SchedulerLifecycle life = new SchedulerLifecycle(this);
    /** Set once, under the sched lock, by SchedulerLifecycle.exit (or by close before run). */
    volatile boolean exiting;
    /** Stops of {@link #warmUpStopPath} given up so far (written by its caller only; read by it and by tests). */
    volatile long warmUpStopsGivenUp;
    /** Set by shutdown before the shadow stacks are freed: frames are gone (Frame checks it). */
    volatile boolean stacksFreed;
    /** Goroutine 1 (set by run before any M starts). */
    volatile G mainG;
    volatile boolean mainStarted;
    /** Main ended with Go.goexit: the program goes on until the other goroutines end (Go's rule). */
    volatile boolean mainGoexited;

    private final NetpollReadyList netpollReady = new NetpollReadyList(this);
    /** runqputslow's sink, made once (a bound method reference per call would be an allocation C2 may not remove). */
    final RunQueue.Overflow overflow = this::globrunqputbatch;

    private Scheduler(SchedConfig cfg) {
        this.cfg = cfg;
        mpool.checkAffinity(cfg.affinity);     // before any P block is allocated
        this.gomaxprocs = cfg.gomaxprocs;
        this.gomaxprocsPublished = gomaxprocs;
        this.allp = new P[gomaxprocs];
        this.stealable = gomaxprocs > 1;
        for (int i = 0; i < gomaxprocs; i++) {
            allp[i] = pinit(i);
        }
        this.allpPublished = allp;
        this.world = new WorldStop(this, gomaxprocs);
        // Every P starts idle except P0, which the main goroutine's M takes.
        lock.lock();
        for (int i = gomaxprocs - 1; i >= 1; i--) {
            pidleput(allp[i]);
        }
        lock.unlock();
    }

    /** A scheduler with the given settings; nothing runs until {@link #run}. */
    public static Scheduler create(SchedConfig cfg) {
        return new Scheduler(cfg);
    }

    /** GOMAXPROCS now (it changes only through {@link #setGomaxprocs}). */
    public int gomaxprocs() {
        return gomaxprocsPublished;
    }

    /** How many times GOMAXPROCS changed since start (sysmon resets its per-P records on a change). */
    public long procresizeGeneration() {
        return procresizeGen;
    }

    public SchedConfig config() {
        return cfg;
    }

    /**
     * P {@code id}, for sysmon and the collector. Ids below {@link #gomaxprocs()} are in use; a
     * higher id that existed before GOMAXPROCS shrank returns its dead P (status
     * {@link PStatus#DEAD}), so a reader that saw the old count never fails.
     */
    public P p(int id) {
        if (id < 0 || id >= allpEver.count()) {
            throw new IllegalArgumentException("no P " + id + "; accepted: 0.." + (gomaxprocs() - 1)
                    + " (GOMAXPROCS=" + gomaxprocs() + ")");
        }
        return allpEver.get(id);
    }

    /**
     * Installs the network poller: at most once per scheduler, and never cleared
     * ({@link #injectNetpoll} reads the field twice and relies on the same non-null hook). Set
     * lazily by {@code NetPoller.forScheduler} at the first network use, or by a test or embedder
     * before any goroutine waits on the network.
     */
    public void setNetpollHook(NetpollHook hook) {
        this.netpoll = hook;
    }

    public void setGcHook(GcHook hook) {
        this.gcHook = hook;
    }

    // ------------------------------------------------------------------------------------------
    // Lifecycle and fatal errors (SchedulerLifecycle)

    /**
     * Runs {@code main} as goroutine 1 and returns when it returns (other goroutines are abandoned,
     * as when a Go program's main returns). Throws {@link FatalError} if the scheduler died of a
     * fatal error under {@link FatalHandler#THROW}. A scheduler runs once.
     */
    public void run(Runnable main) {
        life.run(main);
    }

    /** Stops the scheduler: every M leaves its loop at its next scheduling point. */
    void exit() {
        life.exit();
    }

    @Override
    public void close() {
        life.close();
    }

    void goroutinePanicked(G g, Throwable t) {
        life.goroutinePanicked(g, t);
    }

    /** Go's fatal error path: the report goes to the FatalHandler once, then the scheduler stops. */
    void fatal(String report, Throwable cause) {
        life.fatal(report, cause);
    }

    // ------------------------------------------------------------------------------------------
    // The scheduling loop (g0); the Ms themselves are MPool's

    /**
     * The carrier thread (the M) running the caller. C2 treats an inlined
     * {@code Thread.currentThread()} as constant within a compiled frame (only JDK methods marked
     * {@code @ChangesCurrentThread} are exempt), so across a {@code Continuation.yield} it could
     * still name the M a goroutine left (a stale M: wrong P, wrong run queue; seen as "goroutine N
     * yielded without an action" and as Go.go on an M without a P at GOMAXPROCS=2).
     * {@link CarrierLocal#currentThread()} is an out-of-line call (padded past C2's inline limit),
     * so the thread is read afresh in its own frame every time; a plain static call costs a few ns
     * (a MethodHandle call in a non-final field was about 10% of a channel round trip in JFR).
     */
    static Thread carrier() {
        return CarrierLocal.currentThread();
    }


    /**
     * True if the caller reads the P blocks and G descriptors without the gate ({@link NativeReaders}):
     * on one of this scheduler's Ms (a goroutine's carrier included), since Shutdown frees them only
     * after every M was joined; or holding the world lock (a stopper in its pause, the collector's
     * coordinator scanning stacks in a stop), since Shutdown frees them only holding that lock, and
     * closes the gate under it too, so the gate's state cannot change while the caller holds it.
     * Once the gate closed the caller goes through it (and reads the final figures): blocks freed
     * before its stop began are gone. Keeps a ThreadLocal and two atomics off every G read of a
     * stop-the-world stack scan (gcstoptheworld modes scan every goroutine in the pause).
     */
    boolean onOwnM() {
        Thread t = carrier();
        return t instanceof M m && m.sched == this || world.heldBy(t) && !readers.closed();
    }

    /**
     * Bytes of native P blocks and G descriptor chunks that the schedulers of this JVM hold now
     * (gort's own accounting): a scheduler's go back when its {@link #run} returns (or, if an M
     * could not be joined, once it is unreachable).
     */
    public static long nativeBytesHeld() {
        return NativeBlocks.heldBytes();
    }

    /**
     * Bytes of this scheduler's own native P blocks and G descriptor chunks not freed yet (0 once
     * {@link #run} returned cleanly). Unlike {@link #nativeBytesHeld} no other runtime of the JVM
     * moves it (another scheduler, or a collector's JIT rehearsal with its dormant scheduler).
     */
    public long ownNativeBytesHeld() {
        return nativeBlocks.bytes();
    }

    /** The M running the caller; small enough (bytecode) for C2 to inline at every call site. */
    static M currentM() {
        Thread t = carrier();
        if (t instanceof M m) {
            return m;
        }
        throw notOnGoroutine(t);
    }

    private static IllegalStateException notOnGoroutine(Thread t) {
        return new IllegalStateException("not running on a gort goroutine (current thread: " + t.getName()
                + "); start goroutines with Scheduler.run / Go.go");
    }

    void mstart(M mp) {
        mpool.pinToCpu(mp);
        try {
            if (mp.nextp != null) {
                mpool.takeHanded(mp);       // false: a stop took the P first, and the loop parks mp
            }
            while (!exiting) {
                if (mp.p == null) {
                    stopm(mp);
                    continue;
                }
                schedule(mp);
            }
        } catch (Throwable t) {
            fatal("fatal error: scheduler failure on M" + mp.mid + ": " + t + "\n\n" + Reports.stack(t.getStackTrace()), t);
        }
    }

    /** One round of the scheduler: find a goroutine and run it until it yields. */
    private void schedule(M mp) {
        G gp = findRunnable(mp);
        if (gp == null) {
            return; // exiting, or lost the P (gcstop): the loop decides
        }
        if (mp.spinning) {
            resetspinning(mp);
        }
        M locked = gp.lockedm;
        if (locked != null && locked != mp) {
            LockedM.startlockedm(this, mp, gp);
            return;
        }
        execute(mp, gp, mp.inheritTime[0]);
    }

    /** Runs gp on mp (Go's execute + the g0 half of mcall: what happens after the yield). */
    private void execute(M mp, G gp, boolean inheritTime) {
        for (;;) {
            P pp = mp.p;
            if (pp.safePointFn() != ForEachP.NONE) {
                forEachP.runFor(pp);      // on g0, between goroutines: this P's safe point for a forEachP round
            }
            mp.curg = gp;
            if (gp.m != mp) {
                gp.m = mp; // skipped (no write barrier) when gp last ran here, the common case
            }
            NativeMemory.putInt(gp.desc + GDescriptor.MID, mp.mid);
            if (stackScanGen != 0) {
                long t = dev.gort.sys.PathProbe.ON ? dev.gort.sys.PathProbe.start() : 0;
                StackScans.beforeRun(this, mp, gp);    // marking: gp's frames are scanned before it runs
                if (dev.gort.sys.PathProbe.ON) {
                    dev.gort.sys.PathProbe.end(dev.gort.sys.PathProbe.BEFORE_RUN, t);
                }
            }
            GDescriptor.setStatus(gp.desc, GStatus.RUNNING);
            if (!inheritTime) {
                // A new time slice. No clock read here (Go's execute has none either): sysmon
                // times a slice from its first sight of a new schedtick, so a switch costs no
                // System.nanoTime (about 20 ns, a tenth of a goroutine switch).
                NativeMemory.putLongRelease(pp.base + PDescriptor.SCHEDTICK,
                        NativeMemory.getLong(pp.base + PDescriptor.SCHEDTICK) + 1);
            }
            G.GContinuation c = gp.cont;
            if (c == null) {
                // gp's first run: a new runner continuation (G.run). It is stored into gp only if
                // gp yields (below): a goroutine that runs to its end stores no reference here.
                c = new G.GContinuation(gp);
            }
            if (gcwaiting || exiting) {
                // A stop (or the exit) asked after this M's last look (findRunnable's top,
                // runqgetFast): its preemptall found no goroutine here (curg was null on g0), so gp
                // would run unflagged until the stopper's next timed pass (0.1-1.6 ms, later if the
                // stopper waits for a CPU; Shutdown's 1 ms re-marking for an exit). Flagged, it
                // yields at its first safepoint. A race left by the plain curg store (the stopper
                // reads curg before this store is visible while this read misses its flag) ends at
                // that pass, as before.
                gp.setPreempt(true);
            }
            c.run();
            // Back on g0. The continuation belongs to the G that yielded or ended last in it: gp,
            // or a fresh G that gp's runner adopted after gp ended (adoptNext keeps curg current).
            gp = mp.curg;
            mp.curg = null;
            NativeMemory.putInt(gp.desc + GDescriptor.MID, -1);
            if (c.isDone()) {
                // A preempt request seen at the end: the next slice goes through schedule().
                boolean preempted = gp.preemptRequested();
                if (!GoroutineLifecycle.goexit0(this, mp, gp)) {
                    return; // main ended: the scheduler exits
                }
                if (preempted && mp.runnerNext == null) {
                    return;
                }
            } else {
                if (gp.cont != c) {
                    gp.cont = c; // before anything below can queue or ready gp
                }
                int action = mp.yieldAction;
                mp.yieldAction = M.YIELD_NONE;
                // gp.m stays: it is read only while gp runs or is in a syscall (a store here would be
                // a G1 write barrier on every switch).
                switch (action) {
                    case M.YIELD_PARK_CHAN -> {
                        // A plain channel operation: WAITING, then release the channel lock so a
                        // peer can dequeue the sudog and ready gp.
                        GDescriptor.setStatus(gp.desc, GStatus.WAITING);
                        gp.chanSudog.c.lock.unlock();
                    }
                    case M.YIELD_GOSCHED, M.YIELD_PREEMPTED -> {
                        GDescriptor.setStatus(gp.desc, GStatus.RUNNABLE);
                        if (action == M.YIELD_PREEMPTED && gcwaiting) {
                            // Preempted for a stop (Go tip's goschedImpl): gp keeps its place in
                            // runnext of its own P, which this M stops with in schedule() just
                            // below, so gp runs first after the restart instead of waiting behind
                            // the P's queue for the global one. Only while a stop is pending: a
                            // slice preemption still goes to the back of the global queue.
                            P own = mp.p;       // not the loop's pp: a syscall in the slice may have changed it
                            RunQueue.put(own.base, gp.ref, true, own.batch, overflow, stealable);
                        } else {
                            lock.lock();
                            globrunqput(gp.ref);
                            lock.unlock();
                        }
                        // Go's goschedImpl: wakep after the global put. Without it a P that went
                        // idle while nothing was queued stays idle: two goroutines yielding to the
                        // global queue take turns on this one P while the other sits idle, until
                        // something else (a retake, a new goroutine) wakes an M. wakep returns at
                        // once when no P is idle (two volatile reads) or an M already spins; during
                        // a stop the stopper took every idle P first, so it wakes no one then.
                        // gp is queued: a startm that fails (counted) is not thrown into this M's
                        // loop, where it was the fatal "scheduler failure on M"; this M runs gp
                        // from the global queue itself (review31).
                        wakeForQueuedWork(true);
                        return;
                    }
                    case M.YIELD_PARK -> {
                        ParkCommit commit = mp.parkCommit;
                        Object a = mp.parkArg;
                        mp.parkCommit = null;
                        mp.parkArg = null;
                        GDescriptor.setStatus(gp.desc, GStatus.WAITING);
                        if (commit == Chan.UNLOCK) {
                            // The common park (a channel operation): no interface call at a call
                            // site that sees every kind of commit.
                            ((RtLock) a).unlock();
                        } else if (commit != null && !commit.commit(gp, a)) {
                            // commit refused: run it again at once, on the same time slice
                            GDescriptor.setStatus(gp.desc, GStatus.RUNNABLE);
                            inheritTime = true;
                            continue;
                        }
                    }
                    case M.YIELD_EXITSYSCALL -> {
                        // exitsyscall0: no P was free when the call returned. The G stays SYSCALL
                        // while the world is stopped (lock held from the check to the status change).
                        lock.lock();
                        world.awaitStartLocked(mp);
                        // Its P was taken: that was its preemption. A flag sysmon set while its
                        // slice ended in the call must not make it yield again right after it gets a
                        // P back (Go's execute clears gp.preempt on this path). A stop or exit
                        // pending when it runs again flags it anew in execute.
                        gp.setPreempt(false);
                        GDescriptor.setStatus(gp.desc, GStatus.RUNNABLE);
                        P np = exiting ? null : pidleget();
                        if (np == null) {
                            globrunqput(gp.ref);
                        }
                        lock.unlock();
                        if (np == null) {
                            stopm(mp);
                            return;
                        }
                        acquirep(mp, np);
                        inheritTime = false;
                        continue;
                    }
                    default -> throw new IllegalStateException("goroutine " + gp.goid() + " yielded without an action");
                }
            }
            // gp parked or ended: run the next G of this P's own queue right here if schedule()
            // would pick it anyway (the channel hand-off's partner sits in runnext), or the G a
            // runner took from that queue but could not adopt (it has frames of its own).
            G next = mp.runnerNext;
            if (next != null) {
                mp.runnerNext = null;
            } else {
                next = runqgetFast(mp);
                if (next == null) {
                    return; // schedule() looks everywhere
                }
            }
            M locked = next.lockedm;
            if (locked != null && locked != mp) {
                LockedM.startlockedm(this, mp, next);
                return;
            }
            gp = next;
            inheritTime = mp.inheritTime[0];
        }
    }

    /**
     * schedule()'s short cut after a goroutine parked or ended: the next G from this P's own
     * runnext or ring, when findRunnable would return that same G. Everything findRunnable
     * consults before the local queue must be known to hold nothing: no stop-the-world pending
     * and not exiting (else the M must stop), no timer on this P (a due one runs first; reading
     * the clock to tell costs as much as this saves) and an empty global queue (so the
     * every-61st-tick fairness take has nothing to take). The GC hook is asked first, as
     * findRunnable asks it (its mark worker goes before the run queues). The M is not spinning
     * (it ran a goroutine). Returns null to let schedule() do the full search. Saves a channel
     * round trip the return to the M loop and findRunnable's checks, twice.
     */
    private G runqgetFast(M mp) {
        P pp = mp.p;
        if (gcwaiting || exiting || runqsize != 0 || pp == null || pp.timers.nextWhen() != Long.MAX_VALUE) {
            return null;
        }
        GcHook gch = gcHook;
        if (gch != null) {
            G w = gch.findRunnableGCWorker(pp, 0); // 0: the clock was not read (see GcHook)
            if (w != null && readyForRun(w)) {
                mp.inheritTime[0] = false;
                return w;
            }
        }
        long ref = RunQueue.get(pp.base, mp.inheritTime, stealable);
        return ref == 0 ? null : gtable.get(ref);
    }

    /**
     * A runner's adoption point ({@link G#run()}): gp's function has returned inside its
     * continuation, which is still mounted on gp's M. If the G findRunnable would pick next is
     * fresh (it has never run, so it has no frames), ends gp here (goexit0) and starts that G as
     * execute would (curg, m, MID, RUNNING, schedtick unless it inherits the slice), and returns
     * it: the runner calls its function in the same continuation, with no new continuation and no
     * return to g0. Otherwise returns null, the continuation finishes and g0 ends gp as usual:
     * when gp is main (its exit ends the program), is locked to its M, or was asked to yield; when
     * a stop-the-world or exit is pending, a timer is on this P, the global queue's every-61st-tick
     * turn has come, or the local queue is empty. What the GC hook returns, and a G taken from the
     * queue that is not fresh (it has a continuation to resume, or waits for its locked M), go to
     * g0 in {@code mp.runnerNext}: the take is atomic against thieves, so it is never put back.
     */
    G adoptNext(G gp) {
        M mp = gp.m; // the M the runner is mounted on (set for gp by execute or by its adoption)
        P pp = mp.p;
        if (gcwaiting || exiting || pp == null || gp.lockedm != null || gp == mainG || gp.preemptRequested()
                || pp.safePointFn() != ForEachP.NONE || pp.timers.nextWhen() != Long.MAX_VALUE) {
            return null;
        }
        long base = pp.base;
        if (runqsize != 0 && NativeMemory.getLong(base + PDescriptor.SCHEDTICK) % 61 == 0) {
            return null; // findRunnable takes from the global queue first on this tick
        }
        boolean[] inherit = mp.inheritTime;
        GcHook gch = gcHook;
        if (gch != null) {
            G w = gch.findRunnableGCWorker(pp, 0); // 0: the clock was not read (see GcHook)
            if (w != null && readyForRun(w)) {
                inherit[0] = false;
                mp.runnerNext = w;
                return null;
            }
        }
        long ref = RunQueue.get(base, inherit, stealable);
        if (ref == 0) {
            return null;
        }
        G next = gtable.get(ref);
        if (next.fn == null) {
            mp.runnerNext = next; // started before: it resumes in its own continuation
            return null;
        }
        // gp's end, as g0 does it after a finished continuation (gp is not main: goexit0 is true).
        NativeMemory.putInt(gp.desc + GDescriptor.MID, -1);
        GoroutineLifecycle.goexit0(this, mp, gp);
        // next's start, as execute does it.
        mp.curg = next;
        if (next.m != mp) {
            next.m = mp;
        }
        NativeMemory.putInt(next.desc + GDescriptor.MID, mp.mid);
        if (stackScanGen != 0) {
            StackScans.beforeRun(this, mp, next);      // marking: as in execute (no frames, but a worker may hold its word)
        }
        GDescriptor.setStatus(next.desc, GStatus.RUNNING);
        if (!inherit[0]) {
            NativeMemory.putLongRelease(base + PDescriptor.SCHEDTICK, NativeMemory.getLong(base + PDescriptor.SCHEDTICK) + 1);
        }
        NativeMemory.putLongRelease(base + PDescriptor.RUNNER_ADOPTED, NativeMemory.getLong(base + PDescriptor.RUNNER_ADOPTED) + 1);
        return next;
    }

    /**
     * Fresh goroutines started inside another goroutine's continuation by its runner instead of
     * in a continuation of their own ({@link #adoptNext}), summed over every P ever created: a
     * statistic, exact when the Ps are quiet.
     */
    public long runnerAdoptions() {
        return allpEver.sum(PDescriptor.RUNNER_ADOPTED);
    }

    /**
     * Finds a runnable goroutine for mp, in Go's order; blocks (parking the M) until one exists.
     * Returns null if the scheduler is exiting or mp lost its P to stop-the-world.
     */
    private G findRunnable(M mp) {
        boolean[] inherit = mp.inheritTime;
        top:
        for (;;) {
            if (exiting) {
                return null;
            }
            P pp = mp.p;
            if (pp == null) {
                return null;
            }
            if (gcwaiting) {
                world.gcstopm(mp);
                return null;
            }
            if (pp.safePointFn() != ForEachP.NONE) {
                forEachP.runFor(pp);      // Go's schedule(): a pending safe-point function first
            }
            long now = 0;
            long nextTimer = pp.timers.nextWhen();
            if (nextTimer != Long.MAX_VALUE) {
                now = System.nanoTime();
                if (nextTimer <= now) {
                    pp.timers.runDue(now);
                }
            }
            GcHook gch = gcHook;
            if (gch != null) {
                G w = gch.findRunnableGCWorker(pp, now); // 0 unless timers read the clock
                if (w != null && readyForRun(w)) {
                    inherit[0] = false;
                    return w;
                }
            }
            // Fairness: every 61st tick take one from the global queue first.
            if (runqsize > 0 && NativeMemory.getLong(pp.base + PDescriptor.SCHEDTICK) % 61 == 0) {
                lock.lock();
                long ref = globrunqget(pp, 1);
                lock.unlock();
                if (ref != 0) {
                    inherit[0] = false;
                    return gtable.get(ref);
                }
            }
            long ref = RunQueue.get(pp.base, inherit, stealable);
            if (ref != 0) {
                return gtable.get(ref);
            }
            if (runqsize != 0) {
                lock.lock();
                ref = globrunqget(pp, 0);
                lock.unlock();
                if (ref != 0) {
                    inherit[0] = false;
                    return gtable.get(ref);
                }
            }
            NetpollHook np = netpoll;
            if (np != null && !polling.get() && np.hasWaiters()) {
                G g = netpollReady.pollNetwork(np, 0);
                if (g != null) {
                    inherit[0] = false;
                    return g;
                }
            }
            // Steal, if not too many Ms are spinning already.
            if (mp.spinning || 2 * nmspinning.get() < gomaxprocs - npidle.get()) {
                if (!mp.spinning) {
                    mp.spinning = true;
                    nmspinning.incrementAndGet();
                }
                ref = stealWork(mp, pp);
                if (ref != 0) {
                    inherit[0] = false;
                    return gtable.get(ref);
                }
                if (!RunQueue.isEmpty(pp.base)) {
                    continue top; // a stolen timer readied something onto our queue
                }
            }
            if (gch != null) {
                G w = gch.findIdleGCWorker(pp, 0);
                if (w != null && readyForRun(w)) {
                    inherit[0] = false;
                    return w;
                }
            }
            // Nothing to do: release the P. Re-check the global queue under the lock first.
            lock.lock();
            if (gcwaiting || exiting) {
                lock.unlock();
                continue top;
            }
            if (runqsize != 0) {
                ref = globrunqget(pp, 0);
                lock.unlock();
                inherit[0] = false;
                return gtable.get(ref);
            }
            if (!mp.spinning && needspinning) {
                needspinning = false;
                mp.spinning = true;
                nmspinning.incrementAndGet();
                lock.unlock();
                continue top;
            }
            releasep(mp);
            pidleput(pp);
            lock.unlock();
            boolean wasSpinning = mp.spinning;
            if (mp.spinning) {
                mp.spinning = false;
                if (nmspinning.decrementAndGet() < 0) {
                    throw new IllegalStateException("findrunnable: negative nmspinning");
                }
                // The delicate dance: work submitted between our last look and the P release saw
                // a spinning M and did not wake anyone. Look again. (No P now: the volatile copy.)
                for (P p2 : allpPublished) {
                    if (!RunQueue.isEmpty(p2.base)) {
                        lock.lock();
                        P np2 = pidleget();
                        lock.unlock();
                        if (np2 != null) {
                            acquirep(mp, np2);
                            mp.spinning = true;
                            nmspinning.incrementAndGet();
                            continue top;
                        }
                        break;
                    }
                }
            }
            // Sleep until the next timer or I/O, if nobody else does.
            long until = earliestTimer();
            boolean netWaiters = np != null && np.hasWaiters();
            if ((netWaiters || until != Long.MAX_VALUE) && polling.compareAndSet(false, true)) {
                pollUntil = until;
                G g = null;
                long delay = until == Long.MAX_VALUE ? -1 : Math.max(0, until - System.nanoTime());
                if (netWaiters) {
                    g = netpollReady.pollNetwork(np, delay);
                } else if (delay != 0) {
                    pollNote.sleep(delay);
                    pollNote.clear();
                }
                pollUntil = 0;
                polling.set(false);
                lock.lock();
                P np2 = exiting ? null : pidleget();
                lock.unlock();
                if (np2 == null) {
                    if (g != null) {
                        if (FAILURE_WINDOW_HOOKS) {     // a constant: false outside the scheduler's own tests
                            failureWindowHook("poll found no idle P");
                        }
                        lock.lock();
                        globrunqput(g.ref);
                        lock.unlock();
                        // g is queued for good: a counted startm failure is not thrown into
                        // this M's loop (the fatal "scheduler failure on M"); g waits in the
                        // global queue for the Ms that hold every P, or a later wake-up (sched32).
                        // A failure means a P went idle and no M could be had for it: this M is
                        // one, so it takes an idle P itself and runs g (wakefix33; waiting for a
                        // new M it stands in for would keep g queued while the failure lasts).
                        if (wakeForQueuedWork(true) && takeIdlePAfterFailedWake(mp)) {
                            continue top;
                        }
                    }
                } else {
                    acquirep(mp, np2);
                    if (g != null) {
                        inherit[0] = false;
                        return g;
                    }
                    if (wasSpinning) {
                        mp.spinning = true;
                        nmspinning.incrementAndGet();
                    }
                    continue top;
                }
            } else if (until != Long.MAX_VALUE) {
                // Another M polled when we tried. If it still polls, it is woken for an earlier
                // deadline; if it ended meanwhile, it takes an idle P and looks at the timers
                // again, unless this wake-up held our P (between its pidleget and a failed
                // startm's giveBack) just when that M looked: then both would stop with the
                // timers unwatched. So on a failure this M, which holds nothing, takes an idle P
                // itself and looks again (wakefix33, review33a's risk 1).
                if (wakeNetPoller(until) && takeIdlePAfterFailedWake(mp)) {
                    continue top;
                }
            }
            stopm(mp);
        }
    }

    /**
     * findRunnable, an M holding no P whose wake-up failed (counted, owed): a P went back idle
     * and no idle M could be had nor a new one made, and this M is an M. It takes an idle P
     * itself and returns true (the caller looks for work again); with none idle (an M holds each,
     * and will look at the global queue and the timers) or the exit begun, it retries while every
     * P is idle, as a caller outside the schedule loop does, and returns false (the caller stops).
     * Only after a failed wake-up: the schedule loop reads nothing more when wake-ups succeed.
     */
    private boolean takeIdlePAfterFailedWake(M mp) {
        lock.lock();
        P pp = exiting ? null : pidleget();
        lock.unlock();
        if (pp != null) {
            acquirep(mp, pp);
            return true;
        }
        retryWakeWhileEveryPIsIdle();
        return false;
    }

    /** The hook returned a parked G for this P: make it runnable. */
    private static boolean readyForRun(G w) {
        return GDescriptor.casStatus(w.desc, GStatus.WAITING, GStatus.RUNNABLE);
    }

    /** Called by an M that has released its P: reads the volatile copy of allp. */
    long earliestTimer() {
        long min = Long.MAX_VALUE;
        for (P p : allpPublished) {
            min = Math.min(min, p.timers.nextWhen());
        }
        return min;
    }

    /** Steals from a random other P: 4 passes; timers and runnext only on the last (Go's stealWork). */
    private long stealWork(M mp, P pp) {
        P[] ps = allp;
        int n = ps.length;
        if (n == 1) {
            return 0;
        }
        for (int i = 0; i < 4; i++) {
            boolean last = i == 3;
            int start = mp.fastrandn(n);
            for (int k = 0; k < n; k++) {
                P p2 = ps[(start + k) % n];
                if (p2 == pp) {
                    continue;
                }
                if (last && p2.timers.nextWhen() <= System.nanoTime()) {
                    if (p2.timers.runDue(System.nanoTime()) > 0 && !RunQueue.isEmpty(pp.base)) {
                        return RunQueue.get(pp.base, mp.inheritTime);
                    }
                }
                long ref = RunQueue.steal(pp.base, p2.base, last);
                if (ref != 0) {
                    return ref;
                }
            }
        }
        return 0;
    }

    /** Queues the list of Gs linked from {@code head} globally and starts Ms for them (Go's injectglist); returns how many. */
    int injectglist(long head) {
        int n = 0;
        lock.lock();
        for (long ref = head; ref != 0;) {
            long next = GDescriptor.schedlink(gtable.get(ref).desc);
            globrunqput(ref);
            ref = next;
            n++;
        }
        lock.unlock();
        for (int i = 0; i < n && npidle.get() > 0; i++) {
            // The list is queued for good: a startm that fails (counted) gave its P back idle,
            // so this loop would only fail again; the rest waits for a later wake-up. No throw
            // into an M's loop (findRunnable's poll) or sysmon's round (sched32).
            if (wakeForQueuedWork(false)) {
                break;
            }
        }
        return n;
    }

    /** sysmon: polls the network without blocking and queues what is ready (Go's sysmon netpoll); returns how many goroutines it made runnable. */
    public int injectNetpoll() {
        NetpollHook np = netpoll;
        if (np == null || !np.hasWaiters() || polling.get()) {
            return 0;
        }
        // The hook is set lazily, at most once (NetPoller.forScheduler at the first network use,
        // or a test or embedder before that) and never cleared: non-null here, the access reads
        // the same one (its lambda may capture nothing, so it reads the field again).
        // Once the gate closed: 0, the scheduler ended and its goroutines never run again.
        return (int) NativeReaders.access(this, this, 0, (s, unused) -> s.netpollReady.injectNetpoll(s.netpoll), NativeReaders::zero);
    }

    // ------------------------------------------------------------------------------------------
    // Ms: spin, wake, start and stop (MPool), idle Ps (IdlePs)

    private void resetspinning(M mp) {
        mp.spinning = false;
        if (nmspinning.decrementAndGet() < 0) {
            throw new IllegalStateException("resetspinning: negative nmspinning");
        }
        // We found work: wake another spinner for the rest. mp runs its goroutine whatever the
        // wake-up did: a counted startm failure is not thrown into mp's loop, where it was the
        // fatal "scheduler failure on M" (review31's finding 2; sched32).
        wakeForQueuedWork(true);
    }

    /** Starts a spinning M on an idle P if there is one and nobody spins (Go's wakep). */
    void wakep() {
        wakep(false);
    }

    /**
     * {@link #wakep()}; with {@code payOwed} it also clears {@link #wakeOwed} once it holds an idle
     * P for its try, under the sched lock (see {@link #wakepForGlobalWork}). Returns whether it
     * started an M's wake-up.
     */
    private boolean wakep(boolean payOwed) {
        if (npidle.get() == 0 || nmspinning.get() != 0 || !nmspinning.compareAndSet(0, 1)) {
            return false;
        }
        lock.lock();
        P pp = exiting ? null : pidleget();
        if (payOwed && pp != null) {
            wakeOwed = false;   // a failure of this try sets it again (MPool.startm)
        }
        lock.unlock();
        if (pp == null) {
            nmspinning.decrementAndGet();
            return false;
        }
        startm(pp, true);
        return true;
    }

    /**
     * For sysmon's rounds and the retaker thread's passes (never the schedule loop): starts a
     * spinning M ({@link #wakep}) when goroutines wait in the global queue while a P is idle and no
     * M spins, the state Go's wakep exists to end. Every path that queues
     * globally wakes an M itself; the one that can leave this state behind is a {@link MPool#startm}
     * that threw (a new M could not be made): its P goes back idle, its goroutines to the global
     * queue, and the error to its caller (Go's newm failure is fatal, gort's is not). Nothing else
     * would look at that queue until the next {@code go} or wake-up, so the periodic threads retry
     * the wake-up here once the failure has passed. The same for a failed wake-up whose work the
     * global queue does not show (a timer, a network waiter, a P's timers: {@link #wakeOwed},
     * session 33): the spinning M started here runs due timers, or sleeps for the earliest one
     * as the poller. Two volatile reads when there is nothing to do. Returns whether it started
     * a wake-up (an M on an idle P), false also when a round finds the try cannot be made.
     */
    public boolean wakeForGlobalWork() {
        if ((runqsize == 0 && !wakeOwed) || npidle.get() == 0 || nmspinning.get() != 0 || gcwaiting || exiting) {
            return false;
        }
        // Once the gate closed: nothing, the scheduler ended and its P blocks are gone.
        return NativeReaders.access(this, this, 0, Scheduler::wakepForGlobalWork, NativeReaders::zero) != 0;
    }

    /**
     * sysmon's and the retaker's wake-up once {@link #wakeForGlobalWork}'s lock-free look passed:
     * {@link #wakep(boolean) wakep(true)}: the owed flag is cleared only with an idle P in hand, under the sched
     * lock. A counted failure sets the flag under that lock, in the same section that gives its P
     * back (MPool.startm, giveBack); so once this section holds a P, every failure that set the
     * flag before it has its P back idle, and this try (an M spinning on that P, which runs due
     * timers or polls for them) pays them all, or fails and sets the flag again. If the try cannot
     * be made (another wake-up still counts as the spinning M, a failing one included, or no P is
     * idle), the flag stays set for the next round (wakefix33: clearing it before wakep, as
     * wake33 did, lost it when a failure landed between the look and the clear). Package-private
     * for the test that calls it as a round past its look. Returns 1 if it started an M's wake-up.
     */
    long wakepForGlobalWork(long unused) {
        return wakep(true) ? 1 : 0;
    }

    /** Runs pp (an idle P, or any idle P if null) on an idle or new M (Go's startm; {@link MPool}). */
    void startm(P pp, boolean spinning) {
        mpool.startm(pp, spinning);
    }

    /** Parks mp on the idle list until startm hands it a P (Go's stopm; {@link MPool}). */
    void stopm(M mp) {
        mpool.stopm(mp);
    }

    /**
     * The netpoller: a waiter the idle M's sleep may not know about appeared (a thread waiting on
     * this scheduler's descriptors, inside Gort.syscall): the M sleeping for timers wakes and
     * polls (NetpollHook.hasWaiters now says so), or an idle P gets an M. Any thread.
     */
    public void netpollWaiterAdded() {
        if (!exiting && wakeNetPoller(0) && ownsNoOtherSchedulersP()) {
            retryWakeWhileEveryPIsIdle();       // the wake-up failed (counted): see addTimer
        }
    }

    /**
     * Wakes the M sleeping for timers/I-O if {@code when} is earlier than its deadline, else wakes
     * an M. Returns true if that wake-up's startm failed (counted, swallowed: {@link #wakeForQueuedWork});
     * the failure is owed ({@link #wakeOwed}) to sysmon and the retaker, and a caller outside the
     * schedule loop retries it itself ({@link #retryWakeWhileEveryPIsIdle}).
     */
    boolean wakeNetPoller(long when) {
        if (polling.get()) {
            long pu = pollUntil;
            if (pu == 0 || when < pu) {
                NetpollHook np = netpoll;
                if (np != null) {
                    np.wakeup();
                }
                pollNote.wakeup();
            }
            return false;
        }
        // The timer (or waiter) is in place for good: a counted startm failure is not thrown
        // to the M going idle (findRunnable) or to the goroutine that set a timer (sched32).
        return wakeForQueuedWork(true);
    }

    /**
     * After a counted startm failure on a thread that runs no goroutine of this scheduler (a
     * forEachP caller, a GOMAXPROCS change from a plain thread): retries the wake-up while every P
     * is idle ({@link #retryWakeWhileEveryPIsIdle}), unless the thread is another scheduler's M.
     * {@code giveUp} (null: none) ends the retry as it ends the caller's own wait: a forEachP
     * round's giveUp (the collector's closed check) must not leave its caller here through a
     * close (review34b's finding 1; wakefix34). The wake-up stays owed to sysmon and the retaker.
     */
    void retryWakeAfterFailureOffTheScheduler(java.util.function.BooleanSupplier giveUp) {
        if (ownsNoOtherSchedulersP()) {
            retryWakeWhileEveryPIsIdle(giveUp);
        }
    }

    /**
     * A thread that may wait in {@link #retryWakeWhileEveryPIsIdle}: any thread but another
     * scheduler's M, which holds a P of its own and would stall that scheduler's stops while it
     * waited here (review32). Called only after a failed wake-up.
     */
    private boolean ownsNoOtherSchedulersP() {
        return !(carrier() instanceof M m && m.sched != this);
    }

    void acquirep(M mp, P pp) {
        if (pp.m != null) {
            throw new IllegalStateException("acquirep: P" + pp.id + " already owned by M" + pp.m.mid);
        }
        mp.p = pp;
        pp.m = mp;
        pp.setStatus(PStatus.RUNNING);
    }

    P releasep(M mp) {
        P pp = mp.p;
        mp.p = null;
        pp.m = null;
        pp.setStatus(PStatus.IDLE);
        return pp;
    }

    /** Lock held: pp onto the idle list ({@link IdlePs}). */
    void pidleput(P pp) {
        idlePs.put(pp);
    }

    /** Lock held: an idle P, or null ({@link IdlePs}). */
    P pidleget() {
        return idlePs.get();
    }

    /**
     * For sysmon's deep sleep (Go: sysmon parks while every P is idle): arms {@code wake} to run
     * once, on the thread that takes the next P off the idle list, and returns true; returns false
     * and arms nothing when some P is not idle now, or goroutines wait in the global queue (then
     * sysmon's rounds must go on: {@link #wakeForGlobalWork}). {@code wake} must be short and must not block
     * (it runs with the scheduler's lock held), e.g. an unpark.
     */
    public boolean armSysmonWake(Runnable wake) {
        if (runqsize != 0 || wakeOwed) {
            // Every P idle with goroutines queued, or a wake-up owed for a timer or waiter: a
            // failed startm left them (wakeForGlobalWork). sysmon keeps its rounds, which retry
            // the wake-up, instead of sleeping until a P runs.
            return false;
        }
        Runnable hook = beforeSysmonArmForTest;
        if (hook != null) {
            hook.run();
        }
        if (!idlePs.armSysmonWake(wake)) {
            return false;
        }
        // A look again, after the arming's read of the idle count: a failed startm that left its P
        // idle between the look above and that read queued the P's goroutines before it made the
        // P idle (MPool.giveBack), so they show here; without this look sysmon slept deeply with
        // them stranded (nothing takes a P off the idle list then). The wake may have run
        // meanwhile (a P taken): a spurious unpark, which cuts one of sysmon's sleeps short.
        if (runqsize != 0 || wakeOwed) {      // wakeOwed is set before the failed P goes idle, as its goroutines are queued
            idlePs.disarmSysmonWake();
            return false;
        }
        return true;
    }

    /**
     * Tests: run by {@link #armSysmonWake} after its look at the global queue, before it arms (a
     * failed startm landing between the two).
     */
    volatile Runnable beforeSysmonArmForTest;

    /** Disarms {@link #armSysmonWake} (sysmon woke by its own timeout). */
    public void disarmSysmonWake() {
        idlePs.disarmSysmonWake();
    }

    // ------------------------------------------------------------------------------------------
    // Global run queue (sched lock held)

    void globrunqput(long ref) {
        runq.put(ref);
        runqsize = runq.size();
    }

    /** runqputslow's overflow: takes the lock. */
    private void globrunqputbatch(long[] batch, int n) {
        lock.lock();
        runq.putBatch(batch, n);
        runqsize = runq.size();
        lock.unlock();
    }

    /**
     * Takes a batch from the global queue into pp's (empty enough) queue; returns one to run (Go's
     * globrunqget). One volatile store of runqsize per call, not one per G: each is a full fence.
     */
    private long globrunqget(P pp, int max) {
        int size = runq.size();
        if (size == 0) {
            return 0;
        }
        int n = Math.min(size, size / gomaxprocs + 1);
        if (max > 0 && n > max) {
            n = max;
        }
        if (n > PDescriptor.RUNQ_SIZE / 2) {
            n = PDescriptor.RUNQ_SIZE / 2;
        }
        long first = runq.pop();
        n--;
        if (n > 0) {
            long[] b = pp.batch;
            runq.popBatch(b, n);
            if (!RunQueue.putBatchIfRoom(pp.base, b, n)) {
                // The local queue had no room: give them back, at the front, in order.
                runq.unpopBatch(b, n);
            }
        }
        runqsize = runq.size();
        return first;
    }

    // ------------------------------------------------------------------------------------------
    // Goroutine creation and exit (GoroutineLifecycle)

    /** Go's newproc: a new runnable goroutine in runnext of mp's P. */
    G newproc(M mp, Runnable fn) {
        return GoroutineLifecycle.newproc(this, mp, fn, false);
    }

    /** newproc; a {@code system} goroutine (GC worker) is left out of goroutines() and checkdead (Go's ngsys). */
    G newproc(M mp, Runnable fn, boolean system) {
        return GoroutineLifecycle.newproc(this, mp, fn, system);
    }

    boolean isMain(G g) {
        return g == mainG;
    }

    /**
     * Goroutines created and not yet ended: the per-P counters summed (Go's gcount). Exact when
     * the Ps are quiet (checkdead: every M idle, their last updates published by the sched lock);
     * otherwise a snapshot that may be off by the goroutines starting or ending meanwhile.
     */
    long liveGoroutines() {
        return allpEver.live(ngsys.get());
    }

    /** Live system goroutines (GC workers), not counted as goroutines (Go's sched.ngsys). */
    final AtomicLong ngsys = new AtomicLong();

    /**
     * Starts an M on an idle P if one is idle and none spins (Go's wakep), for work the run queues
     * do not show: the collector announces mark work so an idle P asks its GcHook for a worker
     * (Go's enlistWorker).
     */
    public void wakeIdleP() {
        if (!exiting) {
            // A counted startm failure is survived, as every wake-up for work already published
            // is (wakeForQueuedWork): the P went back idle and the wake-up is owed to sysmon and
            // the retaker (wakeOwed). Thrown, it failed the collector's cycle for good (the
            // coordinator's "no cycle will run again"; session 34). The coordinator does not
            // retry here: its drain wait announces the work again at every look while no worker
            // runs it (MarkWorkers.awaitMarkDrained), so it never waits on this one wake-up.
            wakeForQueuedWork(true);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Park / ready / gosched (called on the goroutine, through Go)

    /** Makes a parked goroutine runnable, in runnext of the current P (Go's goready/ready). */
    void ready(G gp) {
        if (!GDescriptor.casStatus(gp.desc, GStatus.WAITING, GStatus.RUNNABLE)) {
            throw new IllegalStateException("goready: goroutine " + gp.goid() + " is " + GStatus.name(gp.status())
                    + ", not waiting");
        }
        runqputReady(null, gp);
    }

    /**
     * Readies a goroutine whose sudog the caller just dequeued from a channel's wait queue under
     * the channel lock. Such a goroutine is certainly WAITING (g0 stores WAITING before the park
     * commit releases that lock) and no one else can ready it (the dequeue, or a select's
     * selectDone CAS, decided that), so a release store replaces ready's CAS: one atomic less
     * per channel hand-off. {@code mp} is the caller's M when it runs a goroutine of any
     * scheduler, else null.
     */
    void readyWaiter(M mp, G gp) {
        GDescriptor.setStatus(gp.desc, GStatus.RUNNABLE);
        runqputReady(mp, gp);
    }

    /** gp is RUNNABLE: into runnext of the caller's P if it has one here, else the global queue. */
    private void runqputReady(M mp, G gp) {
        if (mp == null) {
            Thread t = carrier();
            mp = t instanceof M m ? m : null;
        }
        if (mp != null && mp.sched == this) {
            P pp = mp.p;
            if (pp != null) {
                RunQueue.put(pp.base, gp.ref, true, pp.batch, overflow, stealable);
                wakeForQueuedWork(true);
                return;
            }
        }
        lock.lock();
        globrunqput(gp.ref);
        lock.unlock();
        // Not on another scheduler's M: it holds a P of its own and would stall that scheduler's
        // stops while it waited here (review32); the work waits for this scheduler's sysmon or
        // retaker (wakeForGlobalWork), as before sched32.
        if (npidle.get() > 0 && wakeForQueuedWork(false) && (mp == null || mp.sched == this)) {
            retryWakeWhileEveryPIsIdle();
        }
    }

    /**
     * The state {@link #retryWakeWhileEveryPIsIdle} waits out: every P idle, nobody spinning, no
     * stop, no exit, and work that no M will look at: goroutines in the global queue, or timers or
     * network waiters with no M polling for them (the poller sleeps for the earliest timer and
     * wakes for I/O, so while one polls the timers are watched). Read only after a failed wake-up.
     */
    private boolean workStrandedWhileEveryPIsIdle() {
        if (npidle.get() != gomaxprocsPublished || nmspinning.get() != 0 || gcwaiting || exiting) {
            return false;
        }
        if (runqsize != 0) {
            return true;
        }
        if (polling.get()) {
            return false;
        }
        if (earliestTimer() != Long.MAX_VALUE) {
            return true;
        }
        NetpollHook np = netpoll;
        return np != null && np.hasWaiters();
    }

    /**
     * A ready from outside this scheduler's Ms (a plain thread's send, another scheduler's
     * goroutine) queued gp globally and its wake-up failed (counted); or a timer or network
     * waiter added from outside the schedule loop, whose wake-up failed the same way (session 33);
     * or a goroutine locked to its M handed its P off and that startm failed. If some P is held, its M
     * finds the global queue when it next looks; if every P is idle, nothing may ever look: a
     * scheduler used alone without sysmon and with {@code syscallRetake(0)} has no periodic
     * wake-up, and the caller is the last one who knows (review31's finding 3). So the caller
     * retries the wake-up itself, pausing 1 ms, then twice as long each time up to 64 ms, until
     * the state that strands the work is gone ({@link #workStrandedWhileEveryPIsIdle}): an M took
     * a P (the one started, or any other), the queue emptied and the timers are watched by a
     * polling M or gone, an M spins, a stop or the exit began. Every failed try is counted as
     * any startm failure. A failure that lasts keeps the caller here (Go would have died at the
     * first one: its newm failing is fatal); an interrupt does not end the wait, it is kept for
     * the caller. Only on this failure path: no read is added to a ready that woke an M.
     */
    void retryWakeWhileEveryPIsIdle() {
        retryWakeWhileEveryPIsIdle(null);
    }

    /**
     * {@link #retryWakeWhileEveryPIsIdle()}, ended also when {@code giveUp} (null: none) says
     * true, looked at before each pause: the caller's own reason to stop waiting.
     */
    void retryWakeWhileEveryPIsIdle(java.util.function.BooleanSupplier giveUp) {
        long pauseNanos = 1_000_000L;
        boolean interrupted = false;
        while (workStrandedWhileEveryPIsIdle() && (giveUp == null || !giveUp.getAsBoolean())) {
            java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
            interrupted |= Thread.interrupted();
            pauseNanos = Math.min(pauseNanos * 2, 64_000_000L);
            wakeForQueuedWork(false);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The wake-up after work was queued for good (a {@code go} statement's goroutine, a readied
     * one, a goroutine that yielded to the global queue): {@link #wakep} ({@code spinning}), else a non-spinning startm on any idle P. A startm
     * that fails before an M took its P (a new M could not be made) has already given that P
     * back, moved its goroutines to the global queue, counted the failure ({@link #startmFailures})
     * and reported the first one; the queued work stays queued and runs on the caller's P when it
     * next schedules, or on an M a later wake-up starts (the next {@code go} or ready, sysmon's and
     * the retaker's {@link #wakeForGlobalWork}). So that failure is not thrown to the caller: its
     * {@code go} or send did what it says, and a caller told otherwise would believe the goroutine
     * was not started and might start it again (a duplicate; robust30 noticed, robust31 fixed).
     * Go's newm failing is fatal; gort survives it, and the go statement's answer is "queued".
     * Anything else wakep throws (a bug; the thread limit and a thread that would not start are
     * fatal reports, which stop the scheduler and throw nothing here) still reaches the caller: a
     * counted failure is told by identity ({@link MPool#lastCountedFailure}), so another thread's
     * failure counted meanwhile hides nothing (review31's finding 1: a count read before and after
     * the call could). The one shared object two throws can be is a JVM's preallocated
     * OutOfMemoryError, which is then this kind of failure anyway. No allocation, and no read at
     * all unless something was thrown (before: a volatile read on every go, ready and yield).
     * Returns true if a counted failure was swallowed (the caller may stop or retry), else false.
     *
     * <p>Also used on an M's own path, where a throw reaches the M's loop and becomes the fatal
     * "scheduler failure on M" (review31's finding 2; sched32): resetspinning's wake-up, the
     * blocking poll's wake-up for a goroutine it could not run, injectglist, wakeNetPoller, and an
     * M that found its handed P taken by a stop ({@link MPool#takeHanded}).
     */
    boolean wakeForQueuedWork(boolean spinning) {
        if (!spinning) {
            return startmSurvivingFailure(null, false);
        }
        try {
            wakep();
            return false;
        } catch (Throwable t) {
            if (t != mpool.lastCountedFailure) {
                throw t;        // not a counted startm failure
            }
            return true;
        }
    }

    /**
     * {@code startm(pp, spinning)} for a P handed off ({@link IdlePs#handoffp}), surviving a
     * counted failure as {@link #wakeForQueuedWork} does: the failed startm gave pp back (idle,
     * its goroutines queued globally, or stopped if a stop is pending) and owes the wake-up
     * ({@link #wakeOwed}). Returns true if a counted failure was swallowed; anything else thrown
     * still reaches the caller.
     */
    boolean startmSurvivingFailure(P pp, boolean spinning) {
        try {
            startm(pp, spinning);
            return false;
        } catch (Throwable t) {
            if (t != mpool.lastCountedFailure) {
                throw t;
            }
            return true;
        }
    }

    /** {@link #wakeForQueuedWork}{@code (true)}: a {@code go} statement's wake-up ({@link GoroutineLifecycle#newproc}). */
    void wakepForQueuedGoroutine() {
        wakeForQueuedWork(true);
    }

    void gopark(M mp, G gp, ParkCommit commit, Object arg, WaitReason reason) {
        gp.setWaitReason(reason);
        switchOut(mp, gp, M.YIELD_PARK, commit, arg);
    }

    /**
     * gopark for a plain channel operation: gp's chanSudog is queued on {@code chanSudog.c}, whose
     * lock is held; g0 releases it once gp is WAITING. Unlike gopark nothing is stored in the M
     * (the lock is found through the sudog).
     */
    void goparkChan(M mp, G gp, WaitReason reason) {
        gp.setWaitReason(reason);
        switchOut(mp, gp, M.YIELD_PARK_CHAN, null, null);
    }

    /**
     * Leaves the running G for g0 with {@code action} (park, gosched, exitsyscall). A G locked to
     * its M, or one whose continuation cannot yield (pinned by a native frame or a critical
     * section; a held monitor does not pin on JDK 25: the yield returns false), keeps its M and runs the action's locked-M path instead, so a pinned G never
     * hangs its P. Allocation-free: the action is an int, not a lambda, since this is every switch.
     */
    private void switchOut(M mp, G gp, int action, ParkCommit commit, Object arg) {
        if (gp.lockedm != null) {
            LockedM.onLockedM(this, mp, gp, action, commit, arg);
            return;
        }
        if (action != M.YIELD_PARK_CHAN) {
            mp.parkCommit = commit;
            mp.parkArg = arg;
        }
        mp.yieldAction = action;
        if (!jdk.internal.vm.Continuation.yield(G.SCOPE)) {
            // Pinned: this G keeps its M (temporarily locked to it).
            mp.yieldAction = M.YIELD_NONE;
            mp.parkCommit = null;
            mp.parkArg = null;
            gp.lockedm = mp;
            mp.lockedg = gp;
            try {
                LockedM.onLockedM(this, mp, gp, action, commit, arg);
            } finally {
                LockedM.unlockTemp(gp);
            }
        }
    }

    void gosched(M mp, G gp, int action) {
        gp.setPreempt(false);
        switchOut(mp, gp, action, null, null);
    }

    // ------------------------------------------------------------------------------------------
    // Syscalls

    void entersyscall(M mp, G gp) {
        P pp = mp.p;
        if (pp.safePointFn() != ForEachP.NONE) {
            forEachP.runFor(pp);          // Go's entersyscall: the P's safe point before it goes to SYSCALL
        }
        NativeMemory.putLongRelease(pp.base + PDescriptor.SYSCALLWHEN, System.nanoTime());
        GDescriptor.setStatus(gp.desc, GStatus.SYSCALL);
        pp.syscallG = gp;                 // published by the status CAS below (sysmon's preempt reads it)
        mp.oldp = pp;
        mp.p = null;
        pp.m = null;
        nsyscall.incrementAndGet();
        // A full fence (CAS), not a release store: the gcwaiting read below must not pass it, or a
        // stop-the-world could miss this P in both places.
        if (!pp.casStatus(PStatus.RUNNING, PStatus.SYSCALL)) {
            pp.setStatus(PStatus.SYSCALL);
        }
        if (gcwaiting) {
            // A stop-the-world is waiting: give it this P now.
            lock.lock();
            boolean last = gcwaiting && pp.casStatus(PStatus.SYSCALL, PStatus.GCSTOP) && world.pStoppedLocked();
            lock.unlock();
            if (last) {
                world.lastPStopped(pp, StopLastP.BY_SYSCALL);   // after unlocking: see gcstopm
            }
        }
        retaker.wakeIfIdle();
    }

    void exitsyscall(M mp, G gp) {
        nsyscall.decrementAndGet();
        P pp = mp.oldp;
        mp.oldp = null;
        if (pp != null && pp.status() == PStatus.SYSCALL && pp.casStatus(PStatus.SYSCALL, PStatus.RUNNING)) {
            // Fast path: our P was not retaken.
            mp.p = pp;
            pp.m = mp;
            if (pp.safePointFn() != ForEachP.NONE) {
                forEachP.runFor(pp);      // a round began during the call and did not take the P: run it here
            }
            NativeMemory.putLongRelease(pp.base + PDescriptor.SYSCALLTICK, NativeMemory.getLong(pp.base + PDescriptor.SYSCALLTICK) + 1);
            GDescriptor.setStatus(gp.desc, GStatus.RUNNING);
            StackScans.afterSyscall(this, gp);      // a collector may be scanning its frames
            return;
        }
        // A stop-the-world took our P (or is taking Ps): wait on this M, the G still in SYSCALL,
        // until the world restarts, so nothing about the G changes while it is stopped.
        lock.lock();
        world.awaitStartLocked(mp);
        P np = exiting ? null : pidleget();
        lock.unlock();
        if (np != null) {
            acquirep(mp, np);
            GDescriptor.setStatus(gp.desc, GStatus.RUNNING);
            StackScans.afterSyscall(this, gp);
            return;
        }
        // Slow path: queue the G and let this M go idle.
        switchOut(mp, gp, M.YIELD_EXITSYSCALL, null, null);
    }

    /**
     * Retakes P {@code id} from an M blocked in a syscall and hands it to another M (Go's retake for
     * {@code _Psyscall}). Unless {@code force}, leaves it if there is nothing for it to do (empty
     * queues, another M spinning or a P idle) and the call is younger than 10 ms, as Go does.
     * Returns whether it was taken. For sysmon; the built-in retaker uses it too.
     */
    public boolean retake(int id, boolean force) {
        // Once the gate closed: false, the scheduler ended and its P blocks are gone.
        return NativeReaders.access(this, this, id, force ? Scheduler::retakeForced : Scheduler::retakeIfDue, NativeReaders::zero) != 0;
    }

    private long retakeForced(long id) {
        return retaker.retake((int) id, true) ? 1 : 0;
    }

    private long retakeIfDue(long id) {
        return retaker.retake((int) id, false) ? 1 : 0;
    }

    // ------------------------------------------------------------------------------------------
    // Preemption and stop-the-world

    /** Asks the goroutine running on P {@code id} to yield at its next safepoint (Go's preemptone). */
    public boolean preempt(int id) {
        // Once the gate closed: false, the scheduler ended and nothing runs.
        return NativeReaders.access(this, this, id, (s, pid) -> s.preemptP((int) pid) ? 1 : 0, NativeReaders::zero) != 0;
    }

    /** preempt without the gate: for sysmon through it, and the syscall retaker's thread (joined before the blocks are freed). */
    boolean preemptP(int id) {
        P pp = p(id);
        if (pp.status() == PStatus.SYSCALL) {
            // Its slice ended in a syscall (sysmon): flag the G in the call, which yields at the
            // safepoint after it returns, unless it comes back through exitsyscall0 (the P was
            // taken meanwhile), which drops the flag: losing the P was its preemption.
            G gs = pp.syscallG;
            if (gs == null) {
                return false;
            }
            gs.setPreempt(true);
            return true;
        }
        M mp = pp.m;
        if (mp == null || pp.status() != PStatus.RUNNING) {
            return false;
        }
        G gp = mp.curg;
        if (gp == null) {
            return false;
        }
        gp.setPreempt(true);
        return true;
    }

    /** Asks a goroutine to yield at its next safepoint. */
    public void preempt(G g) {
        NativeReaders.access(this, g, 0, (gp, unused) -> {
            gp.setPreempt(true);
            return 0;
        }, NativeReaders::zero);
    }

    /**
     * Stops every P at a safepoint (Go's stopTheWorld). Idle Ps and Ps in syscalls are taken at once;
     * running goroutines are asked to yield and their Ms stop at the next scheduling point. Called
     * from a goroutine, its own P counts as stopped and it keeps running; callable from any other
     * thread too. Goroutines that never reach a safepoint delay it (preemption is cooperative).
     * A second stop by the stopper before its {@link #startTheWorld} is refused
     * (IllegalStateException), the world staying stopped by the first; so is a stop from scheduler
     * code on an M that holds a P (a timer function or hook: no goroutine).
     */
    public void stopTheWorld(String reason) {
        refuseSchedulerCode(reason);
        world.stop(reason);
    }

    /**
     * Refuses a stop from scheduler code on an M of this scheduler that holds a P without a
     * goroutine (a runtime timer's function, a hook): with the world lock held by another stop it
     * would wait inside the lock with its P running, which that stop waits for, forever (a
     * goroutine waits inside a syscall instead, its P taken: WorldStop.lockWorldOnGoroutine; g0
     * has no syscall to enter). GOMAXPROCS refuses such callers too (ProcResize).
     */
    private void refuseSchedulerCode(String reason) {
        if (carrier() instanceof M mp && mp.sched == this && mp.curg == null && mp.p != null) {
            throw new IllegalStateException("stopTheWorld(\"" + reason + "\"): called from scheduler code on M" + mp.mid
                    + " holding a P (a timer function or hook); accepted: a goroutine or a thread outside the scheduler");
        }
    }

    /**
     * {@link #stopTheWorld(String)} that gives up once {@code giveUp} says true (asked at each
     * timed turn of the wait, every 0.1-1.6 ms): it then restarts the world and throws
     * {@link StopGivenUpException}. For a caller that may stop wanting the stop while a goroutine
     * without a safepoint holds it up (a collector being closed). Any other exception thrown inside
     * either form also leaves the world running again.
     */
    public void stopTheWorld(String reason, java.util.function.BooleanSupplier giveUp) {
        if (giveUp == null) {
            // Refused before anything stops: the world and its lock are untouched.
            throw new IllegalArgumentException("stopTheWorld(\"" + reason + "\", giveUp): giveUp is null; accepted: a"
                    + " BooleanSupplier asked at each timed turn of the wait, or stopTheWorld(reason) for a stop that never gives up");
        }
        refuseSchedulerCode(reason);
        world.stop(reason, giveUp);
    }

    /**
     * {@link #stopTheWorld(String, java.util.function.BooleanSupplier)}, then {@code steps}, which
     * must end by {@link #startTheWorld} (on the thread that runs them), run by the M that stops
     * the last P at its safepoint if one does (it keeps that P and goes on with its goroutines
     * after the restart), else by the caller: the caller's wake-up after the last P stopped is not
     * in the pause. Returns once the steps ran; throws their failure (or the stop's) with the
     * world running again. The steps run on a scheduler thread without a goroutine (g0): they must
     * not wait for a goroutine, and the caller must not hold what they need. Not from a goroutine
     * of this scheduler.
     */
    public void stopTheWorldAndRun(String reason, java.util.function.BooleanSupplier giveUp, Runnable steps) {
        if (giveUp == null || steps == null) {
            throw new IllegalArgumentException("stopTheWorldAndRun(\"" + reason + "\"): " + (giveUp == null ? "giveUp" : "steps")
                    + " is null; accepted: a BooleanSupplier asked at each timed turn of the wait, and steps that end by startTheWorld");
        }
        if (carrier() instanceof M mp && mp.sched == this) {
            throw new IllegalStateException("stopTheWorldAndRun(\"" + reason + "\") from a goroutine of this scheduler; accepted:"
                    + " a thread outside it (a goroutine stopper keeps its P and runs its own steps: use stopTheWorld)");
        }
        world.stopAndRun(reason, giveUp, steps);
    }

    /**
     * Inside the steps of a {@link #stopTheWorldAndRun} that an M claimed, on that M: its thread
     * CPU clock (CLOCK_THREAD_CPUTIME_ID's nanoseconds) as the stopper read it just before the stop
     * request, so that the steps' CPU can be counted without a clock read inside the pause (the
     * M's CPU on its way to the stop is then counted too); 0 on any other thread, outside such
     * steps, when the M held no running P at the request, or where the read is not possible
     * (not Linux, {@code -Dgort.sched.stop.cpubefore=false}).
     */
    public long cpuReadBeforeStopRequest() {
        return world.cpuReadBeforeRequest(Thread.currentThread());
    }

    /** Stops whose steps ({@link #stopTheWorldAndRun}) an M ran instead of the caller, so far. */
    public long stopsHandedOff() {
        return world.stopsHandedOffForTest();
    }

    /**
     * Up to {@code rounds} stop and start pairs run so that the stop path is compiled before it is
     * timed (a collector's coordinator, between its first cycles; {@link StopPathWarmup}). Returns
     * the pairs completed: it ends early, with the world running, after a few stops that waited
     * over 2 ms, when {@code keepGoing} says false, or when the scheduler exits. Not from a
     * goroutine of this scheduler.
     */
    public int warmUpStopPath(int rounds, java.util.function.BooleanSupplier keepGoing) {
        return StopPathWarmup.run(this, rounds, keepGoing);
    }

    /** Pairs the stop path's warm-up wants in all ({@code -Dgort.sched.stopwarmup=N}, default 1000; 0: none). */
    public int stopPathWarmUpRounds() {
        return StopPathWarmup.ROUNDS;
    }

    /** Stops of {@link #warmUpStopPath} given up so far (each held the program for about 2 ms before the world restarted). */
    public long stopPathWarmUpStopsGivenUp() {
        return warmUpStopsGivenUp;
    }

    /**
     * After {@link #warmUpStopPath}'s pairs, from a thread outside this scheduler: {@code pairs}
     * stop and start pairs of a scheduler that runs nothing, so that the stopper's side of a stop
     * reaches the JIT's C2 here rather than inside a real stop (StopPathWarmup.rehearseForJit).
     * Nothing of this scheduler stops. Returns the pairs made (fewer when {@code keepGoing} said
     * false or the call's time budget was spent: call again for the rest). They count towards
     * this JVM's pairs ({@link #stopPathJitRehearsalPairsLeft}).
     */
    public int rehearseStopPathForJit(int pairs, java.util.function.BooleanSupplier keepGoing) {
        return StopPathWarmup.rehearseForJit(this, pairs, keepGoing);
    }

    /**
     * As {@link #rehearseStopPathForJit(int, java.util.function.BooleanSupplier)}, for the pairs this
     * JVM still wants ({@link #stopPathJitRehearsalPairsLeft}), whichever runtime made the others:
     * what they warm (C2's code) is the JVM's. Returns the pairs this call made.
     */
    public int rehearseStopPathForJit(java.util.function.BooleanSupplier keepGoing) {
        return StopPathWarmup.ROUNDS == 0 ? 0 : StopPathWarmup.rehearseRestForJit(this, keepGoing);
    }

    /**
     * Pairs of the stop path's JIT rehearsal this JVM still wants: {@link #stopPathJitRehearsalPairs}
     * less those made so far by every runtime of the JVM; 0 when the warm-up is off.
     */
    public static int stopPathJitRehearsalPairsLeft() {
        return StopPathWarmup.ROUNDS == 0 ? 0 : StopPathWarmup.jitRehearsalPairsLeft();
    }

    /** Pairs of the rehearsal a JVM wants in all: 0 when the warm-up is off ({@code -Dgort.sched.stopwarmup=0}). */
    public int stopPathJitRehearsalPairs() {
        return StopPathWarmup.ROUNDS == 0 ? 0 : StopPathWarmup.JIT_REHEARSAL_PAIRS;
    }

    /**
     * Go's forEachP: runs {@code fn} once for every P in use when the call starts, each at a safe
     * point of that P, the world running, and returns true once all have run it. An idle P runs it
     * on the caller at once; a P in a syscall is taken by the caller, runs it there and is handed
     * off; a running P's goroutine is asked to yield and the P's M runs it on its scheduler loop
     * before any goroutine runs there again (or at syscall entry or exit). The caller waits,
     * re-asking late Ps every 0.1 ms doubling to 1.6 ms; a goroutine that never reaches a safepoint
     * holds it up, as it holds up a stop-the-world. Returns false, with the Ps that had not run it
     * let off, if the scheduler exits or {@code giveUp} (null: never) says true at a timed pass.
     * {@code fn} may run on any scheduler thread, under the sched lock: it must be short and must
     * not block, park, allocate on the gort heap or call into the scheduler. If it throws, the
     * throw is caught on the thread that ran it (the round goes on) and the first one is rethrown
     * to the caller, wrapped in an IllegalStateException naming the P, once the round ended. One
     * round at a time; not from a goroutine of this scheduler (IllegalStateException; see
     * {@link ForEachP} for Ps that change state or GOMAXPROCS changing mid-round).
     */
    public boolean forEachP(java.util.function.Consumer<P> fn, java.util.function.BooleanSupplier giveUp) {
        return forEachP.run(fn, giveUp);
    }

    /**
     * True on an M of this scheduler whose P still owes a {@link #forEachP} round its function:
     * work that runs on a goroutine (a mark worker's drain, an assist) returns at its next check so
     * the goroutine reaches a safe point. One volatile read when no round is under way.
     */
    public boolean safePointFnPendingHere() {
        if (!forEachP.active) {
            return false;
        }
        P pp = carrier() instanceof M m && m.sched == this ? m.p : null;
        return pp != null && pp.safePointFn() != ForEachP.NONE;
    }

    /** forEachP rounds so far, Ps their callers ran the function for, of those taken from a syscall, timed passes. */
    public long[] forEachPStats() {
        return new long[] {forEachP.rounds(), forEachP.byCaller(), forEachP.syscallTakes(), forEachP.passes()};
    }

    /** Restarts the world stopped by {@link #stopTheWorld}; must be called by the same thread. */
    public void startTheWorld() {
        world.start();
    }

    /**
     * From now on, a stopper raised to SCHED_FIFO (the collector's coordinator under its opt-in
     * real-time stop, which calls this once the kernel allowed it {@code priority}) switches the Ms
     * of the Ps still running 0.1 ms into its stop to SCHED_FIFO {@code priority} until the restart
     * ({@link LateMBoost}). Ps with an id of 256 or more (GOMAXPROCS grown that far) are not boosted.
     */
    public void boostLateMsWhileStopping(int priority) {
        world.lateBoost = new LateMBoost(this, priority, Math.max(gomaxprocsPublished, 256));
    }

    /** Ms boosted late into a stop so far ({@link #boostLateMsWhileStopping}; 0 when off). */
    public long lateMBoosts() {
        LateMBoost b = world.lateBoost;
        return b == null ? 0 : b.boosts();
    }

    /**
     * After a stop-the-world (diagnostics, allocates): when the last P stopped and when the stopper
     * saw it, relative to the request, whether it saw it spinning or woken, and the re-preempt
     * passes so far; e.g. {@code "last P stopped at 0.041 ms; stopper saw it at 0.043 ms, spinning"}.
     */
    public String describeLastStop() {
        return world.describeLastStop();
    }

    /**
     * System.nanoTime() at which the last stop-the-world was requested, 0 before the first: after
     * the wait for the world lock (another stop in progress) and the stopper's reads of the running
     * Ms' CPU clocks ({@link #cpuReadBeforeStopRequest}), which stop nothing. A collector's pause
     * starts here, as Go's stopTheWorldWithSema starts its clock once worldsema is held.
     */
    public long lastStopRequestNanos() {
        return world.stopRequestNanos();
    }

    /**
     * Tests: {@code hook} (null: none) runs on a stopTheWorldAndRun's stopper after each read of a
     * running P's M's CPU clock, before the stop request (e.g. a read made slow).
     */
    public void setCpuReadBeforeStopHookForTest(Runnable hook) {
        world.cpuReadHookForTest = hook;
    }

    /**
     * Tests: clears {@code g}'s preempt flag, as if a stop's preemptall had missed it (execute's
     * race with a stopper that read curg before it was stored: the flag comes at the stopper's next
     * timed pass). A stop's request is then visible to {@code g} without its flag. The write goes
     * through the same gate as {@link #preempt(G)} (the descriptors are freed when the scheduler
     * ends), and a G that is not a live goroutine of this scheduler is refused by name: an exited
     * G's descriptor may already be another goroutine's.
     *
     * @throws IllegalArgumentException if {@code g} is null, another scheduler's, or not live (dead or idle)
     * @throws IllegalStateException if this scheduler has ended (its descriptors are freed)
     */
    public void unflagForTest(G g) {
        if (g == null || g.sched != this) {
            throw new IllegalArgumentException("unflagForTest(" + g + "): accepted: a goroutine of this scheduler");
        }
        NativeReaders.access(this, g, 0, Scheduler::unflagIfLive, Scheduler::refuseUnflagAfterEnd);
    }

    private static long unflagIfLive(G g, long unused) {
        int st = GDescriptor.status(g.desc);
        if (st == GStatus.DEAD || st == GStatus.IDLE) {
            throw new IllegalArgumentException("unflagForTest: goroutine " + g.index + " is not live (" + GStatus.name(st)
                    + "); accepted: a goroutine that has started and not exited");
        }
        g.setPreempt(false);
        return 0;
    }

    private static long refuseUnflagAfterEnd(G g, long unused) {
        throw new IllegalStateException("unflagForTest: the scheduler has ended and its goroutine descriptors are"
                + " freed; accepted: a goroutine of a running scheduler");
    }

    /**
     * System.nanoTime() at which the last {@link #startTheWorld} released the Ps (before it started
     * or woke Ms for them), 0 before the first: where a collector's pause ends, as Go's pauseNS.
     */
    public long lastWorldStartNanos() {
        return world.lastStartNanos();
    }

    /** True while a stop-the-world is in effect or pending. */
    public boolean worldStopping() {
        if (StopHolders.ON) {
            StopHolders.countCheck();    // the collector's workers, assists and sweeps check here
        }
        return gcwaiting;
    }

    /**
     * True while a stop-the-world is in effect or pending and the caller is its stopper: the
     * thread holding the world lock (a goroutine's carrier, read out of line, for a goroutine
     * stopper, which keeps its P and whose polls do not yield). Collector code that yields to a
     * pending stop (an assist) returns instead when this is true, as Go's gcAssistAlloc does with
     * preemption off. Not for hot paths (a thread-local read).
     */
    public boolean worldStoppedByCaller() {
        return stopperIs(carrier());
    }

    /**
     * True while {@code t} (an M, or a plain thread) holds this scheduler's stop-the-world (a goroutine stopper keeps its
     * P): its safepoints do not yield, as Go's stopper runs with preemptoff, since a yield with the
     * world stopped would leave no one to restart it. Read only behind a set preempt flag.
     */
    boolean stopperIs(Thread t) {
        return gcwaiting && world.heldBy(t);
    }

    /**
     * True once the scheduler stops for good (main returned, {@link #close}, a fatal error): no
     * goroutine runs past its next scheduling point, and a stop-the-world returns without stopping
     * anything. Collector code on an M answers it as it answers a stop.
     */
    public boolean exiting() {
        return exiting;
    }

    // ------------------------------------------------------------------------------------------
    // GOMAXPROCS at run time (Go's runtime.GOMAXPROCS and procresize)

    /** Called around every GOMAXPROCS change, in registration order (see {@link ProcResizeHook}). */
    public void addProcResizeHook(ProcResizeHook hook) {
        resize.addHook(hook);
    }

    public void removeProcResizeHook(ProcResizeHook hook) {
        resize.removeHook(hook);
    }

    /**
     * Sets GOMAXPROCS to {@code n} and returns the previous setting (Go's runtime.GOMAXPROCS with
     * {@code n >= 1}; {@link #gomaxprocs()} reads it). Equal to the current value: nothing happens.
     * Otherwise the world is stopped and the Ps are resized as Go's procresize does: growing makes
     * (or revives) Ps with their run queue, timer heap and mcache; shrinking destroys the highest
     * ones, whose runnable goroutines go to the global queue, timers to a surviving P, free Gs to
     * the global list, goid batch back to the counter when still the latest, mcache back to the
     * mcentrals, after every {@link ProcResizeHook} flushed its own per-P state. A caller whose P
     * goes away continues on P 0. Callable from a goroutine or from any other thread.
     *
     * @throws IllegalArgumentException {@code n} outside 1..{@link SchedConfig#MAX_PROCS}; nothing changes
     * @throws IllegalStateException before {@link #run} or after the scheduler stopped, or from
     *     scheduler code (a timer function, a hook)
     */
    public int setGomaxprocs(int n) {
        return resize.setGomaxprocs(n);
    }

    /** A new P (id {@code i}) with its mcache, recorded in allpEver. */
    P pinit(int i) {
        P p = new P(this, i);
        if (cfg.mcacheSource != null) {
            p.mcache = cfg.mcacheSource.newCache();
        }
        allpEver.add(p);
        return p;
    }

    // ------------------------------------------------------------------------------------------
    // Timers

    void addTimer(Timer t, long when, long period) {
        t.when = when;
        t.period = period;
        Thread th = carrier();
        P pp = th instanceof M mp && mp.sched == this && mp.p != null ? mp.p : allpPublished[0];
        pp.timers.add(t);
        if (pp.timers.nextWhen() == when && wakeNetPoller(when) && ownsNoOtherSchedulersP()) {
            // The wake-up failed (counted): with every P idle no M sleeps for this timer, and a
            // scheduler without sysmon or retaker has no one else to retry. Waits only in that
            // state (an M of this scheduler holding a P never does); review32's finding, session 33.
            retryWakeWhileEveryPIsIdle();
        }
    }

    /**
     * Removes t from the heap it is in; returns whether it was in one (Go's Stop: true if the call
     * stopped the timer). {@code t.pp} is read without a lock, so the timer may move before the
     * remove locks that heap: procresize moves a dying P's timers to a surviving P
     * ({@link TimerHeap#moveAllTo}, both heaps' locks held, {@code t.pp} set under them). A remove
     * that fails therefore saw {@code t.pp} changed: to another P (moved: look there) or to null
     * (fired, or stopped by another call: not active). It loops until one of those answers: each
     * failed try is one move another thread made, and moves happen only in a GOMAXPROCS change.
     * Before (sched32) it gave up after 3 tries and answered false for a timer still active (it
     * then fired), when it moved 3 times during the call: no count is enough, since every
     * shrink by a goroutine whose P survives can move it again.
     */
    boolean stopTimer(Timer t) {
        for (;;) {
            P pp = t.pp;
            if (pp == null) {
                return false;
            }
            if (TIMER_REMOVE_HOOK) {     // a constant: false outside the scheduler's own tests, and the look is compiled away
                Runnable race = beforeTimerRemoveForTest;
                if (race != null) {
                    race.run();
                }
            }
            if (pp.timers.remove(t)) {
                return true;
            }
        }
    }

    /**
     * Tests: run by {@link #stopTimer} between its read of {@code t.pp} and the remove (the timer
     * moved by a GOMAXPROCS change in between).
     */
    volatile Runnable beforeTimerRemoveForTest;

    /**
     * Whether {@link #stopTimer} looks at {@link #beforeTimerRemoveForTest}: the system property
     * {@code gort.test.timerRemoveHook=true}, which only the scheduler module's Surefire
     * configuration sets. A static final, so everywhere else the look costs nothing (review32:
     * before, every Stop read the volatile hook).
     */
    static final boolean TIMER_REMOVE_HOOK = Boolean.getBoolean("gort.test.timerRemoveHook");

    /**
     * Whether the failure paths that need a P to go idle in a window with no other test code in
     * it look at {@link #failureWindowForTest}: findRunnable's blocking poll that readied a
     * goroutine and found no idle P (before it queues the goroutine and wakes an M), and
     * {@link LockedM}'s exitsyscallLocked (after exitsyscall found no idle P, before it queues the
     * goroutine and counts the idle Ps), and {@link ProcResize}'s GOMAXPROCS change from a plain
     * thread (after the world's restart, before the moved timers' wake-up; flake35). The system property {@code gort.test.failureWindowHooks=true},
     * which only the scheduler module's Surefire configuration sets: a static final, so elsewhere
     * the look is compiled away (as {@link #TIMER_REMOVE_HOOK}). Session 34.
     */
    static final boolean FAILURE_WINDOW_HOOKS = Boolean.getBoolean("gort.test.failureWindowHooks");

    /**
     * Tests: called with the window's name where {@link #FAILURE_WINDOW_HOOKS} says, on the M in
     * the window, no lock held; a test makes a P go idle there, so the wake-up that follows
     * reaches startm (where {@code MPool.faultForTest} fails it).
     */
    volatile java.util.function.Consumer<String> failureWindowForTest;

    void failureWindowHook(String window) {
        java.util.function.Consumer<String> hook = failureWindowForTest;
        if (hook != null) {
            hook.accept(window);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Observability (schedtrace, sysmon)

    /** Go's SCHED line (and with {@code detailed}, the per-P, per-M and per-G lines). */
    public String schedtrace(boolean detailed) {
        return Reports.schedtrace(this, detailed);
    }

    List<M> allmSnapshot() {
        return mpool.snapshot();
    }

    /** Calls {@code f} for every G that is not dead (Go's forEachG); stop the world for a stable view. */
    public void forEachG(java.util.function.Consumer<G> f) {
        int n = gtable.count();
        for (int i = 0; i < n; i++) {
            G g = gtable.at(i);
            int st = g.status();
            if (st != GStatus.DEAD && st != GStatus.IDLE) {
                f.accept(g);
            }
        }
    }

    /** Ms that hold a P or run a goroutine that is not in a syscall (see {@link MPool#runningMs}). */
    int runningMs() {
        return mpool.runningMs();
    }

    /** Threads (Ms) created so far. */
    public int threads() {
        return mpool.mcount;
    }

    public int idleThreads() {
        return mpool.nmidle;
    }

    public int idleProcs() {
        return npidle.get();
    }

    public int spinningThreads() {
        return nmspinning.get();
    }

    public int globalRunqueueSize() {
        return runqsize;
    }

    /** Goroutines started and not finished. */
    public long goroutines() {
        return liveGoroutines();
    }

    /** Goroutines ever started. */
    public long goroutinesStarted() {
        return allpEver.sum(PDescriptor.GCREATED);
    }

    /**
     * startm calls that failed before an M took their P (a new M could not be made; its P went
     * back idle, its goroutines to the global run queue, where sysmon's and the retaker thread's
     * wake-ups find them). Also schedtrace's {@code startmfailures=}, printed once non-zero.
     */
    public long startmFailures() {
        return mpool.startmFailures;
    }

    /**
     * Whether a failure of a wake-up or hand-off (a startm) is the exhaustion of a resource that
     * may come back, so that a thread retrying it (sysmon, the retaker thread) goes on rather than
     * ending: an {@link OutOfMemoryError} (the Java heap, while making an M). Any other Error is a
     * bug and still ends the thread.
     */
    public static boolean isResourceExhaustion(Throwable t) {
        return t instanceof OutOfMemoryError;
    }

    /** Gs stolen between Ps so far. */
    public long steals() {
        return allpEver.sum(PDescriptor.STEALS);
    }

    /** CPUs the Ms were pinned to (index = M id, -1 = unpinned), and where each ran right after. */
    public int[][] pinnedCpus() {
        return mpool.pinnedCpus();
    }

    /** True once {@link #run} was called (or {@link #close} before it). */
    boolean started() {
        return life.started();
    }
}
