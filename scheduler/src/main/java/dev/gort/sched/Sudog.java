package dev.gort.sched;

/**
 * A goroutine waiting on a channel (Go's {@code sudog}): one per (goroutine, channel) wait.
 * A plain receive/send uses one; a select uses one per case. Owned by its G's cache when free.
 */
final class Sudog {
    G g;
    /** Value being sent, or the slot a sender fills for a waiting receiver. */
    Object elem;
    Chan<?> c;
    /** Links in the channel's wait queue. */
    Sudog next;
    Sudog prev;
    /** Next sudog of the same select (the G's waiting list). */
    Sudog waitlink;
    boolean isSelect;
    /** true: the operation completed by a peer; false: woken by close. */
    boolean success;
    /** The select case this sudog stands for. */
    int caseIndex;
}
