package dev.gort.sysmon;

import dev.gort.sys.CpuClock;

/** sysmon's time source; tests inject one they advance by hand. Monotonic nanoseconds. */
@FunctionalInterface
public interface SysmonClock {
    long nanoTime();

    /**
     * CPU time of the calling (sysmon) thread, for pacing work by the CPU it takes rather than by
     * the wall time it spans (on a loaded machine a thread switched out mid-batch would count the
     * other threads' time as its own). An injected clock's default is its own {@link #nanoTime}.
     */
    default long threadCpuNanos() {
        return nanoTime();
    }

    SysmonClock SYSTEM = new SysmonClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long threadCpuNanos() {
            return CpuClock.threadCpuNanos();
        }
    };
}
