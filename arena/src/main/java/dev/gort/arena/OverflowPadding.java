package dev.gort.arena;

import dev.gort.sys.NativeMemory;

/**
 * Debug mode {@link HeapConfig#overflowCheck()} (TESTING F6, mimalloc's debug padding): how a
 * small object is padded when allocated and checked when freed.
 *
 * <pre>
 *  slot:  | requested size bytes ...  | 0xDE 0xDE ... (slack) | trailer: size ^ (address * K) |
 *         0                           size                    slot - 8                       slot
 * </pre>
 *
 * The allocation asks for size + 8, so every padded object has a trailer word even when its
 * size fills a class exactly. Keying the size with the address makes a trailer copied from
 * another object, or overwritten by a long run of the same byte, decode to a size that is out of
 * range. In overflowCheck mode every object of a small span is padded.
 */
final class OverflowPadding {
    private OverflowPadding() {
    }

    static final int TRAILER = 8;
    static final byte FILL = (byte) 0xDE;
    private static final long KEY = 0x9E37_79B9_7F4A_7C15L;

    /** Writes the slack fill and the trailer of a fresh object of {@code size} in a slot of {@code slot}. */
    static long pad(long p, long size, int slot) {
        long trailerAt = slot - TRAILER;
        if (trailerAt > size) {
            NativeMemory.fill(p + size, trailerAt - size, FILL);
        }
        Mem.putLong(p + trailerAt, size ^ (p * KEY));
        return p;
    }

    /**
     * Checks the padding of the object at {@code p} in a slot of {@code slot} bytes; returns null
     * if intact, else what is wrong ("overflow after N bytes: ...").
     */
    static String check(long p, int slot) {
        long trailerAt = slot - TRAILER;
        long size = Mem.getLong(p + trailerAt) ^ (p * KEY);
        if (size <= 0 || size > trailerAt) {
            return "overflow past the slack: the size trailer at +" + trailerAt + " of the " + slot
                    + " B slot was overwritten (it now holds 0x" + Long.toHexString(Mem.getLong(p + trailerAt)) + ")";
        }
        for (long off = size; off < trailerAt; off++) {
            byte b = NativeMemory.getByte(p + off);
            if (b != FILL) {
                return "overflow after " + size + " bytes: byte +" + off + " holds 0x"
                        + Integer.toHexString(b & 0xFF) + " instead of the padding 0xde";
            }
        }
        return null;
    }
}
