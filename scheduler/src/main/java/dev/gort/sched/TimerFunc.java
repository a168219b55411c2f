package dev.gort.sched;

/**
 * What a timer does when it fires. It runs on the scheduler (an M's g0, holding a P), so it must be
 * short and must not block: ready a goroutine, do a non-blocking channel send, start a goroutine.
 * {@code now} is the System.nanoTime() at which the timer heap was checked.
 */
@FunctionalInterface
public interface TimerFunc {
    void fire(Object arg, long now);
}
