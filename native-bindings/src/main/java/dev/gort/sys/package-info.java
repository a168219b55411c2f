/**
 * native-bindings: libc through the Foreign Function and Memory API.
 *
 * <p>Three layers, each on the one below:
 * <ol>
 * <li>{@link dev.gort.sys.LibC}: raw downcalls with C names, errno captured per call and turned
 *     into {@link dev.gort.sys.NativeException} in one place; {@link dev.gort.sys.Platform} and
 *     {@link dev.gort.sys.OsConstants} select per-OS constants at run time.</li>
 * <li>Typed facades: {@link dev.gort.sys.OsMemory} (the region state machine the arena uses),
 *     {@link dev.gort.sys.CpuAffinity}, {@link dev.gort.sys.ProcessMemory}, {@link dev.gort.sys.CpuClock}.
 *     They check arguments before any call.</li>
 * <li>{@link dev.gort.sys.NativeMemory}: the one all-memory segment, for address arithmetic
 *     without a MemorySegment per access.</li>
 * </ol>
 *
 * <p>jextract is not installable on the build machines: {@code src/main/c/gort_sys.h} lists every
 * function and constant used, {@code jextract.sh} regenerates bindings where jextract exists, and
 * HeaderConformanceTest compiles a C probe to check every constant and struct layout here against
 * the system headers.
 */
package dev.gort.sys;
