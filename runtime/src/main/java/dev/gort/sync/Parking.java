package dev.gort.sync;

/**
 * How the sync types block their caller. A goroutine is parked through the scheduler (gopark /
 * goready: its M runs other goroutines meanwhile); any other thread is parked with LockSupport.
 * The runtime installs the scheduler's implementation at bootstrap ({@link #install}); until then
 * only threads exist and {@link #THREADS} serves them.
 */
public final class Parking {
    private Parking() {
    }

    /** The scheduler's side: park the current goroutine, ready a parked one. */
    public interface GoroutineParker {
        /** Whether the calling thread runs a goroutine that can park now (not one inside Gort.syscall, which waits as a thread). */
        boolean onGoroutine();

        /** The running goroutine's handle (passed back to {@link #ready}). */
        Object current();

        /**
         * Parks the running goroutine; {@code afterParked} runs once it is off its M and in the
         * waiting state (so a concurrent ready cannot be lost), then the call returns after
         * {@link #ready} of this goroutine. {@code reason} is Go's wait-reason text.
         */
        void park(Runnable afterParked, String reason);

        /** Makes a goroutine parked by {@link #park} runnable again; any thread. */
        void ready(Object goroutine);
    }

    private static volatile GoroutineParker goroutines;

    /** Installs the scheduler's parker (bootstrap); null removes it. */
    public static void install(GoroutineParker p) {
        goroutines = p;
    }

    static GoroutineParker goroutines() {
        return goroutines;
    }
}
