package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A mutator that stopped the world itself and allocates in debt while marking: its assist returns
 * in debt at once (Go's gcAssistAlloc returns while preemption is off, which a stop-the-world sets)
 * instead of retrying for a stop that is its own. Its safepoints pass without parking and the stop
 * stays pending until it restarts the world, so until branch pacefix33 the retry spun for ever
 * (found by review33b). Each case runs on a thread of its own, joined with a 60 s guard, so a
 * regression fails here by name instead of hanging the suite.
 */
class StopperAssistTest {
    static final Type NODE = RaggedRoundAssistTest.NODE;
    static final long NEXT = RaggedRoundAssistTest.NEXT;
    static final long GUARD_MS = 60_000;
    static final long DEBT = -100_000;

    @Test
    void aThreadStopperAllocatingInDebtReturnsInDebt() throws Exception {
        ForcedMode.assumeConcurrentMark("breakpoint");
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        ThreadWorld world = gc.threadWorld();
        AtomicReference<String> phase = new AtomicReference<>("start");
        AtomicLong credit = new AtomicLong(1);
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().name("stopper-mutator").start(() -> {
            try {
                Mutator me = world.register(4);
                long head = 0;
                for (int i = 0; i < 20_000; i++) {
                    long p = gc.alloc(NODE);
                    Mem.storePtr(p, NEXT, head);
                    head = p;
                    me.roots().set(0, head);
                }
                gc.gc();
                gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
                gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, GUARD_MS);
                assertTrue(gc.marking());
                gc.pacer().bgScanCredit.set(0);          // nothing to steal: the debt needs the drain
                world.stopTheWorld("StopperAssistTest: the mutator stops the world itself");
                phase.set("stopped, allocating in debt");
                assertTrue(world.stoppedByCaller(), "the stopper sees its own stop");
                me.assistBytes = DEBT;
                gc.alloc(NODE);
                credit.set(me.assistBytes);
                phase.set("allocated");
                world.startTheWorld();
                assertFalse(world.stoppedByCaller(), "no stop after the restart");
                world.unregister();
                phase.set("done");
            } catch (Throwable e) {
                err.set(e);
            }
        });
        try {
            joinOrFail(t, phase, err);
            assertTrue(credit.get() < 0, "the stopper's allocation went ahead in debt (credit " + credit.get() + ")");
        } finally {
            if (!t.isAlive()) {
                gc.close();
                heap.close();
            }
        }
    }

    @Test
    void aGoroutineStopperAllocatingInDebtReturnsInDebt() throws Exception {
        ForcedMode.assumeConcurrentMark("breakpoint");
        AtomicReference<String> phase = new AtomicReference<>("start");
        AtomicLong credit = new AtomicLong(1);
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().name("stopper-runtime").start(() -> {
            try {
                SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
                    Scheduler sched = ((SchedWorld) gc.world()).scheduler();
                    try (Frame f = Frame.push(1)) {
                        for (int i = 0; i < 20_000; i++) {
                            long p = gc.alloc(NODE);
                            Mem.storePtr(p, NEXT, f.get(0));
                            f.set(0, p);
                        }
                        Go.syscall(() -> {
                            gc.gc();
                            gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
                            gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, GUARD_MS);
                        });
                        assertTrue(gc.marking());
                        gc.pacer().bgScanCredit.set(0);
                        sched.stopTheWorld("StopperAssistTest: a goroutine stops the world itself");
                        try {
                            phase.set("stopped");
                            assertTrue(gc.world().stoppedByCaller(), "the goroutine stopper sees its own stop");
                            Mutator me = gc.world().current();
                            me.assistBytes = DEBT;
                            phase.set("stopped, allocating in debt");
                            f.set(0, gc.alloc(NODE));
                            credit.set(gc.world().current().assistBytes);
                            phase.set("allocated");
                        } finally {
                            sched.startTheWorld();
                        }
                        assertFalse(gc.world().stoppedByCaller(), "no stop after the restart");
                        gc.setBreakpoint(Collector.Breakpoint.NONE);
                        gc.resume();
                        phase.set("done");
                    }
                });
            } catch (Throwable e) {
                err.set(e);
            }
        });
        joinOrFail(t, phase, err);
        assertTrue(credit.get() < 0, "the stopper's allocation went ahead in debt (credit " + credit.get() + ")");
    }

    private static void joinOrFail(Thread t, AtomicReference<String> phase, AtomicReference<Throwable> err) throws InterruptedException {
        t.join(GUARD_MS);
        if (t.isAlive()) {
            // The allocating thread's stack: the test's own thread, or for a goroutine its M's.
            StringBuilder sb = new StringBuilder();
            for (var entry : Thread.getAllStackTraces().entrySet()) {
                StackTraceElement[] st = entry.getValue();
                if (entry.getKey() == t || java.util.Arrays.stream(st).anyMatch(e -> e.getClassName().startsWith("dev.gort.gc"))) {
                    sb.append("\n thread ").append(entry.getKey().getName());
                    for (StackTraceElement e : st) {
                        sb.append("\n  at ").append(e);
                    }
                }
            }
            fail("the stopper's allocation in debt did not return within " + GUARD_MS / 1000 + " s (phase: " + phase.get()
                    + "): its assist retries for a stop that is its own" + (err.get() != null ? " (failed: " + err.get() + ")" : "") + sb);
        }
        if (err.get() != null) {
            throw new AssertionError("phase " + phase.get(), err.get());
        }
        assertEquals("done", phase.get());
    }
}
