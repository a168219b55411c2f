package dev.gort.gc.stress;

import dev.gort.gc.Collector;
import dev.gort.gc.Mem;
import dev.gort.gc.PtrPool;

import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static dev.gort.gc.stress.GraphModel.A;
import static dev.gort.gc.stress.GraphModel.CHECK;
import static dev.gort.gc.stress.GraphModel.ID;

/**
 * Pool churn for long runs: mutators share one {@link PtrPool} and get, create, put and drop
 * objects (each with a child through a pointer field) while cycles run, so pool slots (global
 * roots, barriered stores, the victim rotation at every sweep termination) are exercised for as
 * long as the run lasts. A get must return an object that is pooled right now: its id is taken out
 * of a concurrent map of pooled ids (absent: handed out twice or never put), and its payload and its
 * child's payload must be intact (poison or reuse shows as a mismatch).
 *
 * <p>The map stays bounded: an entry put when {@code n} cycles had completed is gone from the pool
 * by the time {@code n + 3} have (primary at put, victim at the next sweep termination, dropped at
 * the one after, and a sweep termination comes before each completion), so entries with
 * {@code n <= completed - 4} are forgotten. No cycle completes between a get and its check: both
 * are on one mutator with no safepoint between them, and mark termination stops every mutator.
 */
public final class PoolChurn {
    /** Marks a child's id (the parent's id with this bit). */
    static final long CHILD = 1L << 62;
    private static final int SLOTS = 8;

    private final Collector gc;
    private final PtrPool pool;
    private final ConcurrentHashMap<Long, Long> pooled = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong forgetAtCycle = new AtomicLong();

    public final AtomicLong gets = new AtomicLong();
    public final AtomicLong puts = new AtomicLong();
    public final AtomicLong created = new AtomicLong();
    public final AtomicLong forgotten = new AtomicLong();

    public PoolChurn(Collector gc) {
        this.gc = gc;
        this.pool = new PtrPool(gc);
    }

    /** Slots {@link #run} needs. */
    public static int slots() {
        return SLOTS;
    }

    /**
     * Churns for {@code millis} on the calling mutator (a goroutine or a registered thread) with
     * {@code slots} ({@link #slots()} of them) as its roots; drops what it holds at the end.
     */
    public void run(Random r, long millis, Slots slots, Runnable poll) {
        long end = System.nanoTime() + millis * 1_000_000L;
        int held = 0;
        long lastCycles = gc.cycles();
        for (long op = 0; (op & 255) != 0 || System.nanoTime() < end; op++) {
            int c = r.nextInt(100);
            if (held < SLOTS && c < 40) {
                long p = pool.get();
                if (p != 0) {
                    claim(p);
                    slots.set(held++, p);
                }
            } else if (held < SLOTS && c < 55) {
                long id = nextId.getAndIncrement();
                long p = GraphModel.node(gc, id);
                slots.set(held++, p);
                long child = GraphModel.node(gc, CHILD | id);   // p is rooted in its slot meanwhile
                Mem.storePtr(p, A, child);
                created.incrementAndGet();
            } else if (held > 0) {
                long p = slots.get(--held);
                slots.set(held, 0);
                if (r.nextInt(4) != 0) {
                    pooled.put(Mem.getLong(p, ID), gc.cycles());   // before the put: a getter may take it at once
                    pool.put(p);
                    puts.incrementAndGet();
                }                                                  // else dropped: garbage from now on
            }
            long cycles = gc.cycles();
            if (cycles != lastCycles) {
                lastCycles = cycles;
                forget(cycles);
            }
            if ((op & 63) == 0) {
                poll.run();
            }
        }
        while (held > 0) {
            slots.set(--held, 0);
        }
    }

    private void claim(long p) {
        long id = Mem.getLong(p, ID);
        if (Mem.getLong(p, CHECK) != GraphModel.check(id) || (id & CHILD) != 0) {
            throw new StressFailure("pool handed out 0x" + Long.toHexString(p) + " with a broken payload (freed early?): id "
                    + Long.toHexString(id) + ", check " + Long.toHexString(Mem.getLong(p, CHECK)));
        }
        if (pooled.remove(id) == null) {
            throw new StressFailure("pool handed out object " + id + " at 0x" + Long.toHexString(p)
                    + ", which is not pooled (handed out twice, or never put)");
        }
        long child = Mem.loadPtr(p, A);
        if (child == 0 || Mem.getLong(child, ID) != (CHILD | id) || Mem.getLong(child, CHECK) != GraphModel.check(CHILD | id)) {
            throw new StressFailure("pooled object " + id + " at 0x" + Long.toHexString(p) + " lost its child 0x" + Long.toHexString(child));
        }
        gets.incrementAndGet();
    }

    /** Forgets ids the pool has dropped for certain (see the class comment); one mutator per cycle count does it. */
    private void forget(long completed) {
        long prev = forgetAtCycle.get();
        if (completed <= prev || !forgetAtCycle.compareAndSet(prev, completed)) {
            return;
        }
        long before = pooled.size();
        pooled.values().removeIf(n -> n <= completed - 4);
        forgotten.addAndGet(Math.max(0, before - pooled.size()));
    }

    /** Ids the model thinks may still be pooled. */
    public int tracked() {
        return pooled.size();
    }

    /** Closes the pool: everything in it is garbage from the next cycle. */
    public void close() {
        pool.close();
    }
}
