package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import dev.gort.sched.Chan;
import dev.gort.sched.Go;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A close that arrives while the coordinator waits for a registered thread that runs on without a
 * safepoint, inside a stop or a ragged round: the wait gives up, the partial stop is undone (the
 * world runs), the cycle is abandoned and close returns at once. Before, the stop and the round
 * did not look at the close: the coordinator waited for that thread, close's join gave up after
 * 10 s with the coordinator still alive, and the heap could not close under it (the case session
 * 12's leaveIfClosed fixed for a close that comes before the wait, not during it). The same for
 * the scheduler's stop and a goroutine without a safepoint.
 */
@Timeout(180)
class CloseDuringWaitTest extends ThreadWorldFixture {
    /**
     * Far below close's 60 s wait for the threads (a close that waited for the spinner takes that
     * long, and then throws), loose for a loaded machine: it takes milliseconds.
     */
    static final long PROMPT_NANOS = 9_000_000_000L;
    final AtomicBoolean spin = new AtomicBoolean();
    final AtomicBoolean done = new AtomicBoolean();
    final CountDownLatch spinning = new CountDownLatch(1);
    final AtomicReference<Throwable> spinnerFailure = new AtomicReference<>();
    Thread spinner;

    @AfterEach
    void endSpinner() throws InterruptedException {
        done.set(true);
        if (spinner != null) {
            spinner.join(60_000);
            assertFalse(spinner.isAlive(), "the spinner did not finish: " + java.util.Arrays.toString(spinner.getStackTrace()));
        }
        assertNull(spinnerFailure.get(), () -> "the spinner failed: " + spinnerFailure.get());
    }

    /** A registered thread that polls until told to spin, then runs without a safepoint until the test ends. */
    private void start() throws InterruptedException {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        CountDownLatch registered = new CountDownLatch(1);
        spinner = Thread.ofPlatform().name("unpolling-mutator").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                while (!spin.get()) {
                    world.poll();
                    Thread.onSpinWait();
                }
                spinning.countDown();
                while (!done.get()) {
                    Thread.onSpinWait();          // no safepoint: a stop or a round waits for it
                }
                world.poll();                     // not held: the stop and round were given up
            } catch (Throwable t) {
                spinnerFailure.set(t);
            } finally {
                world.unregister();
            }
        });
        registered.await();
    }

    @Test
    void aCloseDuringTheStopWaitEndsTheStopAndTheCycle() throws Exception {
        start();
        spin.set(true);
        spinning.await();
        gc.requestCycle(true);
        awaitTrue(world::stopRequested, "the coordinator's stop is waiting for the spinner");
        assertClosesPromptly("a stop");
    }

    @Test
    void aCloseDuringARaggedRoundEndsTheRoundAndTheCycle() throws Exception {
        ForcedMode.assumeConcurrentMark("the ragged round is the concurrent mark's completion");
        start();
        gc.setBreakpoint(Collector.Breakpoint.AFTER_MARK_START);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 20_000);
        spin.set(true);
        spinning.await();
        gc.resume();
        // The mark drains at once (tiny heap); the round then waits for the spinner (no stop requested).
        awaitTrue(() -> world.preemptRequested() && !world.stopRequested(), "the coordinator's ragged round is waiting for the spinner");
        assertClosesPromptly("a ragged round");
    }

    @Test
    void aCloseDuringASchedulerStopEndsTheStopAndTheCycle() {
        AtomicLong took = new AtomicLong(-1);
        AtomicBoolean coordinatorLeft = new AtomicBoolean();
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, c -> {
            dev.gort.sched.Scheduler sched = ((SchedWorld) c.world()).scheduler();
            AtomicBoolean stopSpinning = new AtomicBoolean();
            CountDownLatch spinningG = new CountDownLatch(1);
            Chan<Boolean> ended = new Chan<>(1);
            Go.go(() -> {
                spinningG.countDown();
                while (!stopSpinning.get()) {
                    Thread.onSpinWait();          // no safepoint: the coordinator's stop waits for this goroutine
                }
                ended.send(true);
            });
            Go.syscall(() -> {                    // off its P: the stop waits for the spinner alone
                try {
                    spinningG.await();
                    c.requestCycle(true);
                    awaitTrue(sched::worldStopping, "the coordinator's stop is waiting for the spinning goroutine");
                    long t0 = System.nanoTime();
                    c.close();
                    took.set(System.nanoTime() - t0);
                    coordinatorLeft.set(!c.coordinator.thread.isAlive());
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                } finally {
                    stopSpinning.set(true);
                }
            });
            ended.recv();
        });
        assertTrue(took.get() >= 0 && took.get() < PROMPT_NANOS, "close during a scheduler stop took " + took.get() / 1_000_000
                + " ms: it waited for the spinning goroutine");
        assertTrue(coordinatorLeft.get(), "the coordinator left");
    }

    private void assertClosesPromptly(String what) {
        long t0 = System.nanoTime();
        gc.close();
        long took = System.nanoTime() - t0;
        assertTrue(took < PROMPT_NANOS, "close during " + what + " took " + took / 1_000_000 + " ms: it waited for the spinner");
        assertFalse(gc.coordinator.thread.isAlive(), "the coordinator left");
        assertFalse(world.preemptRequested(), "no stop or round is left requested");
        assertTrue(spinner.isAlive(), "the spinner still runs without a safepoint: nothing waited for it");
    }

    private static void awaitTrue(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(1);
        }
        Thread.sleep(20);                       // well inside the wait
        assertTrue(cond.getAsBoolean(), what);
    }
}
