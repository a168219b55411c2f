package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PtrPool: Go's sync.Pool for gort-heap pointers. Pooled pointers are roots (they survive a cycle
 * with nothing else referring to them), the victim cache lets them go at the second cycle, no
 * pointer is handed to two getters, a GOMAXPROCS shrink neither loses nor leaks entries, and bad
 * callers get clear messages. Runs under the real scheduler with gccheckmark and gcpoison.
 */
class PtrPoolTest {
    /** gccheckmark + gcpoison; GOGC=off: only the test's gc() calls run cycles, so it can count them (each ages the pool). */
    static final GcOptions OPTS = GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withDebug(false, true, true, 0, 0);
    static final long ID = CollectorTest.ID, CHECK = CollectorTest.CHECK, A = CollectorTest.A, B = CollectorTest.B;
    static final long NODE_BYTES = SchedCollectorTest.NODE_SLOT;

    static long objects(Collector gc) {
        return gc.heap().readMemStats().heapObjects();
    }

    static void assertPayload(long p, long id) {
        assertEquals(id, Mem.getLong(p, ID), "payload id of " + Long.toHexString(p));
        assertEquals(CollectorTest.check(id), Mem.getLong(p, CHECK), "payload check of " + Long.toHexString(p));
    }

    /** The only reference is the pool: alive after one cycle (in the victim cache), freed at the second. */
    @Test
    void pooledObjectSurvivesOneCycleAndIsFreedAtTheSecond() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            try (PtrPool pool = new PtrPool(gc)) {
                int n = 100;
                long[] addrs = new long[n];
                for (int i = 0; i < n; i++) {
                    long p = SchedCollectorTest.node(gc, i);
                    addrs[i] = p;
                    pool.put(p);                   // no safepoint between the allocation and the put
                }
                assertEquals(n, pool.pooled());
                assertEquals(n, objects(gc));
                gc.gc();
                assertEquals(n, objects(gc), "the victim cache keeps every pooled object for one cycle");
                assertEquals(n * NODE_BYTES, gc.heap().readMemStats().heapAlloc());
                assertEquals(0, pool.pooled());
                assertEquals(n, pool.pooledInVictims());
                for (int i = 0; i < n; i++) {
                    assertPayload(addrs[i], i);     // gcpoison would have overwritten a freed one
                }
                assertEquals(gc.cycles(), gc.checkmarkCycles(), "checkmark verified the cycle");
                gc.gc();
                assertEquals(0, objects(gc), "dropped by the victim rules at the second cycle: garbage, freed");
                assertEquals(0, gc.heap().readMemStats().heapAlloc());
                assertEquals(0, pool.pooledInVictims());
                for (long p : addrs) {
                    assertEquals(0, gc.heap().gc().findObject(p), "freed: " + Long.toHexString(p));
                }
                assertEquals(0, pool.get(), "empty pool without New");
            }
        });
    }

    /** A burst's ring slots go back to the root table once the burst is two cycles old. */
    @Test
    void ringSlotsOfABurstAreGivenBack() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            long handles = gc.globals().liveHandles();
            try (PtrPool pool = new PtrPool(gc)) {
                for (int i = 0; i < 2000; i++) {
                    pool.put(SchedCollectorTest.node(gc, i));
                }
                long burst = pool.slots();
                assertTrue(burst >= 2000, "slots for 2000 entries: " + burst);
                for (int c = 0; c < 4; c++) {
                    gc.gc();
                }
                assertEquals(0, objects(gc), "entries dropped");
                long after = pool.slots();
                assertTrue(after <= 4 * (1 + 8), "at most 4 Locals (2 Ps, 2 generations) of 1 + 8 slots: " + after);
                assertEquals(handles + after, gc.globals().liveHandles(), "the slots went back to the root table");
                pool.put(SchedCollectorTest.node(gc, 1));     // and the pool still works
                assertEquals(1, Mem.getLong(pool.get(), ID));
            }
            assertEquals(handles, gc.globals().liveHandles());
        });
    }

    /** After one cycle get finds the entries in the victim cache; then New answers. */
    @Test
    void getAfterOneCycleTakesFromTheVictimCacheThenNew() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            AtomicInteger made = new AtomicInteger();
            try (PtrPool pool = new PtrPool(gc, () -> SchedCollectorTest.node(gc, 1000 + made.getAndIncrement()))) {
                int n = 50;
                for (int i = 0; i < n; i++) {
                    pool.put(SchedCollectorTest.node(gc, i));
                }
                gc.gc();
                assertEquals(n, pool.pooledInVictims());
                Set<Long> ids = new HashSet<>();
                for (int i = 0; i < n; i++) {
                    long p = pool.get();
                    assertNotEquals(0, p);
                    long id = Mem.getLong(p, ID);
                    assertPayload(p, id);
                    assertTrue(id >= 0 && id < n, "a pooled object, id " + id);
                    assertTrue(ids.add(id), "handed out once: id " + id);
                }
                assertEquals(n, pool.victimTakes(), "all came from the victim cache");
                assertEquals(0, made.get(), "New not called while the pool had entries");
                long fresh = pool.get();
                assertEquals(1, made.get(), "empty: New called");
                assertPayload(fresh, 1000);
                gc.gc();                           // the got objects lived in Java locals only
                assertEquals(0, objects(gc));
            }
        });
    }

    static final int POOLED = 1, HELD = 2, DROPPED = 3;
    static final long CHILD = 1L << 40;

    /**
     * Goroutines at GOMAXPROCS=2 put, get (and so steal) and drop while cycles run continuously
     * (GOGC=10, gccheckmark, gcpoison). Each pooled object carries a child through a pointer field;
     * a get checks both payloads and the object's generation, and claims the object in a model
     * (POOLED -> HELD by CAS: a pointer handed to two getters fails it), then writes a new
     * generation. At the end the pool is drained into a global list and the live heap must equal
     * exactly the drained objects plus the entries the pool still holds.
     * {@code -Dgort.stress.ops=} (default 200,000 per goroutine; time cap {@code -Dgort.stress.millis=},
     * default 40 s), {@code -Dgort.stress.seed=} replays the operations (the interleaving is the scheduler's).
     */
    @Test
    void concurrentPutGetStealWhileCollecting() {
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        int ops = Integer.getInteger("gort.stress.ops", 200_000);
        long millis = Long.getLong("gort.stress.millis", 40_000);
        System.out.println("PtrPool stress seed=" + seed + " ops=" + ops);
        GcOptions opts = GcOptions.DEFAULT.withGcPercent(10).withDebug(false, true, true, 0, 0);
        SchedCollectorTest.withRuntime(2, opts, gc -> {
            int goroutines = 4;
            int maxIds = goroutines * ops + 1;
            AtomicIntegerArray state = new AtomicIntegerArray(maxIds);
            int[] gens = new int[maxIds];         // written by the holder; handed over by state's CAS
            AtomicLong nextId = new AtomicLong(1);
            AtomicInteger done = new AtomicInteger();
            AtomicReference<Throwable> fail = new AtomicReference<>();
            long deadline = System.currentTimeMillis() + millis;
            PtrPool pool = new PtrPool(gc);
            for (int g = 0; g < goroutines; g++) {
                final int gi = g;
                Go.go(() -> {
                    Random r = new Random(seed + gi);
                    boolean producer = gi % 2 == 0;
                    int slots = 8;
                    try (Frame f = Frame.push(slots)) {
                        int held = 0;
                        for (int op = 0; op < ops && fail.get() == null; op++) {
                            int c = r.nextInt(100);
                            // Producers make and put more than they take, consumers take more: the
                            // consumers' gets steal and, after a cycle, drain the victim cache.
                            if (held < slots && c < (producer ? 30 : 70)) {
                                long p = pool.get();
                                if (p != 0) {
                                    claim(p, state, gens);
                                    f.set(held++, p);
                                }
                            } else if (held < slots && c < (producer ? 45 : 75)) {
                                int id = (int) nextId.getAndIncrement();
                                long p = SchedCollectorTest.node(gc, id);
                                f.set(held++, p);
                                long child = SchedCollectorTest.node(gc, CHILD + id);
                                Mem.storePtr(f.get(held - 1), A, child);
                                state.set(id, HELD);
                            } else if (held > 0) {
                                long p = f.get(--held);
                                f.set(held, 0);
                                int id = (int) (Mem.getLong(p, ID) & 0xFFFF_FFFFL);
                                if (!producer && r.nextInt(2) == 0) {
                                    state.set(id, DROPPED);        // garbage from now on
                                } else {
                                    state.set(id, POOLED);         // before the put: a getter may claim it at once
                                    pool.put(p);
                                }
                            }
                            if ((op & 63) == 0) {
                                Go.gosched();
                                if (System.currentTimeMillis() > deadline) {
                                    break;
                                }
                            }
                        }
                        while (held > 0) {
                            long p = f.get(--held);
                            f.set(held, 0);
                            state.set((int) (Mem.getLong(p, ID) & 0xFFFF_FFFFL), POOLED);
                            pool.put(p);
                        }
                    } catch (Throwable t) {
                        fail.compareAndSet(null, new AssertionError("seed " + seed + ": " + t, t));
                    } finally {
                        done.incrementAndGet();
                    }
                });
            }
            while (done.get() < goroutines) {
                Go.poll();
                Go.gosched();
            }
            if (fail.get() != null) {
                throw (AssertionError) fail.get();
            }
            long steals = pool.steals();
            long victimTakes = pool.victimTakes();
            // From here exactly the cycles this test asks for: the accounting below counts them.
            gc.setGcPercent(Pacer.OFF);
            gc.gc();
            // Drain into a list under a global; what get cannot reach (other Ps' private slots) stays pooled.
            Global list = gc.newGlobal();
            long drained = 0;
            for (long p; (p = pool.get()) != 0; ) {
                claim(p, state, gens);
                Mem.storePtr(p, B, list.get());
                list.set(p);
                drained++;
            }
            long primary = pool.pooled();
            long victim = pool.pooledInVictims();
            assertEquals(0, victim, "a drain empties the victim cache");
            assertTrue(primary <= 1, "only the other P's private slot escapes a drain: " + primary);
            gc.gc();      // victims dropped, primaries become victims
            assertEquals(primary, pool.pooledInVictims());
            var ms = gc.heap().readMemStats();
            assertEquals(2 * (drained + primary), ms.heapObjects(),
                    "seed " + seed + ": live objects == drained + still pooled, each with its child");
            assertEquals(2 * (drained + primary) * NODE_BYTES, ms.heapAlloc(), "seed " + seed + ": live bytes");
            long n = 0;
            for (long p = list.get(); p != 0; p = Mem.loadPtr(p, B)) {
                long idf = Mem.getLong(p, ID);
                assertEquals(CollectorTest.check(idf), Mem.getLong(p, CHECK), "drained payload intact");
                n++;
            }
            assertEquals(drained, n);
            System.out.println("PtrPool stress: cycles=" + gc.cycles() + " created=" + (nextId.get() - 1)
                    + " drained=" + drained + " steals(run)=" + steals + " victimTakes(run)=" + victimTakes
                    + " slots=" + pool.slots());
            assertTrue(gc.cycles() >= 3, "cycles ran during the test: " + gc.cycles());
            assertEquals(gc.cycles(), gc.checkmarkCycles(), "every cycle was verified by checkmark");
            assertTrue(steals + victimTakes > 0, "while the goroutines ran, entries moved between Ps or out of the victim cache: "
                    + steals + " steals, " + victimTakes + " victim takes");
            list.close();
            pool.close();
            gc.gc();
            assertEquals(0, objects(gc), "seed " + seed + ": nothing left once the list and the pool let go");
        });
    }

    /** A got object: payload and child intact, generation as the model says, claimed exactly once; then rewritten. */
    static void claim(long p, AtomicIntegerArray state, int[] gens) {
        long idf = Mem.getLong(p, ID);
        assertEquals(CollectorTest.check(idf), Mem.getLong(p, CHECK), "payload of " + Long.toHexString(p));
        int id = (int) (idf & 0xFFFF_FFFFL);
        int gen = (int) (idf >>> 32);
        int was = state.get(id);
        assertTrue(state.compareAndSet(id, POOLED, HELD), "object " + id + " handed out while not pooled (state " + was + ")");
        assertEquals(gens[id], gen, "object " + id + " generation");
        long child = Mem.loadPtr(p, A);
        assertNotEquals(0, child, "object " + id + " lost its child");
        assertPayload(child, CHILD + id);
        gens[id] = gen + 1;
        long nidf = id | ((long) (gen + 1) << 32);
        Mem.putLong(p, ID, nidf);
        Mem.putLong(p, CHECK, CollectorTest.check(nidf));
    }

    /**
     * Entries on a P that a GOMAXPROCS shrink destroys: first they are still found (other Ps take
     * its ring and its private slot), each once; then, not taken, they are dropped by the victim
     * rules (no root kept forever); a revived P uses the pool as before.
     */
    @Test
    void entriesOnADestroyedPAreFoundOrDropped() {
        SchedCollectorTest.withRuntime(4, OPTS, gc -> {
            PtrPool pool = new PtrPool(gc);
            int n = 40;
            Set<Long> onP3 = putOnP(gc, pool, 3, n, 0);
            assertEquals(n, pool.pooled());
            Go.scheduler().setGomaxprocs(2);
            Set<Long> got = new HashSet<>();
            for (long p; (p = pool.get()) != 0; ) {
                long id = Mem.getLong(p, ID);
                assertPayload(p, id);
                assertTrue(got.add(id), "handed out once: " + id);
            }
            assertEquals(onP3, got, "every entry of the destroyed P was found");

            Go.scheduler().setGomaxprocs(4);
            putOnP(gc, pool, 3, n, 10_000);
            Go.scheduler().setGomaxprocs(2);
            assertEquals(n, pool.pooled());
            gc.gc();
            assertEquals(n, objects(gc), "in the victim cache for one cycle");
            gc.gc();
            assertEquals(0, objects(gc), "dropped at the second cycle: not roots forever");
            assertEquals(0, pool.pooled() + pool.pooledInVictims());

            Go.scheduler().setGomaxprocs(4);
            long p = SchedCollectorTest.node(gc, 77);
            pool.put(p);
            assertEquals(p, pool.get(), "the pool works after the resizes");
            pool.close();
        });
    }

    /** Goroutines put {@code n} fresh objects while running on P {@code target}; returns their ids. */
    static Set<Long> putOnP(Collector gc, PtrPool pool, int target, int n, long firstId) {
        AtomicInteger puts = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger exited = new AtomicInteger();
        Set<Long> ids = java.util.Collections.synchronizedSet(new HashSet<>());
        AtomicLong next = new AtomicLong(firstId);
        int gs = 6;
        for (int g = 0; g < gs; g++) {
            Go.go(() -> {
                try {
                    while (!stop.get()) {
                        if (Go.pid() == target && puts.get() < n) {
                            long id = next.getAndIncrement();
                            long p = SchedCollectorTest.node(gc, id);     // a safepoint: the P may change
                            // No safepoint from here to the put: the P read here is the put's.
                            if (Go.pid() == target && puts.get() < n) {
                                pool.put(p);
                                puts.incrementAndGet();
                                ids.add(id);
                            }
                        }
                        Go.gosched();
                    }
                } finally {
                    exited.incrementAndGet();
                }
            });
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (puts.get() < n && System.currentTimeMillis() < deadline) {
            Go.gosched();
        }
        stop.set(true);
        while (exited.get() < gs) {
            Go.gosched();
        }
        assertEquals(n, puts.get(), "goroutines put " + n + " objects while on P" + target + " within 30 s");
        return ids;
    }

    @Test
    void badCallersGetClearMessagesAndThePoolStaysUsable() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            long handlesBefore = gc.globals().liveHandles();
            PtrPool pool = new PtrPool(gc);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.put(0));
            assertTrue(e.getMessage().contains("PtrPool.put(0)") && e.getMessage().contains("non-zero"), e.getMessage());

            try (Frame f = Frame.push(1)) {
                f.set(0, SchedCollectorTest.node(gc, 5));
                long p = f.get(0);
                AtomicReference<Throwable> putErr = new AtomicReference<>();
                AtomicReference<Throwable> getErr = new AtomicReference<>();
                Thread t = Thread.ofPlatform().name("plain-thread").start(() -> {
                    try {
                        pool.put(p);
                    } catch (Throwable x) {
                        putErr.set(x);
                    }
                    try {
                        pool.get();
                    } catch (Throwable x) {
                        getErr.set(x);
                    }
                });
                while (t.isAlive()) {
                    Go.gosched();
                }
                for (Throwable x : new Throwable[] {putErr.get(), getErr.get()}) {
                    assertTrue(x instanceof IllegalStateException, "refused: " + x);
                    assertTrue(x.getMessage().contains("plain-thread") && x.getMessage().contains("goroutine")
                            && x.getMessage().contains("registered"), x.getMessage());
                }
                IllegalStateException inSyscall = assertThrows(IllegalStateException.class, () -> Go.syscall(() -> {
                    pool.put(p);
                }));
                assertTrue(inSyscall.getMessage().contains("Go.syscall"), inSyscall.getMessage());
                assertEquals(0, pool.pooled(), "refused puts stored nothing");

                pool.put(p);                       // usable after the refusals
                assertEquals(p, pool.get());
                pool.put(p);
                pool.close();
                pool.close();                      // idempotent
                assertEquals(handlesBefore, gc.globals().liveHandles(), "close returned every root slot");
                for (Runnable use : new Runnable[] {() -> pool.put(p), pool::get}) {
                    IllegalStateException c = assertThrows(IllegalStateException.class, use::run);
                    assertTrue(c.getMessage().contains("after close"), c.getMessage());
                }
                gc.gc();
                assertEquals(1, objects(gc), "the frame keeps it; the closed pool does not matter");

                PtrPool other = new PtrPool(gc);   // the runtime goes on
                other.put(p);
                Thread closer = Thread.ofPlatform().start(other::close);   // close from any thread
                while (closer.isAlive()) {
                    Go.gosched();
                }
                assertEquals(handlesBefore, gc.globals().liveHandles());
                assertPayload(f.get(0), 5);
            }
            gc.gc();
            assertEquals(0, objects(gc));
            assertThrows(IllegalArgumentException.class, () -> new PtrPool(null));
        });
    }

    /** Over a ThreadWorld: registered threads are callers too; pooled objects are roots there as well. */
    @Test
    void registeredThreadsUseThePool() throws Exception {
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClobberFree(true), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, OPTS, 2);
        try {
            PtrPool pool = new PtrPool(gc);
            gc.threadWorld().register(1);
            try {
                long p = gc.alloc(CollectorTest.NODE);
                Mem.putLong(p, ID, 9);
                Mem.putLong(p, CHECK, CollectorTest.check(9));
                pool.put(p);
                gc.gc();
                assertEquals(1, objects(gc), "pooled: a root for one cycle");
                assertPayload(p, 9);
                gc.gc();
                assertEquals(0, objects(gc), "dropped at the second cycle");
                p = gc.alloc(CollectorTest.NODE);
                pool.put(p);
                assertEquals(p, pool.get());
            } finally {
                gc.threadWorld().unregister();
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, pool::get);
            assertTrue(e.getMessage().contains("registered"), e.getMessage());
            pool.close();
        } finally {
            gc.close();
            heap.close();
        }
    }
}
