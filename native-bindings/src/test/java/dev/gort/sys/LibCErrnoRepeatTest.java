package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * clock_gettime and getrusage are called without errno capture, and a call that returned -1 is
 * repeated through a capturing handle to learn errno. Here the first call is the real one with a
 * clock id (or {@code who}) the kernel refuses, and the repeat gets the caller's valid arguments:
 * a fault the repeat does not meet. The repeat's success is the caller's answer (session 25 threw
 * a NativeException with errno 0, "Success", although the result was valid); a repeat that fails
 * too throws with its errno.
 */
class LibCErrnoRepeatTest {
    /** A clock id no kernel defines (EINVAL): not a pointer fault, which the vDSO would take as SIGSEGV. */
    static final int BAD_CLOCK = 12_345;
    static final int BAD_WHO = 12_345;
    static final int CLOCK_MONOTONIC = Platform.current().isLinux() ? 1 : 6;
    static final int RUSAGE_SELF = 0;

    private static final AtomicInteger firstCallsLeft = new AtomicInteger();

    /** The real clock_gettime, with {@link #BAD_CLOCK} for as long as {@link #firstCallsLeft} allows. */
    static int clockGettimeFailingFirst(int clockId, long tp) throws Throwable {
        int id = firstCallsLeft.getAndDecrement() > 0 ? BAD_CLOCK : clockId;
        return (int) LibC.CLOCK_GETTIME.invokeExact(id, tp);
    }

    /** The real getrusage, with {@link #BAD_WHO} for as long as {@link #firstCallsLeft} allows. */
    static int getrusageFailingFirst(int who, long usage) throws Throwable {
        int w = firstCallsLeft.getAndDecrement() > 0 ? BAD_WHO : who;
        return (int) LibC.GETRUSAGE.invokeExact(w, usage);
    }

    /** An advice no kernel defines (EINVAL). */
    static final int BAD_ADVICE = 12_345;

    /** The real (critical) madvise, with {@link #BAD_ADVICE} for as long as {@link #firstCallsLeft} allows. */
    static int madviseFailingFirst(long addr, long length, int advice) throws Throwable {
        int a = firstCallsLeft.getAndDecrement() > 0 ? BAD_ADVICE : advice;
        return (int) LibC.MADVISE.invokeExact(addr, length, a);
    }

    private static MethodHandle wrapper(String name) throws ReflectiveOperationException {
        return MethodHandles.lookup().findStatic(LibCErrnoRepeatTest.class, name,
                MethodType.methodType(int.class, int.class, long.class));
    }

    @Test
    void aFailedClockReadWhoseRepeatSucceedsReturnsTheRepeatsTime() throws Exception {
        MethodHandle first = wrapper("clockGettimeFailingFirst");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tp = a.allocate(16, 8);
            firstCallsLeft.set(1);
            LibC.clock_gettime(first, CLOCK_MONOTONIC, tp.address());
            assertEquals(0, firstCallsLeft.get(), "the first call was the faulty one");
            long seconds = tp.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
            long nanos = tp.get(java.lang.foreign.ValueLayout.JAVA_LONG, 8);
            assertTrue(seconds > 0 || nanos > 0, "the repeat's time was written: " + seconds + " s " + nanos + " ns");
            assertTrue(nanos >= 0 && nanos < 1_000_000_000L, "a timespec's nanoseconds: " + nanos);
        }
    }

    @Test
    void aFailedClockReadWhoseRepeatFailsTooThrowsTheRepeatsErrno() throws Exception {
        MethodHandle first = wrapper("clockGettimeFailingFirst");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tp = a.allocate(16, 8);
            firstCallsLeft.set(1);
            NativeException e = assertThrows(NativeException.class, () -> LibC.clock_gettime(first, BAD_CLOCK, tp.address()));
            assertEquals("EINVAL", e.errnoName(), e.getMessage());
            assertTrue(e.getMessage().startsWith("clock_gettime(clockid=" + BAD_CLOCK + ", tp=0x" + Long.toHexString(tp.address()) + ")"),
                    e.getMessage());
        }
        // And the public call with a bad clock: the same answer.
        try (Arena a = Arena.ofConfined()) {
            NativeException e = assertThrows(NativeException.class, () -> LibC.clock_gettime(BAD_CLOCK, a.allocate(16, 8).address()));
            assertEquals("EINVAL", e.errnoName(), e.getMessage());
        }
    }

    @Test
    void aFailedUsageReadWhoseRepeatSucceedsReturnsTheRepeatsUsage() throws Exception {
        MethodHandle first = wrapper("getrusageFailingFirst");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment usage = a.allocate(256, 8);     // struct rusage is 144 bytes on LP64 Linux and macOS
            firstCallsLeft.set(1);
            LibC.getrusage(first, RUSAGE_SELF, usage.address());
            assertEquals(0, firstCallsLeft.get(), "the first call was the faulty one");
            // ru_utime + ru_stime (two timevals): this JVM has run for a while.
            long cpuMicros = 0;
            for (int i = 0; i < 4; i++) {
                long v = usage.get(java.lang.foreign.ValueLayout.JAVA_LONG, 8L * i);
                cpuMicros += (i % 2 == 0) ? v * 1_000_000 : v;
            }
            assertTrue(cpuMicros > 0, "the repeat's usage was written: " + cpuMicros + " us of CPU");
        }
    }

    @Test
    void aFailedUsageReadWhoseRepeatFailsTooThrowsTheRepeatsErrno() throws Exception {
        MethodHandle first = wrapper("getrusageFailingFirst");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment usage = a.allocate(256, 8);
            firstCallsLeft.set(1);
            NativeException e = assertThrows(NativeException.class, () -> LibC.getrusage(first, BAD_WHO, usage.address()));
            assertEquals("EINVAL", e.errnoName(), e.getMessage());
            assertTrue(e.getMessage().startsWith("getrusage(who=" + BAD_WHO + ", usage=0x" + Long.toHexString(usage.address()) + ")"),
                    e.getMessage());
        }
    }

    @Test
    void aFailedMadviseWhoseRepeatSucceedsHasReleasedThePages() throws Exception {
        MethodHandle first = MethodHandles.lookup().findStatic(LibCErrnoRepeatTest.class, "madviseFailingFirst",
                MethodType.methodType(int.class, long.class, long.class, int.class));
        OsConstants c = Platform.current().constants();
        long page = LibC.sysconf(c._SC_PAGESIZE());
        long base = LibC.mmap(0L, 4 * page, c.PROT_READ() | c.PROT_WRITE(), c.MAP_PRIVATE() | c.MAP_ANONYMOUS(), -1, 0L);
        try {
            MemorySegment mem = MemorySegment.ofAddress(base).reinterpret(4 * page);
            mem.fill((byte) 7);
            firstCallsLeft.set(1);
            LibC.madvise(first, base, 4 * page, c.MADV_DONTNEED());
            assertEquals(0, firstCallsLeft.get(), "the first call was the faulty one");
            assertEquals(0, mem.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 * page),
                    "the repeat's MADV_DONTNEED released the pages (they read zero again)");

            firstCallsLeft.set(1);
            NativeException e = assertThrows(NativeException.class, () -> LibC.madvise(first, base, page, BAD_ADVICE));
            assertEquals("EINVAL", e.errnoName(), e.getMessage());
            assertTrue(e.getMessage().startsWith("madvise(addr=0x" + Long.toHexString(base) + ", len=" + page + ", advice="),
                    e.getMessage());
        } finally {
            LibC.munmap(base, 4 * page);
        }
    }

    @Test
    void theMemoryCallsStillNameTheirErrno() {
        // Not a page-aligned address: EINVAL from each (the first call and its repeat).
        OsConstants c = Platform.current().constants();
        long page = LibC.sysconf(c._SC_PAGESIZE());
        long base = LibC.mmap(0L, 2 * page, c.PROT_NONE(), c.MAP_PRIVATE() | c.MAP_ANONYMOUS() | c.MAP_NORESERVE(), -1, 0L);
        try {
            assertEquals("EINVAL", assertThrows(NativeException.class, () -> LibC.madvise(base + 8, page, c.MADV_DONTNEED())).errnoName());
            assertEquals("EINVAL", assertThrows(NativeException.class, () -> LibC.madvise(base + 8, 4L << 20, c.MADV_DONTNEED())).errnoName());
            assertEquals("EINVAL", assertThrows(NativeException.class, () -> LibC.mprotect(base + 8, page, c.PROT_READ())).errnoName());
            assertEquals("EINVAL", assertThrows(NativeException.class, () -> LibC.munmap(base + 8, page)).errnoName());
            assertEquals("EINVAL", assertThrows(NativeException.class, () -> LibC.mmap(base + 8, page, c.PROT_READ(),
                    c.MAP_PRIVATE() | c.MAP_ANONYMOUS() | c.MAP_FIXED(), -1, 0L)).errnoName());
            assertEquals("EINVAL", assertThrows(NativeException.class, () -> LibC.mincore(base + 8, page, base)).errnoName());
        } finally {
            LibC.munmap(base, 2 * page);
        }
    }
}
