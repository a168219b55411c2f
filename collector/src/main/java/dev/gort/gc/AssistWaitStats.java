package dev.gort.gc;

/**
 * What the collector's assist queue ({@code AssistQueue}, Go's work.assistQueue) did since the
 * collector started: how often a mutator that owed scan work with none to do parked, and what
 * woke it. Each park is woken exactly once, so {@code parks == paidInQueue + wokenAtMarkEnd +
 * wokenForWork} (+ the waiters still queued).
 *
 * @param parks          waits that queued and parked (a thread or a goroutine)
 * @param paidAtEnqueue  waits paid in full by the credit found while queueing: no park
 * @param paidInQueue    parked waits paid in full by a worker's credit flush, then woken
 * @param wokenAtMarkEnd parked waits woken with debt left when the wait ended (mark termination,
 *                       an abandoned cycle, close, a test breakpoint, the scheduler's exit)
 * @param wokenForWork   parked waits woken because work was published
 * @param refusedEnded   waits that did not queue because the mark phase had ended
 * @param refusedWork    waits that did not queue because work was published
 * @param partialPayments flushes that paid a waiter in part (it moved to the back of the queue)
 * @param parkedNanos    wall time from park to resumption, summed over the parks that ended (a
 *                       polling wait, as before session 8, woke every 20 us of it)
 */
public record AssistWaitStats(long parks, long paidAtEnqueue, long paidInQueue, long wokenAtMarkEnd, long wokenForWork,
                              long refusedEnded, long refusedWork, long partialPayments, long parkedNanos) {
    /** Parks plus waits refused or paid at the queue: every call into the queue. */
    public long waits() {
        return parks + paidAtEnqueue + refusedEnded + refusedWork;
    }

    /** Wake-ups of a parked mutator (each park ends in exactly one). */
    public long wakeups() {
        return paidInQueue + wokenAtMarkEnd + wokenForWork;
    }
}
