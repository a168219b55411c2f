package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sched.Go;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

/**
 * PtrChan's capacity bound (review32's nit; sched32 bounded Chan the same way): a capacity no heap
 * or root table here can ever hold is refused by name with the accepted range, and the runtime
 * stays usable after. On lead33 such a capacity failed with the JVM's OutOfMemoryError making the
 * ring's arrays, and a ring the table could not hold now left the slots it had taken behind.
 */
class PtrChanCapacityBoundTest {

    @Test
    void aCapacityNoJvmCanHoldIsRefusedByNameAndChannelsStillWork() {
        String[] messages = new String[2];
        long[] received = new long[1];
        SchedCollectorTest.withRuntime(2, PtrChanTest.OPTS, gc -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PtrChan.create(gc, Integer.MAX_VALUE));
            messages[0] = e.getMessage();
            long tableSlots = gc.globals().maxSlots();
            if (tableSlots < PtrChan.MAX_CAPACITY) {
                e = assertThrows(IllegalArgumentException.class, () -> PtrChan.create(gc, (int) tableSlots + 1));
                messages[1] = e.getMessage();
            }
            // Usable after: a buffered channel moves 100 pointers between two goroutines.
            PtrChan c = PtrChan.create(gc, 4);
            Go.go(() -> {
                for (long v = 1; v <= 100; v++) {
                    c.send(v * 8);
                }
                c.close();
            });
            long sum = 0;
            for (long v; (v = c.recv()) != 0;) {
                sum += v;
            }
            received[0] = sum;
            c.free();
        });
        assertTrue(messages[0].startsWith("makechan: size out of range: PtrChan capacity 2147483647 is more than"), messages[0]);
        assertTrue(messages[0].contains("; accepted: 0 to "), messages[0]);
        assertTrue(messages[0].contains("-Xmx") || Runtime.getRuntime().maxMemory() == Long.MAX_VALUE, messages[0]);
        if (messages[1] != null) {
            assertTrue(messages[1].contains("global root table's "), messages[1]);
        }
        assertEquals(8 * (100 * 101 / 2), received[0], "every pointer sent after the refusal arrived");
    }

    @Test
    void theBoundIsTheHeapAtSixteenBytesASlotWithinTheArrayLimit() {
        assertEquals(PtrChan.maxCapacity(Runtime.getRuntime().maxMemory()), PtrChan.MAX_CAPACITY);
        assertEquals(1 << 26, PtrChan.maxCapacity(1L << 30));
        assertEquals(Integer.MAX_VALUE - 8, PtrChan.maxCapacity(Long.MAX_VALUE));
    }

    /**
     * A ring the table can hold in size but not now (full of other handles): "global root table
     * full", and the slots the ring took before the table ran out are given back. On lead33 they
     * stayed taken, so the table lost them for good.
     */
    @Test
    void aRingTheTableCannotHoldNowGivesBackTheSlotsItTook() {
        try (GlobalRoots roots = new GlobalRoots(PosixOsMemory.get(), 64 << 10)) {
            long max = roots.maxSlots();
            long others = max - 100;
            for (long i = 0; i < others; i++) {
                roots.allocSlot();
            }
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> new PtrChan(roots, 150));
            assertTrue(full.getMessage().startsWith("global root table full"), full.getMessage());
            assertEquals(others, roots.liveHandles(), "the failed ring gave back the slots it had taken");
            PtrChan fits = new PtrChan(roots, 100);      // exactly the room left
            assertEquals(max, roots.liveHandles());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PtrChan(roots, (int) max + 1));
            assertTrue(e.getMessage().contains("global root table's " + max + ")"), e.getMessage());
            fits.close();
            fits.free();
            assertEquals(others, roots.liveHandles());
        }
    }
}
