package dev.gort;

import dev.gort.gc.Collector;
import dev.gort.gc.Global;
import dev.gort.gc.Mem;
import dev.gort.gc.Type;
import dev.gort.sched.Go;
import dev.gort.sync.Pool;
import dev.gort.sync.WaitGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * runtime.GOMAXPROCS(n) with the whole runtime: the collector (cycles held off during a resize,
 * a destroyed P's gcWork flushed, workers started for new Ps), the arena (a destroyed P's mcache
 * flushed), sync.Pool (a destroyed P's private slots kept) and sysmon.
 */
@Timeout(180)
class ProcResizeUnderGortTest {
    static final Type NODE = Type.struct("Node").pointer("next").longField("value").longField("check").build();
    static final long NEXT = NODE.offset("next");
    static final long VALUE = NODE.offset("value");
    static final long CHECK = NODE.offset("check");

    static Gort.Options opts(Map<String, String> env) {
        return new Gort.Options().settings(env, Map.of());
    }

    /** Runs {@code body} on a goroutine that found itself on P {@code want}. */
    static void onP(int want, Runnable body) {
        AtomicBoolean taken = new AtomicBoolean();
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int i = 0; i < 2 * Gort.gomaxprocs(); i++) {
            Gort.go(() -> {
                while (!taken.get() && System.nanoTime() < deadline) {
                    if (Go.pid() == want && taken.compareAndSet(false, true)) {
                        try {
                            body.run();
                        } finally {
                            wg.done();
                        }
                        return;
                    }
                    Gort.gosched();
                }
            });
        }
        wg.await();
        assertTrue(taken.get(), "no goroutine ran on P" + want + " within 60 s");
    }

    /** Walks the list from {@code head}: every node's payload intact (gcpoison would have clobbered a freed one). */
    static long verifyList(long head, long owner) {
        long n = 0;
        for (long p = head; p != 0; p = Mem.loadPtr(p, NEXT)) {
            long v = Mem.getLong(p, VALUE);
            assertEquals(v ^ 0x5DEECE66DL ^ owner, Mem.getLong(p, CHECK), "node " + Long.toHexString(p) + " of list " + owner + " corrupted");
            n++;
        }
        return n;
    }

    /**
     * Goroutines build and drop linked lists on the gort heap (GOGC=25: the collector runs all the
     * time, gccheckmark and gcpoison on), send on channels and sleep, while another goroutine
     * resizes GOMAXPROCS through 1..4 over and over. Every list stays intact and complete after
     * every round and after a final GC, checkmark never fails, and the heap verifies.
     */
    @Test
    void resizeWhileAllocatingSendingSleepingAndCollecting() {
        int mutators = 3;
        int rounds = Integer.getInteger("gort.stress.resize.rounds", 300);
        AtomicInteger resizes = new AtomicInteger();
        AtomicLong startGc = new AtomicLong();
        AtomicLong endGc = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        assertEquals(0, Gort.run(new String[0], args -> {
            Collector gc = Gort.collector();
            startGc.set(Gort.gcStats().numGC());
            AtomicBoolean stop = new AtomicBoolean();
            WaitGroup wg = new WaitGroup();
            wg.add(mutators);
            dev.gort.sched.Chan<Long> pings = new dev.gort.sched.Chan<>(8);
            Global[] heads = new Global[mutators];
            long[] lengths = new long[mutators];
            for (int w = 0; w < mutators; w++) {
                int id = w;
                heads[w] = gc.newGlobal();
                Gort.go(() -> {
                    try {
                        Global head = heads[id];
                        long len = 0;
                        for (int r = 0; r < rounds; r++) {
                            for (int i = 0; i < 100; i++) {
                                long node = gc.alloc(NODE);       // a safepoint: the world may stop and resize here
                                long v = ((long) id << 40) | ((long) r << 16) | i;
                                Mem.putLong(node, VALUE, v);
                                Mem.putLong(node, CHECK, v ^ 0x5DEECE66DL ^ id);
                                Mem.storePtr(node, NEXT, head.get());
                                head.set(node);
                                len++;
                                gc.allocBytes(64);                // garbage
                            }
                            assertEquals(len, verifyList(head.get(), id));
                            if (r % 10 == 9) {
                                head.set(0);                      // the whole list becomes garbage
                                len = 0;
                            }
                            if (r % 5 == 0) {
                                pings.send((long) r);
                                Gort.sleep(Duration.ofMillis(1));
                            }
                        }
                        lengths[id] = len;
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        wg.done();
                    }
                });
            }
            Gort.go(() -> {
                for (Long v; (v = pings.recv()) != null && v >= 0; ) {
                    // drain
                }
            });
            WaitGroup resizer = new WaitGroup();
            resizer.add(1);
            Gort.go(() -> {
                try {
                    int[] sizes = {1, 3, 2, 4, 1, 2};
                    for (int k = 0; !stop.get(); k++) {
                        int before = Gort.gomaxprocs();
                        assertEquals(before, Gort.gomaxprocs(sizes[k % sizes.length]));
                        assertEquals(sizes[k % sizes.length], Gort.gomaxprocs(0), "n < 1 only reads");
                        resizes.incrementAndGet();
                        Gort.sleep(Duration.ofMillis(3));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    resizer.done();
                }
            });
            wg.await();
            stop.set(true);
            resizer.await();
            pings.send(-1L);
            Gort.gc();
            for (int w = 0; w < mutators; w++) {
                assertEquals(lengths[w], verifyList(heads[w].get(), w), "list " + w + " after the final GC");
            }
            endGc.set(Gort.gcStats().numGC());
            Gort.currentRuntime().heap.verifyHeap();
            Gort.gomaxprocs(2);
        }, opts(Map.of("GOMAXPROCS", "2", "GOGC", "25", "GORT_DEBUG", "gccheckmark=1,gcpoison=1",
                // verifyHeap needs a heap nobody releases pages of meanwhile: sysmon's scavenger off
                "GORT_SCAVENGE_PERIOD", "off"))));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        long cycles = endGc.get() - startGc.get();
        System.out.println("ProcResizeUnderGortTest: " + resizes.get() + " resizes, " + cycles + " GC cycles");
        assertTrue(resizes.get() >= 5, "resizes: " + resizes.get());
        assertTrue(cycles >= 3, "GC cycles during the run: " + cycles);
    }

    static final class Buf {
        final int id;

        Buf(int id) {
            this.id = id;
        }
    }

    /**
     * Objects pooled on a P that GOMAXPROCS=1 destroys, the private slot included, are served to
     * the surviving P before and after the next GC (victim cache), and dropped after the second,
     * as Go's victim rules say.
     */
    @Test
    void poolObjectsOnADestroyedPFollowTheVictimRules() {
        int n = 8;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        assertEquals(0, Gort.run(new String[0], args -> {
            try {
                AtomicInteger made = new AtomicInteger();
                Pool<Buf> pool = new Pool<>(() -> new Buf(-made.incrementAndGet()));
                Set<Buf> put = Collections.newSetFromMap(new IdentityHashMap<>());
                onP(1, () -> {
                    for (int i = 0; i < n; i++) {
                        Buf b = new Buf(i);
                        put.add(b);
                        pool.put(b);                    // the first goes to P1's private slot
                    }
                    assertEquals(2, Gort.gomaxprocs(1));
                    assertEquals(0, Go.pid(), "the caller continues on P 0");
                });
                long before = Gort.gcStats().numGC();
                Gort.gc();
                assertEquals(before + 1, Gort.gcStats().numGC());
                Set<Buf> got = Collections.newSetFromMap(new IdentityHashMap<>());
                for (int i = 0; i < n; i++) {
                    got.add(pool.get());
                }
                assertEquals(put, got, "every object pooled on the destroyed P (private slot too) comes back after one GC");
                assertEquals(0, made.get());
                for (Buf b : put) {
                    pool.put(b);
                }
                Gort.gc();
                Gort.gc();
                for (int i = 0; i < n; i++) {
                    assertTrue(pool.get().id < 0, "after two GCs the pool is empty");
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, opts(Map.of("GOMAXPROCS", "2", "GOGC", "off"))));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    /** Bad values leave the runtime as it was; a resize while a GC is requested repeatedly completes. */
    @Test
    void badValuesAndResizeAgainstForcedGcs() {
        AtomicReference<String> msg = new AtomicReference<>();
        AtomicInteger procsAfter = new AtomicInteger();
        AtomicInteger workers = new AtomicInteger();
        assertEquals(0, Gort.run(new String[0], args -> {
            msg.set(assertThrows(IllegalArgumentException.class, () -> Gort.gomaxprocs(5000)).getMessage());
            assertEquals(2, Gort.gomaxprocs(-3), "n < 1 only reads");
            AtomicBoolean stop = new AtomicBoolean();
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            Gort.go(() -> {
                while (!stop.get()) {
                    Gort.gc();
                }
                wg.done();
            });
            for (int i = 0; i < 20; i++) {
                Gort.gomaxprocs(1 + i % 3);
            }
            stop.set(true);
            wg.await();
            Gort.gomaxprocs(3);
            procsAfter.set(Gort.gomaxprocs());
            // The collector's worker goroutines: started up to the new GOMAXPROCS by the first
            // allocation on a new P.
            Gort.gomaxprocs(4);
            onP(3, () -> Gort.collector().allocBytes(64));
            // Count the parked worker goroutines themselves (not the collector's own figure).
            long deadline = System.nanoTime() + 60_000_000_000L;
            int parked;
            do {
                Gort.sleep(Duration.ofMillis(2));
                AtomicInteger k = new AtomicInteger();
                Gort.currentRuntime().sched.forEachG(g -> {
                    if (g.status() == dev.gort.sched.GStatus.WAITING
                            && g.waitReason() == dev.gort.sched.WaitReason.GC_WORKER_IDLE) {
                        k.incrementAndGet();
                    }
                });
                parked = k.get();
            } while (parked < 4 && System.nanoTime() < deadline);
            workers.set(parked);
            assertEquals(parked, Gort.collector().markWorkerStats().workers(), "the collector counts the same workers");
            assertEquals(2, Gort.config().gomaxprocs(), "Config keeps the start-up value; the runtime has the new one");
        }, opts(Map.of("GOMAXPROCS", "2"))));
        assertTrue(msg.get().contains("accepted: 1..1024") && msg.get().contains("stays 2"), msg.get());
        assertEquals(3, procsAfter.get());
        assertTrue(workers.get() >= 4, "mark worker goroutines after growing to 4: " + workers.get());
    }
}
