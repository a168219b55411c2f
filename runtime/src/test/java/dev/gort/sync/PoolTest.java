package dev.gort.sync;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pool semantics with a model of Ps: each test thread owns one P id (as an M holds a P), and a
 * read-write lock stands in for the stop-the-world around cleanup (operations hold it shared,
 * cleanup exclusive), as the collector guarantees.
 */
class PoolTest {
    static final ThreadLocal<Integer> PID = ThreadLocal.withInitial(() -> -1);
    static volatile int nprocs = 4;

    @org.junit.jupiter.api.BeforeEach
    void install() {
        Procs.install(new Procs.Source() {
            @Override
            public int currentP() {
                return PID.get();
            }

            @Override
            public int count() {
                return nprocs;
            }
        });
    }

    @AfterEach
    void reset() {
        PID.set(-1);
        Procs.install(null);
    }

    static final class Obj {
        final int id;
        final AtomicBoolean inUse = new AtomicBoolean();

        Obj(int id) {
            this.id = id;
        }
    }

    @Test
    void putThenGetOnTheSameP() {
        PID.set(0);
        AtomicInteger made = new AtomicInteger();
        Pool<Obj> p = new Pool<>(() -> new Obj(-made.incrementAndGet()));
        Obj a = new Obj(1);
        Obj b = new Obj(2);
        p.put(a);
        p.put(b);
        p.put(null); // ignored
        assertSame(a, p.get(), "private slot first");
        assertSame(b, p.get(), "then the own shared chain");
        Obj fresh = p.get();
        assertEquals(-1, fresh.id, "then New");
        assertEquals(1, made.get());
        assertNull(new Pool<Obj>().get(), "no New: null");
    }

    @Test
    void stealsFromOtherPsTails() {
        Pool<Obj> p = new Pool<>();
        PID.set(0);
        for (int i = 1; i <= 4; i++) {
            p.put(new Obj(i));
        }
        PID.set(2);
        assertEquals(2, p.get().id, "P2 steals the oldest of P0's shared chain (P0's private is not stealable)");
        assertEquals(3, p.get().id);
        assertEquals(4, p.get().id);
        assertNull(p.get(), "P0's private object stays P0's");
        PID.set(0);
        assertEquals(1, p.get().id);
    }

    @Test
    void survivesOneGcViaTheVictimAndIsDroppedAtTheSecond() {
        Pool<Obj> p = new Pool<>();
        PID.set(1);
        p.put(new Obj(1));
        p.put(new Obj(2));
        Pool.cleanupAll();
        PID.set(1);
        assertEquals(1, p.get().id, "own victim private");
        PID.set(3);
        assertEquals(2, p.get().id, "victim shared, from another P");
        assertNull(p.get());

        PID.set(0);
        p.put(new Obj(3));
        Pool.cleanupAll();
        Pool.cleanupAll();
        assertNull(p.get(), "unused across two GCs: dropped");
    }

    /** Go's getSlow walks the victim chains starting with the own P's (a P that put many objects gets them all back after one GC). */
    @Test
    void ownVictimSharedChainIsServed() {
        Pool<Obj> p = new Pool<>();
        PID.set(2);
        for (int i = 1; i <= 5; i++) {
            p.put(new Obj(i));
        }
        Pool.cleanupAll();
        java.util.Set<Integer> ids = new java.util.TreeSet<>();
        for (int i = 0; i < 5; i++) {
            Obj o = p.get();
            assertNotNull(o, "object " + i + " of 5 from P2's own victim");
            ids.add(o.id);
        }
        assertEquals(java.util.Set.of(1, 2, 3, 4, 5), ids);
        assertNull(p.get());
    }

    @Test
    void victimRefillsThenAgesOut() {
        Pool<Obj> p = new Pool<>();
        PID.set(0);
        p.put(new Obj(7));
        Pool.cleanupAll();
        Obj x = p.get(); // from the victim
        assertEquals(7, x.id);
        p.put(x);        // back into the new primary
        Pool.cleanupAll();
        assertEquals(7, p.get().id, "used in the last cycle: survives again");
    }

    @Test
    void unusedPoolsLeaveTheRegistry() {
        Pool.cleanupAll();
        Pool.cleanupAll();
        int before = Pool.registeredPools();
        Pool<Obj> p = new Pool<>();
        PID.set(0);
        p.put(new Obj(1));
        assertEquals(before + 1, Pool.registeredPools());
        Pool.cleanupAll();
        Pool.cleanupAll();
        assertEquals(0, Pool.registeredPools());
    }

    @Test
    void callersOnNoPShareOneLockedLocal() {
        Pool<Obj> p = new Pool<>();
        PID.set(-1);
        p.put(new Obj(1));
        p.put(new Obj(2));
        assertEquals(1, p.get().id);
        PID.set(0);
        assertEquals(2, p.get().id, "a P steals from the external local too");
        PID.set(-1);
        p.put(new Obj(3));
        Pool.cleanupAll();
        assertEquals(3, p.get().id, "external objects have a victim too");
        Pool.cleanupAll();
        Pool.cleanupAll();
        assertNull(p.get());
    }

    @Test
    void procCountGrowth() {
        Pool<Obj> p = new Pool<>();
        PID.set(1);
        p.put(new Obj(1));
        p.put(new Obj(11));
        nprocs = 8;
        try {
            PID.set(7);
            p.put(new Obj(7));
            assertEquals(7, p.get().id);
            assertEquals(11, p.get().id, "steals from P1 in the grown array");
        } finally {
            nprocs = 4;
        }
    }

    /**
     * Many "Ps" and an external thread get/put concurrently while GCs (cleanup under the
     * exclusive lock) happen: no object is ever handed to two holders at once, none appears from
     * nowhere, and every object got is one that was put or made by New.
     */
    @Test
    void concurrentGetPutNeverSharesAnObject() throws Exception {
        int threads = 4;
        int opsPerThread = Integer.getInteger("gort.stress.ops", 200_000) / threads;
        ReentrantReadWriteLock world = new ReentrantReadWriteLock();
        AtomicInteger made = new AtomicInteger();
        Pool<Obj> p = new Pool<>(() -> new Obj(made.incrementAndGet()));
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger cleanups = new AtomicInteger();
        Thread gc = new Thread(() -> {
            while (!stop.get()) {
                world.writeLock().lock();
                try {
                    Pool.cleanupAll();
                    cleanups.incrementAndGet();
                } finally {
                    world.writeLock().unlock();
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int pid = t == threads - 1 ? -1 : t; // the last one runs on no P
            ts.add(new Thread(() -> {
                PID.set(pid);
                java.util.Random r = new java.util.Random(pid + 10);
                List<Obj> held = new ArrayList<>();
                for (int i = 0; i < opsPerThread; i++) {
                    world.readLock().lock();
                    try {
                        if (held.isEmpty() || (held.size() < 16 && r.nextBoolean())) {
                            Obj o = p.get();
                            if (!o.inUse.compareAndSet(false, true)) {
                                errors.add("object " + o.id + " handed out while in use");
                            }
                            held.add(o);
                        } else {
                            Obj o = held.remove(r.nextInt(held.size()));
                            o.inUse.set(false);
                            p.put(o);
                        }
                    } finally {
                        world.readLock().unlock();
                    }
                }
            }));
        }
        gc.start();
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join(120_000);
            assertFalse(t.isAlive());
        }
        stop.set(true);
        gc.join();
        assertTrue(errors.isEmpty(), errors.stream().limit(5).toList().toString());
        assertTrue(cleanups.get() > 0);
        assertTrue(made.get() < threads * opsPerThread / 4, "the pool reused objects: made " + made.get());
    }

    /**
     * Go's Get takes no lock; here the plain threads' external local has one, and a goroutine's
     * getSlow must not wait on it (it only pops the external chains' tails, which is lock-free).
     * Before the fix the goroutine blocked on that lock (held here by a plain thread) until it was
     * released: its M and P stalled behind a thread outside the scheduler.
     */
    @Test
    void aGetOnAPNeverWaitsForThePlainThreadsLock() throws Exception {
        Pool<Obj> p = new Pool<>();
        PID.set(-1);
        p.put(new Obj(1));                       // the external local has an entry,
        p.get();                                 // now it is empty again: P0's get goes all the way down getSlow
        java.lang.reflect.Field f = Pool.class.getDeclaredField("externalLock");
        f.setAccessible(true);
        java.util.concurrent.locks.ReentrantLock lock = (java.util.concurrent.locks.ReentrantLock) f.get(p);
        lock.lock();                             // a plain thread in the middle of its get
        try {
            java.util.concurrent.atomic.AtomicReference<Object> got = new java.util.concurrent.atomic.AtomicReference<>("unset");
            Thread onP = new Thread(() -> {
                PID.set(0);
                got.set(p.get());
            });
            onP.start();
            onP.join(60_000);
            assertFalse(onP.isAlive(), "a get on P0 waited for the lock of the plain threads' local");
            assertNull(got.get(), "empty pool without New");
        } finally {
            lock.unlock();
        }
    }
}
