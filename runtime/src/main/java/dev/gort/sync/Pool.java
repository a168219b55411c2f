package dev.gort.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A set of temporary objects that may be individually saved and retrieved (Go 1.13+'s sync.Pool).
 *
 * <h2>Structure</h2>
 * Per P a {@code Local}: a private slot only that P touches, and a shared {@link PoolChain} that
 * the owning P pushes and pops at the head while other Ps steal from the tail. Plus, per pool, a
 * victim array: the locals of the previous GC cycle.
 *
 * <h2>Paths</h2>
 * {@link #put}: private slot if empty, else push on the own shared chain.
 * {@link #get}: private slot; own shared head; steal from every other P's shared tail (starting
 * after the own P); the victim's own private slot, then every victim shared tail starting with
 * the own P's; finally
 * {@code New}. Callers on no P (plain threads, or before the runtime starts) use one extra local
 * guarded by a lock and the same steal order. No goroutine takes that lock: a goroutine's steal
 * from the external local or its victim only pops their chains' tails, which is lock-free (the
 * external victim is a volatile reference, replaced with the world stopped).
 *
 * <h2>Cycles</h2>
 * {@link #cleanupAll()} runs at the start of each GC cycle with the world stopped (Go's
 * poolCleanup, installed into the collector by the runtime): old victims are dropped, current
 * locals become victims. An unused object therefore survives one GC and is dropped at the second;
 * a pool nobody used for two cycles leaves the registry and its objects become garbage.
 * Under {@code Gort.run} the runtime registers {@code cleanupAll} with the collector's
 * {@code onSweepTermination} hook, so every gort GC cycle (Gort.gc(), the pacer, sysmon's forced
 * GC) ages the pools; outside a runtime nothing calls it and pooled objects stay until taken.
 *
 * <h2>What the collector sees</h2>
 * Pool entries are Java objects held by Java references, not pointers into the gort heap: they
 * are not roots of gort's collector and the JVM's collector frees them once the pool drops them.
 * Do not pool raw gort-heap addresses expecting them to keep objects alive: an address stored
 * only in a Pool is garbage to gort's collector. Pool gort-heap pointers in
 * {@code dev.gort.gc.PtrPool} ({@code Gort.newPtrPool()}): same semantics, entries are roots.
 *
 * <p>Alternatives rejected: Go &lt;= 1.12's mutex-guarded shared slice cleared on every GC
 * (latency spikes after each GC refill everything, issue 22950); a ThreadLocal per carrier thread
 * (goroutines move between Ms, and Ms can be many more than Ps).
 */
public final class Pool<T> {
    /** Padding before a Local's fields (superclass fields are laid out first). */
    abstract static class LocalPadBefore {
        long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;
    }

    /** The fields one P writes on every get/put. */
    abstract static class LocalFields<T> extends LocalPadBefore {
        T privateValue;
        final PoolChain<T> shared = new PoolChain<>();
    }

    /**
     * One P's part of the pool, padded by 128 bytes on each side (Go pads poolLocal to 128 bytes)
     * so two Ps' private slots never share a cache line: Locals are allocated one after another.
     */
    static final class Local<T> extends LocalFields<T> {
        long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;
    }

    private static final Object REGISTRY_LOCK = new Object();
    private static List<Pool<?>> allPools = new ArrayList<>();
    private static List<Pool<?>> oldPools = new ArrayList<>();

    private final Supplier<? extends T> newValue;
    private volatile Local<T>[] locals;   // index = P id; null until first use in this cycle
    private volatile Local<T>[] victims;  // the previous cycle's locals, or null
    private final Local<T> external = new Local<>(); // for callers on no P, under externalLock
    private final ReentrantLock externalLock = new ReentrantLock();
    /**
     * The external local of the previous cycle. Written under externalLock by cleanupAll (world
     * stopped: no goroutine is in getSlow) and read under it by plain threads, which may take its
     * private slot; volatile so a goroutine's getSlow reads it without the lock and only pops its
     * chain's tail (PoolChain.popTail is safe from any number of threads).
     */
    private volatile Local<T> externalVictim;
    private volatile boolean registered;   // in allPools this cycle (written under REGISTRY_LOCK)

    /** A pool whose {@link #get} returns {@code newValue.get()} when empty ({@code newValue} may be null: get returns null). */
    public Pool(Supplier<? extends T> newValue) {
        this.newValue = newValue;
    }

    /** A pool without New: {@link #get} returns null when empty. */
    public Pool() {
        this(null);
    }

    /** Adds {@code x} to the pool; null is ignored (as Go's Put(nil)). */
    public void put(T x) {
        if (x == null) {
            return;
        }
        int pid = Procs.source().currentP();
        if (pid < 0) {
            ensureRegistered();
            externalLock.lock();
            try {
                if (external.privateValue == null) {
                    external.privateValue = x;
                } else {
                    external.shared.pushHead(x);
                }
            } finally {
                externalLock.unlock();
            }
            return;
        }
        Local<T> l = local(pid);
        if (l.privateValue == null) {
            l.privateValue = x;
        } else {
            l.shared.pushHead(x);
        }
    }

    /**
     * Takes an object from the pool, or returns New's result (null without New). The caller must
     * not assume any relation between what it put and what it gets.
     */
    public T get() {
        int pid = Procs.source().currentP();
        T x;
        if (pid < 0) {
            x = getExternal();
        } else {
            Local<T> l = local(pid);
            x = l.privateValue;
            l.privateValue = null;
            if (x == null) {
                x = l.shared.popHead();
                if (x == null) {
                    x = getSlow(pid);
                }
            }
        }
        if (x == null && newValue != null) {
            x = newValue.get();
        }
        return x;
    }

    private T getExternal() {
        ensureRegistered();
        externalLock.lock();
        try {
            T x = external.privateValue;
            external.privateValue = null;
            if (x == null) {
                x = external.shared.popHead();
            }
            if (x != null) {
                return x;
            }
            x = steal(locals, 0);
            if (x != null) {
                return x;
            }
            Local<T> ev = externalVictim;
            if (ev != null) {
                x = ev.privateValue;
                ev.privateValue = null;
                if (x == null) {
                    x = ev.shared.popTail();
                }
                if (x != null) {
                    return x;
                }
            }
            return steal(victims, 0);
        } finally {
            externalLock.unlock();
        }
    }

    private T getSlow(int pid) {
        T x = steal(locals, pid + 1);
        if (x != null) {
            return x;
        }
        x = stealExternal(external);
        if (x != null) {
            return x;
        }
        Local<T>[] vs = victims;
        if (vs != null && pid < vs.length && vs[pid] != null) {
            Local<T> v = vs[pid];
            x = v.privateValue;
            v.privateValue = null;
            if (x != null) {
                return x;
            }
        }
        x = steal(vs, pid);   // the own victim chain first, then the other Ps'
        if (x != null) {
            return x;
        }
        Local<T> ev = externalVictim;    // no lock: get and put take none on any path of a goroutine (Go's are lock-free)
        return ev == null ? null : ev.shared.popTail();
    }

    private T stealExternal(Local<T> l) {
        return l.shared.popTail();
    }

    /**
     * popTail over every local of {@code ls}, starting at index {@code first} (mod length) and
     * wrapping around: from other Ps' chains {@code first} is pid + 1 (the own chain comes last and
     * is already empty); over the victims it is pid, so the own victim chain is tried first (Go's
     * getSlow).
     */
    private static <T> T steal(Local<T>[] ls, int first) {
        if (ls == null) {
            return null;
        }
        int n = ls.length;
        for (int i = 0; i < n; i++) {
            Local<T> l = ls[(first + i) % n];
            if (l != null) {
                T x = l.shared.popTail();
                if (x != null) {
                    return x;
                }
            }
        }
        return null;
    }

    /** P {@code pid}'s local, creating the array (and registering the pool for cleanup) on first use in a cycle. */
    private Local<T> local(int pid) {
        Local<T>[] ls = locals;
        if (ls != null && pid < ls.length) {
            Local<T> l = ls[pid];
            if (l != null) {
                return l;
            }
        }
        return localSlow(pid);
    }

    @SuppressWarnings("unchecked")
    private Local<T> localSlow(int pid) {
        synchronized (REGISTRY_LOCK) {
            Local<T>[] ls = locals;
            registerLocked();
            int size = Math.max(Math.max(Procs.source().count(), pid + 1), ls == null ? 0 : ls.length);
            if (ls == null || ls.length < size) {
                Local<T>[] grown = new Local[size];
                if (ls != null) {
                    System.arraycopy(ls, 0, grown, 0, ls.length);
                }
                ls = grown;
            }
            if (ls[pid] == null) {
                ls[pid] = new Local<>();
            }
            locals = ls; // volatile publish: the new Local is visible to stealers
            return ls[pid];
        }
    }

    private void ensureRegistered() {
        if (!registered) {
            synchronized (REGISTRY_LOCK) {
                registerLocked();
            }
        }
    }

    private void registerLocked() {
        if (!registered) {
            allPools.add(this);
            registered = true;
        }
    }

    /**
     * Go's poolCleanup: called at the start of every GC cycle with the world stopped (no goroutine
     * is inside a pool operation). Drops victims, moves locals to victims.
     */
    public static void cleanupAll() {
        synchronized (REGISTRY_LOCK) {
            for (Pool<?> p : oldPools) {
                p.victims = null;
                p.dropExternalVictim();
            }
            for (Pool<?> p : allPools) {
                p.moveToVictim();
                p.registered = false;
            }
            oldPools = allPools;
            allPools = new ArrayList<>();
        }
    }

    private void dropExternalVictim() {
        externalLock.lock();
        try {
            externalVictim = null;
        } finally {
            externalLock.unlock();
        }
    }

    private void moveToVictim() {
        victims = locals;
        locals = null;
        externalLock.lock();
        try {
            Local<T> moved = new Local<>();
            moved.privateValue = external.privateValue;
            external.privateValue = null;
            for (T x; (x = external.shared.popTail()) != null; ) {
                moved.shared.pushHead(x);
            }
            externalVictim = moved;
        } finally {
            externalLock.unlock();
        }
    }

    /**
     * GOMAXPROCS shrank (called by the runtime's procresize hook, world stopped): P {@code pid}
     * goes away. Its private slots, this cycle's and the victim's, are read only by that P, so
     * they move onto its shared chains, which every other P (and plain threads) steal from: a
     * pooled object outlives its P and is dropped only by the usual victim rules (Go instead drops
     * the whole per-P array when GOMAXPROCS changes). The resizer is the chains' producer here:
     * the P is stopped and its owner the only other pusher.
     */
    public static void procDestroyed(int pid) {
        synchronized (REGISTRY_LOCK) {
            for (Pool<?> p : allPools) {
                p.privateToShared(pid);
            }
            for (Pool<?> p : oldPools) {
                p.privateToShared(pid);
            }
        }
    }

    private void privateToShared(int pid) {
        privateToShared(locals, pid);
        privateToShared(victims, pid);
    }

    private static <T> void privateToShared(Local<T>[] ls, int pid) {
        if (ls != null && pid < ls.length && ls[pid] != null) {
            Local<T> l = ls[pid];
            T x = l.privateValue;
            if (x != null) {
                l.privateValue = null;
                l.shared.pushHead(x);
            }
        }
    }

    /** Pools registered for cleanup now (for tests: a pool unused for two cycles is gone). */
    static int registeredPools() {
        synchronized (REGISTRY_LOCK) {
            return allPools.size() + oldPools.size();
        }
    }
}
