package dev.gort.sys;


/**
 * The calling thread's requested CPU slice under Linux's EEVDF scheduler (6.12 and later):
 * sched_setattr with SCHED_OTHER and {@code sched_runtime} as the slice, no privilege needed. A
 * thread that sleeps most of the time and must run at once when woken (the collector's
 * stop-the-world coordinator: the last mutator to stop wakes it, and every microsecond it waits
 * for a CPU is pause) asks for a short slice, so the kernel lets it preempt a CPU-bound thread on
 * wake-up instead of queueing it behind that thread's default ~3 ms slice. It does not raise the
 * thread's share of the CPU: EEVDF stays fair in the long run.
 *
 * <p>Not available on macOS and older Linux kernels: {@link #request} then returns false and
 * changes nothing.
 */
public final class ThreadSlice {
    private ThreadSlice() {
    }

    /** The range Linux accepts for a requested slice (it clamps outside it). */
    public static final long MIN_NANOS = 100_000, MAX_NANOS = 100_000_000;

    /**
     * The slice a {@code -Dname=N} setting asks for, in nanoseconds: N microseconds, 0 (the default,
     * also when unset) meaning "keep the kernel's slice". Anything else (below 100, above 100000,
     * not a number) is refused with a warning on stderr that names the value and what is accepted,
     * and reads as 0, so a bad setting never stops the runtime. {@code zeroMeans} says what 0 does
     * for this setting, for the warning ("off", "the kernel's slice").
     */
    public static long fromProperty(String name, String zeroMeans) {
        long n = TuningProperty.microsAsNanos(name, 0, 0, MAX_NANOS / 1000);
        if (n != 0 && n < MIN_NANOS) {
            System.err.println("gort: warning: -D" + name + "=" + n / 1000 + " is not valid; accepted: 0 (" + zeroMeans + ") or "
                    + MIN_NANOS / 1000 + ".." + MAX_NANOS / 1000 + "; using 0");
            return 0;
        }
        return n;
    }

    /**
     * Requests a slice of {@code nanos} for the calling thread, keeping its nice value. Returns
     * whether the kernel took it (read back), false on macOS and on kernels without custom slices.
     */
    public static boolean request(long nanos) {
        if (nanos < MIN_NANOS || nanos > MAX_NANOS) {
            throw new IllegalArgumentException("slice of " + nanos + " ns: accepted " + MIN_NANOS + ".." + MAX_NANOS
                    + " ns (Linux's range for a requested EEVDF slice)");
        }
        if (!Platform.current().isLinux()) {
            return false;
        }
        try (CallScratch attr = new CallScratch(SchedAttr.LAYOUT.byteSize())) {
            long p = attr.address;
            try {
                // Read first, so the thread's nice value is written back unchanged: the slice is
                // one of the parameters SCHED_FLAG_KEEP_PARAMS would keep, so that flag cannot be used.
                LibC.sched_getattr(0, p, (int) SchedAttr.LAYOUT.byteSize(), 0);
                if (NativeMemory.getInt(p + SchedAttr.SCHED_POLICY) != SchedAttr.SCHED_OTHER) {
                    return false;       // a real-time or batch thread keeps its policy
                }
                NativeMemory.putInt(p + SchedAttr.SIZE, (int) SchedAttr.LAYOUT.byteSize());
                NativeMemory.putLong(p + SchedAttr.SCHED_FLAGS, 0);
                NativeMemory.putLong(p + SchedAttr.SCHED_RUNTIME, nanos);
                LibC.sched_setattr(0, p, 0);
            } catch (NativeException e) {
                return false;           // e.g. a seccomp filter or an old kernel refusing the size
            }
        }
        return current() == nanos;      // older kernels ignore sched_runtime for SCHED_OTHER
    }

    /**
     * The slice the kernel applies to the calling thread in nanoseconds (its requested one, or the
     * default base slice: 1.4 ms was read on these machines' 6.18 kernel); 0 on macOS and on
     * kernels that do not report one.
     */
    public static long current() {
        if (!Platform.current().isLinux()) {
            return 0;
        }
        try (CallScratch attr = new CallScratch(SchedAttr.LAYOUT.byteSize())) {
            LibC.sched_getattr(0, attr.address, (int) SchedAttr.LAYOUT.byteSize(), 0);
            return NativeMemory.getLong(attr.address + SchedAttr.SCHED_RUNTIME);
        } catch (NativeException e) {
            return 0;
        }
    }
}
