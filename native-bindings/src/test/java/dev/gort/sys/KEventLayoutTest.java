package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

/**
 * struct kevent's macOS layout, encoded and decoded in real native memory on this (Linux) machine
 * and read back byte by byte at the offsets of {@code <sys/event.h>} on 64-bit macOS: ident 8 B at
 * 0, filter int16 at 8, flags uint16 at 10, fflags uint32 at 12, data int64 at 16, udata pointer at
 * 24, 32 B in all. This proves the encoding matches the header as written down; it does not prove
 * the macOS kernel agrees (never run there).
 */
class KEventLayoutTest {
    @Test
    void macosLayoutIs32BytesWithTheHeadersOffsets() {
        NetConstants m = NetConstants.MACOS;
        assertEquals(32, m.sizeof_kevent());
        assertEquals(0, m.offsetof_kevent_ident());
        assertEquals(8, m.offsetof_kevent_filter());
        assertEquals(10, m.offsetof_kevent_flags());
        assertEquals(12, m.offsetof_kevent_fflags());
        assertEquals(16, m.offsetof_kevent_data());
        assertEquals(24, m.offsetof_kevent_udata());
        assertEquals(32, KEvent.MACOS.size());
        // macOS <sys/event.h> values
        assertEquals(-1, m.EVFILT_READ());
        assertEquals(-2, m.EVFILT_WRITE());
        assertEquals(-10, m.EVFILT_USER());
        assertEquals(0x0001, m.EV_ADD());
        assertEquals(0x0002, m.EV_DELETE());
        assertEquals(0x0004, m.EV_ENABLE());
        assertEquals(0x0008, m.EV_DISABLE());
        assertEquals(0x0020, m.EV_CLEAR());
        assertEquals(0x8000, m.EV_EOF());
        assertEquals(0x4000, m.EV_ERROR());
        assertEquals(0x01000000, m.NOTE_TRIGGER());
    }

    @Test
    void encodeAndDecodeInNativeMemory() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(3 * 32, 8);
            seg.fill((byte) 0x5A);
            KEvent k = KEvent.MACOS;
            long ev = k.at(seg.address(), 1);
            assertEquals(seg.address() + 32, ev);
            k.set(ev, 0x1122334455667788L, -2, 0x8021, 0x01000000, -42L, 0xCAFEBABEDEADBEEFL);
            MemorySegment s = seg.asSlice(32, 32);
            ValueLayout.OfLong jl = ValueLayout.JAVA_LONG.withOrder(ByteOrder.nativeOrder());
            assertEquals(0x1122334455667788L, s.get(jl, 0), "ident at 0");
            assertEquals((short) -2, s.get(ValueLayout.JAVA_SHORT, 8), "filter at 8");
            assertEquals((short) 0x8021, s.get(ValueLayout.JAVA_SHORT, 10), "flags at 10");
            assertEquals(0x01000000, s.get(ValueLayout.JAVA_INT, 12), "fflags at 12");
            assertEquals(-42L, s.get(jl, 16), "data at 16");
            assertEquals(0xCAFEBABEDEADBEEFL, s.get(jl, 24), "udata at 24");
            // the neighbours are untouched: exactly 32 bytes written
            for (int i = 0; i < 32; i++) {
                assertEquals((byte) 0x5A, seg.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of element 0");
                assertEquals((byte) 0x5A, seg.get(ValueLayout.JAVA_BYTE, 64 + i), "byte " + i + " of element 2");
            }
            assertEquals(0x1122334455667788L, k.ident(ev));
            assertEquals(-2, k.filter(ev), "filter sign-extended");
            assertEquals(0x8021, k.flags(ev), "flags unsigned");
            assertEquals(0x01000000, k.fflags(ev));
            assertEquals(-42L, k.data(ev));
            assertEquals(0xCAFEBABEDEADBEEFL, k.udata(ev));
        }
    }

    @Test
    void linuxTableHasNoKevent() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KEvent(NetConstants.LINUX_X86_64));
        assertTrue(e.getMessage().contains("accepted: NetConstants.MACOS"), e.getMessage());
    }
}
