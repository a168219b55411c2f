package dev.gort.gc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class WriteBarrierTest {
    private final List<Long> shaded = new ArrayList<>();

    @AfterEach
    void off() {
        WriteBarrier.enabled = false;
        WriteBarrier.install(p -> {
        });
    }

    @Test
    void barrierOffStoresPlainly() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(64, 8);
            long obj = s.address();
            WriteBarrier.install(shaded::add);
            Mem.storePtr(obj, 8, 0x1000);
            assertEquals(0x1000, Mem.loadPtr(obj, 8));
            assertTrue(shaded.isEmpty());
        }
    }

    @Test
    void barrierOnShadesOldAndNew() {
        try (Arena a = Arena.ofConfined()) {
            long obj = a.allocate(64, 8).address();
            Mem.storePtr(obj, 16, 0xA000);
            WriteBarrier.install(shaded::add);
            WriteBarrier.enabled = true;
            long before = WriteBarrier.slowStores();
            Mem.storePtr(obj, 16, 0xB000);
            assertEquals(List.of(0xA000L, 0xB000L), shaded);
            assertEquals(0xB000, Mem.loadPtr(obj, 16));
            Mem.storePtr(obj, 16, 0);         // deleting a reference shades only the old one
            assertEquals(List.of(0xA000L, 0xB000L, 0xB000L), shaded);
            Mem.storePtrAt(obj, 3, 0xC000);   // old value 0: only the new one
            assertEquals(0xC000L, shaded.getLast());
            assertEquals(4, shaded.size());
            assertEquals(3, WriteBarrier.slowStores() - before);
        }
    }

    @Test
    void bulkCopyShadesEveryOverwrittenAndCopiedPointer() {
        try (Arena a = Arena.ofConfined()) {
            long src = a.allocate(32, 8).address();
            long dst = a.allocate(32, 8).address();
            for (int i = 0; i < 4; i++) {
                Mem.putLong(src, i * 8, 0x100 * (i + 1));
                Mem.putLong(dst, i * 8, i == 2 ? 0 : 0x9000 + i);
            }
            WriteBarrier.install(shaded::add);
            WriteBarrier.enabled = true;
            Mem.copyPtrs(src, dst, 4);
            assertEquals(List.of(0x9000L, 0x100L, 0x9001L, 0x200L, 0x300L, 0x9003L, 0x400L), shaded);
            for (int i = 0; i < 4; i++) {
                assertEquals(0x100L * (i + 1), Mem.loadPtrAt(dst, i));
            }
        }
    }

    @Test
    void casShadesOnlyWhenEnabled() {
        try (Arena a = Arena.ofConfined()) {
            long slot = a.allocate(8, 8).address();
            WriteBarrier.install(shaded::add);
            assertTrue(WriteBarrier.casPointer(slot, 0, 0x10));
            assertTrue(shaded.isEmpty());
            WriteBarrier.enabled = true;
            assertTrue(WriteBarrier.casPointer(slot, 0x10, 0x20));
            assertEquals(List.of(0x10L, 0x20L), shaded);
            assertFalse(WriteBarrier.casPointer(slot, 0x10, 0x30));
        }
    }

    @Test
    void primitiveAccessorsRoundTrip() {
        try (Arena a = Arena.ofConfined()) {
            Type t = Type.struct("All").longField("l").doubleField("d").intField("i").bytes("b", 4).build();
            long obj = a.allocate(t.size(), 8).address();
            Mem.putLong(obj, t.offset("l"), -7L);
            Mem.putDouble(obj, t.offset("d"), 3.25);
            Mem.putInt(obj, t.offset("i"), 42);
            Mem.putByte(obj, t.offset("b") + 3, (byte) 9);
            assertEquals(-7L, Mem.getLong(obj, t.offset("l")));
            assertEquals(3.25, Mem.getDouble(obj, t.offset("d")));
            assertEquals(42, Mem.getInt(obj, t.offset("i")));
            assertEquals(9, Mem.getByte(obj, t.offset("b") + 3));
        }
    }

    /** A store hands both pointers to shadePair in one call (the collector's one mutator lookup); 0/0 calls nothing. */
    @Test
    void storeCallsShadePairOncePerStore() {
        try (Arena a = Arena.ofConfined()) {
            long obj = a.allocate(16, 8).address();
            List<long[]> pairs = new ArrayList<>();
            WriteBarrier.install(new WriteBarrier.Shader() {
                @Override
                public void shade(long pointer) {
                    shaded.add(pointer);
                }

                @Override
                public void shadePair(long old, long value) {
                    pairs.add(new long[]{old, value});
                }
            });
            WriteBarrier.enabled = true;
            Mem.storePtr(obj, 0, 0xA000);          // old 0
            Mem.storePtr(obj, 0, 0xB000);
            Mem.storePtr(obj, 0, 0);               // new 0
            Mem.storePtr(obj, 0, 0);               // both 0: no call
            assertEquals(3, pairs.size());
            assertArrayEquals(new long[]{0, 0xA000}, pairs.get(0));
            assertArrayEquals(new long[]{0xA000, 0xB000}, pairs.get(1));
            assertArrayEquals(new long[]{0xB000, 0}, pairs.get(2));
            assertTrue(shaded.isEmpty(), "single shades only through shadePair's override");
        }
    }
}
