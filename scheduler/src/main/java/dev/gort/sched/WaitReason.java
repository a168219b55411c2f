package dev.gort.sched;

/** Why a goroutine is parked; the strings are Go's ({@code runtime2.go waitReasonStrings}). */
public enum WaitReason {
    ZERO(""),
    GC_ASSIST_MARKING("GC assist marking"),
    IO_WAIT("IO wait"),
    CHAN_RECEIVE_NIL_CHAN("chan receive (nil chan)"),
    CHAN_SEND_NIL_CHAN("chan send (nil chan)"),
    GARBAGE_COLLECTION("garbage collection"),
    SELECT("select"),
    SELECT_NO_CASES("select (no cases)"),
    GC_ASSIST_WAIT("GC assist wait"),
    GC_SWEEP_WAIT("GC sweep wait"),
    GC_SCAVENGE_WAIT("GC scavenge wait"),
    CHAN_RECEIVE("chan receive"),
    CHAN_SEND("chan send"),
    FINALIZER_WAIT("finalizer wait"),
    FORCE_GC_IDLE("force gc (idle)"),
    SEMACQUIRE("semacquire"),
    SLEEP("sleep"),
    SYNC_COND_WAIT("sync.Cond.Wait"),
    SYNC_MUTEX_LOCK("sync.Mutex.Lock"),
    SYNC_RWMUTEX_RLOCK("sync.RWMutex.RLock"),
    SYNC_RWMUTEX_LOCK("sync.RWMutex.Lock"),
    WAIT_FOR_GC_CYCLE("wait for GC cycle"),
    GC_WORKER_IDLE("GC worker (idle)"),
    GC_WORKER_ACTIVE("GC worker (active)"),
    PREEMPTED("preempted"),
    SYNC_WAITGROUP_WAIT("sync.WaitGroup.Wait");

    private static final WaitReason[] VALUES = values();

    private final String text;

    WaitReason(String text) {
        this.text = text;
    }

    /** Go's text for this reason, as printed in goroutine dumps and scheddetail. */
    public String text() {
        return text;
    }

    static WaitReason of(int ordinal) {
        return ordinal >= 0 && ordinal < VALUES.length ? VALUES[ordinal] : ZERO;
    }
}
