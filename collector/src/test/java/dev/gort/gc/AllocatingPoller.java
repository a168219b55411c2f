package dev.gort.gc;

import dev.gort.sched.Go;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A goroutine that allocates garbage nodes and polls until stopped: a mutator allocating beside a
 * test's {@code gc()} calls (its allocations come during the cycles' marks). Driven from a
 * goroutine of the same scheduler: the waits poll, so the poller gets the caller's P when it needs it.
 */
final class AllocatingPoller {
    /** Nodes allocated so far. */
    final AtomicLong progress = new AtomicLong();
    private final AtomicBoolean quit = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();

    private AllocatingPoller() {
    }

    /** Starts the poller and returns once it has allocated 1000 nodes. */
    static AllocatingPoller start(Collector gc) {
        AllocatingPoller p = new AllocatingPoller();
        Go.go(() -> {
            try {
                while (!p.quit.get()) {
                    SchedCollectorTest.node(gc, p.progress.incrementAndGet());
                    Go.poll();
                }
            } finally {
                p.ended.set(true);
            }
        });
        p.awaitProgress(1000);
        return p;
    }

    /** Polls until the poller has allocated {@code nodes} more nodes than now. */
    void awaitProgress(long nodes) {
        long target = progress.get() + nodes;
        while (progress.get() < target) {
            Go.poll();
            Thread.onSpinWait();
        }
    }

    /** Stops the poller and waits until its goroutine has returned. */
    void stop() {
        quit.set(true);
        while (!ended.get()) {
            Go.poll();
            Thread.onSpinWait();
        }
    }
}
