package dev.gort.gc;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A registered thread that counts and polls a ThreadWorld's safepoint until told to stop: the
 * witness fault tests use for "the world runs" (its count moves) and "the world is stopped" (it
 * does not). {@link #start} returns once it is registered.
 */
final class PollingMutator {
    private final AtomicBoolean done = new AtomicBoolean();
    private final AtomicLong progress = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    private PollingMutator(ThreadWorld world, CountDownLatch registered) {
        thread = Thread.ofPlatform().name("polling-mutator").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                while (!done.get()) {
                    progress.incrementAndGet();
                    world.poll();
                    Thread.onSpinWait();
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                world.unregister();
            }
        });
    }

    static PollingMutator start(ThreadWorld world) throws InterruptedException {
        CountDownLatch registered = new CountDownLatch(1);
        PollingMutator m = new PollingMutator(world, registered);
        registered.await();
        return m;
    }

    long progress() {
        return progress.get();
    }

    /**
     * Its count moves by 100: it runs {@code when}. Within 10 s, or later while its thread stays
     * RUNNABLE (120 s at most): on a starved machine a runnable thread may wait that long for a
     * CPU, while a mutator the world keeps stopped is parked (WAITING) and fails at 10 s as before.
     */
    void assertRuns(String when) throws InterruptedException {
        long before = progress.get();
        long start = System.nanoTime();
        for (;;) {
            if (progress.get() >= before + 100) {
                break;
            }
            long waited = System.nanoTime() - start;
            if (waited >= 10_000_000_000L && (thread.getState() != Thread.State.RUNNABLE || waited >= 120_000_000_000L)) {
                break;
            }
            Thread.sleep(1);
        }
        assertTrue(progress.get() >= before + 100, "the mutator runs " + when + " (" + thread.getState() + " at "
                + Arrays.toString(thread.getStackTrace()) + ")");
    }

    /** Tells it to stop, waits for it to unregister and end, and fails if it failed. */
    void stopAndCheck() throws InterruptedException {
        done.set(true);
        thread.join(60_000);
        assertFalse(thread.isAlive(), "the mutator did not finish: " + Arrays.toString(thread.getStackTrace()));
        assertNull(failure.get(), () -> "the mutator failed: " + failure.get());
    }
}
