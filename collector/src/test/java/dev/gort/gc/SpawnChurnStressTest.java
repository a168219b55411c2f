package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.FatalHandler;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Many short goroutines as collector mutators, with checkmark and poisoned frees: waves of fresh
 * goroutines (the shape a scheduler may run back to back in one continuation) each push a frame,
 * build a short list across allocation safepoints (so a cycle's stack scan finds the list only in
 * that goroutine's frame), check it, and publish it into one of a table of globals. Among them:
 * goroutines that yield (gosched) with the list in their frame, yield while pinned, lock their
 * thread, end with Go.goexit() or a recovered panic after publishing, or spawn a child that builds
 * its own list; a plain thread resizes GOMAXPROCS 2 <-> 1 meanwhile (a stop-the-world while
 * goroutines are started and finished), another preempts every P every ~0.2 ms (sysmon's part).
 * After the churn and a final gc() every published list is intact and the heap holds exactly
 * their nodes. Seeded ({@code -Dgort.stress.seed}); {@code -Dgort.stress.millis}
 * runs longer. On a starved machine the churn goes on past its time until 3 cycles ran, and the
 * resizer until it resized twice (each at most 60 s more): those counts are the run's
 * preconditions.
 */
class SpawnChurnStressTest {
    static final Type NODE = CollectorTest.NODE;
    static final long A = CollectorTest.A, ID = CollectorTest.ID, CHECK = CollectorTest.CHECK;
    static final int TABLE = 64;
    static final int LIST = 8;

    /** A panic the scheduler's handler recovers (the goroutine ends as if it returned). */
    static final class Recovered extends RuntimeException {
        Recovered() {
            super("recovered test panic", null, false, false);
        }
    }

    static long check(long id) {
        return id * 0x9E3779B97F4A7C15L ^ 0x5DEECE66DL;
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 240, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void shortGoroutinesKeepTheirListsThroughCyclesAndResizes() throws Exception {
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        long millis = Long.getLong("gort.stress.millis", 6_000);
        System.out.println("SpawnChurnStressTest seed=" + seed + " millis=" + millis);
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClobberFree(true),
                PosixOsMemory.get());
        AtomicLong recovered = new AtomicLong();
        Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).heap(heap)
                .fatalHandler(FatalHandler.THROW)
                .panicHandler((g, t) -> {
                    if (t instanceof Recovered) {
                        recovered.incrementAndGet();
                        return true;
                    }
                    return false;
                }));
        WorkbufPool pool = new WorkbufPool();
        GlobalRoots globals = new GlobalRoots();
        Collector gc = new Collector(heap, new SchedWorld(sched, pool), pool, globals,
                GcOptions.DEFAULT.withGcPercent(5).withDebug(false, true, true, 0, 0));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong started = new AtomicLong(), finished = new AtomicLong(), yields = new AtomicLong(),
                exits = new AtomicLong(), locked = new AtomicLong(), children = new AtomicLong(), resizes = new AtomicLong(),
                preempts = new AtomicLong(), pinned = new AtomicLong();
        Global[] table = new Global[TABLE];
        long[] cyclesSeen = new long[1];
        try {
            sched.run(() -> {
                for (int i = 0; i < TABLE; i++) {
                    table[i] = gc.newGlobal();
                }
                Thread resizer = new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(seed ^ 0xABCDEF);
                    long end = System.nanoTime() + millis * 1_000_000;
                    long hardEnd = end + 60_000_000_000L;     // a loaded machine: go on until 2 resizes ran
                    while ((System.nanoTime() < end || resizes.get() < 2) && System.nanoTime() < hardEnd && failure.get() == null) {
                        try {
                            Thread.sleep(20 + r.nextInt(60));
                            sched.setGomaxprocs(sched.gomaxprocs() == 2 ? 1 : 2);
                            resizes.incrementAndGet();
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                            return;
                        }
                    }
                }, "spawnchurn-resizer");
                resizer.start();
                // sysmon's part, faster: preempt whatever runs on each P every ~0.2 ms.
                Thread preempter = new Thread(() -> {
                    long end = System.nanoTime() + millis * 1_000_000;
                    while (System.nanoTime() < end && failure.get() == null) {
                        java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                        int n = sched.gomaxprocs();
                        for (int i = 0; i < n; i++) {
                            try {
                                sched.preempt(i);
                                preempts.incrementAndGet();
                            } catch (IllegalArgumentException shrunk) {
                                // the P went away meanwhile
                            }
                        }
                    }
                }, "spawnchurn-preempter");
                preempter.setDaemon(true);
                preempter.start();
                SplittableRandom rnd = new SplittableRandom(seed);
                long end = System.nanoTime() + millis * 1_000_000;
                long hardEnd = end + 60_000_000_000L;     // a loaded machine: go on until 3 cycles ran
                long seq = 0;
                while ((System.nanoTime() < end || gc.cycles() < 3) && System.nanoTime() < hardEnd && failure.get() == null) {
                    // A wave of fresh goroutines, then wait until (nearly) all have finished.
                    int wave = 16 + rnd.nextInt(64);
                    for (int k = 0; k < wave; k++) {
                        long id = ++seq;
                        int kind = rnd.nextInt(16);
                        started.incrementAndGet();
                        Go.go(() -> body(gc, table, id, kind, failure, finished, yields, exits, locked, children, started, pinned));
                    }
                    while (started.get() - finished.get() > 8 && failure.get() == null) {
                        Go.gosched();
                    }
                }
                while (started.get() != finished.get() && failure.get() == null) {
                    Go.gosched();
                }
                Go.syscall(() -> {                       // a blocking join must not hold the P a resize stops
                    try {
                        resizer.join();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                cyclesSeen[0] = gc.cycles();
                gc.gc();
                if (failure.get() == null) {
                    try {
                        int lists = 0;
                        for (Global g : table) {
                            if (g.get() != 0) {
                                verifyList(g.get(), -1);
                                lists++;
                            }
                        }
                        assertEquals((long) lists * LIST, heap.readMemStats().heapObjects(),
                                "the heap holds exactly the published lists' nodes");
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }
            });
            if (failure.get() != null) {
                throw new AssertionError("seed " + seed + ": " + failure.get(), failure.get());
            }
            System.out.println("SpawnChurnStressTest: goroutines=" + started.get() + " yields=" + yields.get()
                    + " goexits=" + exits.get() + " recovered panics=" + recovered.get() + " locked=" + locked.get()
                    + " children=" + children.get() + " pinned=" + pinned.get() + " preempts=" + preempts.get()
                    + " resizes=" + resizes.get() + " cycles=" + gc.cycles()
                    + " checkmarked=" + gc.checkmarkCycles() + " runner adoptions=" + sched.runnerAdoptions());
            assertEquals(started.get(), finished.get());
            assertTrue(cyclesSeen[0] >= 3, "only " + cyclesSeen[0] + " cycles ran during the churn");
            assertEquals(gc.cycles(), gc.checkmarkCycles(), "every cycle was checked by checkmark");
            assertTrue(resizes.get() >= 2, "only " + resizes.get() + " resizes");
        } finally {
            gc.close();
            globals.close();
            pool.close();
            heap.close();
        }
    }

    /** One short goroutine: build a list in a frame across safepoints, check it, publish it, end some way. */
    private static void body(Collector gc, Global[] table, long id, int kind, AtomicReference<Throwable> failure,
                             AtomicLong finished, AtomicLong yields, AtomicLong exits, AtomicLong locked,
                             AtomicLong children, AtomicLong started, AtomicLong pinned) {
        boolean counted = false;
        try (Frame f = Frame.push(2)) {
            if (kind == 0) {
                Go.lockOSThread();
                locked.incrementAndGet();
            }
            for (int i = 0; i < LIST; i++) {
                long n = gc.alloc(NODE);                     // a safepoint: the list so far is only in f
                Mem.putLong(n, ID, id * LIST + i);
                Mem.putLong(n, CHECK, check(id * LIST + i));
                Mem.storePtr(n, A, f.get(0));
                f.set(0, n);
                if (kind == 1 && i == LIST / 2) {
                    yields.incrementAndGet();
                    Go.gosched();                            // resumes later, maybe on another M
                }
                if (kind == 6 && i == LIST / 2) {
                    pinned.incrementAndGet();
                    jdk.internal.vm.Continuation.pin();      // a yield that cannot unmount: keeps its M
                    try {
                        Go.gosched();
                    } finally {
                        jdk.internal.vm.Continuation.unpin();
                    }
                }
            }
            verifyList(f.get(0), id);
            if (kind == 2 && children.get() < 5_000) {
                children.incrementAndGet();
                started.incrementAndGet();
                long childId = -id;                          // negative ids: children
                Go.go(() -> body(gc, table, Math.abs(childId) + (1L << 40), 3, failure, finished, yields, exits,
                        locked, children, started, pinned));
            }
            table[(int) Math.floorMod(id, TABLE)].set(f.get(0));
            if (kind == 0) {
                Go.unlockOSThread();
            }
            finished.incrementAndGet();
            counted = true;
            if (kind == 4) {
                exits.incrementAndGet();
                Go.goexit();
            }
            if (kind == 5) {
                throw new Recovered();
            }
        } catch (Recovered r) {
            throw r;
        } catch (RuntimeException | AssertionError t) {       // Go.goexit's signal (an Error) passes

            failure.compareAndSet(null, new AssertionError("goroutine for list " + id + " (kind " + kind + ")", t));
            if (!counted) {
                finished.incrementAndGet();
            }
        }
    }

    /** Checks LIST nodes from head: ids descending, check words intact ({@code id} -1: any list). */
    private static void verifyList(long head, long id) {
        long p = head;
        long first = Mem.getLong(p, ID);
        long base = first - (LIST - 1);
        if (id >= 0) {
            assertEquals(id * LIST + LIST - 1, first, "head of list " + id);
        }
        for (int i = LIST - 1; i >= 0; i--) {
            assertNotEquals(0, p, "list " + base / LIST + " is short at node " + i);
            assertEquals(base + i, Mem.getLong(p, ID), "id of node " + i + " of list " + base / LIST);
            assertEquals(check(base + i), Mem.getLong(p, CHECK), "check word of node " + i + " of list " + base / LIST);
            p = Mem.loadPtr(p, A);
        }
        assertEquals(0, p, "list " + base / LIST + " is longer than " + LIST);
    }
}
