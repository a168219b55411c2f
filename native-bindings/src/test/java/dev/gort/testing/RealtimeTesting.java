package dev.gort.testing;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.CpuClock;
import dev.gort.sys.NativeException;
import dev.gort.sys.Platform;
import dev.gort.sys.RealtimeBoost;
import org.junit.jupiter.api.Assumptions;

/**
 * What the real-time stop's tests share (the collector's over threads, the scheduler's over Ms):
 * SCHED_FIFO for the calling thread or a skip where the kernel refuses it, the CPU their pinned
 * threads share, and a CPU-time burn for a normal holder that must run for a given time.
 */
public final class RealtimeTesting {
    private RealtimeTesting() {
    }

    /** Skips the test unless this Linux lets the calling thread use SCHED_FIFO {@code priority} (and it can pin). */
    public static RealtimeBoost boostOrSkip(int priority) {
        Assumptions.assumeTrue(Platform.current().isLinux() && CpuAffinity.supported(), "SCHED_FIFO and pinning are Linux's");
        try {
            return RealtimeBoost.forCurrentThread(priority);
        } catch (NativeException | UnsupportedOperationException e) {
            Assumptions.abort("the kernel refused SCHED_FIFO " + priority + " here (" + e.getMessage() + "): needs CAP_SYS_NICE or RLIMIT_RTPRIO");
            return null;
        }
    }

    /** The highest CPU this process may use (the one every pinned thread of a test shares). */
    public static int lastCpu() {
        return CpuAffinity.mask().length() - 1;
    }

    /** Burns {@code nanos} of the calling thread's CPU time (not wall time: a descheduled holder still owes it). */
    public static void burnCpu(long nanos) {
        long end = CpuClock.threadCpuNanos() + nanos;
        long x = 0;
        while (CpuClock.threadCpuNanos() < end) {
            x += x * 31 + 7;
        }
        sink = x;
    }

    private static volatile long sink;

    /**
     * The Linux tid of a thread that has exited: its /proc entries are gone, so the kernel answers
     * ESRCH for it (the kernel hands tids out in increasing order: no reuse within a test).
     */
    public static int exitedThreadsTid() throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger tid = new java.util.concurrent.atomic.AtomicInteger();
        Thread t = Thread.ofPlatform().name("exits-at-once").start(() -> tid.set((int) CpuAffinity.threadId()));
        t.join();
        java.nio.file.Path task = java.nio.file.Path.of("/proc/self/task/" + tid.get()), proc = java.nio.file.Path.of("/proc/" + tid.get());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (java.nio.file.Files.exists(task) || java.nio.file.Files.exists(proc)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("thread " + tid.get() + " still in /proc 30 s after it ended");
            }
            Thread.sleep(1);
        }
        return tid.get();
    }
}
