package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * Layout of the native G descriptor: the part of a goroutine the scheduler, sysmon and the
 * collector read without touching the Java {@link G} object.
 *
 * <pre>
 *  offset  size  field
 *  +0      8     goid          goroutine id (0 until first started)
 *  +8      4     status        GStatus (Go's numbering)
 *  +12     4     waitReason    WaitReason ordinal while WAITING
 *  +16     4     preempt       1 = preemption requested; checked at safepoints
 *  +20     4     mid           id of the M running it, -1 if none
 *  +24     8     schedlink     index + 1 of the next G in a G list (global runq, free list); 0 = end
 *  +32     8     stackLo       shadow stack base address (0 = not allocated yet)
 *  +40     4     stackSize     shadow stack size in bytes (at most SchedConfig's maxStackBytes, below 2 GiB)
 *  +44     4     stackScan     the collector's scan word for this G's frames: (cycle generation << 1) | busy
 *  +48     8     stackTop      offset from stackLo of the first free byte
 *  +56     8     topFrame      offset from stackLo of the top frame header + 1 (0 = no frame)
 *  +64           (size: one cache line; descriptors are 64-byte aligned)
 * </pre>
 * Offsets inside the shadow stack are relative to stackLo so the stack can move when it grows.
 * One line per G on purpose: a spawn, a switch and an exit touch only this line of the
 * descriptor (with 20,000 goroutines queued, every line is a cache miss). What needs no native
 * reader lives in the G object instead (its table index, the parent's goid).
 */
final class GDescriptor {
    private GDescriptor() {
    }

    static final long GOID = 0;
    static final long STATUS = 8;
    static final long WAIT_REASON = 12;
    static final long PREEMPT = 16;
    static final long MID = 20;
    static final long SCHEDLINK = 24;
    static final long STACK_LO = 32;
    static final long STACK_SIZE = 40;
    /**
     * The stack scan word (see {@link StackScans}): {@code gen << 1} once this G's frames were
     * scanned in the mark phase of generation {@code gen}, {@code gen << 1 | 1} while a scanner holds
     * them (the G must not start running then). Changed by CAS only while a mark phase is active.
     */
    static final long STACK_SCAN = 44;
    static final long STACK_TOP = 48;
    static final long TOP_FRAME = 56;
    static final long SIZE = 64;

    static long goid(long d) {
        return NativeMemory.getLong(d + GOID);
    }

    static int status(long d) {
        return NativeMemory.getIntAcquire(d + STATUS);
    }

    static void setStatus(long d, int s) {
        NativeMemory.putIntRelease(d + STATUS, s);
    }

    static boolean casStatus(long d, int from, int to) {
        return NativeMemory.casInt(d + STATUS, from, to);
    }

    static long schedlink(long d) {
        return NativeMemory.getLong(d + SCHEDLINK);
    }

    static void setSchedlink(long d, long ref) {
        NativeMemory.putLong(d + SCHEDLINK, ref);
    }
}
