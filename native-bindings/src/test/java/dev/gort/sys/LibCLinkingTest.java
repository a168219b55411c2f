package dev.gort.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gort.testing.ChildJvm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Start-up's Java garbage from LibC: which downcalls its initialisation links, and what the clock
 * reads allocate before C2 compiles them. Both are measured in a child JVM, since this JVM's LibC
 * is initialised (and its callers compiled) by whichever test ran first.
 */
class LibCLinkingTest {

    /** Handles LibC's initialisation links on Linux: every call an ordinary run makes, not the rest. */
    static final int EAGER_ON_LINUX = 16;

    private static long figure(ChildJvm.Result r, String key) {
        for (String l : r.stdout().split("\n")) {
            if (l.startsWith(key + ": ")) {
                return Long.parseLong(l.substring(key.length() + 2).trim());
            }
        }
        throw new AssertionError("no '" + key + "' line in the child's output: " + r);
    }

    @Test
    void initialisationLinksOnlyTheCallsARunMakes() throws Exception {
        assumeTrue(Platform.current().isLinux(), "the eager count is Linux's (macOS lacks some calls)");
        ChildJvm.Result r = ChildJvm.run(Linking.class, Map.of());
        assertEquals(0, r.exitCode(), r.toString());
        // Linking a new signature is ~0.4 MiB of garbage: mincore, affinity, priorities and strerror
        // (7 handles, 5 signatures nothing else shares) wait for their first use.
        // At most: a libc without one of the eager symbols (gettid before glibc 2.30) links fewer.
        long eager = figure(r, "after init");
        assertTrue(eager <= EAGER_ON_LINUX, eager + " handles linked by LibC's initialisation, expected at most "
                + EAGER_ON_LINUX + ": " + r);
        // Each still works when first used, and links then: getaffinity, strerror, getpriority, the short mincore.
        assertEquals(eager + 4, figure(r, "after lazy uses"), r.toString());
        assertTrue(figure(r, "lazy uses ok") == 1, r.toString());
    }

    @Test
    void interpretedClockReadsAllocateNothing() throws Exception {
        // The pause-path warm-ups read the CPU clock tens of thousands of times before C2 compiles
        // the readers; an errno-capturing downcall made a MemorySegment per call there (~2 MiB of
        // the coordinator's start-up garbage). -Xint: every call is the interpreter's.
        ChildJvm.Result r = ChildJvm.run(InterpretedReads.class, List.of("-Xint"), Map.of());
        assertEquals(0, r.exitCode(), r.toString());
        long bytes = figure(r, "bytes");
        // 20,000 reads: one 40-byte object per read would be 800 KB; allow a few stray objects.
        assertTrue(bytes < 16 * 1024, "20000 interpreted clock reads allocated " + bytes + " bytes: " + r);
    }

    @Test
    void aNativeFailureLinksStrerrorOnlyWhenItsMessageIsRead() throws Exception {
        // A failure caught inside a stop (a late M's boost refused with ESRCH) must not link strerror
        // there: the exception's message is built when first read.
        ChildJvm.Result r = ChildJvm.run(FailureMessage.class, Map.of());
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(0, figure(r, "linked by the constructor"), r.toString());
        assertEquals(1, figure(r, "linked by the message"), r.toString());
        assertEquals(1, figure(r, "message ok"), r.toString());
    }

    /** Child: handles linked by constructing a NativeException, then by reading its message. */
    public static final class FailureMessage {
        public static void main(String[] args) {
            CpuClock.threadCpuNanos();
            int before = LibC.linkedHandles();
            NativeException e = new NativeException("sched_setattr", "tid=1", 3 /* ESRCH on Linux and macOS */);
            int afterConstructor = LibC.linkedHandles();
            String m = e.getMessage();
            System.out.println("linked by the constructor: " + (afterConstructor - before));
            System.out.println("linked by the message: " + (LibC.linkedHandles() - afterConstructor));
            System.out.println("message ok: " + (m.startsWith("sched_setattr(tid=1) failed: ESRCH (") && m.equals(e.getMessage()) ? 1 : 0));
        }
    }

    /** Child: LibC's handle count after its initialisation, then after one use of each lazily linked call. */
    public static final class Linking {
        public static void main(String[] args) throws Exception {
            CpuClock.threadCpuNanos();
            System.out.println("after init: " + LibC.linkedHandles());
            boolean ok = CpuAffinity.mask().cardinality() >= 1;
            ok &= LibC.strerror(2).length() > 0;
            LibC.getpriority(0, 0);
            try (var a = java.lang.foreign.Arena.ofConfined()) {
                long page = LibC.sysconf(Platform.current().constants()._SC_PAGESIZE());
                var vec = a.allocate(1);
                var mem = a.allocate(page, page);
                LibC.mincore(mem.address(), page, vec.address());
            }
            System.out.println("after lazy uses: " + LibC.linkedHandles());
            System.out.println("lazy uses ok: " + (ok ? 1 : 0));
        }
    }

    /** Child: allocated bytes over 10,000 pairs of clock reads after a first pass (with rusage reads). */
    public static final class InterpretedReads {
        public static void main(String[] args) {
            var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long sink = 0;
            for (int i = 0; i < 100; i++) {
                sink += CpuClock.threadCpuNanos() + CpuClock.monotonicNanos() + CpuClock.threadUsage().minorFaults();
            }
            threads.getCurrentThreadAllocatedBytes();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++) {
                sink += CpuClock.threadCpuNanos() + CpuClock.monotonicNanos();
            }
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            System.out.println("sink nonzero: " + (sink != 0));
            System.out.println("bytes: " + bytes);
        }
    }
}
