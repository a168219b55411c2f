package dev.gort.sys;

import java.util.BitSet;

/**
 * The calling thread's CPU placement: pin to a CPU, read and set its affinity mask, read the CPU it
 * runs on. Linux uses sched_setaffinity/sched_getaffinity on a {@code cpu_set_t} of
 * {@code CPU_SETSIZE} bits and sched_getcpu. macOS has no affinity API (thread_policy_set's
 * affinity tags are hints between threads, not CPU binding): the setters throw
 * UnsupportedOperationException there, {@link #currentCpu()} returns -1 and {@link #mask()} the
 * online CPUs.
 */
public final class CpuAffinity {
    private CpuAffinity() {
    }

    private static final OsConstants C = Platform.current().constants();

    /** CPUs online now (sysconf _SC_NPROCESSORS_ONLN). */
    public static int onlineCpus() {
        return (int) LibC.sysconf(C._SC_NPROCESSORS_ONLN());
    }

    /** CPUs configured (sysconf _SC_NPROCESSORS_CONF). */
    public static int configuredCpus() {
        return (int) LibC.sysconf(C._SC_NPROCESSORS_CONF());
    }

    public static boolean supported() {
        return Platform.current().isLinux();
    }

    /** The calling thread's affinity mask. */
    public static BitSet mask() {
        if (!supported()) {
            BitSet all = new BitSet();
            all.set(0, onlineCpus());
            return all;
        }
        long bytes = CpuSet.LAYOUT.byteSize();
        try (CallScratch set = new CallScratch(bytes)) {
            LibC.sched_getaffinity(0, bytes, set.address);
            long[] words = new long[(int) (bytes / Long.BYTES)];
            for (int i = 0; i < words.length; i++) {
                words[i] = NativeMemory.getLong(set.address + (long) i * Long.BYTES);
            }
            return BitSet.valueOf(words);
        }
    }

    /** Sets the calling thread's affinity mask; throws NativeException (EINVAL) if no CPU in it is usable. */
    public static void setMask(BitSet cpus) {
        requireSupported("setMask");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("affinity mask must name at least one CPU");
        }
        if (cpus.length() > C.CPU_SETSIZE()) {
            throw new IllegalArgumentException("CPU " + (cpus.length() - 1) + " is beyond CPU_SETSIZE (" + C.CPU_SETSIZE()
                    + "); accepted: 0.." + (C.CPU_SETSIZE() - 1));
        }
        long bytes = CpuSet.LAYOUT.byteSize();
        try (CallScratch set = new CallScratch(bytes)) {
            long[] words = cpus.toLongArray();
            for (int i = 0; i < words.length; i++) {
                NativeMemory.putLong(set.address + (long) i * Long.BYTES, words[i]);
            }
            LibC.sched_setaffinity(0, bytes, set.address);
        }
    }

    /**
     * Pins the calling thread to {@code cpu}. A CPU number outside 0..CPU_SETSIZE-1 is an
     * IllegalArgumentException; a CPU that does not exist or is not allowed is the kernel's EINVAL,
     * as a NativeException. On failure the mask is unchanged.
     */
    public static void pin(int cpu) {
        requireSupported("pin");
        if (cpu < 0 || cpu >= C.CPU_SETSIZE()) {
            throw new IllegalArgumentException("CPU " + cpu + " out of range; accepted: 0.." + (C.CPU_SETSIZE() - 1)
                    + " (online CPUs: " + onlineCpus() + ")");
        }
        BitSet one = new BitSet();
        one.set(cpu);
        setMask(one);
    }

    /** The CPU the calling thread runs on now, or -1 where the OS cannot tell (macOS). */
    public static int currentCpu() {
        return LibC.hasSchedGetcpu() ? LibC.sched_getcpu() : -1;
    }

    /** The calling thread's kernel thread id (Linux gettid, macOS pthread_threadid_np). */
    public static long threadId() {
        return Platform.current().isLinux() ? LibC.gettid() : LibC.pthread_threadid_np();
    }

    /** A CPU set in the kernel's list form: {@code 0-3,8,10-11}; {@code (none)} when empty. */
    public static String format(BitSet cpus) {
        StringBuilder sb = new StringBuilder();
        for (int lo = cpus.nextSetBit(0); lo >= 0; ) {
            int hi = cpus.nextClearBit(lo) - 1;
            sb.append(sb.isEmpty() ? "" : ",").append(lo);
            if (hi > lo) {
                sb.append('-').append(hi);
            }
            lo = cpus.nextSetBit(hi + 1);
        }
        return sb.isEmpty() ? "(none)" : sb.toString();
    }

    private static void requireSupported(String op) {
        if (!supported()) {
            throw new UnsupportedOperationException("CpuAffinity." + op + ": CPU affinity is not supported on "
                    + Platform.current() + " (macOS has no API to bind a thread to a CPU)");
        }
    }
}
