package dev.gort.sched;

/**
 * A parked select's case on a {@link SelectableChan} (the part of Go's sudog such a channel sees).
 * The case's value lives in {@link #frame()} slot {@link #slot()} on the selecting goroutine's
 * shadow stack: a send case's pointer to take, or where a receive case's pointer goes.
 */
public final class SelectWaiter {
    private final Sudog sg;
    private final boolean send;
    private final Frame frame;
    private final int slot;

    SelectWaiter(Sudog sg, boolean send, Frame frame, int slot) {
        this.sg = sg;
        this.send = send;
        this.frame = frame;
        this.slot = slot;
    }

    public boolean isSend() {
        return send;
    }

    public Frame frame() {
        return frame;
    }

    public int slot() {
        return slot;
    }

    /**
     * With the channel's lock held, before taking or delivering a value: true if this case wins
     * its select (Go's selectDone CAS); false if another case already did, and then the waiter
     * must be skipped (dropped from the queue) untouched.
     */
    public boolean claim() {
        return sg.g.casSelectDone();
    }

    /**
     * After a successful {@link #claim()}, the value moved and the channel unlocked: wakes the
     * select with this case chosen; {@code success} false means the channel was closed.
     */
    public void complete(boolean success) {
        sg.success = success;
        G g = sg.g;
        g.param = sg;
        g.sched.ready(g);
    }
}
