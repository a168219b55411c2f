package dev.gort.gc;

import dev.gort.sched.G;
import dev.gort.sched.GStatus;
import dev.gort.sched.P;
import dev.gort.sched.Scheduler;
import dev.gort.sched.StackScans;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Goroutine stacks as concurrent mark roots under the scheduler (Go's markroot jobs, one per G):
 * the collector's half of {@link StackScans}. Sweep termination only starts a generation
 * ({@link #begin}); during the mark phase the mark workers and the coordinator claim Gs by index
 * ({@link #scanJobs}) and scan the ones that are not running, and the scheduler scans any other G
 * on g0 before it runs again ({@link #onRun}, into the P's gcWork); mark termination scans what is
 * left with the world stopped ({@link #finishStopped}) and ends the generation.
 *
 * <p>Counters per cycle say who scanned how many stacks; a test holds the sweep-termination pause
 * to zero and the mark-termination one to the Gs that never stopped running.
 */
final class StackRoots {
    private final Scheduler sched;
    private final Marker marker;
    private final Pacer pacer;
    /** Shades of threads that are not mutators; the on-run scan uses it when a P has no collector state yet. */
    private final GcWork orphanWork;
    private final Object orphanLock;
    private final FrameScan orphanScan;
    private final FrameScan terminationScan;

    /** Next G index to claim, and the number of Gs at mark start (later ones start black: no frames). */
    private final AtomicInteger next = new AtomicInteger();
    private volatile int end;

    // ---- this cycle's figures (reset by begin)
    final AtomicLong byWorkers = new AtomicLong();
    final AtomicLong byCoordinator = new AtomicLong();
    final AtomicLong onRun = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    /** Stacks scanned with the world stopped at mark termination (coordinator only). */
    long atTermination;
    private long onRunAtBegin;

    /** The scheduler's on-run visitor: one object, no allocation per G. */
    private final StackScans.Scanner onRunScanner = this::onRun;

    StackRoots(Scheduler sched, Marker marker, Pacer pacer, GcWork orphanWork, Object orphanLock) {
        this.sched = sched;
        this.marker = marker;
        this.pacer = pacer;
        this.orphanWork = orphanWork;
        this.orphanLock = orphanLock;
        this.orphanScan = new FrameScan(marker);
        this.terminationScan = new FrameScan(marker);
    }

    /** The cycle's stack-scan audit (null: off, the default), set by {@link #begin}; every scan of this cycle reads it. */
    private StackScanAudit audit;

    /** World stopped (sweep termination): every G unscanned from now on; no frame is read here. */
    void begin(StackScanAudit audit) {
        this.audit = audit;        // published to the scanners by the generation's volatile store below
        byWorkers.set(0);
        byCoordinator.set(0);
        bytes.set(0);
        atTermination = 0;
        onRunAtBegin = StackScans.scansOnRun(sched);
        next.set(0);
        nLeftovers = 0;
        leftoversPassCount = 0;     // no pass yet: finishStopped would read every G
        end = StackScans.allgCount(sched);
        StackScans.begin(sched, onRunScanner);
    }

    /** True once every G index of this cycle was claimed. */
    boolean jobsClaimed() {
        return next.get() >= end;
    }

    /**
     * A mark worker's or the coordinator's share: claims G indices until none is left (or
     * {@code stop} says so, checked every 64 Gs) and scans those not running into {@code w}.
     * Returns the stacks scanned.
     */
    int scanJobs(GcWork w, P pp, BooleanSupplier stop, boolean worker) {
        FrameScan fs = new FrameScan(marker);
        fs.w = w;
        fs.audit = audit;
        fs.how = worker ? "job(worker)" : "job(coordinator)";
        int n = 0;
        for (int i; (i = next.getAndIncrement()) < end; ) {
            G g = StackScans.g(sched, i);
            if (StackScans.tryScan(g, fs, pp)) {
                n++;
            }
            if ((i & 63) == 63 && stop.getAsBoolean()) {
                break;
            }
        }
        account(fs, n, worker ? byWorkers : byCoordinator);
        return n;
    }

    /**
     * The coordinator, before it stops the world for mark termination: scans the Gs that are still
     * unscanned but no longer running (they ran when their job was claimed and have parked since),
     * and remembers the ones it could not (running, in a syscall) for {@link #finishStopped}, so
     * that pause reads only those, not every G. Returns how many it scanned; when 0, what is left
     * runs or sits in a syscall.
     */
    int scanLeftovers(GcWork w) {
        FrameScan fs = new FrameScan(marker);
        fs.w = w;
        fs.audit = audit;
        fs.how = "leftovers";
        int n = 0;
        int left = 0;
        int count = StackScans.allgCount(sched);
        for (int i = 0; i < count; i++) {
            G g = StackScans.g(sched, i);
            if (StackScans.scanned(g)) {
                continue;
            }
            int st = g.status();
            if (st == GStatus.DEAD || st == GStatus.IDLE) {
                continue;
            }
            if (StackScans.tryScan(g, fs, null)) {
                n++;
            } else {
                if (left == leftovers.length) {
                    leftovers = java.util.Arrays.copyOf(leftovers, left * 2);
                }
                leftovers[left++] = i;
            }
        }
        nLeftovers = left;
        leftoversPassCount = count;
        account(fs, n, byCoordinator);
        return n;
    }

    /** Indices of the Gs the last leftover pass could not scan, and how many Gs existed then. */
    private int[] leftovers = new int[16];
    private int nLeftovers;
    private int leftoversPassCount;

    /**
     * World stopped (mark termination), after {@link #scanLeftovers}: scans the Gs that pass could
     * not scan and the Gs created since, if they are still unscanned, then ends the generation.
     * Any other G was scanned, or was dead at the pass and has not run since (a G that has not run
     * has no frames). Returns the stacks scanned in this pause.
     */
    long finishStopped(GcWork w) {
        FrameScan fs = terminationScan;
        fs.w = w;
        fs.bytes = 0;
        fs.audit = audit;
        fs.how = "markTermination";
        long n = 0;
        for (int k = 0; k < nLeftovers; k++) {
            if (scanStoppedIfLive(StackScans.g(sched, leftovers[k]), fs)) {
                n++;
            }
        }
        for (int i = leftoversPassCount, count = StackScans.allgCount(sched); i < count; i++) {
            if (scanStoppedIfLive(StackScans.g(sched, i), fs)) {
                n++;
            }
        }
        if (fs.bytes != 0) {
            bytes.addAndGet(fs.bytes);
            pacer.stackScanWork.addAndGet(fs.bytes);
        }
        fs.w = null;
        atTermination = n;
        nLeftovers = 0;
        StackScans.end(sched);
        return n;
    }

    private static boolean scanStoppedIfLive(G g, FrameScan fs) {
        int st = g.status();
        return st != GStatus.DEAD && st != GStatus.IDLE && StackScans.scanStopped(g, fs);
    }

    /** Leaves the generation without scanning (a cycle abandoned). */
    void abandon() {
        StackScans.end(sched);
    }

    /** Stacks the scheduler scanned before running them, in this cycle so far. */
    long onRunThisCycle() {
        return StackScans.scansOnRun(sched) - onRunAtBegin;
    }

    private void account(FrameScan fs, int n, AtomicLong counter) {
        if (n > 0) {
            counter.addAndGet(n);
            bytes.addAndGet(fs.bytes);
            pacer.stackScanWork.addAndGet(fs.bytes);
        }
    }

    /**
     * On g0, {@code g} about to run on the M that holds {@code pp}: scans its frames into that P's
     * gcWork (only the P's owner touches it, and no goroutine runs on the P now). A P whose
     * goroutines never allocated has no collector state: the orphan gcWork, under its lock.
     */
    private void onRun(G g, P pp) {
        Object st = pp == null ? null : pp.gcState();
        if (st instanceof Mutator m) {
            FrameScan fs = m.stackScan;
            if (fs == null) {
                fs = new FrameScan(marker);
                m.stackScan = fs;
            }
            fs.w = m.gcw;
            fs.bytes = 0;
            fs.audit = audit;
            fs.how = "onRun";
            fs.scan(g, pp);
            bytes.addAndGet(fs.bytes);
            pacer.stackScanWork.addAndGet(fs.bytes);
        } else {
            synchronized (orphanLock) {
                FrameScan fs = orphanScan;
                fs.w = orphanWork;
                fs.bytes = 0;
                fs.audit = audit;
                fs.how = "onRun(orphan)";
                fs.scan(g, pp);
                bytes.addAndGet(fs.bytes);
                pacer.stackScanWork.addAndGet(fs.bytes);
            }
        }
    }

    /** Greys every pointer in a G's frames into {@link #w}; counts the bytes read. */
    static final class FrameScan implements StackScans.Scanner, G.FrameVisitor {
        private final Marker marker;
        GcWork w;
        long bytes;
        private long goid;
        /** The cycle's audit (null: off) and who scans, for it. */
        StackScanAudit audit;
        String how;

        FrameScan(Marker marker) {
            this.marker = marker;
        }

        @Override
        public void scan(G g, P pp) {
            goid = g.goid();
            if (audit != null) {
                audit.scannedG(g, how);      // one test per stack scanned, not per frame
            }
            SchedWorld.requireShadowStack(g);
            g.forEachFrame(this);
        }

        @Override
        public void frame(long slotsAddress, int nslots) {
            marker.scanRootSlots(slotsAddress, nslots, "goroutine", goid, w);
            bytes += 8L * nslots;
        }
    }
}
