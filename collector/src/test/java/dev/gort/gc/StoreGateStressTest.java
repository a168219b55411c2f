package dev.gort.gc;

import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The store gate under load (session 10, branch hidden): goroutines allocate lists, root them in
 * globals and pools and hand those handles to a plain thread that closes them, a goroutine closes
 * its own handles inside {@code Go.syscall} (unstoppable too), and cycles run back to back (GOGC=5)
 * with checkmark and gcpoison on. Proves the gate's lock order: no hang (the coordinator holds the
 * gate while it stops the world, while gated closers spin on pool Locals and the root table's
 * lock that the goroutines take), no early free (every kept list's payload is checked each round,
 * and each pooled object taken back), and nothing kept: after the closer drained its queue and two
 * full collections, the heap holds exactly the goroutines' kept lists.
 * {@code -Dgort.stress.gate.millis=} runs longer (default 1500 ms of mutation). The mutation goes
 * on past that until 5 forced cycles ran during it (at most 60 s more): the assertion that the
 * closes met cycles is the run's precondition, and 1500 ms held only 4 at load ~45 (session 13).
 */
class StoreGateStressTest {
    static final Type NODE = CollectorTest.NODE;
    static final long A = CollectorTest.A, ID = CollectorTest.ID, CHECK = CollectorTest.CHECK;
    static final long MILLIS = Long.getLong("gort.stress.gate.millis", 1500);
    static final int WORKERS = 3;
    static final int LIST = 3;

    /** A LIST-node list; the part built so far sits in a frame slot across each allocation (the rule). */
    static long list(Collector gc, long id) {
        try (Frame f = Frame.push(1)) {
            for (int i = LIST - 1; i >= 0; i--) {
                long p = gc.alloc(NODE);
                Mem.putLong(p, ID, id + i);
                Mem.putLong(p, CHECK, CollectorTest.check(id + i));
                Mem.storePtr(p, A, f.get(0));
                f.set(0, p);
            }
            return f.get(0);        // no safepoint before the caller stores it
        }
    }

    static void checkList(long head, long id, String what) {
        long p = head;
        for (int i = 0; i < LIST; i++) {
            assertNotEquals(0, p, what + ": node " + i + " missing");
            assertEquals(id + i, Mem.getLong(p, ID), what + ": node " + i + " id");
            assertEquals(CollectorTest.check(id + i), Mem.getLong(p, CHECK), what + ": node " + i + " payload");
            p = Mem.loadPtr(p, A);
        }
    }

    @Test
    void unstoppableClosersBesideGoroutinesAndBackToBackCycles() {
        long seed = System.nanoTime();
        System.out.println("StoreGateStressTest seed " + seed);
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withGcPercent(5).withDebug(false, true, true, 0, 0), gc -> {
            ConcurrentLinkedQueue<AutoCloseable> toClose = new ConcurrentLinkedQueue<>();
            AtomicInteger running = new AtomicInteger(WORKERS);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong closed = new AtomicLong();
            AtomicLong syscallCloses = new AtomicLong();
            gc.gc();        // the first cycle warms the pause path up (seconds at load): not part of the run
            long cycles0 = gc.cycles();
            Thread closer = new Thread(() -> {
                try {
                    while (running.get() > 0 || !toClose.isEmpty()) {
                        AutoCloseable c = toClose.poll();
                        if (c == null) {
                            Global g = gc.newGlobal();      // allocSlot + a gated clear of an empty slot
                            g.close();
                            Thread.onSpinWait();
                            continue;
                        }
                        c.close();
                        closed.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "plain-closer");
            closer.start();
            AtomicLong cyclesDuring = new AtomicLong();
            Thread cycler = new Thread(() -> {      // cycles back to back beside the pacer's own
                try {
                    while (running.get() > 0 && failure.get() == null) {
                        gc.gc();
                        cyclesDuring.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "plain-cycler");
            cycler.start();
            PtrPool shared = new PtrPool(gc);
            Global[] kept = new Global[WORKERS];
            for (int w = 0; w < WORKERS; w++) {
                kept[w] = gc.newGlobal();
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MILLIS);
            long hardDeadline = deadline + TimeUnit.SECONDS.toNanos(60);
            for (int w = 0; w < WORKERS; w++) {
                final int id = w;
                Go.go(() -> {
                    Random r = new Random(seed + id);
                    long keptId = 1_000_000L * (id + 1);
                    try (Frame f = Frame.push(1)) {
                        kept[id].set(list(gc, keptId));
                        for (long n = 0; (System.nanoTime() < deadline || (cyclesDuring.get() < 5 && System.nanoTime() < hardDeadline))
                                && failure.get() == null; n++) {
                            long base = 1_000_000L * (id + 1) + 10 * (n + 1);
                            switch (r.nextInt(4)) {
                                case 0 -> {                   // a global for the plain thread to close
                                    Global g = gc.newGlobal();
                                    g.set(list(gc, base));
                                    toClose.add(g);
                                }
                                case 1 -> {                   // a pool for the plain thread to close
                                    PtrPool p = new PtrPool(gc);
                                    p.put(list(gc, base));
                                    toClose.add(p);
                                }
                                case 2 -> {                   // the shared pool: what comes back is intact
                                    f.set(0, shared.get());
                                    if (f.get(0) != 0) {
                                        long got = f.get(0);
                                        checkList(got, Mem.getLong(got, ID), "pooled list");
                                    }
                                    shared.put(list(gc, base));
                                    f.set(0, 0);
                                }
                                default -> {                  // close our own global inside Go.syscall
                                    Global g = gc.newGlobal();
                                    g.set(list(gc, base));
                                    Go.syscall(g::close);
                                    syscallCloses.incrementAndGet();
                                }
                            }
                            checkList(kept[id].get(), keptId, "kept list of goroutine " + id);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        running.decrementAndGet();
                    }
                });
            }
            while (running.get() > 0) {
                Go.syscall(() -> sleep(10));
            }
            Go.syscall(() -> join(closer));
            Go.syscall(() -> join(cycler));
            assertFalse(closer.isAlive(), "the plain closer finished");
            assertFalse(cycler.isAlive(), "the cycler finished");
            if (failure.get() != null) {
                throw new AssertionError("seed " + seed + ": " + failure.get(), failure.get());
            }
            shared.close();
            gc.gc();
            gc.gc();                                // pooled objects age out in two cycles
            for (int w = 0; w < WORKERS; w++) {
                checkList(kept[w].get(), 1_000_000L * (w + 1), "kept list " + w + " at the end");
            }
            long objects = gc.heap().readMemStats().heapObjects();
            System.out.println("StoreGateStressTest: " + (gc.cycles() - cycles0) + " cycles (" + cyclesDuring.get()
                    + " full gc() during the mutation), " + closed.get()
                    + " handles closed by the plain thread, " + syscallCloses.get() + " in Go.syscall, "
                    + gc.checkmarkCycles() + " checkmarks; " + objects + " objects live at the end");
            assertTrue(cyclesDuring.get() >= 5, "cycles ran while the handles were closed: " + cyclesDuring.get());
            assertEquals((long) WORKERS * LIST, objects, "seed " + seed + ": after two full collections only the kept lists "
                    + "are live (nothing a closed handle held is kept)");
        });
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void join(Thread t) {
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
