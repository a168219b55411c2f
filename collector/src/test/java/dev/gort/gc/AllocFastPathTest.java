package dev.gort.gc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The allocation fast path ({@link Collector#alloc}) and its accounting while marking: allocation
 * credit in bytes (Go's gcAssistBytes), the over-assist that turns one steal from the background
 * credit into credit for the next allocations, allocate-black and the marked-bytes count. Each
 * test stops the coordinator right after mark start, so no worker runs and the test alone moves
 * the pacer's background credit.
 */
class AllocFastPathTest extends ThreadCollectorFixture {
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").longField("id").longField("pad").build();
    static final long LEFT = NODE.offset("left"), RIGHT = NODE.offset("right"), ID = NODE.offset("id");

    /** A rooted list of {@code n} nodes: scan work the next cycle expects, so the assist ratio is > 0. */
    long liveList(int n) {
        long head = 0;
        for (int i = 0; i < n; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, LEFT, head);
            Mem.putLong(p, ID, i);
            head = p;
            m.roots().set(0, head);
        }
        return head;
    }

    /**
     * What an assist for {@code debt} bytes buys, as Go's gcAssistAlloc computes it: {credit
     * bytes, scan work}: at least OVER_ASSIST_WORK of scan work, and what that work buys at the
     * ratio as credit, the debt included.
     */
    static long[] overAssist(double workPerByte, double bytesPerWork, long debt) {
        long scanWork = (long) (workPerByte * debt);
        long bytes = debt;
        if (scanWork < Assists.OVER_ASSIST_WORK) {
            scanWork = Assists.OVER_ASSIST_WORK;
            bytes = (long) (bytesPerWork * Assists.OVER_ASSIST_WORK);
        }
        return new long[] {bytes, scanWork};
    }

    /**
     * Go's over-assist is 64 KiB of scan work, whatever credit that buys: at a cycle's start with
     * little to scan a unit of work buys several bytes, so one assist covers several times 64 KiB
     * of allocation. Until session 28 gort capped that credit at 64 KiB of bytes (1 of 5 steals'
     * worth here), so its mutators assisted several times as often as Go's.
     */
    @Test
    void anOverAssistBuysWhatItsScanWorkBuysAtTheRatio() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        liveList(20_000);
        gc.gc();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long bank = 100L << 20;
        gc.pacer().bgScanCredit.set(bank);
        double bytesPerWork = gc.pacer().assistBytesPerWork();
        assertTrue(bytesPerWork > 2, "a unit of scan work buys more than 2 bytes at this cycle's start: " + bytesPerWork);

        gc.alloc(NODE);
        assertEquals(bank - Assists.OVER_ASSIST_WORK, gc.pacer().bgScanCredit.get(), "one over-assist of 64 KiB of scan work");
        long expected = (long) (bytesPerWork * Assists.OVER_ASSIST_WORK) - NODE.size();
        assertEquals(expected, m.assistBytes, "its credit is what 64 KiB of work buys at the ratio, less the node");
        assertTrue(m.assistBytes > 2 * Assists.OVER_ASSIST_WORK, "more than twice 64 KiB of allocation: " + m.assistBytes);
    }

    /**
     * Go's heapScan: the scannable bytes allocated between two cycles are the next cycle's
     * worst-case scan work, so once its scan work passes the estimate (the last cycle's), the work
     * left counts up to them and the assists brake. Until session 28 nothing fed it: the worst
     * case was the estimate and the work left sat at revise's 1000-unit floor.
     */
    @Test
    void scannableBytesAllocatedSinceTheLastCycleAreTheWorstCaseScanWork() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        long head = liveList(20_000);
        gc.gc();
        Pacer p = gc.pacer();
        long lastScan = p.heapScan();
        assertTrue(lastScan >= 20_000 * NODE.size(), "after the cycle heapScan is its heap scan work: " + lastScan);
        int more = 30_000;
        for (int i = 0; i < more; i++) {          // pointerful, kept live: the next cycle may have to scan them
            long q = gc.alloc(NODE);
            Mem.storePtr(q, LEFT, head);
            head = q;
            m.roots().set(0, head);
        }
        for (int i = 0; i < 1_000; i++) {
            gc.allocBytes(256);                   // noscan: never scanned, not counted
        }
        long grown = (long) more * NODE.size();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long scan = p.heapScan();
        assertTrue(scan >= lastScan + grown && scan <= lastScan + grown + (64 << 10),
                "heapScan at the cycle's start: the last cycle's " + lastScan + " + the " + grown
                        + " scannable bytes allocated since (a cached span's free slots count as allocated), got " + scan);

        // The scan work passes the estimate by one unit: the work left is the growth, not the floor.
        long expectedWork = lastScan + p.stackScan() + p.globalsScan();
        p.heapScanWork.set(expectedWork + 1 - p.stackScanWork.get() - p.globalsScanWork.get());
        p.revise();
        double perByte = p.assistWorkPerByte();
        double atLeast = 0.9 * grown / (2.0 * p.heapGoal() - p.heapLive());     // the goal extends at most to 2x
        assertTrue(perByte >= atLeast, "past the estimate the assists price the scannable growth: "
                + perByte + " work/byte, expected at least " + atLeast + " (revise's floor would give "
                + 1000.0 / (p.heapGoal() - p.heapLive()) + ")");
    }

    @Test
    void oneStealOfBackgroundCreditPaysForTheNextAllocationsExactly() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        liveList(20_000);
        gc.gc();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        assertEquals(0, m.assistBytes, "credit starts at zero each cycle");
        long bank = 100L << 20;
        gc.pacer().bgScanCredit.set(bank);
        double bytesPerWork = gc.pacer().assistBytesPerWork();
        double workPerByte = gc.pacer().assistWorkPerByte();
        assertTrue(workPerByte > 0 && workPerByte * NODE.size() < Assists.OVER_ASSIST_WORK,
                "one node's debt is below the over-assist amount: " + workPerByte);
        assertTrue(overAssist(workPerByte, bytesPerWork, NODE.size())[0] >= 100 * NODE.size(),
                "the over-assist buys credit for many allocations");

        gc.alloc(NODE);
        long[] over = overAssist(workPerByte, bytesPerWork, NODE.size());
        long credit = over[0] - NODE.size();
        assertEquals(bank - over[1], gc.pacer().bgScanCredit.get(),
                "the first allocation steals the over-assist amount of background credit, not its own debt");
        assertEquals(credit, m.assistBytes, "and gets it as allocation credit at the pacer's ratio");

        long n = Math.min(1000, credit / NODE.size());
        assertTrue(n > 10, "the credit covers several allocations: " + credit + " bytes");
        for (long i = 0; i < n; i++) {
            gc.alloc(NODE);
        }
        assertEquals(bank - over[1], gc.pacer().bgScanCredit.get(),
                "allocations within the credit do not touch the background credit");
        assertEquals(credit - n * NODE.size(), m.assistBytes, "each pays exactly its size");
    }

    @Test
    void withoutBackgroundCreditTheAssistScansAndBanksItsSurplus() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        long holder = gc.alloc(NODE);
        m.roots().set(1, holder);
        long head = liveList(20_000);
        gc.gc();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        // The stack roots (the head, already marked) went to the held coordinator's gcWork: give
        // the assist grey work of its own through the barrier (the store shades the head's
        // successor, still white, onto this mutator's gcWork).
        Mem.storePtr(holder, LEFT, Mem.loadPtr(head, LEFT));
        gc.pacer().bgScanCredit.set(0);
        long scanned0 = gc.pacer().heapScanWork.get();
        long[] over = overAssist(gc.pacer().assistWorkPerByte(), gc.pacer().assistBytesPerWork(), NODE.size());
        gc.alloc(NODE);
        long scanned = gc.pacer().heapScanWork.get() - scanned0;
        assertTrue(scanned >= over[1] && over[1] > 1000, "the assist scanned the over-assist amount " + over[1]
                + " (the list is 640 KB of grey work): " + scanned);
        assertTrue(m.assistBytes > 0, "its surplus became credit: " + m.assistBytes);
        assertEquals(0, gc.pacer().bgScanCredit.get(), "nothing was stolen");
    }

    @Test
    void anAllocationDuringMarkIsBlackAndCountedAsMarked() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        liveList(1_000);
        gc.gc();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        gc.pacer().bgScanCredit.set(1L << 40);      // assists steal: the fast path after the first allocation
        int n = 5_000;
        long[] garbage = new long[n];
        for (int i = 0; i < n; i++) {
            garbage[i] = gc.alloc(NODE);              // unreachable, but allocated black
            assertTrue(heap.gc().isMarked(garbage[i]), "allocation " + i + " is black");
        }
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        gc.sweepAll();
        assertEquals((1_000 + n) * NODE.size(), gc.pacer().heapMarked(),
                "heapMarked = the live list + every object allocated during mark, counted once");
        for (long p : garbage) {
            assertNotEquals(0, heap.gc().findObject(p), "black garbage survives the cycle it was allocated in");
        }
        gc.gc();
        for (long p : garbage) {
            assertEquals(0, heap.gc().findObject(p), "and is freed by the next");
        }
    }

    @Test
    void outsideMarkTheCreditIsLeftAlone() {
        start();
        liveList(100);
        for (int i = 0; i < 1000; i++) {
            gc.alloc(NODE);
        }
        assertEquals(0, m.assistBytes);
    }

    @Test
    void theBarrierStillShadesAWhiteObjectStoredRightAfterAnAllocation() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        long parent = gc.alloc(NODE);
        long white = gc.alloc(NODE);
        Mem.storePtr(parent, LEFT, white);      // reachable only through parent: white after mark start
        m.roots().set(0, parent);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        assertFalse(heap.gc().isMarked(white), "not scanned yet");
        long fresh = gc.alloc(NODE);
        assertTrue(m.isRecentBlack(fresh), "the barrier's filter names the object just allocated black");
        assertFalse(m.isRecentBlack(white), "and not one allocated before mark start");
        Mem.storePtr(parent, RIGHT, white);
        assertTrue(heap.gc().isMarked(white), "a pointer the filter does not name is shaded");
        Mem.storePtr(white, LEFT, fresh);       // filtered: fresh is black already
        assertTrue(heap.gc().isMarked(fresh));
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertFalse(m.isRecentBlack(fresh), "cleared at mark termination");
        assertTrue(m.recentBlackEmpty(), "every entry");
    }

    /**
     * The barrier's first question (BarrierFilter): a store of an object allocated black into
     * another allocated black, both in this mark phase, is let through by the calling thread's
     * filter table without a shade or a mutator lookup; a store whose target or value the table
     * does not name still takes the shader's path and shades what it must.
     */
    @Test
    void aStoreBetweenTwoObjectsAllocatedBlackIsFilteredByTheTable() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        long old = gc.alloc(NODE);
        long white = gc.alloc(NODE);
        Mem.storePtr(old, LEFT, white);
        m.roots().set(0, old);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long a = gc.alloc(NODE);
        long b = gc.alloc(NODE);
        m.roots().set(1, a);
        long filtered = WriteBarrier.filteredStores();
        long slow = WriteBarrier.slowStores();
        Mem.storePtr(a, LEFT, b);
        Mem.storePtr(a, RIGHT, 0);
        assertEquals(filtered + 2, WriteBarrier.filteredStores(), "both stores named by the table (0 needs no shade)");
        assertEquals(slow + 2, WriteBarrier.slowStores(), "and counted as barriered stores");
        assertEquals(b, Mem.loadPtr(a, LEFT));

        assertFalse(heap.gc().isMarked(white), "white: not scanned yet");
        Mem.storePtr(a, RIGHT, white);          // value from before the cycle: not in the table
        assertEquals(filtered + 2, WriteBarrier.filteredStores());
        assertEquals(slow + 3, WriteBarrier.slowStores(), "a store the table did not let through is a barriered store too");
        assertTrue(heap.gc().isMarked(white), "the insertion half shaded it");

        long white2 = gc.alloc(NODE);           // allocated black, stored into an object from before the cycle
        long prev = Mem.loadPtr(old, LEFT);
        Mem.storePtr(old, LEFT, white2);
        assertEquals(filtered + 2, WriteBarrier.filteredStores(), "the target is not in the table: the deletion half runs");
        assertEquals(slow + 4, WriteBarrier.slowStores());
        assertEquals(white, prev);
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertTrue(m.recentBlackEmpty(), "the filter was emptied after mark termination");
    }

    /**
     * The allocation fast path indexes a mutator's filter masked with its table's length less one
     * ({@link Mutator#recentBlackIndex}), which changes no index only if the length is a power of
     * two and the filter's entries lie below it: a table that breaks either is refused when the
     * mutator is made, and every index the mask produces is the unmasked one.
     */
    @Test
    void aFilterTableTheMaskWouldMisindexIsRefused() {
        int n = Mutator.RECENT_BLACK;
        assertThrows(IllegalArgumentException.class, () -> new Mutator(null, null, null, null, new long[3 * n], 0));
        assertThrows(IllegalArgumentException.class, () -> new Mutator(null, null, null, null, new long[2 * n], n + 1));
        assertThrows(IllegalArgumentException.class, () -> new Mutator(null, null, null, null, new long[2 * n], -1));
        Mutator last = new Mutator(null, null, null, null, new long[4 * n], 3 * n);
        for (long p = 0; p < 64L * n; p += 16) {
            assertEquals(3 * n + Mutator.recentBlackSlot(p), last.recentBlackIndex(p), "index of " + p);
        }
    }

    /**
     * The fast path's allocate-black steps, written out in {@code Collector.allocFor} rather than
     * called (C2 left the call out of line): every object it serves while marking is named by the
     * barrier's filter at the slot the barrier reads ({@link Mutator#recentBlackSlot}), so a store
     * between two of them is filtered; each is paid from the credit and counted as marked once.
     * With background credit banked, the allocations after the first take the fast path.
     */
    @Test
    void everyObjectTheFastPathAllocatesWhileMarkingIsNamedByTheFilterAndPaidFor() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        gc.pacer().bgScanCredit.set(1L << 40);      // assists steal: no drain, no wait
        long prev = gc.alloc(NODE);
        m.roots().set(0, prev);
        long marked0 = m.gcw.bytesMarked + m.blackBytes;
        int n = 2_000;
        for (int i = 0; i < n; i++) {
            long credit = m.assistBytes;
            long p = gc.alloc(NODE);
            assertTrue(m.isRecentBlack(p), "allocation " + i + " while marking is named by the barrier's filter");
            assertTrue(heap.gc().isMarked(p), "allocation " + i + " is black");
            if (credit >= NODE.size()) {
                assertEquals(credit - NODE.size(), m.assistBytes, "allocation " + i + " paid its size from the credit");
            }
            long filtered = WriteBarrier.filteredStores();
            Mem.storePtr(p, LEFT, prev);
            assertEquals(filtered + 1, WriteBarrier.filteredStores(), "store " + i + " between two new objects is filtered");
            m.roots().set(0, p);
            prev = p;
        }
        assertEquals(marked0 + n * NODE.size(), m.gcw.bytesMarked + m.blackBytes, "each counted as marked once");
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertTrue(m.recentBlackEmpty(), "the filter was emptied after mark termination");
        // The chain is reachable only through objects allocated black, which no marker scans or
        // counts: the cycle's marked bytes include them only if mark termination harvested the
        // mutator's own count (Mutator.blackBytes).
        assertTrue(gc.pacer().heapMarked() >= n * NODE.size(), "the cycle's marked bytes " + gc.pacer().heapMarked()
                + " include the " + n * NODE.size() + " bytes allocated black");
        assertEquals(0, m.blackBytes, "harvested and zeroed at mark termination");
    }

    /**
     * The table is emptied whole after mark termination, so a thread that allocated black and left
     * during the mark phase leaves no entry behind for a later thread whose id shares its slot.
     */
    @Test
    void theFilterTableIsEmptyAfterTheCycleEvenForAThreadThatLeft() throws Exception {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long[] mine = {0};
        Thread t = Thread.ofPlatform().start(() -> {
            Mutator other = world.register(2);
            for (int i = 0; i < 100; i++) {
                mine[0] = gc.alloc(NODE);
            }
            assertTrue(other.isRecentBlack(mine[0]));
            world.unregister();
        });
        t.join(60_000);
        long[] table = world.barrierFilter.table;
        assertTrue(java.util.Arrays.stream(table).anyMatch(e -> e == mine[0]), "the departed thread's entry is still there");
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        assertTrue(java.util.Arrays.stream(table).allMatch(e -> e == 0), "the whole table was emptied after the cycle");
    }

    /**
     * A field store into an object allocated black in this mark phase skips the deletion half (it
     * does not even read the old value): the object was born zeroed and every pointer stored into
     * it since went through the insertion half. Shown both ways: an old value written there by the
     * API was shaded when written, and the overwritten object survives with checkmark on while
     * only a root slot set after the stack scan holds it; an old value written there by a raw
     * store (outside the API's contract) is not shaded by the overwrite, which is how the test
     * sees the skip. A store into an object from before the cycle still shades its old value.
     */
    @Test
    void aStoreIntoAnObjectAllocatedBlackSkipsTheDeletionShade() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start(GcOptions.DEFAULT.withDebug(false, true, false, 0, 0));
        long parent = gc.alloc(NODE);
        long w1 = gc.alloc(NODE), w2 = gc.alloc(NODE), w3 = gc.alloc(NODE);
        Mem.storePtr(parent, LEFT, w1);        // each reachable only through parent: white after mark start
        Mem.storePtr(parent, RIGHT, w2);
        Mem.storePtr(w2, LEFT, w3);
        Mem.putLong(w1, ID, 11);
        m.roots().set(0, parent);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long fresh = gc.alloc(NODE);
        m.roots().set(1, fresh);
        assertTrue(m.isRecentBlack(fresh));

        Mem.storePtr(fresh, LEFT, w1);          // insertion half: w1 grey now
        assertTrue(heap.gc().isMarked(w1));
        long local = Mem.loadPtr(parent, LEFT);
        Mem.storePtr(parent, LEFT, 0);
        Mem.storePtr(fresh, LEFT, 0);           // no deletion shade needed: w1 was shaded when stored
        m.roots().set(2, local);                // only an (already scanned) root slot holds w1 now

        assertFalse(heap.gc().isMarked(w3), "w3: not scanned yet");
        Mem.putLong(fresh, RIGHT, w3);          // a raw store, outside the contract: w3 not shaded
        Mem.storePtr(fresh, RIGHT, 0);
        assertFalse(heap.gc().isMarked(w3), "the overwrite of a field of a black-allocated object did not read it");

        assertFalse(heap.gc().isMarked(w2), "w2: not scanned yet");
        Mem.storePtr(parent, RIGHT, 0);         // parent is from before the cycle: deletion half shades w2
        assertTrue(heap.gc().isMarked(w2));
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        gc.sweepAll();
        assertNotEquals(0, heap.gc().findObject(w1), "w1 survived");
        assertEquals(11, Mem.getLong(w1, ID));
        assertTrue(gc.checkmarkCycles() > 0, "checkmark verified the cycle");
    }

    /**
     * The filter must never outlive its cycle: an object allocated black in one cycle is freed by
     * its sweep, and its slot reused by an object allocated outside marking (white in the next
     * cycle). Here that reused object's only heap reference is deleted during the next mark while
     * a Java local holds it, then stored into a scanned object: both barriers must shade it. Had
     * the filter still named the address, neither would, and the object would be freed while
     * reachable (checkmark fails the cycle first).
     */
    @Test
    void anAddressAllocatedBlackInOneCycleIsShadedWhenReusedWhiteInTheNext() {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start(GcOptions.DEFAULT.withDebug(false, true, false, 0, 0));
        long holder = gc.alloc(NODE);
        m.roots().set(0, holder);
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long black = gc.alloc(NODE);            // garbage, allocated black: the filter's address
        assertTrue(m.isRecentBlack(black));
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        gc.gc();                                // black's cycle is over; this one frees it
        // Reuse the slot outside marking: allocate (rooted in a list) until the address comes back.
        long list = 0;
        long reused = 0;
        for (int i = 0; i < 200_000 && reused == 0; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, RIGHT, list);
            list = p;
            m.roots().set(1, list);
            if (p == black) {
                reused = p;
            }
        }
        assertNotEquals(0, reused, "the freed slot was reused within 200000 allocations");
        Mem.putLong(reused, ID, 4242);
        m.roots().set(1, 0);                    // the list is garbage now, except through holder below
        Mem.storePtr(holder, LEFT, reused);     // reused's only reference is in the heap
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);                   // a cycle the loop triggered is over: runTo starts a fresh one
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        assertFalse(m.isRecentBlack(reused), "the filter forgot the address at the last mark termination");
        long local = Mem.loadPtr(holder, LEFT);
        Mem.storePtr(holder, LEFT, 0);          // deletion barrier: shades reused
        long scanned = gc.alloc(NODE);          // a new (black) object, rooted
        m.roots().set(2, scanned);
        Mem.storePtr(scanned, LEFT, local);     // insertion barrier: shades it again
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
        gc.sweepAll();
        assertNotEquals(0, heap.gc().findObject(reused), "the reused object survived");
        assertEquals(4242, Mem.getLong(reused, ID));
        assertTrue(gc.checkmarkCycles() > 0, "checkmark verified the cycles");
    }

    /** A struct of {@code words} words: pointer fields where {@code isPointer(word)}, longs elsewhere. */
    static Type structOf(int words, java.util.function.IntPredicate isPointer) {
        Type.Builder b = Type.struct("S" + words);
        for (int w = 0; w < words; w++) {
            if (isPointer.test(w)) {
                b.pointer("f" + w);
            } else {
                b.longField("f" + w);
            }
        }
        return b.build();
    }

    /**
     * Every small size class the inline fast path serves (objects of 1..64 pointer-bit words):
     * after a cycle freed a span's worth of all-pointer objects filled with pointers, objects of a
     * sparse type of the same size class reuse those slots zeroed, with exactly their own pointer
     * bits (the stale bits of the previous objects overwritten), and a noscan type of the same
     * size is zeroed too. A fast path that skipped zeroing, wrote the wrong mask or served the
     * wrong span class fails here.
     */
    @Test
    void everyFastSizeClassGetsAZeroedSlotAndExactlyItsPointerBitsOnReuse() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        long target = gc.alloc(NODE);
        m.roots().set(0, target);
        int classes = 0;
        for (int c = 1; c < dev.gort.arena.SizeClasses.NUM_SIZE_CLASSES; c++) {
            int size = dev.gort.arena.SizeClasses.classToSize(c);
            int words = size / 8;
            if (words > 64) {
                break;
            }
            classes++;
            Type full = structOf(words, w -> true);
            Type sparse = structOf(words, w -> w % 3 == 0);
            Type noscan = structOf(words, w -> false);
            assertTrue(full.fastSpanClass >= 0 && sparse.fastSpanClass >= 0 && noscan.fastSpanClass >= 0,
                    "size " + size + " is served by the fast path");
            int n = 2 * dev.gort.arena.SizeClasses.classToObjects(c) + 3;
            for (int i = 0; i < n; i++) {
                long p = gc.alloc(full);
                for (int w = 0; w < words; w++) {
                    Mem.storePtr(p, 8L * w, target);
                }
                long q = gc.alloc(noscan);
                for (int w = 0; w < words; w++) {
                    Mem.putLong(q, 8L * w, -1L);
                }
            }
            gc.gc();       // all of them garbage: the spans are swept, their slots free and dirty
            long mask = 0;
            for (int w = 0; w < words; w++) {
                mask |= (w % 3 == 0 ? 1L : 0L) << w;
            }
            for (int i = 0; i < n; i++) {
                long p = gc.alloc(sparse);
                long q = gc.alloc(noscan);
                for (int w = 0; w < words; w++) {
                    assertEquals(0, Mem.getLong(p, 8L * w), "size " + size + " object " + i + " word " + w + " zeroed");
                    assertEquals(0, Mem.getLong(q, 8L * w), "size " + size + " noscan object " + i + " word " + w + " zeroed");
                }
                assertEquals(mask, heap.gc().pointerBits(p, words), "size " + size + " object " + i + ": its own pointer bits");
                assertEquals(p, heap.gc().findObject(p + size - 1), "size " + size + " object " + i + " fills one slot of its class");
            }
        }
        assertTrue(classes >= 25, "the classes up to 512 bytes: " + classes);
    }

    /**
     * The counts the fast path keeps are exact: MemStats' mallocs (per size class, from the
     * mcache's counters) at every allocation, and the proportional-sweep credit, which since
     * session 20 is paid per span the cache takes (Go's cacheSpan), not per object: the fast path
     * leaves it alone, and the allocation that refills adds the previous refill's span to it
     * (reset once it reaches 16 KiB, when the mutator pays). The model below follows the refills
     * through the held span table; under a forced gcpoison every allocation takes the general path.
     */
    @Test
    void theFastPathCountsEveryAllocationAndPaysItsSweepCreditPerSpan() {
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF));
        boolean fast = !dev.gort.sys.ForcedGcModes.get().poison(false);
        int cls = dev.gort.arena.SizeClasses.sizeToClass((int) NODE.size());
        long spanBytes = dev.gort.arena.SizeClasses.classToPages(cls) * dev.gort.arena.SizeClasses.PAGE_SIZE;
        int spc = NODE.fastSpanClass;
        long mallocs0 = heap.readMemStats().mallocs();
        long classMallocs0 = heap.readMemStats().bySize().get(cls - 1).mallocs();
        long heapAlloc0 = heap.readMemStats().heapAlloc();
        assertEquals(0, m.mcache().takeSpanBytes(), "a fresh cache has taken no span");
        long credit = m.sweepCreditBytes;
        long pending = 0;           // bytes of spans taken and not yet added to the credit
        long cached = m.spanTable[spc];
        int n = 100_003, refills = 0;
        for (int i = 0; i < n; i++) {
            gc.alloc(NODE);
            boolean refilled = m.spanTable[spc] != cached;
            cached = m.spanTable[spc];
            if (refilled || !fast) {        // this allocation took the general path: it paid what was pending
                credit += pending;
                pending = 0;
                if (credit >= Sweeping.SWEEP_CREDIT_BYTES) {
                    credit = 0;
                }
            }
            if (refilled) {
                refills++;
                pending += spanBytes;
            }
            assertEquals(credit, m.sweepCreditBytes, "sweep credit after allocation " + i);
            if (i % 9973 == 0) {
                assertEquals(i + 1, heap.readMemStats().mallocs() - mallocs0, "mallocs after allocation " + i);
                assertEquals((i + 1) * NODE.size(), heap.readMemStats().heapAlloc() - heapAlloc0, "heapAlloc after allocation " + i);
            }
        }
        int perSpan = dev.gort.arena.SizeClasses.classToObjects(cls);
        assertEquals((n + perSpan - 1) / perSpan, refills, "one refill per span of " + perSpan + ": " + n + " nodes");
        assertEquals(n, heap.readMemStats().mallocs() - mallocs0, "every allocation counted once");
        assertEquals(n, heap.readMemStats().bySize().get(cls - 1).mallocs() - classMallocs0, "in its size class");
        assertEquals(pending, m.mcache().takeSpanBytes(), "the last span taken is still owed");
    }
}
