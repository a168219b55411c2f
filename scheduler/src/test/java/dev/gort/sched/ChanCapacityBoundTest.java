package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A channel capacity the Java heap cannot hold is refused as bad input, with a message naming the
 * capacity and what is accepted (Go: makechan's "size out of range" for elemsize * size beyond
 * maxAlloc). On lead32 {@code new Chan<>(Integer.MAX_VALUE)} failed with the JVM's
 * OutOfMemoryError ("Requested array size exceeds VM limit"). The runtime stays usable after.
 */
@Timeout(120)
class ChanCapacityBoundTest {

    @Test
    void aCapacityTheHeapCannotHoldIsRefusedAndTheRuntimeGoesOn() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        String[] messages = new String[2];
        int[] sum = new int[1];
        s.run(() -> {
            IllegalArgumentException huge = assertThrows(IllegalArgumentException.class, () -> new Chan<Object>(Integer.MAX_VALUE));
            messages[0] = huge.getMessage();
            if (Chan.MAX_CAPACITY < Integer.MAX_VALUE) {
                int justOver = Chan.MAX_CAPACITY + 1;
                messages[1] = assertThrows(IllegalArgumentException.class, () -> Chan.make(justOver)).getMessage();
            }
            // Usable after: a buffered channel between two goroutines.
            Chan<Integer> ch = new Chan<>(16);
            Chan<Boolean> done = new Chan<>(1);
            Go.go(() -> {
                int total = 0;
                for (int i = 0; i < 100; i++) {
                    total += ch.recv();
                }
                sum[0] = total;
                done.send(true);
            });
            for (int i = 0; i < 100; i++) {
                ch.send(i);
            }
            done.recv();
        });
        assertTrue(messages[0].startsWith("makechan: size out of range: capacity 2147483647 "), messages[0]);
        assertTrue(messages[0].contains("accepted: 0 to " + Chan.MAX_CAPACITY + " "), messages[0]);
        if (messages[1] != null) {
            assertTrue(messages[1].contains("capacity " + (Chan.MAX_CAPACITY + 1) + " "), messages[1]);
        }
        assertEquals(4950, sum[0], "channels work after the refusals");
        s.close();
    }

    @Test
    void theBoundIsTheHeapsMaximumAtEightBytesASlotAndTheArrayLimit() {
        assertEquals(64 << 20, Chan.maxCapacity(512L << 20), "512 MiB of heap: 64 Mi slots");
        assertEquals(Chan.MAX_ARRAY_LENGTH, Chan.maxCapacity(Long.MAX_VALUE), "no heap limit: the JVM's array limit");
        assertEquals(Chan.MAX_ARRAY_LENGTH, Chan.maxCapacity(64L << 30), "64 GiB: the array limit is the smaller");
        assertEquals(Chan.maxCapacity(Runtime.getRuntime().maxMemory()), Chan.MAX_CAPACITY);
        // The largest accepted capacity is made (at a small heap share, a channel of MAX_CAPACITY itself is not).
        assertEquals(0, new Chan<Object>(0).cap());
        assertEquals(1 << 20, new Chan<Object>(1 << 20).cap());
    }
}
