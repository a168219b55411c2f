package dev.gort.gc;

import java.util.Arrays;

/**
 * The allocated-black filters of a {@link ThreadWorld}'s mutators in one flat table, indexed by
 * the owning thread's id, so the write barrier can consult the calling thread's filter without
 * finding its {@link Mutator} first.
 *
 * <pre>
 *   table: long[THREADS * ENTRIES]
 *   +---------------------------+---------------------------+-----+
 *   | thread slot 0: ENTRIES    | thread slot 1: ENTRIES    | ... |   slot = threadId & (THREADS-1)
 *   +---------------------------+---------------------------+-----+
 *   entry = table[slot * ENTRIES + ((p >>> 4) & (ENTRIES-1))] == p  -> p was allocated black
 *                                                                       in this mark phase
 * </pre>
 *
 * <p>Why: a barriered store while marking used to find the calling mutator first (the shader,
 * the collector, the world, its thread table, the owner check: about eight dependent loads) only
 * to learn from the mutator's filter that both pointers were allocated black and nothing needs
 * shading, which is binary-trees' every store. From the table the same answer is two loads away
 * (the table, the entry; the thread id in parallel). ~9 ns per filtered store before this.
 *
 * <p>Invariant: an entry equal to {@code p} means {@code p} was allocated black in the current
 * mark phase, by some mutator. Entries are written only by allocation while marking, with no
 * safepoint between the phase read and the write, and the whole table is emptied after each mark
 * termination and before the next mark phase can start (see {@link Collector}'s
 * clearBarrierFilters). So the entry is a fact about the object whoever reads it: two threads
 * whose ids share a slot (or a mutator that left) only share or lose entries, which costs the
 * barrier a full lookup, never a missed shade.
 */
final class BarrierFilter {
    /** Thread slots: as many as ThreadWorld's thread table. */
    static final int THREADS = 256;
    /** Entries per thread: direct-mapped by 16-byte granule (consecutive small objects do not collide). */
    static final int ENTRIES = Mutator.RECENT_BLACK;

    final long[] table = new long[THREADS * ENTRIES];

    static {
        if (Integer.bitCount(THREADS * ENTRIES) != 1) {
            throw new AssertionError("BarrierFilter's table length " + THREADS * ENTRIES
                    + " must be a power of two (bothRecentBlack masks its index)");
        }
    }

    /** The first entry of thread {@code threadId}'s filter. */
    static int base(long threadId) {
        return ((int) threadId & (THREADS - 1)) * ENTRIES;
    }

    /**
     * True if both {@code obj} and {@code value} (0 counts as filtered) are named by the filter of
     * the thread with id {@code threadId}: the store needs no shade at all.
     *
     * <p>The index is masked with {@code table.length - 1}, which leaves it unchanged (base + slot
     * is below THREADS * ENTRIES, a power of two, the table's length): an index masked by the
     * length less one is one C2 knows in range, so the two loads need no range check, only one
     * test that the length is not 0 (C2's code for this method: two {@code cmp; jae} to a trap
     * before, one {@code test; jbe} after). Part of every barriered store while marking.
     */
    static boolean bothRecentBlack(long[] table, long threadId, long obj, long value) {
        int base = base(threadId);
        int mask = table.length - 1;
        return table[(base + Mutator.recentBlackSlot(obj)) & mask] == obj
                && (value == 0 || table[(base + Mutator.recentBlackSlot(value)) & mask] == value);
    }

    /** Empties every entry (after mark termination, see the class comment). */
    void clear() {
        Arrays.fill(table, 0);
    }
}
