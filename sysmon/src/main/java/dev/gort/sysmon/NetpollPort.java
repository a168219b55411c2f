package dev.gort.sysmon;

/** What sysmon needs from the network poller: when it was last polled, and a non-blocking poll. */
public interface NetpollPort {
    /** Monotonic time of the last poll by anyone (findrunnable, an idle M, sysmon), 0 if never. */
    long lastPollNanos();

    /** Polls without blocking and puts the ready goroutines on run queues (Go: netpoll(0) + injectglist); returns how many. */
    int pollAndInject();
}
