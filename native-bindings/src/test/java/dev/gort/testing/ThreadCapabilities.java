package dev.gort.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Linux capabilities of the calling thread, for tests of refusals the kernel makes without one
 * (capabilities are per thread: drop them on a {@link FreshThread}, never on the runner's thread).
 */
public final class ThreadCapabilities {
    private ThreadCapabilities() {
    }

    /** CAP_SYS_NICE's bit ({@code <linux/capability.h>}) and the v3 header's version. */
    public static final int CAP_SYS_NICE = 23, LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    /**
     * Clears CAP_SYS_NICE from the calling thread's effective set: capget, then capset. Throws
     * an AssertionError naming the call that failed (a test that cannot drop it should skip).
     */
    public static void dropSysNiceFromThisThread() throws Throwable {
        Linker linker = Linker.nativeLinker();
        // int capget(cap_user_header_t hdrp, cap_user_data_t datap); capset the same
        MethodHandle capget = linker.downcallHandle(linker.defaultLookup().find("capget").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle capset = linker.downcallHandle(linker.defaultLookup().find("capset").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = a.allocate(8);       // {u32 version, int pid = 0: this thread}
            MemorySegment data = a.allocate(24);        // 2 x {u32 effective, permitted, inheritable}
            header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
            header.set(JAVA_INT, 4, 0);
            int rc = (int) capget.invokeExact(header, data);
            if (rc != 0) {
                throw new AssertionError("capget returned " + rc);
            }
            data.set(JAVA_INT, 0, data.get(JAVA_INT, 0) & ~(1 << CAP_SYS_NICE));
            rc = (int) capset.invokeExact(header, data);
            if (rc != 0) {
                throw new AssertionError("capset returned " + rc);
            }
        }
    }
}
