package dev.gort.gc;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.RealtimeBoost;
import dev.gort.testing.RealtimeTesting;

/**
 * The priority-inversion setup of the real-time stop's tests: a normal thread and a SCHED_FIFO
 * "hog" pinned to one CPU, so the normal thread gets no CPU while the hog spins (the kernel's
 * fair server gives it 50 ms of each second, late in the period) unless something raises it. The
 * hog spins at most {@link #HOG_LIMIT_NANOS}, so a test that fails does not hold the CPU longer.
 */
final class PinnedStarvation {
    /** Priorities: the hog sits between a normal thread and the real-time waiter (classic inversion). */
    static final int HOG_PRIORITY = 5, WAITER_PRIORITY = 10;
    static final long HOG_LIMIT_NANOS = 300_000_000L;

    private PinnedStarvation() {
    }

    /** The highest CPU this process may use (the one every pinned thread of a test shares). */
    static int cpu() {
        return RealtimeTesting.lastCpu();
    }

    /** {@link RealtimeTesting#boostOrSkip}. */
    static RealtimeBoost boostOrSkip(int priority) {
        return RealtimeTesting.boostOrSkip(priority);
    }

    /** {@link RealtimeTesting#burnCpu}. */
    static void burnCpu(long nanos) {
        RealtimeTesting.burnCpu(nanos);
    }

    /** A started SCHED_FIFO {@link #HOG_PRIORITY} thread spinning on {@code cpu} until {@link Hog#stop} or its limit. */
    static Hog startHog(int cpu) throws InterruptedException {
        Hog h = new Hog(cpu);
        h.thread.start();
        while (!h.spinning && h.thread.isAlive()) {
            Thread.sleep(1);
        }
        if (h.failure != null) {
            throw new AssertionError("hog", h.failure);
        }
        return h;
    }

    static final class Hog {
        final Thread thread;
        volatile boolean spinning, stop;
        /** Set once the hog stopped spinning (stopped, or its limit reached), before it lowers itself. */
        volatile boolean ended;
        volatile Throwable failure;

        Hog(int cpu) {
            thread = Thread.ofPlatform().daemon().name("pi-hog").unstarted(() -> {
                try {
                    CpuAffinity.pin(cpu);
                    RealtimeBoost b = RealtimeBoost.forCurrentThread(HOG_PRIORITY);
                    b.raise();
                    try {
                        long end = System.nanoTime() + HOG_LIMIT_NANOS;
                        spinning = true;
                        while (!stop && System.nanoTime() - end < 0) {
                            Thread.onSpinWait();
                        }
                    } finally {
                        ended = true;
                        b.lower();
                    }
                } catch (Throwable e) {
                    failure = e;
                }
                spinning = true;
            });
        }

        void stopAndJoin() throws InterruptedException {
            stop = true;
            thread.join();
        }
    }
}
