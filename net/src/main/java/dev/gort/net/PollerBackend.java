package dev.gort.net;

import dev.gort.sys.Platform;

/**
 * The operating system's half of the netpoller: one kernel event queue (epoll on Linux, kqueue on
 * macOS) and its wake-up channel. {@link NetPoller} keeps everything else (the fd table, the
 * sequence check of tokens, waiters, who polls) and is the same on both.
 *
 * <p>Contract (tested once, in {@code PollerBackendContract}, against each backend the machine can
 * run):
 * <ul>
 * <li>{@link #register} arms read and write readiness for an fd, edge-triggered (epoll EPOLLET,
 *     kqueue EV_CLEAR): an event is reported when readiness appears, once, not again until a new
 *     edge; the registration of a connected socket reports its writability once.</li>
 * <li>every event carries the 64-bit token given at registration; the wake-up event carries
 *     {@link #WAKE_TOKEN}, which no registration uses.</li>
 * <li>{@link #await} with timeout 0 only looks; &lt; 0 blocks until an event or {@link #wakeup};
 *     &gt; 0 blocks at most about that long. It returns the number of events or a negated errno
 *     (-EINTR is routine).</li>
 * <li>after {@link #deregister} and close(2) of the fd, no event carries its token (kqueue drops
 *     the registration at close, as Go relies on; epoll at EPOLL_CTL_DEL).</li>
 * </ul>
 * Methods that run on goroutines (register, deregister, wakeup) use the descriptor's or the
 * backend's own errno capture buffers, never a ThreadLocal (see LibCNet's class comment).
 */
interface PollerBackend {
    /** Token of the wake-up event: no fd registration has it (theirs are seq &lt;&lt; 32 | fd with seq &lt; 2^31). */
    long WAKE_TOKEN = -1L;
    /** Readiness bits returned by {@link #readiness}. */
    int READ = 1;
    int WRITE = 2;

    /** "epoll" or "kqueue". */
    String name();

    /** Bytes of the per-polling-thread buffer {@link #await} needs for {@code maxEvents} events. */
    long bufferBytes(int maxEvents);

    /** Arms read and write readiness of {@code fd} (non-blocking already); 0 or a negated errno. */
    int register(int fd, long token, DescNatives n);

    /** Removes {@code fd}'s registration before its close (errors are harmless and ignored). */
    void deregister(int fd, DescNatives n);

    /** Waits for events into {@code buf} (of {@link #bufferBytes}); see the class comment. */
    int await(long buf, int maxEvents, long timeoutNanos);

    /** Token of event {@code i} in {@code buf}. */
    long token(long buf, int i);

    /** {@link #READ} and/or {@link #WRITE} for event {@code i} (errors and hang-ups wake both directions). */
    int readiness(long buf, int i);

    /** Makes a blocked {@link #await} return with the wake-up event; 0 or a negated errno. At most one caller at a time. */
    int wakeup();

    /** After the wake-up event was seen by a blocking await: re-arms it; 0 or a negated errno. */
    int drainWakeup();

    /** Closes the kernel objects (NetPoller.close, once no call is in flight). */
    void close();

    /** The backend for {@code os}: epoll on Linux, kqueue on macOS. */
    static String kindFor(Platform.Os os) {
        return switch (os) {
            case LINUX -> "epoll";
            case MACOS -> "kqueue";
        };
    }

    /** Opens the backend of the running platform ({@link #kindFor}). */
    static PollerBackend open() {
        return open(kindFor(Platform.current().os()));
    }

    /** Opens the named backend; on a platform without it, UnsupportedOperationException from the bindings naming the call. */
    static PollerBackend open(String kind) {
        return switch (kind) {
            case "epoll" -> EpollBackend.open();
            case "kqueue" -> KqueueBackend.open();
            default -> throw new IllegalArgumentException("poller backend '" + kind + "' unknown; accepted: epoll, kqueue");
        };
    }
}
