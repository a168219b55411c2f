package dev.gort.sched;

/**
 * The network poller as the scheduler sees it (installed by the netpoll module at bootstrap with
 * {@link Scheduler#setNetpollHook}). The poller parks goroutines itself with {@link Go#park}
 * (wait reason {@link WaitReason#IO_WAIT}, the commit function publishing the G to its descriptor)
 * and returns them here when their I/O is ready; the scheduler makes them runnable.
 *
 * <p>Calls made by the scheduler:
 * <ul>
 * <li>{@link #hasWaiters()}: cheap, any thread; true while at least one goroutine is parked on
 *     I/O. findrunnable polls only then, and the deadlock detector never fires while it is true.</li>
 * <li>{@link #poll(long, ReadyList)}: {@code timeoutNanos == 0} non-blocking (findrunnable, after
 *     the local and global queues); {@code > 0} block at most that long (an idle M waiting for the
 *     next timer); {@code < 0} block until I/O or {@link #wakeup()}. At most one M blocks in poll at a
 *     time. Ready goroutines go into {@code ready}; returns how many.</li>
 * <li>{@link #wakeup()}: any thread; makes a blocked {@code poll} return soon (Go's netpollBreak):
 *     used when a timer earlier than the poll deadline is added, or work appears, or at shutdown.</li>
 * </ul>
 * sysmon may also call {@link Scheduler#injectNetpoll()} when nobody polled for 10 ms.
 */
public interface NetpollHook {
    boolean hasWaiters();

    int poll(long timeoutNanos, ReadyList ready);

    void wakeup();

    /**
     * Called once by the scheduler's shutdown after every M has stopped (not if some M could not
     * be joined): the poller releases its kernel queue. Default: nothing.
     */
    default void close() {
    }

    /** Where the poller puts goroutines whose I/O is ready. */
    interface ReadyList {
        /** {@code g} must be parked ({@link GStatus#WAITING}); it becomes runnable. */
        void add(G g);
    }
}
