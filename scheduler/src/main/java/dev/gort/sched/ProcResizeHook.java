package dev.gort.sched;

/**
 * What a module that keeps per-P state does when GOMAXPROCS changes at run time
 * ({@link Scheduler#setGomaxprocs}, Go's procresize). Registered with
 * {@link Scheduler#addProcResizeHook}; hooks run in registration order, on the thread that asked
 * for the change (a goroutine or any other thread).
 *
 * <ol>
 * <li>{@link #beforeStop()}: the world still runs. May block (e.g. the collector waits until no
 *     cycle is marking and holds new cycles off, as Go's GOMAXPROCS takes gcsema); a hook that
 *     blocks on a goroutine must do it inside {@link Go#syscall} so its P is not held.</li>
 * <li>With the world stopped: {@link #destroyP(P, P)} for every P that goes (highest ids), before
 *     the scheduler empties its queues, moves its timers and releases its mcache. The hook must
 *     flush what it keeps for that P (grey buffers, private pool slots, ...) so nothing is lost,
 *     and must not block, park, allocate on the gort heap or yield.</li>
 * <li>{@link #afterStart(int, int)}: the world runs again with the new Ps; always called when
 *     {@link #beforeStop()} was (also if the resize failed), so holds can be released.</li>
 * </ol>
 * A destroyed P keeps its id and object (status {@link PStatus#DEAD}); growing again reuses it.
 */
public interface ProcResizeHook {
    default void beforeStop() {
    }

    /** World stopped: {@code dying} goes away; {@code heir} (a surviving P) inherits its timers. */
    default void destroyP(P dying, P heir) {
    }

    /** The world runs again; {@code oldProcs} -> {@code newProcs} (equal if the resize failed). */
    default void afterStart(int oldProcs, int newProcs) {
    }
}
