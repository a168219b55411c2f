package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.FatalHandler;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Scheduler.run() returns only after every M is out of collector code: a main goroutine that
 * returns while mark-worker goroutines are busy (and a mutator allocates) must not leave an M
 * marking into work buffers the embedder is about to unmap (seen: SIGSEGV in GcWork.dispose after
 * run() returned in a benchmark harness).
 */
class ShutdownTest {
    static final Type NODE = CollectorTest.NODE;
    static final long A = CollectorTest.A;

    /**
     * A mark worker is held (the collector's worker stall hook) after its first chunk that leaves
     * it grey work, until the scheduler exits: main returns while a worker is certainly marking,
     * whatever the machine's load. (It polled busyWorkers() every 200 us instead, and a
     * main goroutine kept off the CPU for the whole ~60 ms mark phase saw no busy worker in 20 s:
     * session 21's loaded checkmark suite.) A held worker that ignored the exit would drain the
     * heap once let go, which the full-buffer check below still catches.
     */
    @Test
    void mainReturningWhileWorkersMarkLeavesNoMInCollectorCode() throws Exception {
        ForcedMode.assumeConcurrentMark("main returns while mark workers are busy");
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(4).heap(heap).fatalHandler(FatalHandler.THROW));
        WorkbufPool pool = new WorkbufPool();
        GlobalRoots globals = new GlobalRoots();
        Collector gc = new Collector(heap, new SchedWorld(sched, pool), pool, globals, GcOptions.DEFAULT.withGcPercent(-1));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong allocsAfterExit = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean workerHeld = new java.util.concurrent.atomic.AtomicBoolean();
        long[] busyWhenMainReturned = {-1};
        boolean[] fullWhenMainReturned = {false};
        // The first worker that still holds grey work after a chunk waits here, holding its P, until
        // the scheduler exits (60 s at most: a main that failed before returning must not leave it
        // held). One only: workers held on every P would leave main none to return on.
        gc.setWorkerStallHookForTest(mode -> {
            if (!workerHeld.compareAndSet(false, true)) {
                return;
            }
            long giveUp = System.nanoTime() + 60_000_000_000L;
            while (!sched.exiting() && System.nanoTime() - giveUp < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        });
        try {
            sched.run(() -> {
                try {
                    // 4096 lists of 600 nodes (~80 MB): far more marking than a chunk of a worker.
                    Global roots = gc.newGlobal();
                    long table = gc.allocArray(Type.POINTER, 4096);
                    roots.set(table);
                    for (int i = 0; i < 4096; i++) {
                        long head = 0;
                        for (int j = 0; j < 600; j++) {
                            long n = gc.alloc(NODE);
                            Mem.putLong(n, CollectorTest.ID, j);
                            Mem.storePtr(n, A, head);
                            head = n;
                            table = roots.get();
                        }
                        Mem.storePtr(table, 8L * i, head);
                    }
                    // A mutator that keeps allocating (assists, waits for credit) through the exit.
                    Go.go(() -> {
                        for (long k = 1; ; k++) {
                            if (k < 3_000_000) {
                                gc.alloc(NODE);        // bounded: GOGC is off (~100 MB at most)
                            }
                            allocsAfterExit.incrementAndGet();
                            if (k % 1000 == 0) {
                                dev.gort.sched.Time.sleepNanos(500_000);
                            }
                        }
                    });
                    // GOGC is off, so a trigger's request (requestCycle) is refused, as Go's
                    // gcTrigger.test(); gc() names its cycle and runs it. From a plain thread, not
                    // an M: once the scheduler exits it is told so (or that the collector closed)
                    // and ends, leaving no M in collector code.
                    Thread.ofPlatform().name("gc-caller").daemon(true).start(() -> {
                        try {
                            gc.gc();
                        } catch (IllegalStateException exitedOrClosed) {
                            // expected: the held cycle is abandoned at the exit
                        }
                    });
                    // The event, not a time: a worker is held inside the mark phase (a hang guard only).
                    long deadline = System.nanoTime() + 120_000_000_000L;
                    while (!workerHeld.get()) {
                        assertTrue(System.nanoTime() < deadline, "no mark worker held grey work after a chunk in 120 s");
                        dev.gort.sched.Time.sleepNanos(200_000);
                    }
                    busyWhenMainReturned[0] = gc.busyWorkers();
                    fullWhenMainReturned[0] = !pool.fullIsEmpty();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            List<String> alive = aliveMs(before);
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            System.out.println("ShutdownTest: busy workers when main returned " + busyWhenMainReturned[0]
                    + ", full buffers then " + fullWhenMainReturned[0] + ", Ms alive after run() " + alive.size());
            assertTrue(busyWhenMainReturned[0] > 0, "a held worker counts as busy");
            assertEquals(List.of(), alive, "Ms still running when Scheduler.run() returned");
            // The workers answered the exit instead of draining the whole heap first.
            assertFalse(pool.fullIsEmpty(),
                    "workers drained the whole heap before leaving (they ignore the scheduler's exit)");
            assertEquals(0, gc.busyWorkers(), "a worker still counts as busy after run() returned");
        } finally {
            gc.setWorkerStallHookForTest(null);
            gc.close();
            // Cleanup only once every M is gone (a failing run leaves one marking).
            boolean gone = waitForMs(before, 30_000);
            if (gone) {
                globals.close();
                pool.close();
                heap.close();
            }
        }
    }

    /**
     * Main returns while the coordinator is held inside a cycle (a breakpoint before mark
     * termination) and a goroutine waits in gc() for that cycle: run() must return with the
     * cycle abandoned (nothing of the collector left to touch the scheduler's P and G memory, which
     * shutdown frees) and the waiting goroutine's M gone. Before the fix the coordinator stayed in
     * the cycle until close() (a resume() then ran a ragged round and a stop-the-world over the
     * freed Ps) and the gc() caller's M waited in its syscall past shutdown's join.
     */
    @Test
    void mainReturningMidCycleAbandonsTheCycleBeforeRunReturns() throws Exception {
        ForcedMode.assumeConcurrentMark("exits while the cycle is held at a breakpoint inside concurrent mark");
        java.util.concurrent.atomic.AtomicBoolean gcReturned = new java.util.concurrent.atomic.AtomicBoolean();
        exitWhileACycleIsHeld(10_000, Collector.Breakpoint.BEFORE_MARK_TERMINATION, (gc, sched) -> {
            gc.gc();                       // waits for two cycles: the held one and another
            gcReturned.set(true);
        }, (gc, sched) -> {
            assertEquals(Collector.Breakpoint.NONE, gc.stoppedAt(), "the coordinator is still held in the cycle");
            assertFalse(gc.marking(), "the cycle is still marking after run() returned");
            assertFalse(gcReturned.get(), "gc()'s caller ran on after the scheduler exited");
        });
    }

    /**
     * A GOMAXPROCS change waits for the running cycle to end (the collector's resize hook, Go's
     * gcsema). If main returns meanwhile the cycle is abandoned, not ended: the resizing
     * goroutine's M must still leave before run() returns (it waited in its syscall until close()).
     */
    @Test
    void aResizeWaitingForTheCycleLeavesAtExit() throws Exception {
        ForcedMode.assumeConcurrentMark("exits while the cycle is held at a breakpoint inside concurrent mark");
        java.util.concurrent.atomic.AtomicBoolean resized = new java.util.concurrent.atomic.AtomicBoolean();
        // Held before the globals are scanned: at exit the cycle has mark work left, so it is
        // abandoned rather than finished.
        exitWhileACycleIsHeld(1000, Collector.Breakpoint.AFTER_MARK_START, (gc, sched) -> {
            sched.setGomaxprocs(3);        // waits for the held cycle
            resized.set(true);
        }, (gc, sched) -> {
            assertFalse(resized.get(), "the resize went on after the scheduler exited");
            assertEquals(2, sched.gomaxprocs());
        });
    }

    /** What a test does with the collector and its scheduler (a goroutine's body, or checks). */
    private interface WithCollector {
        void run(Collector gc, Scheduler sched) throws Exception;
    }

    /**
     * Main builds a list of {@code nodes} under a global, holds the coordinator at {@code held},
     * starts a goroutine running {@code waiter} (which waits for the held cycle) and returns: run()
     * must return with no M left, then {@code checks} run. Cleanup only once every M is gone.
     */
    private static void exitWhileACycleIsHeld(int nodes, Collector.Breakpoint held, WithCollector waiter,
            WithCollector checks) throws Exception {
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).heap(heap).fatalHandler(FatalHandler.THROW));
        WorkbufPool pool = new WorkbufPool();
        GlobalRoots globals = new GlobalRoots();
        Collector gc = new Collector(heap, new SchedWorld(sched, pool), pool, globals, GcOptions.DEFAULT);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            sched.run(() -> {
                try {
                    Global g = gc.newGlobal();
                    long head = 0;
                    for (int i = 0; i < nodes; i++) {
                        long n = gc.alloc(NODE);
                        Mem.storePtr(n, A, head);
                        head = n;
                        g.set(head);
                    }
                    gc.runTo(held, 20_000);
                    Go.go(() -> {
                        try {
                            waiter.run(gc, sched);
                        } catch (Exception e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    dev.gort.sched.Time.sleepNanos(50_000_000);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            List<String> alive = aliveMs(before);
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(List.of(), alive, "Ms still running when Scheduler.run() returned");
            checks.run(gc, sched);
        } finally {
            gc.close();
            if (waitForMs(before, 30_000)) {
                globals.close();
                pool.close();
                heap.close();
            }
        }
    }

    private static List<String> aliveMs(Set<Thread> before) {
        List<String> alive = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("gort-M") && !before.contains(t)) {
                StringBuilder sb = new StringBuilder(t.getName());
                for (StackTraceElement e : t.getStackTrace()) {
                    sb.append("\n    at ").append(e);
                }
                alive.add(sb.toString());
            }
        }
        return alive;
    }

    private static boolean waitForMs(Set<Thread> before, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        for (;;) {
            boolean any = false;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && t.getName().startsWith("gort-M") && !before.contains(t)) {
                    any = true;
                }
            }
            if (!any) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
    }
}
