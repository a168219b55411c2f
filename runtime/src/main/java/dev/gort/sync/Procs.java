package dev.gort.sync;

/**
 * Which P the calling code runs on: the scheduler's answer, installed by the runtime at bootstrap
 * ({@link #install}). Before that (or on a thread that is not an M running a goroutine) the
 * answer is "no P" and the sync types take their slower shared path.
 *
 * <p>Why no pin: gort's preemption is cooperative, so a goroutine keeps its P between two
 * safepoints; Pool's paths contain no safepoint (except the user's {@code New}, called after the
 * per-P work), so the P read at the start stays the caller's P until the operation ends (Go needs
 * runtime_procPin because of asynchronous preemption).
 */
public final class Procs {
    private Procs() {
    }

    /** The scheduler's view: the calling thread's P id (or -1) and the number of Ps. */
    public interface Source {
        /** The P the caller runs on, or -1 when it runs on no P. */
        int currentP();

        /** The number of Ps (GOMAXPROCS). */
        int count();
    }

    private static final Source NONE = new Source() {
        @Override
        public int currentP() {
            return -1;
        }

        @Override
        public int count() {
            return 0;
        }
    };

    private static volatile Source source = NONE;

    /** Installs the scheduler's source (bootstrap), or resets to none with null. */
    public static void install(Source s) {
        source = s == null ? NONE : s;
    }

    static Source source() {
        return source;
    }
}
