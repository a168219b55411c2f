package dev.gort.sys;

/**
 * {@code struct kevent} in native memory (macOS; NOT RUN: present and selected at run time on
 * macOS, never executed on the Linux machines this project tests on).
 *
 * <pre>
 *  0                8        10       12        16                24               32
 *  +----------------+--------+--------+---------+-----------------+----------------+
 *  | ident (uintptr)| filter | flags  | fflags  | data (intptr_t) | udata (void *) |
 *  |                |  i16   |  u16   |  u32    |                 |                |
 *  +----------------+--------+--------+---------+-----------------+----------------+
 * </pre>
 */
public final class KEvent {
    private KEvent() {
    }

    private static final NetConstants C = NetConstants.current();
    public static final int SIZE = C.has(C.sizeof_kevent()) ? C.sizeof_kevent() : 32;

    public static long at(long base, int i) {
        return base + (long) i * SIZE;
    }

    /** EV_SET(ev, ident, filter, flags, fflags, data, udata). */
    public static void set(long ev, long ident, int filter, int flags, int fflags, long data, long udata) {
        NativeMemory.putLong(ev + C.offsetof_kevent_ident(), ident);
        NativeMemory.ALL.set(java.lang.foreign.ValueLayout.JAVA_SHORT, ev + C.offsetof_kevent_filter(), (short) filter);
        NativeMemory.ALL.set(java.lang.foreign.ValueLayout.JAVA_SHORT, ev + C.offsetof_kevent_flags(), (short) flags);
        NativeMemory.putInt(ev + C.offsetof_kevent_fflags(), fflags);
        NativeMemory.putLong(ev + C.offsetof_kevent_data(), data);
        NativeMemory.putLong(ev + C.offsetof_kevent_udata(), udata);
    }

    public static long ident(long ev) {
        return NativeMemory.getLong(ev + C.offsetof_kevent_ident());
    }

    public static int filter(long ev) {
        return NativeMemory.ALL.get(java.lang.foreign.ValueLayout.JAVA_SHORT, ev + C.offsetof_kevent_filter());
    }

    public static int flags(long ev) {
        return Short.toUnsignedInt(NativeMemory.ALL.get(java.lang.foreign.ValueLayout.JAVA_SHORT, ev + C.offsetof_kevent_flags()));
    }

    public static long data(long ev) {
        return NativeMemory.getLong(ev + C.offsetof_kevent_data());
    }

    public static long udata(long ev) {
        return NativeMemory.getLong(ev + C.offsetof_kevent_udata());
    }
}
