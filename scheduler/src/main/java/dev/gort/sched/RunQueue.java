package dev.gort.sched;

import static dev.gort.sched.PDescriptor.RUNNEXT;
import static dev.gort.sched.PDescriptor.RUNQ;
import static dev.gort.sched.PDescriptor.RUNQ_HEAD;
import static dev.gort.sched.PDescriptor.RUNQ_SIZE;
import static dev.gort.sched.PDescriptor.RUNQ_TAIL;

import dev.gort.sys.NativeMemory;

/**
 * Go's lock-free per-P run queue ({@code proc.go runqput, runqputslow, runqget, runqgrab,
 * runqsteal}) over a P's native block. Entries are G refs (index + 1).
 *
 * <p>Protocol: only the owner P writes slots and the tail; it publishes a slot with a release
 * store of the tail. Consumers (the owner's runqget and thieves) read the tail with acquire, read
 * the slots, then claim them with a CAS on the head; a slot is never overwritten before the head
 * has moved past it, because the owner checks {@code tail - head < 256} with an acquired head.
 * runnext is a separate CAS slot: the owner puts the G it just readied there so producer/consumer
 * pairs run back to back; thieves take it only on the last stealing pass.
 *
 * <p>With GOMAXPROCS=1 nobody steals: the owner passes {@code stealable = false} and runnext and
 * the head are updated with plain (release) stores, not CASes. Everything else still reads them
 * with acquire loads (isEmpty, size), which is all a non-owner does then.
 *
 * <p>The methods are static over addresses so tests can drive a queue without a scheduler.
 */
final class RunQueue {
    private RunQueue() {
    }

    /** Sink for the half-queue + 1 that {@link #put} moves out when the ring is full. */
    interface Overflow {
        /** Receives {@code n} G refs in {@code batch[0..n)}, in queue order. */
        void putBatch(long[] batch, int n);
    }

    static long head(long p) {
        return NativeMemory.getLongAcquire(p + RUNQ_HEAD);
    }

    static long tail(long p) {
        return NativeMemory.getLongAcquire(p + RUNQ_TAIL);
    }

    static long slot(long p, long i) {
        return p + RUNQ + (i & (RUNQ_SIZE - 1)) * 8;
    }

    /** Length of the ring (runnext not counted), as schedtrace prints it. */
    static int size(long p) {
        for (;;) {
            long h = head(p);
            long t = tail(p);
            if (h == head(p)) {
                return (int) Math.max(0, t - h);
            }
        }
    }

    /** True if neither the ring nor runnext holds a G (Go's runqempty, consistent snapshot). */
    static boolean isEmpty(long p) {
        for (;;) {
            long h = head(p);
            long t = tail(p);
            long next = NativeMemory.getLongVolatile(p + RUNNEXT);
            if (tail(p) == t) {
                return h == t && next == 0;
            }
        }
    }

    /**
     * Owner only. Puts {@code ref} on the queue: into runnext if {@code next} (kicking the old
     * runnext to the tail), else at the tail; a full ring moves half of itself plus the G to
     * {@code overflow} (Go's runqputslow).
     */
    static void put(long p, long ref, boolean next, long[] batch, Overflow overflow) {
        put(p, ref, next, batch, overflow, true);
    }

    /**
     * {@link #put(long, long, boolean, long[], Overflow)}; {@code stealable} false says no thief
     * can touch this queue (GOMAXPROCS=1: there is no other P), so runnext is swapped with plain
     * accesses instead of a CAS (the hand-off of every channel wake-up).
     */
    static void put(long p, long ref, boolean next, long[] batch, Overflow overflow, boolean stealable) {
        if (next) {
            long old;
            if (stealable) {
                do {
                    old = NativeMemory.getLongVolatile(p + RUNNEXT);
                } while (!NativeMemory.casLong(p + RUNNEXT, old, ref));
            } else {
                old = NativeMemory.getLong(p + RUNNEXT);
                NativeMemory.putLongRelease(p + RUNNEXT, ref);
            }
            if (old == 0) {
                return;
            }
            ref = old; // kick the old runnext to the regular queue
        }
        for (;;) {
            long h = head(p);
            long t = NativeMemory.getLong(p + RUNQ_TAIL);
            if (t - h < RUNQ_SIZE) {
                NativeMemory.putLong(slot(p, t), ref);
                NativeMemory.putLongRelease(p + RUNQ_TAIL, t + 1);
                return;
            }
            if (putSlow(p, ref, h, t, batch, overflow)) {
                return;
            }
            // lost a race with a thief: the queue is not full any more, retry
        }
    }

    private static boolean putSlow(long p, long ref, long h, long t, long[] batch, Overflow overflow) {
        int n = (int) ((t - h) / 2);
        if (n != RUNQ_SIZE / 2) {
            throw new IllegalStateException("runqputslow: queue is not full (head " + h + ", tail " + t + ")");
        }
        for (int i = 0; i < n; i++) {
            batch[i] = NativeMemory.getLong(slot(p, h + i));
        }
        if (!NativeMemory.casLong(p + RUNQ_HEAD, h, h + n)) {
            return false;
        }
        batch[n] = ref;
        overflow.putBatch(batch, n + 1);
        return true;
    }

    /** Owner only: puts a batch at the tail; the caller guarantees room. */
    static boolean putBatchIfRoom(long p, long[] refs, int n) {
        long h = head(p);
        long t = NativeMemory.getLong(p + RUNQ_TAIL);
        if (t - h + n > RUNQ_SIZE) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            NativeMemory.putLong(slot(p, t + i), refs[i]);
        }
        NativeMemory.putLongRelease(p + RUNQ_TAIL, t + n);
        return true;
    }

    /**
     * Owner only. Takes runnext if set (the caller's {@code inheritTime[0]} becomes true: it shares
     * the current time slice), else the head of the ring. 0 if empty.
     */
    static long get(long p, boolean[] inheritTime) {
        return get(p, inheritTime, true);
    }

    /**
     * {@link #get(long, boolean[])}; {@code stealable} false (no other P exists) takes runnext
     * and the ring's head with plain accesses instead of CASes.
     */
    static long get(long p, boolean[] inheritTime, boolean stealable) {
        long next = NativeMemory.getLongVolatile(p + RUNNEXT);
        if (next != 0) {
            if (!stealable) {
                NativeMemory.putLongRelease(p + RUNNEXT, 0);
                inheritTime[0] = true;
                return next;
            }
            if (NativeMemory.casLong(p + RUNNEXT, next, 0)) {
                inheritTime[0] = true;
                return next;
            }
        }
        inheritTime[0] = false;
        if (!stealable) {
            long h = NativeMemory.getLong(p + RUNQ_HEAD);
            if (NativeMemory.getLong(p + RUNQ_TAIL) == h) {
                return 0;
            }
            long ref = NativeMemory.getLong(slot(p, h));
            NativeMemory.putLongRelease(p + RUNQ_HEAD, h + 1);
            return ref;
        }
        for (;;) {
            long h = head(p);
            long t = NativeMemory.getLong(p + RUNQ_TAIL);
            if (t == h) {
                return 0;
            }
            long ref = NativeMemory.getLong(slot(p, h));
            if (NativeMemory.casLong(p + RUNQ_HEAD, h, h + 1)) {
                return ref;
            }
        }
    }

    /**
     * Grabs half (rounded up) of {@code victim}'s ring into {@code thief}'s ring starting at slot
     * {@code thiefTail} without publishing them (Go's runqgrab). If the ring is empty and
     * {@code stealRunnext}, takes the victim's runnext instead, after a short back-off if the victim
     * is running so it can run its runnext itself. Returns the number of refs grabbed.
     */
    static int grab(long victim, long thief, long thiefTail, boolean stealRunnext) {
        for (;;) {
            long h = head(victim);
            long t = tail(victim);
            long n = t - h;
            n = n - n / 2;
            if (n == 0) {
                if (stealRunnext) {
                    long next = NativeMemory.getLongVolatile(victim + RUNNEXT);
                    if (next != 0) {
                        if (NativeMemory.getIntAcquire(victim + PDescriptor.STATUS) == PStatus.RUNNING) {
                            // Go sleeps 3us here: the victim is likely about to schedule its runnext.
                            long until = System.nanoTime() + 3_000;
                            while (System.nanoTime() < until) {
                                Thread.onSpinWait();
                            }
                        }
                        if (!NativeMemory.casLong(victim + RUNNEXT, next, 0)) {
                            continue;
                        }
                        NativeMemory.putLong(slot(thief, thiefTail), next);
                        return 1;
                    }
                }
                return 0;
            }
            if (n > RUNQ_SIZE / 2) {
                continue; // h and t read inconsistently
            }
            for (long i = 0; i < n; i++) {
                NativeMemory.putLong(slot(thief, thiefTail + i), NativeMemory.getLong(slot(victim, h + i)));
            }
            if (NativeMemory.casLong(victim + RUNQ_HEAD, h, h + n)) {
                return (int) n;
            }
        }
    }

    /**
     * Thief = owner of {@code p}: steals half of {@code victim}'s queue into its own, returns one of
     * the stolen Gs to run (the rest are published on p's ring), or 0 (Go's runqsteal).
     */
    static long steal(long p, long victim, boolean stealRunnext) {
        long t = NativeMemory.getLong(p + RUNQ_TAIL);
        int n = grab(victim, p, t, stealRunnext);
        if (n == 0) {
            return 0;
        }
        NativeMemory.getAndAddLong(p + PDescriptor.STEALS, n);
        NativeMemory.getAndAddLong(victim + PDescriptor.STOLEN, n);
        n--;
        long ref = NativeMemory.getLong(slot(p, t + n));
        if (n == 0) {
            return ref;
        }
        long h = head(p);
        if (t - h + n >= RUNQ_SIZE) {
            throw new IllegalStateException("runqsteal: runq overflow");
        }
        NativeMemory.putLongRelease(p + RUNQ_TAIL, t + n);
        return ref;
    }
}
