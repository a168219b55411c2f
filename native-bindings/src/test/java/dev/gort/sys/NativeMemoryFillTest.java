package dev.gort.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link NativeMemory#fill} sets exactly its range, by word stores for small ranges and by memset
 * above {@link NativeMemory#FILL_BY_STORES_MAX_BYTES}: every length around the word size and the
 * threshold, at every offset within a word, inside a block whose bytes around the range are
 * checked untouched (a store loop one word too far would overwrite them).
 */
class NativeMemoryFillTest {

    static final int GUARD = 64;

    @Test
    void fillSetsItsRangeAndNothingAroundIt() {
        long max = NativeMemory.FILL_BY_STORES_MAX_BYTES;
        long[] lengths = {0, 1, 7, 8, 9, 15, 16, 17, 63, 255, 256, 257, max - 1, max, max + 1, max + 9, 4096 + 3};
        long blockBytes = 2 * GUARD + 4096 + 16;
        long block = LibC.malloc(blockBytes);
        try {
            for (long len : lengths) {
                for (int offset = 0; offset < 8; offset++) {
                    byte value = (byte) (0x80 | offset | (len & 0x70));
                    NativeMemory.fill(block, blockBytes, (byte) 0x11);
                    long at = block + GUARD + offset;
                    NativeMemory.fill(at, len, value);
                    for (long a = block; a < block + blockBytes; a++) {
                        byte want = a >= at && a < at + len ? value : 0x11;
                        assertEquals(want, NativeMemory.getByte(a), "length " + len + ", offset " + offset + ": byte at +" + (a - block));
                    }
                }
            }
        } finally {
            LibC.free(block);
        }
    }

    @Test
    void aFillLongerThanACriticalCallGoesThroughTheOrdinaryMemset() {
        long bytes = LibC.SHORT_CALL_BYTES + 4096 + 5;
        long block = LibC.malloc(bytes + 16);
        try {
            NativeMemory.fill(block, bytes + 16, (byte) 0);
            NativeMemory.fill(block + 1, bytes, (byte) 0x7f);
            assertEquals(0, NativeMemory.getByte(block));
            assertEquals(0x7f, NativeMemory.getByte(block + 1));
            assertEquals(0x7f, NativeMemory.getByte(block + bytes / 2));
            assertEquals(0x7f, NativeMemory.getByte(block + bytes));
            assertEquals(0, NativeMemory.getByte(block + bytes + 1));
        } finally {
            LibC.free(block);
        }
    }

    @Test
    void aNegativeSizeIsRefusedNamingWhatIsAcceptedAndTouchesNothing() {
        long block = LibC.malloc(16);
        try {
            NativeMemory.fill(block, 16, (byte) 0x11);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeMemory.fill(block, -1, (byte) 0x7f));
            assertTrue(e.getMessage().contains("-1 bytes") && e.getMessage().contains("0 or more"), e.getMessage());
            for (long a = block; a < block + 16; a++) {
                assertEquals(0x11, NativeMemory.getByte(a));
            }
            NativeMemory.fill(block, 16, (byte) 0x22);      // still usable afterwards
            assertEquals(0x22, NativeMemory.getByte(block + 15));
        } finally {
            LibC.free(block);
        }
    }
}
