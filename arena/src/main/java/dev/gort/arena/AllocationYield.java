package dev.gort.arena;

/**
 * Thrown out of an allocation's refill when a long step of it (the reclaim walk, the sweep of
 * claimed spans) saw a stop-the-world requested between two bounded chunks, and the allocating
 * mutator said it would rather stop first ({@link MCache#setStopYield}). Nothing is held or
 * half-done when it is thrown: the cache's exhausted span was given back, no lock is held, no
 * span is claimed, and the reclaim walk's cursor keeps the chunks already walked; the cache's
 * slot of that class is empty, which the next allocation of the class reads as "refill".
 * The caller (the collector's allocation) stops at its safepoint and allocates again.
 *
 * <p>Go does not need it: its reclaim finds dead spans in a few bitmap words per 512 pages and is
 * short, and its asynchronous preemption covers the rest. gort's walk reads a span descriptor per
 * span start (tens of milliseconds over a 3 GiB heap, with no preemption check) and its stops are
 * cooperative.
 *
 * <p>A singleton without a stack trace: control flow, not an error; never seen by user code.
 */
public final class AllocationYield extends RuntimeException {
    static final AllocationYield INSTANCE = new AllocationYield();

    private AllocationYield() {
        super("allocation yielded to a stop-the-world (retry after the safepoint)", null, false, false);
    }
}
