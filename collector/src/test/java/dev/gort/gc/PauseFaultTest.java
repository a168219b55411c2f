package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A failure anywhere between the coordinator's stop and its restart (a step of a pause, the
 * world's stop itself, a sweep-termination hook throwing an Error) ends the cycle with the world
 * running: the mutator runs on, the barrier is off, the phase OFF, and the failure is reported
 * (gc() throws it; the coordinator prints which pause it came in and that the world runs again).
 * A fault point is a test-only hook: {@link PauseTimer#faultForTest} after each step of a pause
 * ("stop", then the step names), ThreadWorld's {@code stopFaultForTest} inside its stop.
 */
@Timeout(180)
class PauseFaultTest extends ThreadWorldFixture {
    PollingMutator mutator;

    static final class InjectedFault extends RuntimeException {
        InjectedFault(String where) {
            super("injected fault at " + where);
        }
    }

    @AfterEach
    void stopMutator() throws InterruptedException {
        if (mutator != null) {
            mutator.stopAndCheck();
        }
    }

    private void start() throws InterruptedException {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        mutator = PollingMutator.start(world);
        gc.gc();                 // a whole cycle first: the fault comes in a later one
    }

    @ParameterizedTest
    @ValueSource(strings = {"stop", "gate", "finishsweep", "hooks", "setup", "stacks", "flush", "stopworkers", "stats",
            "sweepwait", "sweepgen", "detach", "pacer", "world:request", "world:wait", "world:stopped"})
    void aFaultInsideAPauseEndsTheCycleWithTheWorldRunning(String point) throws Exception {
        if (point.equals("flush") || point.equals("stopworkers")) {
            ForcedMode.assumeConcurrentMark("the step " + point + " is mark termination's after a concurrent mark");
        }
        start();
        AtomicBoolean armed = new AtomicBoolean(true);
        java.util.function.Consumer<String> fault = where -> {
            String name = point.startsWith("world:") ? "world:" + where : where;
            if (name.equals(point) && armed.getAndSet(false)) {
                throw new InjectedFault(point);
            }
        };
        if (point.startsWith("world:")) {
            world.stopFaultForTest = fault;
        } else {
            gc.pauseTimerForTest().faultForTest = fault;
        }
        String err = capturingStderr(() -> {
            Throwable f = assertThrows(Throwable.class, gc::gc);
            assertInstanceOf(InjectedFault.class, f, "gc() reports the failure");
            assertEquals("injected fault at " + point, f.getMessage());
            gc.coordinator.thread.join(60_000);     // its report is printed as it leaves
        });
        world.stopFaultForTest = null;
        gc.pauseTimerForTest().faultForTest = null;
        assertFalse(armed.get(), "the fault fired");
        assertFalse(gc.coordinator.thread.isAlive(), "the coordinator left after the fatal error");
        assertTrue(err.contains("gort: fatal error in the collector (during GC ") && err.contains("; the world runs again)")
                && err.contains("injected fault at " + point), err);
        assertWorldRuns(point);
    }

    @Test
    void anErrorFromASweepTerminationHookEndsTheCycleWithTheWorldRunning() throws Exception {
        start();
        AtomicBoolean armed = new AtomicBoolean(true);
        gc.onSweepTermination(() -> {
            if (armed.getAndSet(false)) {
                throw new OutOfMemoryError("injected: a hook's table could not grow");
            }
        });
        String err = capturingStderr(() -> {
            IllegalStateException f = assertThrows(IllegalStateException.class, gc::gc);
            assertInstanceOf(OutOfMemoryError.class, f.getCause(), "gc() reports the hook's error: " + f);
            gc.coordinator.thread.join(60_000);
        });
        assertTrue(err.contains("(during GC sweep termination; the world runs again)") && err.contains("a hook's table could not grow"), err);
        assertWorldRuns("the hook's error");
    }

    private void assertWorldRuns(String after) throws InterruptedException {
        assertFalse(world.stopRequested(), "the world is not left stopped after " + after);
        assertFalse(WriteBarrier.enabled, "the barrier is off");
        assertEquals(Collector.OFF, gc.phase, "the phase is OFF");
        mutator.assertRuns("after " + after);
        world.stopTheWorld("by hand, after " + after);      // the world's stop is whole: a stop by hand works
        world.startTheWorld();
        assertThrows(RuntimeException.class, gc::gc, "the collector says it cannot run a cycle");
    }

    interface Body {
        void run() throws Exception;
    }

    private static String capturingStderr(Body body) throws Exception {
        PrintStream old = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(old);
        }
        String s = out.toString(StandardCharsets.UTF_8);
        old.print(s);
        return s;
    }
}
