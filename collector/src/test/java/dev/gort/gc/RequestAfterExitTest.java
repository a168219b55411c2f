package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.FatalHandler;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A collection asked for by a plain thread once the scheduler has exited (or while it exits) can
 * never run: the world it would stop is gone. {@code gc()} must say so instead of returning as if
 * a cycle and a sweep had completed (Go's runtime.GC never returns without one), and
 * {@code requestCycle} must not report a request as accepted. A goroutine asking at exit is
 * different: it stops at its next safepoint, so gc() returns to it (ShutdownTest).
 */
class RequestAfterExitTest {
    static final Type NODE = CollectorTest.NODE;

    /** A heap, a scheduler at GOMAXPROCS=2 and a collector over it; close() in the embedder's order. */
    record Rig(Heap heap, Scheduler sched, WorkbufPool pool, GlobalRoots globals, Collector gc) implements AutoCloseable {
        static Rig create() {
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).heap(heap).fatalHandler(FatalHandler.THROW));
            WorkbufPool pool = new WorkbufPool();
            GlobalRoots globals = new GlobalRoots();
            return new Rig(heap, sched, pool, globals, new Collector(heap, new SchedWorld(sched, pool), pool, globals, GcOptions.DEFAULT));
        }

        @Override
        public void close() {
            gc.close();
            globals.close();
            pool.close();
            heap.close();
        }
    }

    /** On a goroutine: a 1000-node list rooted in a global, then a cycle held before mark termination. */
    static void listHeldBeforeMarkTermination(Collector gc) {
        Global g = gc.newGlobal();
        for (int i = 0; i < 1000; i++) {
            long n = gc.alloc(NODE);
            Mem.storePtr(n, CollectorTest.A, g.get());
            g.set(n);
        }
        gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, 20_000);
    }

    @Test
    void gcAndRequestCycleAfterTheSchedulerExitedSaySo() {
        try (Rig rig = Rig.create()) {
            Collector gc = rig.gc();
            Scheduler sched = rig.sched();
            long before = gc.cycles();
            sched.run(() -> {
                for (int i = 0; i < 1000; i++) {
                    gc.alloc(NODE);
                }
            });
            IllegalStateException e = assertThrows(IllegalStateException.class, gc::gc,
                    "gc() after the scheduler exited returned as if a collection had run");
            assertTrue(e.getMessage().contains("scheduler"), e.getMessage());
            assertEquals(before, gc.cycles(), "no cycle can have run");
            assertFalse(gc.requestCycle(true), "a cycle request after the scheduler exited was accepted");
        }
    }

    /**
     * A goroutine inside Go.syscall (no P: not a mutator) waiting in gc() while main returns
     * mid-cycle: it stops at the end of its syscall like any goroutine; an exception there would be
     * reported as a panic and turn a clean exit into a fatal one.
     */
    @Test
    void aGoroutineInASyscallWaitingInGcAtExitIsNoPanic() {
        ForcedMode.assumeConcurrentMark("holds the cycle at BEFORE_MARK_TERMINATION while the scheduler exits");
        java.util.concurrent.atomic.AtomicBoolean waiting = new java.util.concurrent.atomic.AtomicBoolean();
        try (Rig rig = Rig.create()) {
            Collector gc = rig.gc();
            assertDoesNotThrow(() -> rig.sched().run(() -> {
                listHeldBeforeMarkTermination(gc);
                dev.gort.sched.Go.go(() -> dev.gort.sched.Go.syscall(() -> {
                    waiting.set(true);
                    gc.gc();                          // waits for the held cycle and one more
                }));
                while (!waiting.get()) {
                    dev.gort.sched.Time.sleepNanos(1_000_000);
                }
                dev.gort.sched.Time.sleepNanos(20_000_000);
            }), "the exit reported a panic");
        }
    }

    /** A plain thread waiting in gc() while main returns mid-cycle is told the collection did not happen. */
    @Test
    void aPlainThreadWaitingInGcWhenTheSchedulerExitsIsTold() throws Exception {
        ForcedMode.assumeConcurrentMark("holds the cycle at BEFORE_MARK_TERMINATION while the scheduler exits");
        Rig rig = Rig.create();
        Collector gc = rig.gc();
        AtomicReference<Object> outcome = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread plain = new Thread(() -> {
            try {
                gc.gc();
                outcome.set("returned");
            } catch (Throwable t) {
                outcome.set(t);
            } finally {
                done.countDown();
            }
        }, "plain-gc-caller");
        try {
            rig.sched().run(() -> {
                listHeldBeforeMarkTermination(gc);
                plain.start();                        // waits for the held cycle and one more
                dev.gort.sched.Time.sleepNanos(50_000_000);
            });
            assertTrue(done.await(60, TimeUnit.SECONDS), "the plain thread's gc() still waits after the scheduler exited");
            Object o = outcome.get();
            assertTrue(o instanceof IllegalStateException, "gc() on a plain thread across the exit: " + o);
            assertTrue(((Throwable) o).getMessage().contains("scheduler"), ((Throwable) o).getMessage());
        } finally {
            gc.close();
            plain.join(60_000);                   // out of gc() before the heap goes
            rig.close();
        }
    }
}
