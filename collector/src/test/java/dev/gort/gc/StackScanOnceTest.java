package dev.gort.gc;

import dev.gort.sched.Chan;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue #5's "no stack rescan", counted: with the collector's stack-scan audit on
 * ({@link StackScanAudit}), every goroutine (SchedWorld) or registered thread (ThreadWorld) live
 * from a cycle's sweep termination to its mark termination is scanned exactly once in that cycle,
 * over many cycles, and none is scanned twice. The goroutines are parked on channels, in
 * syscalls, running (allocating and yielding), created during the mark and ending during it; the
 * threads allocate, block, and register and unregister while cycles run. Some cycles are held at
 * AFTER_MARK_START so that goroutines and threads are certainly created and ended inside a mark.
 *
 * <p>What gort does with a goroutine created during the mark: its G's scan word is not the
 * cycle's, so the scheduler scans it on g0 before it first runs (no frames: nothing read), unless
 * the G is a reused one whose earlier goroutine was already scanned this cycle (the word is the
 * cycle's: not scanned). Either way at most once, and a fresh stack needs none (allocate-black,
 * the hybrid barrier). A registered thread created during the mark is not scanned until the next
 * cycle (its slots start empty).
 */
class StackScanOnceTest {
    static final GcOptions CHECKED = GcOptions.DEFAULT.withDebug(false, true, true, 0, 0);
    static final long GUARD_MS = 60_000;

    @Test
    void everyGoroutineStackIsScannedExactlyOncePerCycle() {
        int cycles = Integer.getInteger("gort.stress.cycles", 24);
        SchedCollectorTest.withRuntime(2, CHECKED.withGcPercent(20), gc -> {
            StackScanAudit audit = gc.auditStackScans();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger alive = new AtomicInteger();
            Chan<Integer> gate = new Chan<>();
            int parked = 40;
            for (int i = 0; i < parked; i++) {
                final long id = 1000 + i;
                spawn(alive, failure, () -> framed(gc, id, gate::recv));            // parked
            }
            for (int i = 0; i < 3; i++) {
                final long id = 2000 + i;
                spawn(alive, failure, () -> framed(gc, id, () -> {                // in syscalls
                    while (!stop.get()) {
                        Go.syscall(() -> LockSupport.parkNanos(2_000_000));
                    }
                }));
            }
            for (int i = 0; i < 2; i++) {
                final long id = 3000 + i;
                spawn(alive, failure, () -> framed(gc, id, () -> {                // running: allocate and yield
                    for (long k = 0; !stop.get(); k++) {
                        SchedCollectorTest.node(gc, -k);
                        if ((k & 255) == 0) {
                            Go.gosched();
                        }
                    }
                }));
            }
            spawn(alive, failure, () -> {                                           // short-lived goroutines, all the time
                for (long k = 0; !stop.get(); k++) {
                    final long id = 10_000 + k;
                    Go.go(() -> framed(gc, id, Go::gosched));
                    Go.gosched();
                }
            });
            Chan<Integer> ends = new Chan<>(parked);
            for (int c = 0; c < cycles; c++) {
                if (c % 4 == 0 && ForcedMode.concurrentMark()) {
                    // A held mark: goroutines certainly created during it, and some ending in it.
                    gc.runTo(Collector.Breakpoint.AFTER_MARK_START, GUARD_MS);
                    for (int i = 0; i < 5; i++) {
                        final long id = 50_000 + c * 10L + i;
                        Go.go(() -> framed(gc, id, () -> ends.send(1)));
                    }
                    for (int i = 0; i < 5; i++) {
                        ends.recv();        // they ran (scanned before their first run) and end now
                    }
                    gc.resume();
                    gc.gc();                // that held cycle's end, then one more
                } else {
                    gc.gc();
                }
            }
            stop.set(true);
            gate.close();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_MS);
            while (alive.get() > 0 && System.nanoTime() < deadline) {
                Go.gosched();
            }
            List<StackScanAudit.Cycle> seen = audit.cycles();
            Map<String, Integer> hows = report("goroutines", seen);
            List<String> bad = audit.violations();       // first: what this test is about
            assertTrue(bad.isEmpty(), () -> bad.size() + " breaches of once per cycle, first: " + bad.subList(0, Math.min(10, bad.size())));
            assertEquals(0, alive.get(), "the test's goroutines ended");
            assertNull(failure.get(), () -> "a goroutine failed: " + failure.get());
            assertTrue(seen.size() >= cycles, "cycles audited: " + seen.size());
            int checked = 0;
            int createdScanned = 0;
            int createdNot = 0;
            int endedDuringMark = 0;
            for (StackScanAudit.Cycle c : seen) {
                for (String s : c.liveAtStart) {
                    if (c.liveAtEnd.contains(s)) {
                        checked++;
                    } else {
                        endedDuringMark++;
                    }
                }
                for (String s : c.scans.keySet()) {
                    if (!c.liveAtStart.contains(s)) {
                        createdScanned++;
                    }
                }
                for (String s : c.liveAtEnd) {
                    if (!c.liveAtStart.contains(s) && c.count(s) == 0) {
                        createdNot++;
                    }
                }
            }
            System.out.println("goroutines: " + checked + " stacks live through a cycle, each scanned once; ended during the mark "
                    + endedDuringMark + "; created during the mark: scanned " + createdScanned + ", not scanned (a reused G) " + createdNot);
            assertTrue(checked >= cycles * (long) parked, "the parked goroutines were live through every cycle: " + checked);
            if (ForcedMode.concurrentMark()) {
                // Every kind the test set up was met by the mark phase's scanners.
                assertTrue(hasHow(hows, "waiting"), () -> "a parked goroutine scanned: " + hows);
                assertTrue(hasHow(hows, "syscall"), () -> "a goroutine in a syscall scanned: " + hows);
                assertTrue(hasHow(hows, "onRun"), () -> "a goroutine scanned before it ran: " + hows);
                assertTrue(createdScanned > 0, "goroutines created during the mark");
                assertTrue(endedDuringMark > 0, "goroutines ended during the mark");
            } else {
                assertEquals(hows.keySet(), java.util.Set.of("stopped(sweepTermination)"), "the stopped modes walk stacks once, in their pause");
            }
        });
    }

    @Test
    void everyRegisteredThreadIsScannedExactlyOncePerCycle() throws Exception {
        int cycles = Integer.getInteger("gort.stress.cycles", 24);
        heapAndCollector((gc, world) -> {
            StackScanAudit audit = gc.auditStackScans();
            world.register(4);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) {
                final int me = i;
                threads.add(Thread.ofPlatform().name("scan-once-" + i).start(() -> {
                    Mutator mm = world.register(4);
                    try {
                        mm.roots().set(0, gc.alloc(mm, CollectorTest.NODE));
                        started.countDown();
                        for (long k = 0; !stop.get(); k++) {
                            if (me == 0) {
                                world.runBlocking(mm, () -> LockSupport.parkNanos(2_000_000));      // mostly blocked
                            } else {
                                gc.alloc(mm, CollectorTest.NODE);                                    // allocating
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        world.unregister();
                    }
                }));
            }
            threads.add(Thread.ofPlatform().name("scan-once-churn").start(() -> {         // register, allocate, unregister
                while (!stop.get()) {
                    Mutator mm = world.register(2);
                    try {
                        mm.roots().set(0, gc.alloc(mm, CollectorTest.NODE));
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        world.unregister();
                    }
                }
            }));
            started.await(GUARD_MS, TimeUnit.MILLISECONDS);
            for (int c = 0; c < cycles; c++) {
                if (c % 4 == 0 && ForcedMode.concurrentMark()) {
                    gc.runTo(Collector.Breakpoint.AFTER_MARK_START, GUARD_MS);
                    Thread t = Thread.ofPlatform().start(() -> {         // registers and ends inside the held mark
                        world.register(1).roots().set(0, 0);
                        world.unregister();
                    });
                    world.runBlocking(world.current(), () -> {
                        try {
                            t.join(GUARD_MS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    gc.resume();
                }
                gc.gc();
            }
            stop.set(true);
            for (Thread t : threads) {
                world.runBlocking(world.current(), () -> {
                    try {
                        t.join(GUARD_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            List<StackScanAudit.Cycle> seen = audit.cycles();
            Map<String, Integer> hows = report("threads", seen);
            List<String> bad = audit.violations();       // first: what this test is about
            assertTrue(bad.isEmpty(), () -> bad.size() + " breaches of once per cycle, first: " + bad.subList(0, Math.min(10, bad.size())));
            assertNull(failure.get(), () -> "a thread failed: " + failure.get());
            assertTrue(seen.size() >= cycles, "cycles audited: " + seen.size());
            int checked = 0;
            int joined = 0;
            int left = 0;
            for (StackScanAudit.Cycle c : seen) {
                for (String s : c.liveAtStart) {
                    if (c.liveAtEnd.contains(s)) {
                        checked++;
                    } else {
                        left++;
                    }
                }
                for (String s : c.liveAtEnd) {
                    if (!c.liveAtStart.contains(s)) {
                        joined++;
                        assertEquals(0, c.count(s), "a thread registered during the mark is not scanned in it: gc " + c.cycle + " " + s);
                    }
                }
            }
            System.out.println("threads: " + checked + " live through a cycle, each scanned once; unregistered during the mark " + left
                    + "; registered during it (not scanned) " + joined);
            assertTrue(checked >= cycles * 5L, "the test thread and the four workers were live through every cycle: " + checked);
            assertEquals(hows.keySet(), java.util.Set.of("stopped(sweepTermination)"), "threads' roots are read in sweep termination's pause");
        });
    }

    interface Body {
        void run(Collector gc, ThreadWorld world) throws Exception;
    }

    private static void heapAndCollector(Body body) throws Exception {
        dev.gort.arena.Heap heap = dev.gort.arena.Heap.create(dev.gort.arena.HeapConfig.defaults().withArenaReservation(1L << 30)
                .withClobberFree(true), dev.gort.sys.PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, CHECKED.withGcPercent(20), 2);
        try {
            body.run(gc, gc.threadWorld());
        } finally {
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            if (gc.threadWorld().current() != null) {
                gc.threadWorld().unregister();
            }
            gc.close();
            heap.close();
        }
    }

    private static boolean hasHow(Map<String, Integer> hows, String part) {
        return hows.keySet().stream().anyMatch(h -> h.contains(part));
    }

    /** Prints how the stacks were scanned over all cycles (counts per "who status"), and returns it. */
    private static Map<String, Integer> report(String what, List<StackScanAudit.Cycle> seen) {
        Map<String, Integer> hows = new TreeMap<>();
        for (StackScanAudit.Cycle c : seen) {
            for (List<String> l : c.scans.values()) {
                for (String h : l) {
                    hows.merge(h, 1, Integer::sum);
                }
            }
        }
        System.out.println(what + ": " + seen.size() + " cycles audited; scans by who and status: " + hows);
        return hows;
    }

    private static void spawn(AtomicInteger alive, AtomicReference<Throwable> failure, Runnable body) {
        alive.incrementAndGet();
        Go.go(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                alive.decrementAndGet();
            }
        });
    }

    /** Runs {@code body} with a frame of two nodes (ids {@code id}, {@code -id}) and checks them after. */
    private static void framed(Collector gc, long id, Runnable body) {
        try (Frame f = Frame.push(2)) {
            f.set(0, SchedCollectorTest.node(gc, id));
            f.set(1, SchedCollectorTest.node(gc, -id));
            body.run();
            assertEquals(id, Mem.getLong(f.get(0), CollectorTest.ID));
            assertEquals(CollectorTest.check(id), Mem.getLong(f.get(0), CollectorTest.CHECK));
            assertEquals(-id, Mem.getLong(f.get(1), CollectorTest.ID));
        }
    }
}
