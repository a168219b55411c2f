package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * review35a F2 (limitfix35): a capped assist pass sizes its work with the workPerByte it read and
 * prices the drained work with the bytesPerWork it read separately; a revise between the two reads
 * (every span refill while marking) makes them disagree. A capped pass that did all its work must
 * still end paid up to its cap, as the steal branch credits the whole debt. On lead35 the drain
 * credited {@code 1 + bytesPerWork * done} only: with the figures below, 901 bytes against a
 * 1000-byte debt, so the pass ended 99 bytes in debt and assisted once more.
 */
class AssistDrainCreditTest {
    /** The debt, and the room (runway <= debt: maxBalance is 0, the room is the debt). */
    private static final long DEBT = 1000;
    /** workPerByte as the pass read it: 1000 bytes of room are 10 units of work. */
    private static final double WORK_PER_BYTE_READ = 0.01;
    /** bytesPerWork after a revise between the two reads: the runway shrank, 90 bytes per unit. */
    private static final double BYTES_PER_WORK_AFTER_REVISE = 90;

    @Test
    void aCappedPassThatDidAllItsWorkEndsPaidWhenTheRatioMovedBetweenItsReads() {
        long maxBalance = Assists.maxBalanceAfter(DEBT, 0);
        long balance = -DEBT;
        long room = maxBalance - balance;
        long work = Assists.workWithinCredit(Assists.OVER_ASSIST_WORK, room, WORK_PER_BYTE_READ);
        assertEquals(10, work, "premise: the capped pass's work");
        long lead35Credit = Assists.creditBytes(1 + BYTES_PER_WORK_AFTER_REVISE * work);
        assertEquals(901, lead35Credit, "premise: lead35's drain credit falls short of the room");

        long credit = Assists.drainCredit(work, work, BYTES_PER_WORK_AFTER_REVISE, true, room);
        assertEquals(0, Assists.addCredit(balance, credit, maxBalance),
                "a capped pass that did all its " + work + " units must end paid (credit " + credit + ")");
    }

    @Test
    void otherDrainsKeepGosCredit() {
        // Uncapped: Go's 1 + bytesPerWork * done, whatever the room.
        assertEquals(901, Assists.drainCredit(10, 10, BYTES_PER_WORK_AFTER_REVISE, false, DEBT));
        // Capped but broken off (a stop) before its work was done: only what it did.
        assertEquals(451, Assists.drainCredit(5, 10, BYTES_PER_WORK_AFTER_REVISE, true, DEBT));
        // Capped, done, the ratio moved the other way: the larger credit (addCredit caps it).
        assertEquals(1101, Assists.drainCredit(10, 10, 110, true, DEBT));
        assertEquals(0, Assists.addCredit(-DEBT, 1101, 0));
    }
}
