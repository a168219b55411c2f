package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * The scheduler's half of the collector's concurrent stack scan (Go's markroot job per goroutine:
 * suspendG + scanstack, once per cycle): a per-G scan word in the native descriptor
 * ({@link GDescriptor#STACK_SCAN}) and the rule that a G whose word is not this cycle's does not
 * start running until its frames were scanned.
 *
 * <h2>The scan word</h2>
 * <pre>
 *   gen << 1       frames scanned in the mark phase of generation gen (gen never 0)
 *   gen << 1 | 1   a scanner holds the frames now (claimed by CAS); the G must not start running
 *   anything else  not scanned in the current generation (a stale generation, or 0 for a new G)
 * </pre>
 * The generation is bumped with the world stopped ({@link #begin}), which is all the sweep
 * termination pause does for stacks. From then on:
 * <ol>
 *   <li>a scanner (a mark worker, the collector's coordinator) claims a G that is not running
 *       (WAITING, RUNNABLE, or SYSCALL: code inside {@code Go.syscall} may not push or pop frames)
 *       with a CAS of its word to busy, re-reads the status, and scans its frames; a RUNNING G is
 *       released unscanned (its frames may be changing);</li>
 *   <li>exitsyscall, which sets a G RUNNING without passing through execute, waits while a
 *       scanner holds the word ({@link #afterSyscall}: Go's casgstatus spinning on the scan bit),
 *       so a G scanned in its syscall comes back to frames nobody reads;</li>
 *   <li>{@link Scheduler}'s execute (and the two places a locked G resumes on its own M, and
 *       adoptNext, where a runner continuation starts a fresh G) calls {@link #beforeRun} before a
 *       G starts running; any new place that sets a G RUNNING must call it too: if the word is not this generation's it claims
 *       it and scans the G on g0, where the G is at a safepoint; if a scanner holds it, it waits
 *       (one G's frames: microseconds);</li>
 *   <li>with the world stopped at mark termination, the collector scans whatever is still not
 *       this generation's ({@link #scanStopped}): Gs that ran the whole phase (and a G that
 *       entered a syscall after the collector's last pass over the Gs). Gs sitting in a syscall
 *       used to be left for that pause too, which made it grow with them (a server's goroutines
 *       blocked in calls); they are scanned concurrently now, as Go's markroot does.</li>
 * </ol>
 * A G's frames change only while it runs, and it starts running only through the places in 2, so
 * a claimed G's frames are still while they are read. Why once is enough (no rescan) is the hybrid
 * barrier's argument, in the collector's package essay.
 *
 * <p>Outside a mark phase the cost in execute is one volatile read ({@link Scheduler#stackScanGen}),
 * a plain load on x86.
 */
public final class StackScans {
    private StackScans() {
    }

    /** Scans one goroutine's frames (the collector's visitor); {@code pp} is the calling M's P, or null off the scheduler. */
    @FunctionalInterface
    public interface Scanner {
        void scan(G g, P pp);
    }

    /** Starts a generation (world stopped): no G counts as scanned; {@code onRun} scans Gs that are about to run. */
    public static void begin(Scheduler s, Scanner onRun) {
        int gen = s.lastStackScanGen + 1;
        if (gen >= (1 << 30) || gen <= 0) {
            gen = 1;
        }
        s.lastStackScanGen = gen;
        s.stackScanner = onRun;
        s.stackScanGen = gen;          // volatile: published after the scanner
    }

    /** Ends the generation (world stopped, every G scanned): execute goes back to one read. */
    public static void end(Scheduler s) {
        s.stackScanGen = 0;
        s.stackScanner = null;
    }

    /** True while a generation is active. */
    public static boolean active(Scheduler s) {
        return s.stackScanGen != 0;
    }

    /** True if g's frames were scanned in the active generation. */
    public static boolean scanned(G g) {
        int gen = g.sched.stackScanGen;
        return gen != 0 && NativeMemory.getIntAcquire(g.desc + GDescriptor.STACK_SCAN) == gen << 1;
    }

    /**
     * A concurrent scanner's attempt on g: claims it if it is not scanned in this generation, not
     * held and not running, scans it with {@code v} and marks it scanned. Returns true if this call
     * scanned it; false if it was scanned already, held by another scanner, running or in a
     * syscall (left for execute or mark termination), dead, or no generation is active.
     */
    public static boolean tryScan(G g, Scanner v, P pp) {
        Scheduler s = g.sched;
        int gen = s.stackScanGen;
        if (gen == 0) {
            return false;
        }
        long a = g.desc + GDescriptor.STACK_SCAN;
        int w = NativeMemory.getIntAcquire(a);
        int done = gen << 1;
        if (w == done || (w & 1) != 0) {
            return false;
        }
        int st = GDescriptor.status(g.desc);
        if (!stillFrames(st)) {
            return false;                   // cheap filter; the check that counts is after the claim
        }
        if (!NativeMemory.casInt(a, w, done | 1)) {
            return false;
        }
        // Claimed (a full fence): a G that was not running cannot start now (beforeRun and
        // afterSyscall wait), and one that is running shows it in the status read after the claim.
        st = GDescriptor.status(g.desc);
        if (!stillFrames(st)) {
            NativeMemory.putIntRelease(a, w);
            return false;
        }
        try {
            v.scan(g, pp);
        } finally {
            NativeMemory.putIntRelease(a, done);
        }
        return true;
    }

    /**
     * Statuses whose frames cannot change while the scan word is held: parked or queued Gs start
     * only through beforeRun, and a G in a syscall runs code that may not touch its frames and
     * leaves only through afterSyscall.
     */
    private static boolean stillFrames(int st) {
        return st == GStatus.WAITING || st == GStatus.RUNNABLE || st == GStatus.SYSCALL;
    }

    /**
     * exitsyscall's half, right after it set gp RUNNING (on gp's M, outside execute): if a
     * scanner claimed gp while it was in the syscall, waits until the scan is done, so gp's frames
     * do not change while they are read. The status store and the word read are ordered by a
     * full fence, against the scanner's claim (a CAS) and its status re-read: either the scanner
     * sees RUNNING and lets go, or this sees the claim and waits. One volatile read when no
     * generation is active. A G that leaves unscanned keeps running with an unscanned stack
     * until execute or mark termination scans it, as before.
     */
    static void afterSyscall(Scheduler s, G gp) {
        if (s.stackScanGen == 0) {
            return;
        }
        java.lang.invoke.VarHandle.fullFence();
        long a = gp.desc + GDescriptor.STACK_SCAN;
        long park = dev.gort.sys.RealtimeBoost.PARK_FIRST_NANOS;
        for (int spins = 0; (NativeMemory.getIntAcquire(a) & 1) != 0; spins++) {
            if (spins < 200) {
                Thread.onSpinWait();        // a scanner reads its frames: one G's worth
            } else {
                // That scanner's thread lost its CPU: yield it (park if this M was boosted late into a stop).
                park = dev.gort.sys.RealtimeBoost.yieldOrPark(park);
            }
        }
    }

    /**
     * With the world stopped (mark termination): scans g if it is not scanned in this generation,
     * whatever its status (no scanner holds a word then: they finish a G before a safepoint).
     * Returns true if it scanned.
     */
    public static boolean scanStopped(G g, Scanner v) {
        int gen = g.sched.stackScanGen;
        long a = g.desc + GDescriptor.STACK_SCAN;
        if (gen == 0 || NativeMemory.getIntAcquire(a) == gen << 1) {
            return false;
        }
        v.scan(g, null);
        NativeMemory.putIntRelease(a, gen << 1);
        return true;
    }

    /**
     * execute's half (on g0, gp about to run on mp): returns once gp's frames are scanned in the
     * active generation, scanning them here if nobody has. Called only when a generation is active.
     */
    static void beforeRun(Scheduler s, M mp, G gp) {
        int gen = s.stackScanGen;
        if (gen == 0) {
            return;
        }
        long a = gp.desc + GDescriptor.STACK_SCAN;
        int done = gen << 1;
        long park = dev.gort.sys.RealtimeBoost.PARK_FIRST_NANOS;
        for (int spins = 0;; spins++) {
            int w = NativeMemory.getIntAcquire(a);
            if (w == done) {
                return;
            }
            if ((w & 1) == 0) {
                if (NativeMemory.casInt(a, w, done | 1)) {
                    try {
                        s.stackScanner.scan(gp, mp.p);
                    } finally {
                        NativeMemory.putIntRelease(a, done);
                    }
                    s.stackScansOnRun.incrementAndGet();
                    return;
                }
            } else if (spins < 200) {
                Thread.onSpinWait();        // a scanner holds it: one G's frames
            } else {
                // That scanner's thread lost its CPU: yield it (park if this M was boosted late into a stop).
                park = dev.gort.sys.RealtimeBoost.yieldOrPark(park);
            }
        }
    }

    /** Gs scanned by execute before they ran, since the scheduler started (a statistic). */
    public static long scansOnRun(Scheduler s) {
        return s.stackScansOnRun.get();
    }

    /** Gs ever allocated (Go's len(allgs)); {@link #g} indexes them. */
    public static int allgCount(Scheduler s) {
        return s.gtable.count();
    }

    /** The G at index {@code i} of allgs ({@code 0 <= i < allgCount}). */
    public static G g(Scheduler s, int i) {
        return s.gtable.at(i);
    }
}
