package dev.gort.gc;

/**
 * A global root: one pointer slot in the {@link GlobalRoots} table. Whatever a Global holds stays
 * alive; set it to 0 (or {@link #close()} it) to let the object go. Stores apply the write barrier.
 *
 * <pre>{@code
 * Global cache = Global.of(roots);
 * cache.set(obj);            // obj is now a root
 * long p = cache.get();
 * }</pre>
 */
public final class Global implements AutoCloseable {
    private final GlobalRoots roots;
    private final long slot;
    private final long address;
    private volatile boolean closed;

    private Global(GlobalRoots roots, long slot) {
        this.roots = roots;
        this.slot = slot;
        this.address = roots.slotAddress(slot);
    }

    /** A new global slot (initially 0) in {@code roots}. */
    public static Global of(GlobalRoots roots) {
        return new Global(roots, roots.allocSlot());
    }

    /**
     * The pointer held (0 if none).
     *
     * @throws IllegalStateException the handle was closed, or its table (collector, runtime) was
     */
    public long get() {
        check("get");
        return GlobalRoots.load(address);
    }

    /**
     * Stores a managed pointer (or 0) through the write barrier. Only from a thread the collector's
     * stop-the-world stops (README, "The rule"; checked under {@code GORT_DEBUG=checkptr=1}); to let
     * go of the object from any thread, {@link #close()}.
     */
    public void set(long pointer) {
        check("set");
        if (Mem.CHECKPTR) {
            WriteBarrier.requireStoppableCaller("Global.set");
        }
        WriteBarrier.storePointer(address, pointer);
    }

    /** Compare-and-set through the write barrier (the thread rule as {@link #set}). */
    public boolean compareAndSet(long expected, long pointer) {
        check("compareAndSet");
        if (Mem.CHECKPTR) {
            WriteBarrier.requireStoppableCaller("Global.compareAndSet");
        }
        return WriteBarrier.casPointer(address, expected, pointer);
    }

    /** No native access after close: the slot may be another handle's by now, or unmapped. */
    private void check(String op) {
        if (closed) {
            throw new IllegalStateException("Global." + op + ": global slot " + slot + " was closed; accepted: a Global "
                    + "before its close()");
        }
        if (roots.isClosed()) {      // the message only on failure: get/set are hot and must not allocate
            roots.requireOpen("Global." + op + " (slot " + slot + ")");
        }
    }

    /** Native address of the slot (e.g. for root-scanning tests). */
    public long address() {
        return address;
    }

    /**
     * Releases the slot; the object it held is no longer rooted by it. Any thread: one the
     * stop-the-world does not stop clears the slot inside the store gate
     * ({@link WriteBarrier#enterStoreGate}), so its deletion shade is never late for the cycle
     * that was marking when it read the barrier flag. A {@link #get} on another thread racing the
     * close (a use-after-close in the caller) reads the pointer or 0, never a freed object: its
     * closed check precedes its load with no safepoint between, so it cannot load after a stack
     * scan that a cycle starting after this close's flag read did.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;              // before the store: a get that sees the slot cleared sees this first
            java.util.concurrent.Semaphore gate = WriteBarrier.enterStoreGate();
            try {
                roots.releaseSlot(slot);    // a no-op once the table is closed
            } finally {
                WriteBarrier.leaveStoreGate(gate);
            }
        }
    }
}
