package dev.gort.gc;

import java.lang.invoke.VarHandle;

/**
 * The short spin lock of the collector's pointer structures (PtrChan, PtrPool): an int field of the
 * owner, 0 free / 1 held, reached through the owner's VarHandle, so a lock costs no object. Held
 * only for a few stores, never across a park or an allocation: a waiter spins, then yields, since
 * on 2 shared cores the holder may be descheduled.
 */
final class SpinLock {
    private SpinLock() {
    }

    static void lock(VarHandle word, Object owner) {
        int spins = 0;
        while (!word.compareAndSet(owner, 0, 1)) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    static void unlock(VarHandle word, Object owner) {
        word.setRelease(owner, 0);
    }
}
