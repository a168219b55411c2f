package dev.gort.sched;

/**
 * Layout of a P's native block: its run queue (Go's {@code runq [256]guintptr}, {@code runqhead},
 * {@code runqtail}, {@code runnext}) and the counters sysmon and schedtrace read.
 *
 * <pre>
 *  offset  size        field
 *  +0      8           runqhead     consumers (owner and thieves) advance it with CAS
 *  +64     8           runqtail     only the owner writes it, with a release store
 *  +128    8           runnext      G ref (index+1) to run next, 0 = none; CAS
 *  +136    4           status       PStatus; CAS between SYSCALL and IDLE/RUNNING/GCSTOP
 *  +140    4           id
 *  +144    8           schedtick    incremented on every schedule (not on inherited time)
 *  +152    8           syscalltick  incremented on every syscall exit / retake
 *  +160    8           syscallwhen  System.nanoTime() at the last entersyscall
 *  +168    8           schedwhen    (reserved, 0: slices are timed by sysmon from schedtick)
 *  +176    8           goidcache    next goid to hand out (Go's goidcache)
 *  +184    8           goidcacheend end of the cached goid batch
 *  +192    8           gfreeHead    G ref of the first free G (linked through schedlink)
 *  +200    8           gfreeCount
 *  +208    8           steals       Gs this P took from other Ps (statistics)
 *  +216    8           stolen       Gs other Ps took from this P (statistics)
 *  +224    8           gcreated     goroutines created on this P (owner-only plain stores)
 *  +232    8           gexited      goroutines that ended on this P (owner-only plain stores)
 *  +240    8           runnerAdopted fresh goroutines a runner started in a finished one's
 *                                    continuation (Scheduler.adoptNext; owner-only plain stores)
 *  +256    256 x 8     runq ring    G refs; slot = index mod 256
 *  +2304               (size)
 * </pre>
 * head and tail sit on separate cache lines: thieves hammer the head, the owner the tail.
 * Indices are 64-bit and never wrap in practice; {@code tail - head} is the length.
 */
final class PDescriptor {
    private PDescriptor() {
    }

    static final int RUNQ_SIZE = 256;
    static final long RUNQ_HEAD = 0;
    static final long RUNQ_TAIL = 64;
    static final long RUNNEXT = 128;
    static final long STATUS = 136;
    static final long ID = 140;
    static final long SCHEDTICK = 144;
    static final long SYSCALLTICK = 152;
    static final long SYSCALLWHEN = 160;
    static final long SCHEDWHEN = 168;
    static final long GOIDCACHE = 176;
    static final long GOIDCACHEEND = 184;
    static final long GFREE_HEAD = 192;
    static final long GFREE_COUNT = 200;
    // STEALS .. RUNNER_ADOPTED are contiguous: AllPs snapshots them by index at shutdown.
    static final long STEALS = 208;
    static final long STOLEN = 216;
    static final long GCREATED = 224;
    static final long GEXITED = 232;
    static final long RUNNER_ADOPTED = 240;
    static final long RUNQ = 256;
    static final long SIZE = RUNQ + RUNQ_SIZE * 8L;
}
