package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TESTING.md F5: the clobberFree debug mode catches a write after free when the slot is reused. */
class ClobberFreeTest {
    static Heap heap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClobberFree(true), PosixOsMemory.get());
    }

    @Test
    void writeAfterFreeIsReportedOnReuse() {
        try (Heap heap = heap()) {
            MCache c = heap.newCache();
            long p = c.alloc(48, true);
            c.free(p);
            assertEquals(Zeroing.POISON, NativeMemory.getLong(p), "freed object is poisoned");
            NativeMemory.putLong(p + 16, 7); // the bug: a write through a dangling pointer
            UseAfterFreeException e = assertThrows(UseAfterFreeException.class, () -> c.alloc(48, true));
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(p)) && e.getMessage().contains("+16")
                    && e.getMessage().contains("sizeclass 5"), e.getMessage());
            heap.verifyHeap(); // the slot stays allocated, counts agree
            long q = c.alloc(48, true);
            assertEquals(0, NativeMemory.getLong(q), "the allocator keeps working");
        }
    }

    @Test
    void correctProgramsNeverTripIt() {
        try (Heap heap = heap()) {
            MCache a = heap.newCache();
            MCache b = heap.newCache();
            SplittableRandom rnd = new SplittableRandom(3);
            List<Long> live = new ArrayList<>();
            for (int i = 0; i < 200_000; i++) {
                if (live.isEmpty() || rnd.nextInt(100) < 55) {
                    long size = rnd.nextInt(100) < 2 ? 40_000 + rnd.nextInt(60_000) : 1 + rnd.nextInt(3000);
                    long p = a.alloc(size, true);
                    NativeMemory.putLong(p, i);
                    live.add(p);
                } else {
                    int k = rnd.nextInt(live.size());
                    long p = live.get(k);
                    live.set(k, live.get(live.size() - 1));
                    live.remove(live.size() - 1);
                    (rnd.nextBoolean() ? a : b).free(p); // b's frees are remote
                }
            }
            heap.verifyHeap();
            // GC-mode sweep poisons what it frees too.
            heap.gc().flushAllCaches();
            heap.gc().startSweepCycle();
            while (heap.gc().sweepOne() != 0) {
                // nothing marked: everything dies
            }
            for (int i = 0; i < 50_000; i++) {
                a.alloc(1 + rnd.nextInt(3000), true);
            }
            heap.verifyHeap();
        }
    }
}
