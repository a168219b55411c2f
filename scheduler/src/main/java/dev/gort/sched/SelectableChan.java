package dev.gort.sched;

/**
 * A channel implemented outside the scheduler that a {@link Select} can wait on beside
 * {@link Chan}s: the collector's pointer channel ({@code dev.gort.gc.PtrChan}), whose values are
 * managed pointers that must stay roots while in flight. The value of such a case never sits in a
 * Java field while the selecting goroutine is parked: {@link Select} pushes a {@link Frame} with
 * one slot per case on its shadow stack before its first safepoint, a send case's pointer is in
 * its slot, and a receive case's pointer is written into its slot by the peer.
 *
 * <p>All methods but {@link #selectId()} are called by {@link Select} with the channel's lock
 * held (taken with {@link #selectLock()} in lock order, by id, together with the other cases'
 * channels). A peer that completes a queued {@link SelectWaiter} must {@link SelectWaiter#claim()}
 * it under its lock first (skipping it if another case already won) and
 * {@link SelectWaiter#complete(boolean)} it after unlocking.
 */
public interface SelectableChan {
    /** Lock-order key, unique among all channels: take it once from {@link Chan#newChannelId()}. */
    long selectId();

    void selectLock();

    void selectUnlock();

    /** Pass 1: completes a send of {@code f.get(slot)} now if it can: 1 done, 0 not ready, -1 closed (Select panics). */
    int selectTrySend(Frame f, int slot);

    /** Pass 1: completes a receive into {@code f}'s {@code slot} now if it can: 1 received, 0 not ready, -1 closed (0, ok=false). */
    int selectTryRecv(Frame f, int slot);

    /** Pass 2: queues {@code w} (its goroutine parks after every case is queued). */
    void selectEnqueue(SelectWaiter w);

    /** Pass 3: removes {@code w} if it is still queued (another case won). */
    void selectDequeue(SelectWaiter w);
}
