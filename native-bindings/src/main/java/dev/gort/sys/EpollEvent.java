package dev.gort.sys;

/**
 * {@code struct epoll_event} in native memory (Linux), an array of which epoll_wait fills.
 *
 * <pre>
 * x86_64 (declared __attribute__((packed)): 12 bytes, data unaligned)
 *  0         4                         12
 *  +---------+-------------------------+
 *  | events  | data (u64: gort's token)|
 *  |  u32    |                         |
 *  +---------+-------------------------+
 * aarch64 (natural alignment: 16 bytes)
 *  0         4         8                         16
 *  +---------+---------+-------------------------+
 *  | events  | padding | data (u64)              |
 *  +---------+---------+-------------------------+
 * </pre>
 * The size and the data offset come from {@link NetConstants#current()}, picked by architecture,
 * and are checked against {@code <sys/epoll.h>} by HeaderConformanceTest. Unaligned 8-byte
 * access at offset 4 is fine on x86_64 (the only place it happens).
 */
public final class EpollEvent {
    private EpollEvent() {
    }

    private static final NetConstants C = NetConstants.current();
    public static final int SIZE = C.sizeof_epoll_event();
    private static final int EVENTS = C.offsetof_epoll_event_events();
    private static final int DATA = C.offsetof_epoll_event_data();
    private static final java.lang.foreign.ValueLayout.OfLong UNALIGNED_LONG = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

    /** Address of element {@code i} of an epoll_event array at {@code base}. */
    public static long at(long base, int i) {
        return base + (long) i * SIZE;
    }

    public static int events(long ev) {
        return NativeMemory.getInt(ev + EVENTS);
    }

    public static long data(long ev) {
        return NativeMemory.ALL.get(UNALIGNED_LONG, ev + DATA);
    }

    public static void set(long ev, int events, long data) {
        NativeMemory.putInt(ev + EVENTS, events);
        NativeMemory.ALL.set(UNALIGNED_LONG, ev + DATA, data);
    }
}
