package dev.gort.gc;

/**
 * How long a collector test waits for a cycle it asked for ({@code runTo}, {@code awaitIdle}) before
 * it fails: a hang guard, not a performance claim. Those waits include a new collector's first
 * cycle, which runs after the first, unconditional part of the coordinator's pause-path warm-up
 * (in a cold JVM its first JFR event: 0.5-2 s at load 15) and then cold itself: a cold JVM's first
 * {@code gc()} took up to 17 s at load 30 (session 23, branch {@code warmchunk}), where these tests
 * had 10 s. A test that needs a cycle to come soon says so in its own assertion; what these bounds
 * catch is a cycle that never comes (a lost wake-up, a deadlock), which any bound catches.
 */
final class CycleWaits {
    /** A wait for a breakpoint or for the collector to go idle, in milliseconds. */
    static final long HANG_GUARD_MS = 60_000;

    /**
     * Waits until the coordinator's pause-path warm-up is over ({@code rehearsalToo}: and this JVM's
     * pause-path rehearsal too, so the coordinator sleeps until a request wakes it). Progress-based:
     * on a loaded machine these take tens of seconds (the warm-up's contended-lock rounds 160-320 ms
     * per 16 of 480 at load 15, session 23; warm-up and rehearsal outwaited 60 s at load 44, session
     * 24), so the wait fails only when no warm-up or rehearsal round was done for
     * {@link #HANG_GUARD_MS} (one that stopped), not after a fixed total. Sleeps between looks (a
     * spinning caller takes the CPU the coordinator needs): the caller must be a thread nothing waits
     * for (not registered, or the only goroutine on the only P).
     */
    static void awaitPausePathWarm(Coordinator co, boolean rehearsalToo) {
        long progress = -1;
        long lastProgressAt = System.nanoTime();
        while (!co.pausePathWarm || (rehearsalToo && !co.pausePathRehearsed)) {
            long now = System.nanoTime();
            long p = warmUpProgress(co) + (rehearsalToo ? PausePathRehearsal.roundsDone() : 0);
            if (p != progress) {
                progress = p;
                lastProgressAt = now;
            }
            if (now - lastProgressAt >= HANG_GUARD_MS * 1_000_000L) {
                throw new AssertionError("the coordinator's pause-path warm-up" + (rehearsalToo ? " or rehearsal" : "")
                        + " made no progress for " + HANG_GUARD_MS + " ms (rounds done: gate " + co.gateWarmUpRoundsDone
                        + ", stop path " + co.stopPathWarmUpRoundsDone + ", contended " + co.contendedWarmUpRoundsDone
                        + ", rehearsal " + PausePathRehearsal.roundsDone() + "; warm " + co.pausePathWarm + ", rehearsed "
                        + co.pausePathRehearsed + ")");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    private static long warmUpProgress(Coordinator co) {
        return (long) co.gateWarmUpRoundsDone + co.stopPathWarmUpRoundsDone + co.contendedWarmUpRoundsDone;
    }

    private CycleWaits() {
    }
}
