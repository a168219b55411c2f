package dev.gort.gc;

import java.util.concurrent.Semaphore;

/**
 * The coordinator's side of this collector's store gate ({@link WriteBarrier#enterStoreGate}): it
 * holds the gate around each flip of {@link WriteBarrier#enabled} so that a store by a thread the
 * stop-the-world does not stop falls wholly before or wholly after the flip. Fair, one permit, no
 * owner. Every method but {@link #semaphore} runs on one thread at a time: the coordinator, or
 * the mutator running mark termination's handed-off steps while the coordinator waits for them
 * ({@link StopHandOff}: its done flag orders {@code held}'s accesses, which need no other
 * synchronisation); the barrier's shader hands the semaphore to storing threads.
 */
final class StoreGate {
    private final Gate gate = new Gate();
    private boolean held;       // one thread at a time (see the class comment)
    /** Whether the last {@link #acquire} found the gate taken or storers queued for it (pausetrace). */
    private boolean foundHeld;
    /**
     * The storing thread that held the gate then, as it named itself; null if it had not named
     * itself yet (between its acquire and its naming) or the gate was free.
     */
    private Thread foundHeldBy;
    /** How long that acquire waited (ns), 0 if the gate was free. */
    private long waitedNanos;
    /** Acquires that found the gate taken or storers queued for it, since the collector started. */
    private long contendedAcquires;

    /**
     * The gate's semaphore (fair, one permit), which also names the storing thread inside its
     * section ({@link WriteBarrier#enterStoreGate} sets it after the acquire and clears it before
     * the release): a diagnostic, read only when the coordinator finds the gate taken.
     */
    static final class Gate extends Semaphore {
        volatile Thread holder;

        Gate() {
            super(1, true);
        }
    }

    /** The semaphore storing threads take ({@link WriteBarrier.Shader#storeGate}). */
    Semaphore semaphore() {
        return gate;
    }

    /**
     * Before a stop request (coordinator, world running, holding nothing): waits until the gated
     * sections in progress have left, without keeping the gate, so that a holder that lost its CPU
     * delays the stop request rather than sitting inside the pause ({@link #acquire} in the pause
     * then waits only for a section begun in between). Never keep the gate across the stop: a
     * waiter may hold a lock a mutator blocks on short of its safepoint (deadlock).
     */
    void awaitFree() {
        gate.acquireUninterruptibly();
        gate.release();
    }

    /**
     * Takes the gate for a flip of the barrier flag (coordinator, world stopped; not reentrant). A
     * coordinator raised to SCHED_FIFO (the opt-in real-time stop) does not queue in the semaphore:
     * AbstractQueuedSynchronizer's acquire can spin without parking while a neighbour's node is
     * half-linked, and at SCHED_FIFO that spin keeps a preempted normal thread off its CPU (see
     * {@link WorldLock#POLL_NANOS}); it tries and parks between tries instead, which lets a storing
     * thread on its CPU leave the gate. The try barges past storers queued for the gate, as the
     * coordinator's flip is what they wait for anyway.
     */
    void acquire() {
        foundHeld = false;
        foundHeldBy = null;
        waitedNanos = 0;
        // Free with no storer queued (binary-trees' every acquire: only unstoppable threads' stores
        // take it): taken at once, what the fair semaphore's own first try does. Otherwise the
        // coordinator queues behind the storers as before, and the pausetrace names the holder.
        if (gate.hasQueuedThreads() || !gate.tryAcquire()) {
            acquireContended();
        }
        held = true;
    }

    private void acquireContended() {
        Thread holder = gate.holder;
        long t0 = System.nanoTime();
        if (dev.gort.sys.RealtimeBoost.currentThreadRaised()) {
            acquireAsRealtime();
        } else {
            gate.acquireUninterruptibly();
        }
        waitedNanos = System.nanoTime() - t0;
        foundHeld = true;
        foundHeldBy = holder;       // null: no storer had named itself when looked at (one between its acquire and its naming, or queued ones)
        contendedAcquires++;
    }

    /** Acquires that found the gate taken (coordinator's thread, or after a {@link StopHandOff}'s done). */
    long contendedAcquires() {
        return contendedAcquires;
    }

    /**
     * For the pausetrace, after the restart: "" if the last acquire found the gate free, else who
     * held it and how long the acquire waited (allocates: not inside a pause).
     */
    String describeLastAcquire() {
        if (!foundHeld) {
            return "";
        }
        Thread h = foundHeldBy;
        foundHeld = false;          // told once
        foundHeldBy = null;
        // Not compared with the describing thread: after a hand-off a mutator describes an acquire
        // the coordinator made (or the other way round), and an unnamed holder is its own case.
        return "; store gate held by " + (h == null ? "a storer not yet named" : h.getName())
                + ", waited " + Millis.of(waitedNanos) + " ms";
    }

    private void acquireAsRealtime() {
        long park = dev.gort.sys.RealtimeBoost.PARK_FIRST_NANOS;
        while (!gate.tryAcquire()) {
            park = dev.gort.sys.RealtimeBoost.parkRaised(park);
        }
    }

    /** Lets the gate go if the coordinator holds it (a no-op otherwise: abandon paths call it blindly). */
    void release() {
        if (held) {
            held = false;
            gate.release();
        }
    }
}
