package dev.gort.sched;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The gate in front of a scheduler's native P blocks and G descriptors for threads that are not
 * its Ms (sysmon, the collector's coordinator, the schedtrace printer, a net helper, an embedder
 * holding a {@link P} or {@link G} handle). Its Ms need no gate: {@link Shutdown} frees the blocks
 * only after every M was joined. A reader {@link #enter}s (false once the gate closed: it then
 * answers from the handle's final figures, copied at shutdown) and {@link #leave}s after its last
 * native access; shutdown {@link #closeAndDrain closes} the gate, waits for the readers inside,
 * copies the final figures, {@link #publishFinals publishes} them, and frees the blocks.
 *
 * <p>Invariant: no thread reads or writes the blocks after {@link #closeAndDrain} returned true,
 * except the shutdown thread copying the final figures. A reader refused by the gate waits (a
 * spin-then-park of at most the copy's length: microseconds for a few Ps, milliseconds for a
 * million Gs) until the figures are published, so it never sees half-copied ones.
 */
final class NativeReaders {
    /** Set in {@link #users} once the gate closed. */
    private static final long CLOSED = 1L << 62;
    /** Readers inside, plus the CLOSED bit. */
    private final AtomicLong users = new AtomicLong();
    private volatile boolean finalsPublished;

    /**
     * How deep the calling thread is inside the gate: a gated call may make another (sysmon's
     * retake reads the P's status and syscallwhen through its handle). An inner entry rides on the
     * outer one, which keeps the gate from draining; counted in {@link #users} it would, once the
     * gate closed, wait for the final figures, which wait for the outer entry to leave: a deadlock
     * until the shutdown's drain gave up (seen: readersRacingTheShutdownSeeLiveOrFinalFigures).
     */
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

    /**
     * One access to a scheduler's native blocks on behalf of {@code on} (a P or G handle, the
     * scheduler, a list of Ps) with one argument (an offset, a P id, a count); booleans answer 1 or
     * 0. Implementations must capture nothing (static or unbound method references, lambdas that
     * use only their parameters): each is then one constant object, so {@link #access} allocates
     * nothing and, inlined at its call site, calls it directly.
     */
    @FunctionalInterface
    interface Access<T> {
        long apply(T on, long arg);
    }

    /**
     * The gated access, written once: {@code live.apply(on, arg)} directly when the caller may read
     * the blocks without the gate ({@link Scheduler#onOwnM()}: one of {@code s}'s Ms, or the world
     * lock's holder while the gate is open); otherwise inside the gate, or
     * {@code whenClosed.apply(on, arg)} (the handle's final figures, copied at shutdown) once it
     * closed. Allocates nothing (see {@link Access}); an M pays the {@code onOwnM} test, as before.
     */
    static <T> long access(Scheduler s, T on, long arg, Access<T> live, Access<T> whenClosed) {
        if (s.onOwnM()) {
            return live.apply(on, arg);
        }
        NativeReaders gate = s.readers;
        if (!gate.enter()) {
            return whenClosed.apply(on, arg);
        }
        try {
            return live.apply(on, arg);
        } finally {
            gate.leave();
        }
    }

    /** An {@link Access} answering 0 (false, nothing done): what most accesses answer once the gate closed. */
    static long zero(Object on, long arg) {
        return 0;
    }

    /** Enters the gate: true if the native blocks may be read until {@link #leave}; false once closed. */
    boolean enter() {
        int[] d = depth.get();
        if (d[0] > 0) {
            d[0]++;
            return true;
        }
        long u = users.incrementAndGet();
        if ((u & CLOSED) != 0) {
            users.decrementAndGet();
            awaitFinals();
            return false;
        }
        d[0] = 1;
        return true;
    }

    void leave() {
        int[] d = depth.get();
        if (--d[0] == 0) {
            users.decrementAndGet();
        }
    }

    boolean closed() {
        return (users.get() & CLOSED) != 0;
    }

    /**
     * Closes the gate and waits up to {@code timeoutNanos} for the readers inside to leave; true if
     * none is left (the blocks may then be freed), false if one stayed (they must stay).
     */
    boolean closeAndDrain(long timeoutNanos) {
        long u;
        do {
            u = users.get();
        } while ((u & CLOSED) == 0 && !users.compareAndSet(u, u | CLOSED));
        long deadline = System.nanoTime() + timeoutNanos;
        while (users.get() != CLOSED) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(50_000L);
        }
        return true;
    }

    /** Shutdown, after the final figures were written into the handles. */
    void publishFinals() {
        finalsPublished = true;
    }

    boolean finalsPublished() {
        return finalsPublished;
    }

    private void awaitFinals() {
        for (int i = 0; !finalsPublished; i++) {
            if (i < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000L);
            }
        }
    }
}
