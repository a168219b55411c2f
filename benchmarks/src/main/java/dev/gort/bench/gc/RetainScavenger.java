package dev.gort.bench.gc;

import dev.gort.arena.Heap;

import java.util.function.LongSupplier;

/**
 * The retained-heap scavenging a booted gort runtime does (sysmon's retain and memory-limit passes,
 * {@code Sysmon.scavenge}: release free page runs until the heap retains at most the heap goal + 10 %,
 * or 95 % of GOMEMLIMIT when one is set), for {@link BinaryTrees}' thread world, which builds the
 * collector without the runtime and so ran with no scavenger at all: freed pages stayed resident
 * for the rest of the run whatever the goal became.
 *
 * <p>One difference from sysmon, on purpose: sysmon looks once per new cycle, right after mark
 * termination, when the finished cycle's dead spans are still unswept and so not yet free pages;
 * this thread looks every {@code periodMillis} and keeps releasing as the sweep frees pages, as Go's
 * background scavenger works until retained memory is at its goal (mgcscavenge.go). Go paces that
 * work to ~1 % of the CPU; here the work is bounded by what the sweep frees, and one madvise of
 * 64 MiB costs ~3 ms on this VM, so it is not paced.
 *
 * <p>Released pages that the heap later uses again are faulted in afresh (first touch, zeroed by the
 * kernel): the price Go pays too when the goal swings between cycles.
 */
final class RetainScavenger implements AutoCloseable {
    /** Go's retainExtraPercent (and sysmon's default {@code gort.scavenge.retainextra}). */
    static final int RETAIN_EXTRA_PERCENT = 10;
    /** Go's memory-limit retained goal: 95 % of the limit (sysmon's memory-limit pass). */
    static final int MEMORY_LIMIT_RETAIN_PERCENT = 95;
    /** No goal or limit in force (GOGC=off without a limit): nothing to release to. */
    static final long NONE = Long.MAX_VALUE;

    private final Heap heap;
    private final LongSupplier goal;
    private final LongSupplier limit;
    private final long periodMillis;
    private final Thread thread;
    private volatile boolean stop;
    private volatile long releasedBytes;
    private volatile long passes;
    private volatile RuntimeException failure;

    /**
     * @param goal  the current heap goal in bytes ({@code NONE} or &lt;= 0: none)
     * @param limit the memory limit in bytes ({@code NONE}: none)
     */
    RetainScavenger(Heap heap, LongSupplier goal, LongSupplier limit, long periodMillis) {
        if (periodMillis <= 0) {
            throw new IllegalArgumentException("scavenger period " + periodMillis + " ms: must be > 0");
        }
        this.heap = heap;
        this.goal = goal;
        this.limit = limit;
        this.periodMillis = periodMillis;
        this.thread = Thread.ofPlatform().daemon().name("bt-scavenger").start(this::run);
    }

    /**
     * The retained-bytes target for a heap goal and a memory limit: goal + 10 % (saturating), and at
     * most 95 % of the limit; {@link #NONE} if neither is in force.
     */
    static long target(long goal, long limit) {
        long t = NONE;
        if (goal > 0 && goal != NONE) {
            long extra = goal / 100 * RETAIN_EXTRA_PERCENT;
            t = goal > NONE - extra ? NONE : goal + extra;
        }
        if (limit != NONE && limit >= 0) {
            t = Math.min(t, limit / 100 * MEMORY_LIMIT_RETAIN_PERCENT);
        }
        return t;
    }

    private void run() {
        try {
            while (!stop) {
                passOnce();
                Thread.sleep(periodMillis);
            }
        } catch (InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;        // reported by close(): a harness figure must not hide a broken pass
        }
    }

    /** One look: releases down to the target if the heap retains more. Returns bytes released. */
    long passOnce() {
        long t = target(goal.getAsLong(), limit.getAsLong());
        if (t == NONE || heap.heapRetainedBytes() <= t) {
            return 0;
        }
        long r = heap.scavengeToRetain(t);
        if (r > 0) {
            releasedBytes += r;
            passes++;
        }
        return r;
    }

    long releasedBytes() {
        return releasedBytes;
    }

    long passes() {
        return passes;
    }

    /** Stops the thread (before the heap closes); rethrows a failure its passes met. */
    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw new IllegalStateException("the harness's retain scavenger failed", failure);
        }
    }
}
