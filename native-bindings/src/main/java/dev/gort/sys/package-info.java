/**
 * native-bindings: libc through the Foreign Function and Memory API.
 *
 * <h2>Layers</h2>
 * Each on the one below:
 * <ol>
 * <li>{@link dev.gort.sys.LibC}: raw downcalls with C names, pointers as {@code long}s, errno
 *     captured per call ({@code captureCallState("errno")} into a per-thread buffer) and turned
 *     into {@link dev.gort.sys.NativeException} in one place. {@link dev.gort.sys.Platform} and
 *     {@link dev.gort.sys.OsConstants} select per-OS constants at run time; {@link dev.gort.sys.Errno}
 *     names errno values. Struct descriptors ({@link dev.gort.sys.Timespec},
 *     {@link dev.gort.sys.Rusage}, {@link dev.gort.sys.CpuSet}) give layouts and offsets.</li>
 * <li>Typed facades: {@link dev.gort.sys.OsMemory} (the region state machine the arena uses:
 *     reserve, commit, release with an {@link dev.gort.sys.Advice}, decommit, unmap, residency),
 *     {@link dev.gort.sys.CpuAffinity}, {@link dev.gort.sys.CpuClock}, and the Linux /proc
 *     readers {@link dev.gort.sys.ProcessMemory} (RSS, LazyFree ...) and
 *     {@link dev.gort.sys.MemoryMaps} (protections). They check arguments before any call.</li>
 * <li>{@link dev.gort.sys.NativeMemory}: the one all-memory segment, for address arithmetic
 *     without a MemorySegment per access.</li>
 * </ol>
 * {@link dev.gort.sys.SysInfo} is {@code ./gort sys}.
 *
 * <h2>A call, step by step</h2>
 * {@code PosixOsMemory.release(addr, len, DONTNEED)}: check alignment and length (an
 * IllegalArgumentException says what is required) -> {@code LibC.madvise}: pick the critical
 * (no thread-state transition) handle for ranges up to 2 MiB, else the normal one -> invoke
 * without errno capture (a capturing call allocates a segment per call before C2) -> on -1 repeat
 * the call once through a capturing handle with the thread's errno buffer (harmless: the advice
 * is idempotent) -> if the repeat fails too, throw NativeException("madvise", args, errno) whose message
 * reads {@code madvise(addr=0x..., len=..., advice=MADV_DONTNEED) failed: EINVAL (Invalid argument)}.
 * A failed call changes no gort state; the next call works.
 *
 * <h2>Errors</h2>
 * Bad arguments: IllegalArgumentException before any call. Kernel refusals: NativeException with
 * call, arguments, errno symbol and strerror text. A facility the OS lacks (sched_getcpu,
 * affinity or MADV_HUGEPAGE on macOS): UnsupportedOperationException naming it and the platform,
 * or a documented no-op ({@code hugePages}). Error paths are tested against the real kernel and
 * through {@link dev.gort.sys.FaultInjectingOsMemory}, never with a mocked OS.
 *
 * <h2>Alternatives rejected</h2>
 * <ul>
 * <li>jextract-generated bindings: not installable on the build machines. Instead
 *     {@code src/main/c/gort_sys.h} lists every function, constant and struct;
 *     {@code jextract.sh} regenerates bindings where jextract exists; HeaderConformanceTest
 *     compiles a C probe at test time and checks every constant and struct member (and, through
 *     the compiler, every prototype) against the system headers.</li>
 * <li>MemorySegment parameters: a segment per call allocates on the hot path; {@code long}
 *     addresses cost nothing and are sound on the LP64 ABIs gort supports.</li>
 * <li>One errno buffer shared by all threads: racy; the buffer is per thread (per M).</li>
 * <li>Detecting protections by touching memory: a fault on PROT_NONE kills the JVM; tests read
 *     /proc/self/maps instead.</li>
 * </ul>
 *
 * <h2>Platforms</h2>
 * Linux x86_64 is where everything is built and tested. Linux aarch64 uses the same constants
 * (checked in the kernel's generic headers, not run). macOS x86_64/arm64 constant tables exist
 * and are selected at run time, but nothing has been compiled or run on macOS yet: their values
 * and struct layouts were read in Apple's xnu headers and are pinned on Linux by
 * MacOsHeaderTableTest (one row per value naming its header); docs/macos.md lists them, what
 * has never run and what behaves differently there.
 */
package dev.gort.sys;
