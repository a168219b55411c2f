package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One thread's switch between its own scheduling attributes and a real-time policy (Linux
 * SCHED_FIFO at a fixed priority), for a short stretch during which every microsecond it waits for
 * a CPU is someone else's wait: the collector's stop-the-world coordinator from its stop request to
 * its restart. A SCHED_FIFO thread that wakes preempts any SCHED_OTHER thread on the CPU it is
 * placed on at once, where a normal thread waits for the running one's slice or the next tick
 * (1-4 ms here), and while it runs no SCHED_OTHER thread (a JIT compiler thread, another process)
 * can take its CPU away.
 *
 * <p>Raising a thread to a real-time policy needs privilege: CAP_SYS_NICE, or an RLIMIT_RTPRIO at
 * least the priority asked for (0 by default, so an unprivileged process is refused with EPERM).
 * {@link #forCurrentThread} tries the switch once both ways and throws the kernel's refusal, so a
 * caller finds out at start-up, not in its first pause, and runs unboosted. The kernel's real-time
 * throttling (sched_rt_runtime_us, 0.95 s of each second by default) bounds what a runaway boosted
 * thread could take; the holder still must keep each boosted stretch short: while it runs, the
 * normal threads of its CPU do not.
 *
 * <p>Each switch is one sched_setattr system call on attributes prepared in native memory at
 * creation (no allocation per switch). The thread's normal attributes (policy, nice value, EEVDF
 * slice) are read once at creation and written back by {@link #lower}: a change made to the thread
 * meanwhile by other code is undone. Linux only; macOS has no per-thread real-time policy reachable
 * without Mach calls, and {@link #forCurrentThread} refuses there.
 */
public final class RealtimeBoost {
    /** SCHED_FIFO as Linux numbers it ({@code <sched.h>}). */
    public static final int SCHED_FIFO = 1;
    /**
     * sched_attr's SCHED_FLAG_RESET_ON_FORK: a thread created by a boosted one starts at
     * SCHED_OTHER instead of inheriting the real-time policy (the JVM creates threads with the
     * creator's policy) and staying there, since only its creator's boost is ever lowered.
     */
    public static final long SCHED_FLAG_RESET_ON_FORK = 0x01;
    /** The static priorities Linux accepts for SCHED_FIFO. */
    public static final int MIN_PRIORITY = 1, MAX_PRIORITY = 99;

    private final Thread owner;
    private final int priority;
    /** sched_attr for the boosted state, and the thread's own as read at creation (native, kept alive by {@code arena}). */
    private final long boostedAttr, normalAttr;
    @SuppressWarnings("unused")
    private final Arena arena;
    private boolean raised;
    /** The {@link #RAISED} slot this boost's owner holds while raised, or -1 (owner only). */
    private int raisedSlot = -1;

    /** How many threads the registry ({@link #currentThreadRaised}) can know raised at once. */
    public static final int RAISED_SLOTS = 16;

    /**
     * The threads raised by a boost now, one per slot (null: free), so that a lock's waiter can
     * ask {@link #currentThreadRaised} whether it runs at SCHED_FIFO (the scheduler's runtime locks
     * and the world's stop: a real-time waiter must park, never only spin or yield, see RtLock).
     * Fixed slots, claimed by CAS at {@link #raise} / {@link #markRaised} and cleared by CAS at
     * {@link #lower} / {@link #unmarkRaised}: no allocation per switch.
     *
     * <p>Invariants: a slot holds a thread only between its mark and its unmark, or until the
     * thread has ended (a thread that dies raised cannot be lowered by anyone: its slot is
     * reclaimed, see {@link #sweepEndedThreads}); a live thread's slot is never taken by another
     * (only a slot holding null or an ended thread is claimed), so an unmark that finds its slot
     * holding another thread knows its own ended and was reclaimed (thread objects are never
     * revived, so there is no ABA); {@link #RAISED_COUNT} is the number of non-null slots, give
     * or take the updates in flight (a reclaim replaces one occupant: no change).
     */
    private static final java.util.concurrent.atomic.AtomicReferenceArray<Thread> RAISED =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(RAISED_SLOTS);
    /** Slots in use now: {@link #currentThreadRaised} answers false with one read when none is. */
    private static final java.util.concurrent.atomic.AtomicInteger RAISED_COUNT = new java.util.concurrent.atomic.AtomicInteger();
    /** Marks refused because every slot held a live thread ({@link #registryFullRefusals}); the first warns. */
    private static final java.util.concurrent.atomic.AtomicLong FULL_REFUSALS = new java.util.concurrent.atomic.AtomicLong();

    private RealtimeBoost(Thread owner, int priority, Arena arena, long boostedAttr, long normalAttr) {
        this.owner = owner;
        this.priority = priority;
        this.arena = arena;
        this.boostedAttr = boostedAttr;
        this.normalAttr = normalAttr;
    }

    /**
     * A boost for the calling thread at SCHED_FIFO {@code priority} (1..99). Tries it once (raise,
     * then lower) so a refusal shows now: throws {@link NativeException} with the kernel's errno
     * (EPERM: no CAP_SYS_NICE and RLIMIT_RTPRIO below {@code priority}) and
     * UnsupportedOperationException off Linux; the thread's attributes are as before either way.
     */
    public static RealtimeBoost forCurrentThread(int priority) {
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("real-time priority " + priority + ": accepted " + MIN_PRIORITY + ".." + MAX_PRIORITY);
        }
        if (!Platform.current().isLinux()) {
            throw new UnsupportedOperationException("a real-time boost needs Linux's SCHED_FIFO (running on " + Platform.current() + ")");
        }
        int size = (int) SchedAttr.LAYOUT.byteSize();
        Arena arena = Arena.ofAuto();
        MemorySegment normal = arena.allocate(SchedAttr.LAYOUT);
        MemorySegment boosted = arena.allocate(SchedAttr.LAYOUT);
        LibC.sched_getattr(0, normal.address(), size, 0);
        NativeMemory.putInt(normal.address() + SchedAttr.SIZE, size);
        NativeMemory.putLong(normal.address() + SchedAttr.SCHED_FLAGS, 0);
        NativeMemory.putInt(boosted.address() + SchedAttr.SIZE, size);
        NativeMemory.putLong(boosted.address() + SchedAttr.SCHED_FLAGS, SCHED_FLAG_RESET_ON_FORK);
        NativeMemory.putInt(boosted.address() + SchedAttr.SCHED_POLICY, SCHED_FIFO);
        NativeMemory.putInt(boosted.address() + SchedAttr.SCHED_PRIORITY, priority);
        RealtimeBoost b = new RealtimeBoost(Thread.currentThread(), priority, arena, boosted.address(), normal.address());
        LibC.sched_setattr(0, b.boostedAttr, 0);          // throws the refusal; the registry is not involved
        restore(0, b.normalAttr);
        return b;
    }

    /**
     * Switches the owner thread to SCHED_FIFO at this boost's priority (owner only; one system call)
     * and records it raised ({@link #currentThreadRaised}), so its waits park. Returns false, the
     * thread left as it was, if the registry is full ({@link #RAISED_SLOTS} live raised threads,
     * warned once): a real-time thread its waits did not know about would yield in them, which
     * lets no normal lock holder on its CPU run (a spin at SCHED_FIFO), so it is not raised
     * unregistered. A kernel refusal throws {@link NativeException}, the thread unchanged.
     */
    public boolean raise() {
        checkOwner();
        if (raisedSlot < 0) {
            int slot = markRaised(owner);       // before the switch: its waits know at once
            if (slot < 0) {
                return false;
            }
            try {
                LibC.sched_setattr(0, boostedAttr, 0);
            } catch (RuntimeException | Error e) {
                unmarkRaised(slot, owner);
                throw e;
            }
            raisedSlot = slot;
        } else {
            LibC.sched_setattr(0, boostedAttr, 0);
        }
        raised = true;
        return true;
    }

    /** Puts the owner thread back to the attributes it had at creation (owner only; one system call). */
    public void lower() {
        checkOwner();
        restore(0, normalAttr);         // throws if the kernel refuses: the thread is still raised, and still marked
        raised = false;
        unmarkRaised(raisedSlot, owner);    // after the switch: a SCHED_FIFO thread its waits did not know about would yield
        raisedSlot = -1;
    }

    /**
     * Records {@code t} as raised to SCHED_FIFO by someone else (the world's stop boosting a late M
     * by its tid), so its waits park ({@link #currentThreadRaised}). Returns the slot for
     * {@link #unmarkRaised}, or -1 if every slot holds a live thread: the caller must then not
     * raise it (its waits would yield at SCHED_FIFO); the first such refusal warns on stderr,
     * {@link #registryFullRefusals} counts them all. A slot whose thread ended while marked (no
     * one lowers a dead thread) is taken over. Allocates nothing.
     */
    public static int markRaised(Thread t) {
        if (t == null) {
            throw new IllegalArgumentException("RealtimeBoost.markRaised(null): a thread raised to SCHED_FIFO is needed");
        }
        for (int i = 0; i < RAISED_SLOTS; i++) {
            if (RAISED.get(i) == null && RAISED.compareAndSet(i, null, t)) {
                RAISED_COUNT.incrementAndGet();
                return i;
            }
        }
        for (int i = 0; i < RAISED_SLOTS; i++) {
            Thread held = RAISED.get(i);
            if (held != null && !held.isAlive() && RAISED.compareAndSet(i, held, t)) {
                return i;           // an ended thread's slot: one occupant for another, the count unchanged
            }
        }
        if (FULL_REFUSALS.getAndIncrement() == 0) {
            System.err.println("gort: warning: the real-time boost's registry is full (" + RAISED_SLOTS + " live threads raised to "
                    + "SCHED_FIFO at once): " + t.getName() + " is not recorded raised, so no boost is made while it stays full (a "
                    + "RealtimeBoost, a TidBoost: the late mutators and Ms, the world lock's owner), since a real-time thread its "
                    + "waits did not know about would keep a normal lock holder on its CPU from running; not reported again");
        }
        return -1;
    }

    /**
     * Ends {@code t}'s {@link #markRaised} in {@code slot} (slot -1: nothing). If the slot no
     * longer holds {@code t} because t ended and its slot was taken over or swept, there is
     * nothing to end; any other slot, or a live thread the slot does not hold (never marked
     * there, or ended twice), is refused, naming what is accepted. Also frees the slots of
     * threads that ended while marked, so that a thread which died raised does not keep
     * {@link #currentThreadRaised} off its one-read answer for good.
     */
    public static void unmarkRaised(int slot, Thread t) {
        if (slot == -1) {
            return;
        }
        if (slot < -1 || slot >= RAISED_SLOTS || t == null) {
            throw new IllegalArgumentException("RealtimeBoost.unmarkRaised(" + slot + ", " + t + "): accepted: -1 (nothing), or a slot "
                    + "0.." + (RAISED_SLOTS - 1) + " a markRaised of that thread returned and no unmarkRaised has ended");
        }
        if (RAISED.compareAndSet(slot, t, null)) {
            RAISED_COUNT.decrementAndGet();
        } else if (t.isAlive()) {
            throw new IllegalArgumentException("RealtimeBoost.unmarkRaised(" + slot + ", " + t.getName() + "): that slot does not hold "
                    + "this live thread (never marked there, or ended already); accepted: a slot a markRaised of that thread returned "
                    + "and no unmarkRaised has ended, or -1 (nothing)");
        }
        if (RAISED_COUNT.get() != 0) {
            sweepEndedThreads();
        }
    }

    /** Frees every slot whose thread has ended (see {@link #RAISED}); off the hot path: marks and unmarks. */
    private static void sweepEndedThreads() {
        for (int i = 0; i < RAISED_SLOTS; i++) {
            Thread held = RAISED.get(i);
            if (held != null && !held.isAlive() && RAISED.compareAndSet(i, held, null)) {
                RAISED_COUNT.decrementAndGet();
            }
        }
    }

    /** Marks refused so far because the registry was full ({@link #markRaised} returned -1). */
    public static long registryFullRefusals() {
        return FULL_REFUSALS.get();
    }

    /** Slots in use now (ended threads' slots included until swept); diagnostics and tests. */
    public static int raisedCount() {
        return RAISED_COUNT.get();
    }

    /** {@link #parkRaised}'s first park and the bound its doubling reaches (nanoseconds). */
    public static final long PARK_FIRST_NANOS = 20_000, PARK_MAX_NANOS = 500_000;

    /**
     * The turn of a spin-then-yield wait past its spins: {@code Thread.yield()} for a normal
     * thread, as such waits always did; for a thread raised to SCHED_FIFO ({@link #currentThreadRaised})
     * {@link #parkRaised} instead, since its yield lets no normal thread of its CPU (the holder it
     * waits for) run. Returns the next turn's park. No allocation.
     */
    public static long yieldOrPark(long park) {
        if (!currentThreadRaised()) {
            Thread.yield();
            return park;
        }
        return parkRaised(park);
    }

    /**
     * One turn of a real-time waiter's wait for a normal holder (the scheduler's runtime locks,
     * the world's lock, the collector's store gate: a SCHED_FIFO thread must park there, never
     * spin or yield): parks {@code park} nanoseconds, which gives its CPU to whatever waits there,
     * and returns the next turn's park ({@link #PARK_FIRST_NANOS} to start, doubling to
     * {@link #PARK_MAX_NANOS}). The holder does not wake it (the locks keep no waiter list), so a
     * release is seen at most one park late. A pending interrupt (a goroutine may interrupt its
     * carrier M) would end every park at once, a spin at SCHED_FIFO: it is cleared for the turn
     * and set again after it. Setting it also leaves a park permit, so such a turn parks twice:
     * the first takes the permit (at once; a whole park if the permit was used already), the
     * second waits. No allocation.
     */
    public static long parkRaised(long park) {
        boolean interrupted = Thread.interrupted();
        if (interrupted) {
            java.util.concurrent.locks.LockSupport.parkNanos(park);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(park);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return Math.min(2 * park, PARK_MAX_NANOS);
    }

    /**
     * Whether the calling thread is raised by a boost now (between its {@link #raise} and
     * {@link #lower}). For waits that must not keep a normal lock holder off the caller's CPU: a
     * SCHED_FIFO thread's {@code Thread.yield} only lets other real-time threads run. One volatile
     * read when no thread is raised; no allocation.
     */
    public static boolean currentThreadRaised() {
        if (RAISED_COUNT.get() == 0) {
            return false;
        }
        Thread t = Thread.currentThread();
        for (int i = 0; i < RAISED_SLOTS; i++) {
            if (RAISED.get(i) == t) {
                return true;
            }
        }
        return false;
    }

    /**
     * Thread {@code tid} (0: the caller) back to the attributes at {@code attr} (flags 0) after a
     * boost with {@link #SCHED_FLAG_RESET_ON_FORK}. Clearing that flag needs CAP_SYS_NICE; a thread
     * allowed SCHED_FIFO by RLIMIT_RTPRIO alone is refused (EPERM), and then goes back with the
     * flag kept: its policy and nice value are its own again, and a thread it creates starts at
     * SCHED_OTHER and nice >= 0 (what the flag does), instead of staying real-time.
     */
    public static void restore(int tid, long attr) {
        try {
            LibC.sched_setattr(tid, attr, 0);
        } catch (NativeException e) {
            if (!"EPERM".equals(e.errnoName())) {
                throw e;
            }
            NativeMemory.putLong(attr + SchedAttr.SCHED_FLAGS, SCHED_FLAG_RESET_ON_FORK);
            try {
                LibC.sched_setattr(tid, attr, 0);
            } finally {
                NativeMemory.putLong(attr + SchedAttr.SCHED_FLAGS, 0);
            }
        }
    }

    /** Whether the last switch was {@link #raise} (owner only). */
    public boolean raised() {
        return raised;
    }

    public int priority() {
        return priority;
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a real-time boost switches only its own thread " + owner.getName()
                    + ", called on " + Thread.currentThread().getName());
        }
    }

    /**
     * The property {@code name} as a SCHED_FIFO priority: 0 (off, the default when unset) or
     * 1..99; a malformed or out-of-range value is refused with a warning naming what is accepted,
     * and 0 is used (see {@link TuningProperty}).
     */
    public static int priorityFromProperty(String name) {
        String value = System.getProperty(name);
        try {
            return parsePriority(name, value);
        } catch (IllegalArgumentException e) {
            System.err.println("gort: warning: " + e.getMessage() + "; using 0 (off)");
            return 0;
        }
    }

    /** {@code value} (null: unset, 0) as 0 or a priority 1..99, or an error naming what is accepted. */
    public static int parsePriority(String name, String value) {
        if (value == null) {
            return 0;
        }
        int v;
        try {
            v = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (v < 0 || v > MAX_PRIORITY) {
            throw new IllegalArgumentException("-D" + name + "=" + value + " is not valid; accepted: 0 (off, the default) or a SCHED_FIFO priority "
                    + MIN_PRIORITY + ".." + MAX_PRIORITY);
        }
        return v;
    }
}
