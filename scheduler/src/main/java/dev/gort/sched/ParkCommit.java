package dev.gort.sched;

/**
 * Runs on the scheduler (g0) right after a goroutine parked (Go's gopark {@code unlockf}). Its
 * status is already WAITING, so whoever the commit makes able to wake the goroutine may do so at
 * once. Returning false cancels the park: the goroutine resumes immediately.
 */
@FunctionalInterface
public interface ParkCommit {
    boolean commit(G g, Object arg);
}
