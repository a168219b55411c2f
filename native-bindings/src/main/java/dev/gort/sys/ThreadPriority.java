package dev.gort.sys;

import java.util.Locale;

/**
 * A thread's CPU priority against the other threads of the machine, lowered by the thread itself.
 * Lowering one's own priority needs no privilege on Linux or macOS; raising it back does (on Linux
 * CAP_SYS_NICE, or an RLIMIT_NICE that allows the old nice value: the default limit of 0 allows
 * none), so a thread that lowers itself should be one that only ever does background work: the
 * collector's background sweeper and its mark worker threads, which must not hold a CPU that a
 * mutator or the stop-the-world's stopper is waiting for (Go's idle mark worker runs only on a P
 * with nothing else to do, and its background sweeper yields after every span).
 *
 * <p>Linux (per thread: {@code sched_setattr}/{@code sched_getattr} on the calling thread, tid 0):
 * <ul>
 *   <li>{@link Background#nice(int) nice N} (1..19): SCHED_OTHER with a higher nice value. Its
 *       weight falls from 1024 at nice 0 to 110 at nice 10 and 15 at nice 19, so when it and a
 *       nice-0 thread are both runnable on one CPU the nice-0 thread gets most of it, and a woken
 *       nice-0 thread's earlier virtual deadline lets it preempt.</li>
 *   <li>{@link Background#IDLE}: SCHED_IDLE, weight 3, and the kernel preempts it at once for any
 *       waking SCHED_OTHER thread (its wake-up preemption check does not ask for a deadline then).
 *       With autogroups (the default on desktop kernels and on these machines), a thread's weight
 *       counts inside its process's group: an idle-policy thread yields to the process's own
 *       threads on that CPU, not to other processes beyond the groups' fair share.</li>
 * </ul>
 * The thread's requested EEVDF slice ({@link ThreadSlice}) is kept: the attributes are read first
 * and only the policy and nice value change.
 *
 * <p>macOS has no per-thread nice value: {@code setpriority(PRIO_DARWIN_THREAD, 0, PRIO_DARWIN_BG)}
 * puts the calling thread in the background band (lower CPU priority, throttled I/O), for either
 * choice; {@link #restoreCurrent} takes it out again. The platform is chosen at run time; the macOS
 * path is written to Apple's documentation and not exercised on the Linux build machines.
 */
public final class ThreadPriority {
    private ThreadPriority() {
    }

    /** SCHED_OTHER, SCHED_BATCH and SCHED_IDLE as Linux numbers them ({@code <sched.h>}). */
    public static final int SCHED_OTHER = SchedAttr.SCHED_OTHER, SCHED_BATCH = 3, SCHED_IDLE = 5;
    /** gort's marker for a macOS thread in the background band (no Linux policy has this number). */
    public static final int DARWIN_BACKGROUND = -2;
    /** {@code PRIO_PROCESS} (both systems; on Linux with who = 0 it is the calling thread). */
    static final int PRIO_PROCESS = 0;
    /** macOS {@code <sys/resource.h>}: the calling thread's background state, and the value that sets it. */
    static final int PRIO_DARWIN_THREAD = 3, PRIO_DARWIN_BG = 0x1000;

    /** A thread's scheduling policy and nice value as the kernel reports them. */
    public record Setting(int policy, int nice) {
        public boolean isIdle() {
            return policy == SCHED_IDLE;
        }

        @Override
        public String toString() {
            return switch (policy) {
                case SCHED_OTHER -> "nice " + nice;
                case SCHED_BATCH -> "batch, nice " + nice;
                case SCHED_IDLE -> "idle";
                case DARWIN_BACKGROUND -> "background band";
                default -> "policy " + policy + ", nice " + nice;
            };
        }
    }

    /**
     * What a background thread asks for: nothing ({@link #NORMAL}), a nice value 1..19, or the
     * idle policy. Parsed from a tuning property by {@link #parse} / {@link #fromProperty}.
     */
    public record Background(int policy, int nice) {
        public static final Background NORMAL = new Background(SCHED_OTHER, 0);
        public static final Background IDLE = new Background(SCHED_IDLE, 0);

        public static Background nice(int nice) {
            if (nice < 1 || nice > 19) {
                throw new IllegalArgumentException("nice " + nice + ": accepted 1..19 (0 is 'normal')");
            }
            return new Background(SCHED_OTHER, nice);
        }

        public boolean isNormal() {
            return policy == SCHED_OTHER && nice == 0;
        }

        /**
         * {@code value} of property {@code name} (null: unset, {@code dflt}): "normal" (leave the
         * thread alone), "idle" (SCHED_IDLE) or a nice value 1..19; anything else is refused with
         * what is accepted.
         */
        public static Background parse(String name, String value, Background dflt) {
            if (value == null) {
                return dflt;
            }
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.equals("normal") || v.equals("0")) {
                return NORMAL;
            }
            if (v.equals("idle")) {
                return IDLE;
            }
            try {
                int n = Integer.parseInt(v);
                if (n >= 1 && n <= 19) {
                    return nice(n);
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw new IllegalArgumentException("-D" + name + "=" + value + " is not valid; accepted: normal, idle, or a nice value 1..19 (default "
                    + dflt + ")");
        }

        /** As {@link #parse}, but a refused value warns on stderr and gives {@code dflt} (class initializers: see {@link TuningProperty}). */
        public static Background fromProperty(String name, Background dflt) {
            try {
                return parse(name, System.getProperty(name), dflt);
            } catch (IllegalArgumentException e) {
                System.err.println("gort: warning: " + e.getMessage() + "; using the default " + dflt);
                return dflt;
            }
        }

        @Override
        public String toString() {
            return isNormal() ? "normal" : policy == SCHED_IDLE ? "idle" : String.valueOf(nice);
        }
    }

    /**
     * Lowers the calling thread to {@code b} (NORMAL: changes nothing). Returns the setting read
     * back afterwards, or null if the platform has no way to do it or the kernel refused (a seccomp
     * filter, an unknown policy): the thread then runs as before, which is always safe.
     */
    public static Setting lowerCurrent(Background b) {
        if (b.isNormal()) {
            return current();
        }
        Platform p = Platform.current();
        if (p.isMacOS()) {
            try {
                LibC.setpriority(PRIO_DARWIN_THREAD, 0, PRIO_DARWIN_BG);
            } catch (NativeException | UnsupportedOperationException e) {
                return null;
            }
            return current();
        }
        if (!p.isLinux()) {
            return null;
        }
        Setting now = current();
        if (now == null || (now.policy() != SCHED_OTHER && now.policy() != SCHED_BATCH && now.policy() != SCHED_IDLE)) {
            return null;        // a real-time thread keeps its policy
        }
        if (b.policy() == SCHED_OTHER && now.policy() == SCHED_OTHER && now.nice() >= b.nice()) {
            return now;         // already as low or lower: never raise it here
        }
        if (now.policy() == SCHED_IDLE) {
            return now;         // the lowest there is
        }
        try {
            setattr(b.policy(), b.policy() == SCHED_IDLE ? now.nice() : b.nice());
        } catch (NativeException e) {
            return null;
        }
        return current();
    }

    /**
     * Sets the calling thread back to {@code s} (as {@link #current} returned it earlier). Returns
     * false if the kernel refuses: raising one's priority needs CAP_SYS_NICE or an RLIMIT_NICE that
     * allows it (EPERM/EACCES), which unprivileged processes lack by default.
     */
    public static boolean restoreCurrent(Setting s) {
        Platform p = Platform.current();
        if (p.isMacOS()) {
            try {
                LibC.setpriority(PRIO_DARWIN_THREAD, 0, s.policy() == DARWIN_BACKGROUND ? PRIO_DARWIN_BG : 0);
                return true;
            } catch (NativeException | UnsupportedOperationException e) {
                return false;
            }
        }
        if (!p.isLinux()) {
            return false;
        }
        try {
            setattr(s.policy(), s.nice());
        } catch (NativeException e) {
            return false;
        }
        return s.equals(current());
    }

    /** The calling thread's setting; null where it cannot be read. */
    public static Setting current() {
        Platform p = Platform.current();
        if (p.isMacOS()) {
            try {
                return new Setting(LibC.getpriority(PRIO_DARWIN_THREAD, 0) == 1 ? DARWIN_BACKGROUND : SCHED_OTHER, 0);
            } catch (NativeException | UnsupportedOperationException e) {
                return null;
            }
        }
        return p.isLinux() ? of(0) : null;
    }

    /**
     * Thread {@code tid}'s setting (Linux: any thread of this process, by the id
     * {@link CpuAffinity#threadId} gave on that thread; 0 is the calling thread); null elsewhere,
     * or if the thread is gone.
     */
    public static Setting of(int tid) {
        if (!Platform.current().isLinux()) {
            return null;
        }
        try (CallScratch attr = new CallScratch(SchedAttr.LAYOUT.byteSize())) {
            long addr = attr.address;
            LibC.sched_getattr(tid, addr, (int) SchedAttr.LAYOUT.byteSize(), 0);
            return new Setting(NativeMemory.getInt(addr + SchedAttr.SCHED_POLICY), NativeMemory.getInt(addr + SchedAttr.SCHED_NICE));
        } catch (NativeException e) {
            return null;
        }
    }

    /** Linux: the calling thread to {@code policy} and {@code nice}, its other attributes (the slice) kept. */
    private static void setattr(int policy, int nice) {
        try (CallScratch attr = new CallScratch(SchedAttr.LAYOUT.byteSize())) {
            long addr = attr.address;
            LibC.sched_getattr(0, addr, (int) SchedAttr.LAYOUT.byteSize(), 0);
            NativeMemory.putInt(addr + SchedAttr.SIZE, (int) SchedAttr.LAYOUT.byteSize());
            NativeMemory.putInt(addr + SchedAttr.SCHED_POLICY, policy);
            NativeMemory.putLong(addr + SchedAttr.SCHED_FLAGS, 0);
            NativeMemory.putInt(addr + SchedAttr.SCHED_NICE, nice);
            NativeMemory.putInt(addr + SchedAttr.SCHED_PRIORITY, 0);
            LibC.sched_setattr(0, addr, 0);
        }
    }

    /** For tests and diagnostics: the calling thread's nice value from getpriority(2) (Linux: per thread). */
    public static int niceFromGetpriority() {
        return LibC.getpriority(PRIO_PROCESS, 0);
    }
}
