package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Raw libc downcalls. Names and parameter order are the C functions' (hand-written to match what
 * {@code jextract.sh} would generate from {@code src/main/c/gort_sys.h}).
 *
 * <p>Conventions:
 * <ul>
 * <li>C pointers are passed and returned as {@code long} (JAVA_LONG in the descriptor): on the
 *     LP64 ABIs gort supports a pointer and a long travel in the same integer register, and a
 *     {@code long} costs no MemorySegment allocation on the hot path.</li>
 * <li>Calls that can fail capture errno with {@code captureCallState("errno")} into a per-thread
 *     buffer (per M: never a shared static one) and throw {@link NativeException} naming the call,
 *     its arguments and errno. Each wrapper checks its call's result right after it.
 *     Exceptions: the memory calls (mmap, munmap, mprotect, madvise, mincore; every scavenger
 *     release) and the clock reads are called without capture (a capturing call allocates a
 *     MemorySegment per call until C2 compiles its caller) and repeat a failed call through a capturing handle
 *     (see the comment at the memory calls' repeats for why repeating each is harmless).</li>
 * <li>Short calls (bounded work in the kernel) use {@code critical(false)}: no thread-state
 *     transition, about 2.5x cheaper. madvise and mincore have both forms and pick the critical one
 *     only for ranges up to {@link #SHORT_CALL_BYTES}, since a critical call delays JVM safepoints.</li>
 * <li>A function the OS lacks (sched_getcpu on macOS) has a null handle and throws
 *     UnsupportedOperationException naming it and the platform.</li>
 * <li>Linking a downcall of a new signature costs ~0.4 MiB of Java garbage and a few ms (the JDK
 *     generates a class and LambdaForms per signature; same-signature handles share them), and
 *     start-up's garbage becomes host-JVM collections that stop the mutator. So the calls an
 *     ordinary run makes are linked at class initialisation (before the first pause can need one),
 *     and the rest (residency queries, affinity, priorities, strerror, the errno repeats of
 *     clock_gettime and getrusage) are linked at first use, each in a holder class whose static
 *     final handle the JIT still treats as a constant.</li>
 * </ul>
 */
public final class LibC {
    private LibC() {
    }

    /** Ranges up to this size take the critical (no thread-state transition) madvise/mincore. */
    public static final long SHORT_CALL_BYTES = 2L << 20;

    private static final Platform PLATFORM = Platform.current();
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final CarrierLocal<MemorySegment> CAPTURE =
            new CarrierLocal<>(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static final boolean ERRNO_CAPTURED = true;
    private static final boolean NO_ERRNO = false;
    private static final boolean CRITICAL = true;
    private static final boolean NOT_CRITICAL = false;
    // Before the handles: handle() counts into it during this class's initialisation.
    /** Downcall handles linked so far (tests: which calls are linked eagerly); holder classes may link concurrently. */
    private static final java.util.concurrent.atomic.AtomicInteger LINKED = new java.util.concurrent.atomic.AtomicInteger();

    // The memory calls (mmap, munmap, mprotect, madvise, mincore) are called without errno capture
    // and a call that returned -1 is repeated once through a capturing handle (linked at the first
    // failure) to learn errno; see memoryCallFailed. A capturing downcall allocates a MemorySegment
    // per call until C2 compiles its caller (the JDK slices the capture buffer,
    // SharedUtils.checkCaptureSegment): 40 bytes per madvise of every scavenger release
    // (DowncallAllocationTest).
    // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
    private static final MethodHandle MMAP = handle("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), NO_ERRNO, NOT_CRITICAL);
    private static final class MmapErrnoLink {   // linked at the first failed call
        static final MethodHandle H = handle("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_CAPTURED, NOT_CRITICAL);
    }
    // int munmap(void *addr, size_t length)
    private static final MethodHandle MUNMAP = handle("munmap",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), NO_ERRNO, NOT_CRITICAL);
    private static final class MunmapErrnoLink {   // linked at the first failed call
        static final MethodHandle H = handle("munmap",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_CAPTURED, NOT_CRITICAL);
    }
    // int mprotect(void *addr, size_t len, int prot)
    private static final MethodHandle MPROTECT = handle("mprotect",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), NO_ERRNO, NOT_CRITICAL);
    private static final class MprotectErrnoLink {   // linked at the first failed call
        static final MethodHandle H = handle("mprotect",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), ERRNO_CAPTURED, NOT_CRITICAL);
    }
    // int madvise(void *addr, size_t length, int advice)
    static final MethodHandle MADVISE = handle("madvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), NO_ERRNO, NOT_CRITICAL);
    private static final MethodHandle MADVISE_SHORT = handle("madvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), NO_ERRNO, CRITICAL);
    private static final class MadviseErrnoLink {   // linked at the first failed call
        static final MethodHandle H = handle("madvise",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), ERRNO_CAPTURED, NOT_CRITICAL);
    }
    // int mincore(void *addr, size_t length, unsigned char *vec)
    private static final class MincoreLink {   // linked at first use (residency queries: tests, diagnostics)
        static final MethodHandle H = handle("mincore",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), NO_ERRNO, NOT_CRITICAL);
    }
    private static final class MincoreShortLink {   // linked at first use
        static final MethodHandle H = handle("mincore",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), NO_ERRNO, CRITICAL);
    }
    private static final class MincoreErrnoLink {   // linked at the first failed call
        static final MethodHandle H = handle("mincore",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), ERRNO_CAPTURED, NOT_CRITICAL);
    }
    // long sysconf(int name)
    private static final MethodHandle SYSCONF = handle("sysconf",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT), ERRNO_CAPTURED, CRITICAL);
    // int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)   (Linux)
    private static final class SchedSetaffinityLink {   // linked at first use (CpuAffinity: opt-in pinning)
        static final MethodHandle H = handle("sched_setaffinity",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_CAPTURED, NOT_CRITICAL);
    }
    // int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)   (Linux)
    private static final class SchedGetaffinityLink {   // linked at first use
        static final MethodHandle H = handle("sched_getaffinity",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_CAPTURED, CRITICAL);
    }
    // int sched_getcpu(void)   (Linux; reads the vDSO/rseq, never blocks)
    private static final MethodHandle SCHED_GETCPU = handle("sched_getcpu",
            FunctionDescriptor.of(JAVA_INT), NO_ERRNO, CRITICAL);
    private static final MethodHandle SCHED_GETCPU_NONCRITICAL = handle("sched_getcpu",
            FunctionDescriptor.of(JAVA_INT), NO_ERRNO, NOT_CRITICAL);
    // pid_t gettid(void)   (Linux, glibc >= 2.30)
    private static final MethodHandle GETTID = handle("gettid",
            FunctionDescriptor.of(JAVA_INT), NO_ERRNO, CRITICAL);
    // int pthread_threadid_np(pthread_t thread, uint64_t *thread_id)   (macOS)
    private static final MethodHandle PTHREAD_THREADID_NP = handle("pthread_threadid_np",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), NO_ERRNO, CRITICAL);
    // pid_t getpid(void)
    private static final MethodHandle GETPID = handle("getpid",
            FunctionDescriptor.of(JAVA_INT), NO_ERRNO, CRITICAL);
    // int getrusage(int who, struct rusage *usage)
    static final MethodHandle GETRUSAGE = handle("getrusage",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), NO_ERRNO, CRITICAL);   // errno: see CLOCK_GETTIME
    private static final class GetrusageErrnoLink {   // linked at the first failed call
        static final MethodHandle H = handle("getrusage",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_CAPTURED, CRITICAL);
    }
    // int setpriority(int which, id_t who, int prio)   (ThreadPriority: macOS's per-thread background band)
    private static final class SetpriorityLink {   // linked at first use (macOS thread bands, tests)
        static final MethodHandle H = handle("setpriority",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_CAPTURED, NOT_CRITICAL);
    }
    // int getpriority(int which, id_t who)   (-1 is a valid nice value: errors are told by errno, see getpriority)
    private static final class GetpriorityLink {   // linked at first use
        static final MethodHandle H = handle("getpriority",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_CAPTURED, CRITICAL);
    }
    // long syscall(long number, ...)   (Linux: sched_setattr/sched_getattr, which glibc < 2.41 does
    // not wrap; glibc's syscall reads every variadic argument as a long, so all are passed as longs)
    private static final MethodHandle SYSCALL3 = variadicHandle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SYSCALL4 = variadicHandle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    // int clock_gettime(clockid_t clockid, struct timespec *tp)
    // clock_gettime and getrusage run per pause step, per assist and throughout the pause-path
    // warm-ups, and an errno-capturing call makes a MemorySegment per call (the JDK slices the
    // capture buffer) until C2 compiles its caller: ~2 MiB of Java garbage on the coordinator in
    // start-up's warm-up. So they are called without capture, and only a call that returned -1 is
    // repeated through a capturing handle (linked then) to learn errno: both calls only read, and
    // their errors (EINVAL, EFAULT, ENOSYS) come from the arguments, so the repeat fails the same way;
    // a repeat that succeeds anyway is the call's result (LibCErrnoRepeatTest).
    static final MethodHandle CLOCK_GETTIME = handle("clock_gettime",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), NO_ERRNO, CRITICAL);
    private static final class ClockGettimeErrnoLink {   // linked at the first failed call
        static final MethodHandle H = handle("clock_gettime",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_CAPTURED, CRITICAL);
    }
    // char *strerror(int errnum)
    private static final class StrerrorLink {   // linked at first use (error messages)
        static final MethodHandle H = handle("strerror",
                FunctionDescriptor.of(ADDRESS, JAVA_INT), NO_ERRNO, NOT_CRITICAL);
    }
    // void *malloc(size_t size) / void free(void *ptr): peers for benchmarks and scratch buffers
    private static final MethodHandle MALLOC = handle("malloc",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG), NO_ERRNO, CRITICAL);
    private static final MethodHandle FREE = handle("free",
            FunctionDescriptor.ofVoid(JAVA_LONG), NO_ERRNO, CRITICAL);

    static int linkedHandles() {
        return LINKED.get();
    }

    static MethodHandle handle(String name, FunctionDescriptor descriptor, boolean captureErrno, boolean critical) {
        MemorySegment symbol = LOOKUP.find(name).orElse(null);
        if (symbol == null) {
            return null;
        }
        LINKED.incrementAndGet();
        Linker.Option[] options;
        if (captureErrno && critical) {
            options = new Linker.Option[] {Linker.Option.captureCallState("errno"), Linker.Option.critical(false)};
        } else if (captureErrno) {
            options = new Linker.Option[] {Linker.Option.captureCallState("errno")};
        } else if (critical) {
            options = new Linker.Option[] {Linker.Option.critical(false)};
        } else {
            options = new Linker.Option[0];
        }
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A variadic function whose arguments after the first are variadic; errno captured, not critical. */
    static MethodHandle variadicHandle(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LOOKUP.find(name).orElse(null);
        if (symbol == null || !PLATFORM.isLinux()) {
            return null;
        }
        LINKED.incrementAndGet();
        return LINKER.downcallHandle(symbol, descriptor, Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    /** The calling thread's errno capture buffer (one per thread, so Ms never share one). */
    static MemorySegment capture() {
        return CAPTURE.get();
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }


    /** A handle's throw as this package's callers get it (LibCNet too): unchecked as it was, else wrapped. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed unexpectedly", t);
    }

    /** {@code h}, or the refusal naming the function and this platform when it has none (LibCNet too). */
    static MethodHandle require(MethodHandle h, String name) {
        if (h == null) {
            throw new UnsupportedOperationException(name + " is not available on " + PLATFORM);
        }
        return h;
    }

    // Every wrapper builds its error message only after the call returned -1: clock_gettime and
    // getrusage sit on hot paths (CPU clocks per assist and per pause step), and an eagerly built
    // "clockid=..., tp=0x..." string was a Java allocation per call.
    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** MAP_FIXED on this platform (the same bit on Linux and macOS; read once). */
    private static final int MAP_FIXED = PLATFORM.constants().MAP_FIXED();

    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        if ((flags & MAP_FIXED) != 0) {
            // Not repeated: a MAP_FIXED mmap can fail after the kernel removed the old mapping, and
            // another thread's mmap may take the hole before a repeat, which would then replace
            // that mapping silently. One capturing call (release's cold fallback, OsMemory.remap).
            return mmapRepeatedForErrno(addr, length, prot, flags, fd, offset);
        }
        long r;
        try {
            r = (long) MMAP.invokeExact(addr, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return r != -1L ? r : mmapRepeatedForErrno(addr, length, prot, flags, fd, offset);
    }

    /*
     * The repeats of the memory calls. A call that returned -1 is made once more through a
     * capturing handle, and the repeat's outcome is the call's: its errno if it fails too, its
     * result if it succeeds (no known cause for the first failure; a -1 is not hidden, it is
     * answered by a call that worked). Repeating is harmless for each of these calls, whatever
     * part of the first one took effect:
     * - madvise: the advices gort gives (DONTNEED, FREE, HUGEPAGE, NOHUGEPAGE, FREE_REUSABLE) leave
     *   the same state when given twice; a range the first call advised in part is advised again.
     * - mprotect: sets the same protection again.
     * - munmap: unmapping what is no longer mapped is no error, so a partial first call completes.
     * - mincore: reads only.
     * - mmap: a failed mmap left no new mapping; the repeat maps the same request or fails. Not
     *   MAP_FIXED, which is never repeated: its failure may have removed the old mapping first.
     * The errors these calls meet come from their arguments or from the process's state
     * (EINVAL, ENOMEM, EAGAIN at a transient shortage, EPERM), so a repeat meets the same one; an
     * EAGAIN that clears in between is a success, which the caller's own bounded retry
     * (MHeap's madvise, TESTING F10) would have reached anyway. Cold paths: the capturing handle
     * is linked at the first failure of its call.
     */

    private static long mmapRepeatedForErrno(long addr, long length, int prot, int flags, int fd, long offset) {
        MemorySegment cap = capture();
        long r;
        try {
            r = (long) MmapErrnoLink.H.invokeExact(cap, addr, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1L) {
            throw new NativeException("mmap", "addr=" + hex(addr) + ", len=" + length + ", prot=" + Flags.prot(prot)
                    + ", flags=" + Flags.map(flags) + ", fd=" + fd + ", off=" + offset, errno(cap));
        }
        return r;
    }

    public static void munmap(long addr, long length) {
        int r;
        try {
            r = (int) MUNMAP.invokeExact(addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            munmapRepeatedForErrno(addr, length);
        }
    }

    private static void munmapRepeatedForErrno(long addr, long length) {
        MemorySegment cap = capture();
        int r;
        try {
            r = (int) MunmapErrnoLink.H.invokeExact(cap, addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            throw new NativeException("munmap", "addr=" + hex(addr) + ", len=" + length, errno(cap));
        }
    }

    public static void mprotect(long addr, long length, int prot) {
        int r;
        try {
            r = (int) MPROTECT.invokeExact(addr, length, prot);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            mprotectRepeatedForErrno(addr, length, prot);
        }
    }

    private static void mprotectRepeatedForErrno(long addr, long length, int prot) {
        MemorySegment cap = capture();
        int r;
        try {
            r = (int) MprotectErrnoLink.H.invokeExact(cap, addr, length, prot);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            throw new NativeException("mprotect", "addr=" + hex(addr) + ", len=" + length + ", prot=" + Flags.prot(prot), errno(cap));
        }
    }

    public static void madvise(long addr, long length, int advice) {
        madvise(length <= SHORT_CALL_BYTES ? MADVISE_SHORT : MADVISE, addr, length, advice);
    }

    /**
     * madvise through {@code first}, a no-capture handle of its signature ({@link #MADVISE} or the
     * critical one; tests pass a wrapper that fails the first call only, as a fault the repeat
     * does not meet).
     */
    static void madvise(MethodHandle first, long addr, long length, int advice) {
        int r;
        try {
            r = (int) first.invokeExact(addr, length, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            madviseRepeatedForErrno(addr, length, advice);
        }
    }

    private static void madviseRepeatedForErrno(long addr, long length, int advice) {
        MemorySegment cap = capture();
        int r;
        try {
            r = (int) MadviseErrnoLink.H.invokeExact(cap, addr, length, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            throw new NativeException("madvise", "addr=" + hex(addr) + ", len=" + length + ", advice=" + Flags.madv(advice), errno(cap));
        }
    }

    /** mincore into a caller-supplied vector of one byte per page at {@code vec}. */
    public static void mincore(long addr, long length, long vec) {
        int r;
        try {
            r = length <= SHORT_CALL_BYTES
                    ? (int) MincoreShortLink.H.invokeExact(addr, length, vec)
                    : (int) MincoreLink.H.invokeExact(addr, length, vec);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            mincoreRepeatedForErrno(addr, length, vec);
        }
    }

    private static void mincoreRepeatedForErrno(long addr, long length, long vec) {
        MemorySegment cap = capture();
        int r;
        try {
            r = (int) MincoreErrnoLink.H.invokeExact(cap, addr, length, vec);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            throw new NativeException("mincore", "addr=" + hex(addr) + ", len=" + length + ", vec=" + hex(vec), errno(cap));
        }
    }

    public static long sysconf(int name) {
        MemorySegment cap = capture();
        long r;
        try {
            r = (long) SYSCONF.invokeExact(cap, name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1L) {
            throw new NativeException("sysconf", "name=" + name, errno(cap));
        }
        return r;
    }

    public static void sched_setaffinity(int pid, long cpusetsize, long mask) {
        MethodHandle h = require(SchedSetaffinityLink.H, "sched_setaffinity");
        MemorySegment cap = capture();
        int r;
        try {
            r = (int) h.invokeExact(cap, pid, cpusetsize, mask);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            throw new NativeException("sched_setaffinity", "pid=" + pid + ", cpusetsize=" + cpusetsize + ", mask=" + hex(mask), errno(cap));
        }
    }

    public static void sched_getaffinity(int pid, long cpusetsize, long mask) {
        MethodHandle h = require(SchedGetaffinityLink.H, "sched_getaffinity");
        MemorySegment cap = capture();
        int r;
        try {
            r = (int) h.invokeExact(cap, pid, cpusetsize, mask);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            throw new NativeException("sched_getaffinity", "pid=" + pid + ", cpusetsize=" + cpusetsize + ", mask=" + hex(mask), errno(cap));
        }
    }

    public static int sched_getcpu() {
        MethodHandle h = require(SCHED_GETCPU, "sched_getcpu");
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sched_getcpu through a handle without critical(false): for measuring the transition's cost. */
    public static int sched_getcpu_noncritical() {
        MethodHandle h = require(SCHED_GETCPU_NONCRITICAL, "sched_getcpu");
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static boolean hasSchedGetcpu() {
        return SCHED_GETCPU != null;
    }

    public static int gettid() {
        MethodHandle h = require(GETTID, "gettid");
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** macOS: the calling thread's 64-bit id ({@code pthread_threadid_np(NULL, &id)}). */
    public static long pthread_threadid_np() {
        MethodHandle h = require(PTHREAD_THREADID_NP, "pthread_threadid_np");
        try (CallScratch id = new CallScratch(Long.BYTES)) {
            int r = (int) h.invokeExact(0L, id.address);
            if (r != 0) {
                throw new NativeException("pthread_threadid_np", "thread=NULL", r);
            }
            return NativeMemory.getLong(id.address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void getrusage(int who, long usage) {
        getrusage(GETRUSAGE, who, usage);
    }

    /**
     * getrusage through {@code first}, a no-capture handle of its signature ({@link #GETRUSAGE};
     * tests pass a wrapper that fails the first call only, as a fault the repeat does not meet).
     */
    static void getrusage(MethodHandle first, int who, long usage) {
        callRepeatedForErrno(first, () -> GetrusageErrnoLink.H, "getrusage", "who", who, "usage", usage);
    }

    /**
     * An {@code int f(int, address)} that reads only (getrusage, clock_gettime), called through
     * {@code first} without errno capture; a -1 is repeated through the capturing handle that
     * {@code withErrno} links at its first use, to learn errno (the errors come from the arguments,
     * so the repeat fails the same way). Throws {@link NativeException} naming {@code name} and
     * its arguments if the repeat fails too. {@code withErrno} must capture nothing (a constant:
     * no allocation on the success path).
     */
    private static void callRepeatedForErrno(MethodHandle first, java.util.function.Supplier<MethodHandle> withErrno,
                                             String name, String intName, int intArg, String addressName, long address) {
        int r;
        try {
            r = (int) first.invokeExact(intArg, address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            MemorySegment cap = capture();
            try {
                r = (int) withErrno.get().invokeExact(cap, intArg, address);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (r == -1) {
                throw new NativeException(name, intName + "=" + intArg + ", " + addressName + "=" + hex(address), errno(cap));
            }
            // The repeat succeeded (no known cause for the first failure): its result is written
            // and valid, and is the answer (session 25 threw here with errno 0, "Success").
        }
    }

    /** setpriority(which, who, prio): Linux PRIO_PROCESS with who 0 is the calling thread; macOS PRIO_DARWIN_THREAD its band. */
    public static void setpriority(int which, int who, int prio) {
        MemorySegment cap = capture();
        int r;
        try {
            r = (int) SetpriorityLink.H.invokeExact(cap, which, who, prio);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1) {
            throw new NativeException("setpriority", "which=" + which + ", who=" + who + ", prio=" + prio, errno(cap));
        }
    }

    /**
     * getpriority(which, who): the nice value, or -1 on error; -1 is also a valid nice value, so
     * this returns it as is. Used where the values are known positive (tests reading back a
     * lowered thread); ThreadPriority.of reads sched_getattr, which has no such ambiguity.
     */
    public static int getpriority(int which, int who) {
        MemorySegment cap = capture();
        try {
            return (int) GetpriorityLink.H.invokeExact(cap, which, who);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sched_setattr(tid, attr, flags) through syscall(2) (Linux): tid 0 is the calling thread. */
    public static void sched_setattr(int tid, long attr, int flags) {
        MethodHandle h = require(SYSCALL3, "syscall(SYS_sched_setattr)");
        MemorySegment cap = capture();
        long r;
        try {
            r = (long) h.invokeExact(cap, SchedAttr.SYS_SCHED_SETATTR, (long) tid, attr, (long) flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1L) {
            throw new NativeException("sched_setattr", "tid=" + tid + ", attr=" + hex(attr) + ", flags=" + flags, errno(cap));
        }
    }

    /** sched_getattr(tid, attr, size, flags) through syscall(2) (Linux). */
    public static void sched_getattr(int tid, long attr, int size, int flags) {
        MethodHandle h = require(SYSCALL4, "syscall(SYS_sched_getattr)");
        MemorySegment cap = capture();
        long r;
        try {
            r = (long) h.invokeExact(cap, SchedAttr.SYS_SCHED_GETATTR, (long) tid, attr, (long) size, (long) flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1L) {
            throw new NativeException("sched_getattr", "tid=" + tid + ", attr=" + hex(attr) + ", size=" + size, errno(cap));
        }
    }

    public static void clock_gettime(int clockId, long timespec) {
        clock_gettime(CLOCK_GETTIME, clockId, timespec);
    }

    /**
     * clock_gettime through {@code first}, a no-capture handle of its signature ({@link #CLOCK_GETTIME};
     * tests pass a wrapper that fails the first call only, as a fault the repeat does not meet).
     */
    static void clock_gettime(MethodHandle first, int clockId, long timespec) {
        callRepeatedForErrno(first, () -> ClockGettimeErrnoLink.H, "clock_gettime", "clockid", clockId, "tp", timespec);
    }

    /**
     * clock_gettime without an exception: returns its result, 0 or -1 (errno not learnt). For a
     * clock that may be gone by the call, another thread's CPU clock read by a stopper before its
     * request, where a thread that ended is no error (and a throw's message would be Java garbage
     * in the stop path).
     */
    public static int clock_gettimeOrMinus1(int clockId, long timespec) {
        try {
            return (int) CLOCK_GETTIME.invokeExact(clockId, timespec);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static String strerror(int errnum) {
        try {
            MemorySegment s = (MemorySegment) StrerrorLink.H.invokeExact(errnum);
            return s.equals(MemorySegment.NULL) ? "unknown error" : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "strerror failed: " + t;
        }
    }

    public static long malloc(long size) {
        try {
            return (long) MALLOC.invokeExact(size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void free(long ptr) {
        try {
            FREE.invokeExact(ptr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
