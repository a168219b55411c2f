package dev.gort.gc;

import dev.gort.arena.Heap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Plain Java threads as mutators: each registers, allocates through the collector and keeps its
 * roots in {@link RootSlots}. Stop-the-world is cooperative, like gort's scheduler: a stop request
 * raises a flag; mutators notice it at their next safepoint (every allocation, or {@link #poll})
 * and wait there; a mutator blocked waiting for the collector counts as stopped.
 *
 * <p>The fast path of a safepoint is one volatile read. A thread that neither allocates nor polls
 * delays a stop, exactly as a goroutine in a tight loop without safepoints delays Go's.
 */
public final class ThreadWorld implements World {
    private final Heap heap;
    private final WorkbufPool pool;
    private final int gomaxprocs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Mutator> mutators = new ArrayList<>();  // guarded by lock
    private final ThreadLocal<Mutator> current = new ThreadLocal<>();
    private volatile boolean stopping;
    private Thread stopper;
    private static final boolean DEBUG_STOP = Boolean.getBoolean("gort.gc.debugstop");

    public ThreadWorld(Heap heap, WorkbufPool pool, int gomaxprocs) {
        if (gomaxprocs < 1) {
            throw new IllegalArgumentException("gomaxprocs must be >= 1, got " + gomaxprocs);
        }
        this.heap = heap;
        this.pool = pool;
        this.gomaxprocs = gomaxprocs;
    }

    /** Makes the calling thread a mutator with {@code rootSlots} root slots. */
    public Mutator register(int rootSlots) {
        if (current.get() != null) {
            throw new IllegalStateException(Thread.currentThread().getName() + " is already a registered mutator");
        }
        Mutator m = new Mutator(heap.newCache(), new GcWork(pool), new RootSlots(rootSlots), Thread.currentThread());
        lock.lock();
        try {
            while (stopping) {
                changed.awaitUninterruptibly();
            }
            mutators.add(m);
        } finally {
            lock.unlock();
        }
        current.set(m);
        return m;
    }

    /** Removes the calling thread's mutator: its roots stop being roots, its cache goes back. */
    public void unregister() {
        Mutator m = current.get();
        if (m == null) {
            throw new IllegalStateException(Thread.currentThread().getName() + " is not a registered mutator");
        }
        lock.lock();
        try {
            while (stopping) {      // never change the mutator set under a stopped world
                m.state = Mutator.BLOCKED;
                changed.signalAll();
                changed.awaitUninterruptibly();
            }
            mutators.remove(m);
            m.gcw.dispose();
            heap.releaseCache(m.mcache);
            m.roots.close();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        current.remove();
    }

    @Override
    public int gomaxprocs() {
        return gomaxprocs;
    }

    @Override
    public void stopTheWorld(String reason) {
        lock.lock();
        try {
            while (stopping) {
                changed.awaitUninterruptibly();
            }
            stopping = true;
            stopper = Thread.currentThread();
            Mutator self = current.get();
            for (;;) {
                boolean all = true;
                for (Mutator m : mutators) {
                    if (m != self && m.state == Mutator.RUNNING) {
                        all = false;
                        break;
                    }
                }
                if (all) {
                    return;
                }
                if (DEBUG_STOP) {
                    try {
                        if (!changed.await(5, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                            for (Mutator m : mutators) {
                                if (m != self && m.state == Mutator.RUNNING) {
                                    System.err.println("stop slow: " + m.owner + " at " + java.util.Arrays.toString(m.owner.getStackTrace()));
                                }
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    continue;
                }
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void startTheWorld() {
        lock.lock();
        try {
            if (!stopping || stopper != Thread.currentThread()) {
                throw new IllegalStateException("startTheWorld without a stopTheWorld by this thread");
            }
            stopping = false;
            stopper = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Mutator current() {
        return current.get();
    }

    @Override
    public Iterable<Mutator> mutators() {
        lock.lock();
        try {
            return new ArrayList<>(mutators);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long scanStacks(RootSink sink) {
        long bytes = 0;
        for (Mutator m : mutators()) {
            sink.slots(m.roots.base(), m.roots.size(), "thread", m.owner.threadId());
            bytes += 8L * m.roots.size();
        }
        return bytes;
    }

    @Override
    public boolean stopRequested() {
        return stopping;
    }

    @Override
    public void safepoint(Mutator m) {
        if (stopping) {
            park(m);
        }
    }

    /** A safepoint for the calling mutator thread (e.g. in loops that do not allocate). */
    public void poll() {
        if (stopping) {                 // the fast path: one volatile read, no thread-local lookup
            Mutator m = current.get();
            if (m != null) {
                park(m);
            }
        }
    }

    private void park(Mutator m) {
        if (stopper == Thread.currentThread()) {
            return;
        }
        lock.lock();
        try {
            m.state = Mutator.STOPPED;
            changed.signalAll();
            while (stopping && stopper != Thread.currentThread()) {
                changed.awaitUninterruptibly();
            }
            m.state = Mutator.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void runBlocking(Mutator m, Runnable wait) {
        enterBlocked(m);
        try {
            wait.run();
        } finally {
            exitBlocked(m);
        }
    }

    void enterBlocked(Mutator m) {
        lock.lock();
        try {
            m.state = Mutator.BLOCKED;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void exitBlocked(Mutator m) {
        lock.lock();
        try {
            while (stopping && stopper != Thread.currentThread()) {
                changed.awaitUninterruptibly();
            }
            m.state = Mutator.RUNNING;
        } finally {
            lock.unlock();
        }
    }
}
