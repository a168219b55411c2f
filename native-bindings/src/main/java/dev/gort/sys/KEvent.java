package dev.gort.sys;

import java.lang.foreign.ValueLayout;

/**
 * {@code struct kevent} in native memory, for one {@link NetConstants} table (kqueue exists on
 * macOS only: {@link #MACOS}). The macOS poller has NEVER RUN: the layout is written from
 * {@code <sys/event.h>} and the encoding is tested on Linux by reading the bytes back at the
 * header's offsets, which proves the encoding, not the kernel's reading of it.
 *
 * <pre>
 *  0                8        10       12        16                24               32
 *  +----------------+--------+--------+---------+-----------------+----------------+
 *  | ident (uintptr)| filter | flags  | fflags  | data (intptr_t) | udata (void *) |
 *  |                |  i16   |  u16   |  u32    |                 |                |
 *  +----------------+--------+--------+---------+-----------------+----------------+
 * </pre>
 * (64-bit macOS; {@code struct kevent}, not {@code kevent64_s}, which Go uses too.) Read in xnu's
 * {@code bsd/sys/event.h} (apple-oss-distributions/xnu), where the struct sits under
 * {@code #pragma pack(4)}: on LP64 that moves no member (every 8-byte one is already at a multiple
 * of 8) but lowers the struct's alignment to 4, so an array of them is still 32 bytes apart.
 * Pinned by MacOsHeaderTableTest.
 */
public final class KEvent {
    /** The macOS layout (x86_64 and arm64 alike): 32 bytes. */
    public static final KEvent MACOS = new KEvent(NetConstants.MACOS);

    private final int size;
    private final long ident;
    private final long filter;
    private final long flags;
    private final long fflags;
    private final long data;
    private final long udata;

    /** The layout described by {@code c}; IllegalArgumentException if that table has no kevent. */
    public KEvent(NetConstants c) {
        if (!c.has(c.sizeof_kevent())) {
            throw new IllegalArgumentException("this constant table has no struct kevent (kqueue is macOS's); accepted: NetConstants.MACOS");
        }
        this.size = c.sizeof_kevent();
        this.ident = c.offsetof_kevent_ident();
        this.filter = c.offsetof_kevent_filter();
        this.flags = c.offsetof_kevent_flags();
        this.fflags = c.offsetof_kevent_fflags();
        this.data = c.offsetof_kevent_data();
        this.udata = c.offsetof_kevent_udata();
    }

    /** Bytes per struct kevent. */
    public int size() {
        return size;
    }

    /** Address of element {@code i} of an array at {@code base}. */
    public long at(long base, int i) {
        return base + (long) i * size;
    }

    /** EV_SET(ev, ident, filter, flags, fflags, data, udata). */
    public void set(long ev, long identValue, int filterValue, int flagsValue, int fflagsValue, long dataValue, long udataValue) {
        NativeMemory.putLong(ev + ident, identValue);
        NativeMemory.ALL.set(ValueLayout.JAVA_SHORT_UNALIGNED, ev + filter, (short) filterValue);
        NativeMemory.ALL.set(ValueLayout.JAVA_SHORT_UNALIGNED, ev + flags, (short) flagsValue);
        NativeMemory.putInt(ev + fflags, fflagsValue);
        NativeMemory.putLong(ev + data, dataValue);
        NativeMemory.putLong(ev + udata, udataValue);
    }

    public long ident(long ev) {
        return NativeMemory.getLong(ev + ident);
    }

    /** The filter, sign-extended (EVFILT_READ is -1). */
    public int filter(long ev) {
        return NativeMemory.ALL.get(ValueLayout.JAVA_SHORT_UNALIGNED, ev + filter);
    }

    /** The flags, unsigned (EV_EOF is 0x8000). */
    public int flags(long ev) {
        return Short.toUnsignedInt(NativeMemory.ALL.get(ValueLayout.JAVA_SHORT_UNALIGNED, ev + flags));
    }

    public int fflags(long ev) {
        return NativeMemory.getInt(ev + fflags);
    }

    public long data(long ev) {
        return NativeMemory.getLong(ev + data);
    }

    public long udata(long ev) {
        return NativeMemory.getLong(ev + udata);
    }
}
