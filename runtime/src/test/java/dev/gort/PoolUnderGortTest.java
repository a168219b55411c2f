package dev.gort;

import dev.gort.sync.Pool;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * sync.Pool's victim cache moved by the real collector: the runtime registers Pool.cleanupAll as
 * the collector's sweep-termination hook (Go's clearpools), so Gort.gc() is what ages pool entries.
 */
class PoolUnderGortTest {
    /** GOGC=off: only Gort.gc() starts cycles (sysmon never forces one), so the cycle count is exact. */
    static int run(int procs, GoMain main) {
        return Gort.run(new String[0], main,
                new Gort.Options().settings(Map.of("GOMAXPROCS", Integer.toString(procs), "GOGC", "off"), Map.of()));
    }

    static final class Buf {
        final int id;

        Buf(int id) {
            this.id = id;
        }
    }

    /**
     * At GOMAXPROCS=1 every object is on P0 (private slot or shared chain), so after one cycle all
     * of them come back from the victim cache; after two cycles none does and New is called.
     */
    @Test
    void objectsSurviveOneGcAndAreGoneAfterTwo() {
        assertEquals(0, run(1, args -> {
            AtomicInteger made = new AtomicInteger();
            Pool<Buf> pool = new Pool<>(() -> new Buf(-made.incrementAndGet()));
            int n = 16;
            Set<Buf> put = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (int i = 0; i < n; i++) {
                Buf b = new Buf(i);
                put.add(b);
                pool.put(b);
            }
            long before = Gort.gcStats().numGC();
            Gort.gc();
            assertEquals(before + 1, Gort.gcStats().numGC(), "exactly one cycle");
            Set<Buf> got = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (int i = 0; i < n; i++) {
                got.add(pool.get());
            }
            assertEquals(put, got, "after one GC every object is served from the victim cache");
            assertEquals(0, made.get(), "New was not needed");

            for (Buf b : put) {
                pool.put(b);
            }
            List<WeakReference<Buf>> refs = new ArrayList<>();
            for (Buf b : put) {
                refs.add(new WeakReference<>(b));
            }
            put.clear();
            got.clear();
            Gort.gc();
            Gort.gc();
            assertEquals(before + 3, Gort.gcStats().numGC());
            for (int i = 0; i < n; i++) {
                Buf b = pool.get();
                assertTrue(b.id < 0, "after two GCs the pool is empty; got object " + b.id);
            }
            assertEquals(n, made.get());
            // Pool entries are plain Java objects: once dropped, the JVM's collector frees them.
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (refs.stream().anyMatch(r -> r.get() != null) && System.nanoTime() < deadline) {
                System.gc();
                Gort.sleep(java.time.Duration.ofMillis(10));
            }
            assertTrue(refs.stream().allMatch(r -> r.get() == null), "dropped pool objects are unreachable");
        }));
    }

    /** The cleanup runs with the world stopped: a goroutine spinning through safepoints makes no progress meanwhile. */
    @Test
    void cleanupRunsWithTheWorldStopped() {
        assertEquals(0, run(2, args -> {
            AtomicLong spins = new AtomicLong();
            AtomicInteger moved = new AtomicInteger(-1);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            dev.gort.sync.WaitGroup wg = new dev.gort.sync.WaitGroup();
            wg.add(1);
            Gort.go(() -> {
                while (!stop.get()) {
                    spins.incrementAndGet();
                    Gort.poll(); // a safepoint
                }
                wg.done();
            });
            while (spins.get() < 1000) {
                Gort.gosched();
            }
            Gort.collector().onSweepTermination(() -> {
                long a = spins.get();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                moved.set((int) Math.min(Integer.MAX_VALUE, spins.get() - a));
            });
            Gort.gc();
            stop.set(true);
            wg.await();
            assertEquals(0, moved.get(), "the spinning goroutine ran while the sweep-termination hooks ran");
        }));
    }
}
