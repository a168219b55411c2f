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

    private CycleWaits() {
    }
}
