package dev.gort.sys;

/**
 * Per-OS values of the socket, fcntl, epoll/eventfd (Linux) and kqueue (macOS) constants and
 * struct layouts that {@link LibCNet} uses. Names follow the C headers; {@link OsConstants#ABSENT}
 * means the OS has no such constant (macOS has no epoll, Linux no kqueue).
 *
 * <p>The table for the running platform is checked against the system headers by
 * {@code HeaderConformanceTest} (every macro by name, ABSENT ones must be undefined, and every
 * sizeof_/offsetof_ component as a C expression; names listed in {@code src/main/c/gort_sys.h}).
 * The macOS table is written from the macOS SDK headers ({@code sys/socket.h}, {@code
 * sys/event.h}, {@code netinet/in.h}, {@code sys/fcntl.h}) and is NOT run: no macOS machine
 * checks it, so treat it as documentation until it is. Linux values are the same on x86_64 and
 * aarch64 for every constant here; the one layout that differs (epoll_event) is chosen per
 * architecture in {@link #current()}.
 */
public record NetConstants(
        int AF_INET, int AF_INET6, int SOCK_STREAM, int SOCK_NONBLOCK, int SOCK_CLOEXEC,
        int SOL_SOCKET, int SO_REUSEADDR, int SO_REUSEPORT, int SO_ERROR, int SO_KEEPALIVE,
        int SO_RCVBUF, int SO_SNDBUF, int SO_NOSIGPIPE,
        int IPPROTO_TCP, int IPPROTO_IPV6, int TCP_NODELAY, int IPV6_V6ONLY,
        int SHUT_RD, int SHUT_WR, int SHUT_RDWR,
        int O_NONBLOCK, int O_CLOEXEC, int F_GETFD, int F_SETFD, int F_GETFL, int F_SETFL, int FD_CLOEXEC,
        int RLIMIT_NOFILE, int MSG_NOSIGNAL,
        // epoll / eventfd (Linux)
        int EPOLLIN, int EPOLLOUT, int EPOLLERR, int EPOLLHUP, int EPOLLRDHUP,
        /** 1u << 31: a long, because as an int it would equal OsConstants.ABSENT (Integer.MIN_VALUE). */
        long EPOLLET,
        int EPOLL_CTL_ADD, int EPOLL_CTL_DEL, int EPOLL_CTL_MOD, int EPOLL_CLOEXEC,
        int EFD_CLOEXEC, int EFD_NONBLOCK,
        // kqueue (macOS)
        int EVFILT_READ, int EVFILT_WRITE, int EVFILT_USER,
        int EV_ADD, int EV_DELETE, int EV_ENABLE, int EV_DISABLE, int EV_ONESHOT, int EV_CLEAR,
        int EV_EOF, int EV_ERROR, int NOTE_TRIGGER,
        // struct sizes and offsets (LP64)
        int sizeof_sockaddr_in, int offsetof_sin_family, int offsetof_sin_port, int offsetof_sin_addr,
        int sizeof_sockaddr_in6, int offsetof_sin6_family, int offsetof_sin6_port, int offsetof_sin6_flowinfo,
        int offsetof_sin6_addr, int offsetof_sin6_scope_id,
        int sizeof_sockaddr_storage, int sizeof_socklen_t, int sizeof_rlimit,
        int sizeof_epoll_event, int offsetof_epoll_event_events, int offsetof_epoll_event_data,
        int sizeof_kevent, int offsetof_kevent_ident, int offsetof_kevent_filter, int offsetof_kevent_flags,
        int offsetof_kevent_fflags, int offsetof_kevent_data, int offsetof_kevent_udata,
        // BSD sockaddrs start with a length byte (sin_len); Linux ones do not.
        int offsetof_sin_len) {

    private static final int A = OsConstants.ABSENT;

    /**
     * Linux on x86_64: {@code struct epoll_event} is declared {@code __attribute__((packed))}
     * there (for 32/64-bit compatibility), so {@code data} sits at offset 4 and the struct is 12
     * bytes. Every other constant is the same as {@link #LINUX_AARCH64}.
     */
    public static final NetConstants LINUX_X86_64 = linux(12, 4);

    /** Linux on aarch64: {@code struct epoll_event} is naturally aligned: data at 8, 16 bytes. */
    public static final NetConstants LINUX_AARCH64 = linux(16, 8);

    private static NetConstants linux(int sizeofEpollEvent, int offsetofEpollData) {
        return new NetConstants(
                2, 10, 1, 0x800, 0x80000,
                1, 2, 15, 4, 9,
                8, 7, A,
                6, 41, 1, 26,
                0, 1, 2,
                0x800, 0x80000, 1, 2, 3, 4, 1,
                7, 0x4000,
                0x001, 0x004, 0x008, 0x010, 0x2000, 0x80000000L,
                1, 2, 3, 0x80000,
                0x80000, 0x800,
                A, A, A,
                A, A, A, A, A, A,
                A, A, A,
                16, 0, 2, 4,
                28, 0, 2, 4,
                8, 24,
                128, 4, 16,
                sizeofEpollEvent, 0, offsetofEpollData,
                A, A, A, A,
                A, A, A,
                A);
    }

    /**
     * macOS (x86_64 and arm64 alike). NOT RUN: every value was checked by hand against xnu's
     * headers (apple-oss-distributions/xnu bsd/sys/socket.h, bsd/sys/event.h, bsd/sys/fcntl.h,
     * bsd/sys/resource.h, bsd/netinet/in.h, bsd/netinet6/in6.h, bsd/netinet/tcp.h) and is pinned
     * by MacOsHeaderTableTest, but never executed. No accept4/SOCK_NONBLOCK/SOCK_CLOEXEC (set
     * O_NONBLOCK and FD_CLOEXEC with fcntl), kqueue instead of epoll. MSG_NOSIGNAL is 0x80000 in
     * current xnu (socket.h, under {@code __DARWIN_C_LEVEL >= 200809L}); older SDKs lacked it and
     * gort does not use it (it writes with write(2), which takes no flags; SO_NOSIGPIPE is the
     * per-socket Darwin way).
     */
    public static final NetConstants MACOS = new NetConstants(
            2, 30, 1, A, A,
            0xffff, 0x0004, 0x0200, 0x1007, 0x0008,
            0x1002, 0x1001, 0x1022,
            6, 41, 1, 27,
            0, 1, 2,
            0x0004, 0x1000000, 1, 2, 3, 4, 1,
            8, 0x80000,
            A, A, A, A, A, A,
            A, A, A, A,
            A, A,
            -1, -2, -10,
            0x0001, 0x0002, 0x0004, 0x0008, 0x0010, 0x0020,
            0x8000, 0x4000, 0x01000000,
            16, 1, 2, 4,
            28, 1, 2, 4,
            8, 24,
            128, 4, 16,
            A, A, A,
            32, 0, 8, 10,
            12, 16, 24,
            0);

    private static final NetConstants CURRENT = select(Platform.current());

    /** The table for the platform this JVM runs on. */
    public static NetConstants current() {
        return CURRENT;
    }

    static NetConstants select(Platform p) {
        if (p.isMacOS()) {
            return MACOS;
        }
        return p.arch() == Platform.Arch.X86_64 ? LINUX_X86_64 : LINUX_AARCH64;
    }

    public boolean has(int constant) {
        return constant != A;
    }
}
