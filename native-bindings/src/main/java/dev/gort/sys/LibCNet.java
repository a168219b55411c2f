package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Raw libc downcalls for sockets and readiness polling: the network sibling of {@link LibC},
 * following its conventions (C signature comment per handle, pointers as {@code long}, errno
 * captured per call into the calling thread's buffer, constants from {@link NetConstants}).
 *
 * <p>Two kinds of failure:
 * <ul>
 * <li>Set-up calls (socket, bind, listen, setsockopt, getsockopt, getsockname, fcntl,
 *     epoll_create1, epoll_ctl, eventfd, getrlimit, setrlimit, kqueue, close) throw
 *     {@link NativeException} on -1; the throw happens in one place, {@link #check}.</li>
 * <li>Calls whose failure is routine on a non-blocking descriptor (accept4/accept: EAGAIN;
 *     connect: EINPROGRESS; read/write: EAGAIN, EINTR; epoll_wait/kevent: EINTR; shutdown:
 *     ENOTCONN) return the <b>negated errno</b> instead, as raw Linux syscalls do: the poller
 *     meets EAGAIN thousands of times a second and must not build an exception with a strerror
 *     text each time. The caller turns the errno values it cannot handle into exceptions.</li>
 * </ul>
 *
 * <p>{@code critical(false)} (no thread-state transition) is used only for calls that never
 * block whatever the descriptor's mode: socket, bind, listen, setsockopt, getsockopt,
 * getsockname, fcntl, shutdown, epoll_create1, epoll_ctl, eventfd, getrlimit, setrlimit, kqueue.
 * read, write, accept4, connect and close can block on a blocking descriptor (close with
 * SO_LINGER), and epoll_wait/kevent block by design, so those take the ordinary transition.
 * The exception: {@link #readHeap}/{@link #writeHeap} use {@code critical(true)} (heap access:
 * the kernel copies straight into/out of a Java array, no bounce buffer) and must only be called
 * on a descriptor in O_NONBLOCK mode, where they cannot block.
 *
 * <p><b>Goroutines: prefer the {@code MemorySegment cap} overloads.</b> The plain overloads capture
 * errno into a per-carrier buffer found through {@link CarrierLocal}, an out-of-line lookup, since
 * C2 may treat an inlined {@code Thread.currentThread()} as unchanged across a continuation yield
 * (observed here before CarrierLocal: echo data corrupted through a per-thread I/O buffer after a
 * goroutine resumed on another M). Each overload with a leading {@code MemorySegment cap} (and, where
 * needed, a {@code long scratch}) uses only what the caller owns.
 *
 * <p>macOS: accept4, epoll_* and eventfd do not exist there (their handles are null and calling
 * them throws UnsupportedOperationException naming the call and the platform); kqueue/kevent
 * are bound instead. The macOS paths are present and selected at run time but are NOT run on
 * any machine this project tests on.
 */
public final class LibCNet {
    private LibCNet() {
    }

    private static final Platform PLATFORM = Platform.current();
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    /** This platform's constants and layouts. */
    public static final NetConstants C = NetConstants.current();

    private static final int ERRNO = 1;
    private static final int SHORT = 2;
    private static final int HEAP = 4;

    // int socket(int domain, int type, int protocol)
    private static final MethodHandle SOCKET = handle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO | SHORT);
    // int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen)
    private static final MethodHandle BIND = handle("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO | SHORT);
    // int listen(int sockfd, int backlog)
    private static final MethodHandle LISTEN = handle("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO | SHORT);
    // int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags)   (Linux)
    private static final MethodHandle ACCEPT4 = handle("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), ERRNO);
    // int accept(int sockfd, struct sockaddr *addr, socklen_t *addrlen)
    private static final MethodHandle ACCEPT = handle("accept",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    // int connect(int sockfd, const struct sockaddr *addr, socklen_t addrlen)
    private static final MethodHandle CONNECT = handle("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO);
    // ssize_t read(int fd, void *buf, size_t count)
    private static final MethodHandle READ = handle("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    // ssize_t write(int fd, const void *buf, size_t count)
    private static final MethodHandle WRITE = handle("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    // ssize_t read(int fd, void *buf, size_t count)    buf in a Java array; O_NONBLOCK fds only
    private static final MethodHandle READ_HEAP = handle("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO | HEAP);
    // ssize_t write(int fd, const void *buf, size_t count)    buf in a Java array; O_NONBLOCK fds only
    private static final MethodHandle WRITE_HEAP = handle("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO | HEAP);
    // int close(int fd)
    private static final MethodHandle CLOSE = handle("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    // int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen)
    private static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO | SHORT);
    // int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen)
    private static final MethodHandle GETSOCKOPT = handle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO | SHORT);
    // int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen)
    private static final MethodHandle GETSOCKNAME = handle("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO | SHORT);
    // int getpeername(int sockfd, struct sockaddr *addr, socklen_t *addrlen)
    private static final MethodHandle GETPEERNAME = handle("getpeername",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO | SHORT);
    // int fcntl(int fd, int cmd, ... /* int arg */)    variadic after cmd
    private static final MethodHandle FCNTL = handle("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO | SHORT, Linker.Option.firstVariadicArg(2));
    // int shutdown(int sockfd, int how)
    private static final MethodHandle SHUTDOWN = handle("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO | SHORT);
    // int epoll_create1(int flags)   (Linux)
    private static final MethodHandle EPOLL_CREATE1 = handle("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO | SHORT);
    // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)   (Linux)
    private static final MethodHandle EPOLL_CTL = handle("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO | SHORT);
    // int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)   (Linux)
    private static final MethodHandle EPOLL_WAIT = handle("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT), ERRNO);
    // int eventfd(unsigned int initval, int flags)   (Linux)
    private static final MethodHandle EVENTFD = handle("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO | SHORT);
    // int getrlimit(int resource, struct rlimit *rlim)
    private static final MethodHandle GETRLIMIT = handle("getrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO | SHORT);
    // int setrlimit(int resource, const struct rlimit *rlim)
    private static final MethodHandle SETRLIMIT = handle("setrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO | SHORT);
    // int kqueue(void)   (macOS; NOT RUN here)
    private static final MethodHandle KQUEUE = handle("kqueue",
            FunctionDescriptor.of(JAVA_INT), ERRNO | SHORT);
    // int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
    //            int nevents, const struct timespec *timeout)   (macOS; NOT RUN here)
    private static final MethodHandle KEVENT = handle("kevent",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG), ERRNO);

    /** Per-thread 64-byte scratch for the int-valued socket options and socklen_t out-parameters. */
    private static final CarrierLocal<MemorySegment> SCRATCH =
            new CarrierLocal<>(() -> Arena.ofAuto().allocate(64, 8));

    /**
     * A new errno capture buffer for the {@code cap}-first overloads: one per owner that may call
     * from a goroutine (gort's netpoller gives each connection its own), never shared between two
     * callers that can run at once.
     */
    public static MemorySegment newCapture() {
        return Arena.ofAuto().allocate(Linker.Option.captureStateLayout());
    }

    /** Bytes of one capture buffer, for callers that carve captures out of a larger native block. */
    public static long captureBytes() {
        return Linker.Option.captureStateLayout().byteSize();
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor, int kind, Linker.Option... extra) {
        MemorySegment symbol = LOOKUP.find(name).orElse(null);
        if (symbol == null) {
            return null;
        }
        java.util.List<Linker.Option> options = new java.util.ArrayList<>(java.util.List.of(extra));
        if ((kind & ERRNO) != 0) {
            options.add(Linker.Option.captureCallState("errno"));
        }
        if ((kind & HEAP) != 0) {
            options.add(Linker.Option.critical(true));
        } else if ((kind & SHORT) != 0) {
            options.add(Linker.Option.critical(false));
        }
        return LINKER.downcallHandle(symbol, descriptor, options.toArray(Linker.Option[]::new));
    }

    /** The one place a -1 result of a set-up call becomes an exception. */
    private static int check(int result, MemorySegment capture, String call, String args) {
        if (result == -1) {
            throw new NativeException(call, args, LibC.errno(capture));
        }
        return result;
    }

    /** -1 becomes the negated errno; anything else passes through. */
    private static long negErrno(long result, MemorySegment capture) {
        return result == -1 ? -LibC.errno(capture) : result;
    }

    private static RuntimeException rethrow(Throwable t) {
        return LibC.rethrow(t);
    }

    private static MethodHandle require(MethodHandle h, String name) {
        return LibC.require(h, name);
    }

    private static String hex(long v) {
        return LibC.hex(v);
    }

    // ---------------------------------------------------------------- sockets

    public static int socket(int domain, int type, int protocol) {
        return socket(LibC.capture(), domain, type, protocol);
    }

    /** As {@link #socket}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int socket(MemorySegment cap, int domain, int type, int protocol) {
        try {
            return check((int) SOCKET.invokeExact(cap, domain, type, protocol), cap, "socket",
                    "domain=" + domain + ", type=" + hex(type) + ", protocol=" + protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void bind(int fd, long addr, int addrlen) {
        bind(LibC.capture(), fd, addr, addrlen);
    }

    /** As {@link #bind}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void bind(MemorySegment cap, int fd, long addr, int addrlen) {
        try {
            check((int) BIND.invokeExact(cap, fd, addr, addrlen), cap, "bind",
                    "fd=" + fd + ", addr=" + SockAddr.describe(addr, addrlen) + ", addrlen=" + addrlen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void listen(int fd, int backlog) {
        listen(LibC.capture(), fd, backlog);
    }

    /** As {@link #listen}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void listen(MemorySegment cap, int fd, int backlog) {
        try {
            check((int) LISTEN.invokeExact(cap, fd, backlog), cap, "listen", "fd=" + fd + ", backlog=" + backlog);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** accept4 (Linux): the new descriptor, or the negated errno (-EAGAIN when none is pending). */
    public static int accept4(int fd, long addr, long addrlenPtr, int flags) {
        return accept4(LibC.capture(), fd, addr, addrlenPtr, flags);
    }

    /** As {@link #accept4}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int accept4(MemorySegment cap, int fd, long addr, long addrlenPtr, int flags) {
        MethodHandle h = require(ACCEPT4, "accept4");
        try {
            return (int) negErrno((int) h.invokeExact(cap, fd, addr, addrlenPtr, flags), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** accept: the new descriptor, or the negated errno. */
    public static int accept(int fd, long addr, long addrlenPtr) {
        return accept(LibC.capture(), fd, addr, addrlenPtr);
    }

    /** As {@link #accept}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int accept(MemorySegment cap, int fd, long addr, long addrlenPtr) {
        try {
            return (int) negErrno((int) ACCEPT.invokeExact(cap, fd, addr, addrlenPtr), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** connect: 0, or the negated errno (-EINPROGRESS on a non-blocking socket). */
    public static int connect(int fd, long addr, int addrlen) {
        return connect(LibC.capture(), fd, addr, addrlen);
    }

    /** As {@link #connect}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int connect(MemorySegment cap, int fd, long addr, int addrlen) {
        try {
            return (int) negErrno((int) CONNECT.invokeExact(cap, fd, addr, addrlen), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read into native memory: bytes read (0 at end of stream), or the negated errno. */
    public static long read(int fd, long buf, long count) {
        return read(LibC.capture(), fd, buf, count);
    }

    /** As {@link #read}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static long read(MemorySegment cap, int fd, long buf, long count) {
        try {
            return negErrno((long) READ.invokeExact(cap, fd, buf, count), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write from native memory: bytes written, or the negated errno. */
    public static long write(int fd, long buf, long count) {
        return write(LibC.capture(), fd, buf, count);
    }

    /** As {@link #write}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static long write(MemorySegment cap, int fd, long buf, long count) {
        try {
            return negErrno((long) WRITE.invokeExact(cap, fd, buf, count), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * read straight into {@code b[off, off+len)} (critical, heap access): bytes read or the negated
     * errno. Only for O_NONBLOCK descriptors: the call holds off the GC while it runs.
     */
    public static long readHeap(int fd, byte[] b, int off, int len) {
        return readHeap(LibC.capture(), fd, b, off, len);
    }

    /** As {@link #readHeap}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static long readHeap(MemorySegment cap, int fd, byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        try {
            return negErrno((long) READ_HEAP.invokeExact(cap, fd, MemorySegment.ofArray(b).asSlice(off), (long) len), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write straight from {@code b[off, off+len)} (critical, heap access); O_NONBLOCK descriptors only. */
    public static long writeHeap(int fd, byte[] b, int off, int len) {
        return writeHeap(LibC.capture(), fd, b, off, len);
    }

    /** As {@link #writeHeap}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static long writeHeap(MemorySegment cap, int fd, byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        try {
            return negErrno((long) WRITE_HEAP.invokeExact(cap, fd, MemorySegment.ofArray(b).asSlice(off), (long) len), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * close. On Linux the descriptor is released even when close reports EINTR, so EINTR is not
     * an error here (retrying could close a descriptor another thread just got); EBADF throws.
     */
    public static void close(int fd) {
        close(LibC.capture(), fd);
    }

    /** As {@link #close}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void close(MemorySegment cap, int fd) {
        int r;
        try {
            r = (int) CLOSE.invokeExact(cap, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r == -1 && LibC.errno(cap) != Errno.value("EINTR")) {
            check(r, cap, "close", "fd=" + fd);
        }
    }

    public static void setsockopt(int fd, int level, int optname, long optval, int optlen) {
        setsockopt(LibC.capture(), fd, level, optname, optval, optlen);
    }

    /** As {@link #setsockopt}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void setsockopt(MemorySegment cap, int fd, int level, int optname, long optval, int optlen) {
        try {
            check((int) SETSOCKOPT.invokeExact(cap, fd, level, optname, optval, optlen), cap, "setsockopt",
                    "fd=" + fd + ", level=" + level + ", optname=" + optname + ", optval=" + hex(optval) + ", optlen=" + optlen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** setsockopt with an int value (SO_REUSEADDR, TCP_NODELAY, IPV6_V6ONLY, ...). */
    public static void setsockoptInt(int fd, int level, int optname, int value) {
        setsockoptInt(LibC.capture(), SCRATCH.get().address(), fd, level, optname, value);
    }

    /** As {@link #setsockoptInt}, with errno in {@code cap} and the value staged at {@code scratch} (4 bytes). */
    public static void setsockoptInt(MemorySegment cap, long scratch, int fd, int level, int optname, int value) {
        NativeMemory.putInt(scratch, value);
        try {
            check((int) SETSOCKOPT.invokeExact(cap, fd, level, optname, scratch, 4), cap, "setsockopt",
                    "fd=" + fd + ", level=" + level + ", optname=" + optname + ", value=" + value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void getsockopt(int fd, int level, int optname, long optval, long optlenPtr) {
        getsockopt(LibC.capture(), fd, level, optname, optval, optlenPtr);
    }

    /** As {@link #getsockopt}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void getsockopt(MemorySegment cap, int fd, int level, int optname, long optval, long optlenPtr) {
        try {
            check((int) GETSOCKOPT.invokeExact(cap, fd, level, optname, optval, optlenPtr), cap, "getsockopt",
                    "fd=" + fd + ", level=" + level + ", optname=" + optname);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getsockopt of an int option; {@code getsockoptInt(fd, SOL_SOCKET, SO_ERROR)} is a pending connect's result. */
    public static int getsockoptInt(int fd, int level, int optname) {
        return getsockoptInt(LibC.capture(), SCRATCH.get().address(), fd, level, optname);
    }

    /** As {@link #getsockoptInt}, with errno in {@code cap} and 16 bytes of {@code scratch} for value and length. */
    public static int getsockoptInt(MemorySegment cap, long scratch, int fd, int level, int optname) {
        NativeMemory.putInt(scratch, 0);
        NativeMemory.putInt(scratch + 8, 4);
        getsockopt(cap, fd, level, optname, scratch, scratch + 8);
        return NativeMemory.getInt(scratch);
    }

    /** getsockname into {@code addr} (capacity in {@code *addrlenPtr}, which receives the length). */
    public static void getsockname(int fd, long addr, long addrlenPtr) {
        getsockname(LibC.capture(), fd, addr, addrlenPtr);
    }

    /** As {@link #getsockname}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void getsockname(MemorySegment cap, int fd, long addr, long addrlenPtr) {
        try {
            check((int) GETSOCKNAME.invokeExact(cap, fd, addr, addrlenPtr), cap, "getsockname", "fd=" + fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getpeername: 0 or the negated errno (-ENOTCONN before a connect completed). */
    public static int getpeername(int fd, long addr, long addrlenPtr) {
        return getpeername(LibC.capture(), fd, addr, addrlenPtr);
    }

    /** As {@link #getpeername}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int getpeername(MemorySegment cap, int fd, long addr, long addrlenPtr) {
        try {
            return (int) negErrno((int) GETPEERNAME.invokeExact(cap, fd, addr, addrlenPtr), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int fcntl(int fd, int cmd, int arg) {
        return fcntl(LibC.capture(), fd, cmd, arg);
    }

    /** As {@link #fcntl}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int fcntl(MemorySegment cap, int fd, int cmd, int arg) {
        try {
            return check((int) FCNTL.invokeExact(cap, fd, cmd, arg), cap, "fcntl", "fd=" + fd + ", cmd=" + cmd + ", arg=" + hex(arg));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Puts {@code fd} in O_NONBLOCK mode (F_GETFL, F_SETFL). */
    public static void setNonBlocking(int fd) {
        setNonBlocking(LibC.capture(), fd);
    }

    /** As {@link #setNonBlocking}, with errno captured into {@code cap}. */
    public static void setNonBlocking(MemorySegment cap, int fd) {
        int flags = fcntl(cap, fd, C.F_GETFL(), 0);
        if ((flags & C.O_NONBLOCK()) == 0) {
            fcntl(cap, fd, C.F_SETFL(), flags | C.O_NONBLOCK());
        }
    }

    /** shutdown: 0 or the negated errno (-ENOTCONN when the peer is gone). */
    public static int shutdown(int fd, int how) {
        return shutdown(LibC.capture(), fd, how);
    }

    /** As {@link #shutdown}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int shutdown(MemorySegment cap, int fd, int how) {
        try {
            return (int) negErrno((int) SHUTDOWN.invokeExact(cap, fd, how), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- epoll / eventfd (Linux)

    public static int epoll_create1(int flags) {
        return epoll_create1(LibC.capture(), flags);
    }

    /** As {@link #epoll_create1}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int epoll_create1(MemorySegment cap, int flags) {
        MethodHandle h = require(EPOLL_CREATE1, "epoll_create1");
        try {
            return check((int) h.invokeExact(cap, flags), cap, "epoll_create1", "flags=" + hex(flags));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_ctl: 0, or the negated errno (callers decide: EEXIST/ENOENT/EBADF are often expected). */
    public static int epoll_ctl(int epfd, int op, int fd, long event) {
        return epoll_ctl(LibC.capture(), epfd, op, fd, event);
    }

    /** As {@link #epoll_ctl}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int epoll_ctl(MemorySegment cap, int epfd, int op, int fd, long event) {
        MethodHandle h = require(EPOLL_CTL, "epoll_ctl");
        try {
            return (int) negErrno((int) h.invokeExact(cap, epfd, op, fd, event), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_wait: the number of events, or the negated errno (-EINTR when a signal arrived). */
    public static int epoll_wait(int epfd, long events, int maxevents, int timeoutMillis) {
        return epoll_wait(LibC.capture(), epfd, events, maxevents, timeoutMillis);
    }

    /** As {@link #epoll_wait}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int epoll_wait(MemorySegment cap, int epfd, long events, int maxevents, int timeoutMillis) {
        MethodHandle h = require(EPOLL_WAIT, "epoll_wait");
        try {
            return (int) negErrno((int) h.invokeExact(cap, epfd, events, maxevents, timeoutMillis), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int eventfd(int initval, int flags) {
        return eventfd(LibC.capture(), initval, flags);
    }

    /** As {@link #eventfd}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int eventfd(MemorySegment cap, int initval, int flags) {
        MethodHandle h = require(EVENTFD, "eventfd");
        try {
            return check((int) h.invokeExact(cap, initval, flags), cap, "eventfd", "initval=" + initval + ", flags=" + hex(flags));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- rlimit

    /** getrlimit into {@code rlim} (struct rlimit: rlim_cur at 0, rlim_max at 8). */
    public static void getrlimit(int resource, long rlim) {
        getrlimit(LibC.capture(), resource, rlim);
    }

    /** As {@link #getrlimit}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void getrlimit(MemorySegment cap, int resource, long rlim) {
        try {
            check((int) GETRLIMIT.invokeExact(cap, resource, rlim), cap, "getrlimit", "resource=" + resource);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void setrlimit(int resource, long rlim) {
        setrlimit(LibC.capture(), resource, rlim);
    }

    /** As {@link #setrlimit}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static void setrlimit(MemorySegment cap, int resource, long rlim) {
        try {
            check((int) SETRLIMIT.invokeExact(cap, resource, rlim), cap, "setrlimit",
                    "resource=" + resource + ", cur=" + NativeMemory.getLong(rlim) + ", max=" + NativeMemory.getLong(rlim + 8));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The soft limit of {@code resource} (RLIMIT_NOFILE: the highest descriptor number + 1). */
    public static long getrlimitCur(int resource) {
        MemorySegment s = SCRATCH.get();
        getrlimit(resource, s.address());
        return s.get(JAVA_LONG, 0);
    }

    /** Sets the soft limit of {@code resource}, keeping the hard limit. */
    public static void setrlimitCur(int resource, long cur) {
        MemorySegment s = SCRATCH.get();
        getrlimit(resource, s.address());
        s.set(JAVA_LONG, 0, cur);
        setrlimit(resource, s.address());
    }

    // ---------------------------------------------------------------- kqueue (macOS, NOT RUN)

    public static int kqueue() {
        return kqueue(LibC.capture());
    }

    /** As {@link #kqueue}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int kqueue(MemorySegment cap) {
        MethodHandle h = require(PLATFORM.isMacOS() ? KQUEUE : null, "kqueue");
        try {
            return check((int) h.invokeExact(cap), cap, "kqueue", "");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** kevent: the number of events, or the negated errno (-EINTR). {@code timeout} 0 = wait forever. */
    public static int kevent(int kq, long changelist, int nchanges, long eventlist, int nevents, long timeout) {
        return kevent(LibC.capture(), kq, changelist, nchanges, eventlist, nevents, timeout);
    }

    /** As {@link #kevent}, with errno captured into {@code cap} (see the class comment on goroutines). */
    public static int kevent(MemorySegment cap, int kq, long changelist, int nchanges, long eventlist, int nevents, long timeout) {
        MethodHandle h = require(PLATFORM.isMacOS() ? KEVENT : null, "kevent");
        try {
            return (int) negErrno((int) h.invokeExact(cap, kq, changelist, nchanges, eventlist, nevents, timeout), cap);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** True when this platform has epoll (Linux); otherwise kqueue is the poller (macOS). */
    public static boolean hasEpoll() {
        return EPOLL_CREATE1 != null && PLATFORM.isLinux();
    }

    /** True when accept4 exists (Linux); macOS accepts then sets O_NONBLOCK/FD_CLOEXEC with fcntl. */
    public static boolean hasAccept4() {
        return ACCEPT4 != null;
    }
}
