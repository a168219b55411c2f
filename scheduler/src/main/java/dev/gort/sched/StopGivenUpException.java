package dev.gort.sched;

/**
 * {@link Scheduler#stopTheWorld(String, java.util.function.BooleanSupplier)} gave up because its
 * caller asked it to (a collector closed while its stop waited for a goroutine that does not reach
 * a safepoint): the world was restarted before this was thrown, as if the stop had never been asked.
 */
public final class StopGivenUpException extends IllegalStateException {
    StopGivenUpException(String message) {
        super(message);
    }
}
