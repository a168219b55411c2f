package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * Every P ever created, index = id (Go's allp backing array, which procresize reslices), and the
 * per-P counters summed over them. A destroyed P stays (DEAD) because an M in a syscall may still
 * hold it as its oldp, and growing again reuses it; its counters keep counting in the sums.
 * Allocated for {@link SchedConfig#MAX_PROCS} references; the Ps themselves (native block, timer
 * heap, mcache) only when first needed.
 *
 * <p>Written by the scheduler's constructor and by procresize (world stopped); read by any thread:
 * {@link #count} is volatile and written after the slot, so a reader that sees a count sees its Ps.
 */
final class AllPs {
    private final P[] ps = new P[SchedConfig.MAX_PROCS];
    /** Ps created so far (a prefix of ps). */
    private volatile int count;
    /**
     * The per-P counters (steals, stolen, created, exited, adopted: contiguous in PDescriptor)
     * summed when shutdown freed the P blocks, so the statistics stay readable after run()
     * returned; null before.
     */
    private volatile long[] countersAtExit;
    private final Scheduler s;

    AllPs(Scheduler s) {
        this.s = s;
    }

    /** Records a new P under its id (constructor, procresize). */
    void add(P p) {
        ps[p.id] = p;
        if (count <= p.id) {
            count = p.id + 1; // volatile: publishes the P to readers of get(id)
        }
    }

    /** P {@code id}, or null if none was ever created with that id. */
    P get(int id) {
        return ps[id];
    }

    /** Ps created so far: ids 0..count()-1 exist. */
    int count() {
        return count;
    }

    /** The counter at {@code offset} of every P ever created, summed (after shutdown: as it ended). */
    long sum(long offset) {
        if (countersAtExit != null) {
            return sumAtExit(offset);       // no gate round trip once the run ended
        }
        return NativeReaders.access(s, this, offset, AllPs::sumNow, AllPs::sumAtExit);   // refused: kept before the gate closed
    }

    private long sumNow(long offset) {
        long n = 0;
        int np = count;
        for (int i = 0; i < np; i++) {
            n += NativeMemory.getLongAcquire(ps[i].base + offset);
        }
        return n;
    }

    private long sumAtExit(long offset) {
        return countersAtExit[(int) ((offset - PDescriptor.STEALS) / 8)];
    }

    /**
     * Goroutines created and not yet ended, less {@code ngsys}: the per-P counters summed (Go's
     * gcount). Exact when the Ps are quiet (checkdead: every M idle, their last updates published
     * by the sched lock); otherwise a snapshot that may be off by the goroutines starting or
     * ending meanwhile.
     */
    long live(long ngsys) {
        if (countersAtExit != null) {
            return liveAtExit(ngsys);
        }
        return NativeReaders.access(s, this, ngsys, AllPs::liveNow, AllPs::liveAtExit);
    }

    private long liveNow(long ngsys) {
        long created = 0;
        long exited = 0;
        // Dead Ps too: their counters stay (a destroyed P keeps what it created and ended).
        int np = count;
        for (int i = 0; i < np; i++) {
            exited += NativeMemory.getLongAcquire(ps[i].base + PDescriptor.GEXITED);
        }
        for (int i = 0; i < np; i++) {
            created += NativeMemory.getLongAcquire(ps[i].base + PDescriptor.GCREATED);
        }
        return Math.max(0, created - exited - ngsys);
    }

    private long liveAtExit(long ngsys) {
        long c = sumAtExit(PDescriptor.GCREATED);
        long e = sumAtExit(PDescriptor.GEXITED);
        return Math.max(0, c - e - ngsys);
    }

    /**
     * Shutdown, every M joined (before the gate closes): keeps the counters' sums for readers
     * after the P blocks go. The native reads here are the shutdown thread's own.
     */
    void keepCountersAtExit() {
        long[] sums = new long[(int) ((PDescriptor.RUNNER_ADOPTED - PDescriptor.STEALS) / 8) + 1];
        for (int k = 0; k < sums.length; k++) {
            sums[k] = sum(PDescriptor.STEALS + 8L * k);
        }
        countersAtExit = sums;
    }
}
