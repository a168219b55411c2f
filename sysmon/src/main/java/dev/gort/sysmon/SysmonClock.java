package dev.gort.sysmon;

/** sysmon's time source; tests inject one they advance by hand. Monotonic nanoseconds. */
@FunctionalInterface
public interface SysmonClock {
    long nanoTime();

    SysmonClock SYSTEM = System::nanoTime;
}
