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
 *       (WAITING or RUNNABLE) with a CAS of its word to busy, re-reads the status, and scans its
 *       frames; a RUNNING or SYSCALL G is released unscanned (its frames may be changing);</li>
 *   <li>{@link Scheduler}'s execute (and the two places a locked G resumes on its own M, and
 *       adoptNext, where a runner continuation starts a fresh G) calls {@link #beforeRun} before a
 *       G starts running; any new place that sets a G RUNNING must call it too: if the word is not this generation's it claims
 *       it and scans the G on g0, where the G is at a safepoint; if a scanner holds it, it waits
 *       (one G's frames: microseconds);</li>
 *   <li>with the world stopped at mark termination, the collector scans whatever is still not
 *       this generation's ({@link #scanStopped}): Gs that sat in a syscall or ran the whole phase.</li>
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
        if (st != GStatus.WAITING && st != GStatus.RUNNABLE) {
            return false;                   // cheap filter; the check that counts is after the claim
        }
        if (!NativeMemory.casInt(a, w, done | 1)) {
            return false;
        }
        // Claimed (a full fence): a G that was not running cannot start now (beforeRun waits), and
        // one that is running or in a syscall shows it in the status read after the claim.
        st = GDescriptor.status(g.desc);
        if (st != GStatus.WAITING && st != GStatus.RUNNABLE) {
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
                Thread.yield();             // that scanner's thread lost its CPU
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
