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
    private final Semaphore gate = new Semaphore(1, true);
    private boolean held;       // one thread at a time (see the class comment)

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
        if (dev.gort.sys.RealtimeBoost.currentThreadRaised()) {
            acquireAsRealtime();
        } else {
            gate.acquireUninterruptibly();
        }
        held = true;
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
