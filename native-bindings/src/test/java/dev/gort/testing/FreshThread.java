package dev.gort.testing;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a test body on a fresh platform thread and joins it: tests that change a thread's own
 * scheduling (priority, policy, time slice, capabilities) never change the test runner's thread,
 * which could not always be put back. A failure there fails the test; an assumption that did not
 * hold there skips it.
 */
public final class FreshThread {
    private FreshThread() {
    }

    /** A test body that may throw anything (a downcall's invokeExact throws Throwable). */
    @FunctionalInterface
    public interface Body {
        void run() throws Throwable;
    }

    public static void run(Body body) throws InterruptedException {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                error.set(e);
            }
        });
        t.join();
        if (error.get() instanceof org.opentest4j.TestAbortedException skipped) {
            throw skipped;
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
    }
}
