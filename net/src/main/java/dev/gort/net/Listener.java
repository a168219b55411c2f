package dev.gort.net;

import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeException;
import dev.gort.sys.SockAddr;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * A TCP listener (Go's net.TCPListener), IPv4 or IPv6. {@link #accept()} parks only the calling
 * goroutine (or platform thread) until a connection arrives; {@link #close()} wakes a parked
 * accept with {@link ClosedException}.
 *
 * <pre>{@code
 * try (Listener ln = Listener.listen("127.0.0.1", 8080)) {
 *     for (;;) {
 *         Conn c = ln.accept();
 *         Go.go(() -> serve(c));
 *     }
 * }
 * }</pre>
 */
public final class Listener implements AutoCloseable {
    /** listen(2) backlog: the kernel caps it at net.core.somaxconn. */
    public static final int BACKLOG = 4096;

    private final PollDesc pd;
    private final InetSocketAddress address;

    private Listener(PollDesc pd, InetSocketAddress address) {
        this.pd = pd;
        this.address = address;
    }

    /** Listens on {@code host:port}; host is a numeric address or name, port 0 lets the kernel choose. */
    public static Listener listen(String host, int port) {
        return listen(Sockets.resolve(host, port));
    }

    /** Listens on {@code address} (SO_REUSEADDR set, as Go does; "::" accepts IPv4 too). */
    public static Listener listen(InetSocketAddress address) {
        String where = "tcp " + Sockets.format(address);
        int fd = Sockets.tcpSocket(address, "listen");
        try {
            LibCNet.setsockoptInt(fd, Sockets.C.SOL_SOCKET(), Sockets.C.SO_REUSEADDR(), 1);
            if (address.getAddress() instanceof Inet6Address && address.getAddress().isAnyLocalAddress()) {
                LibCNet.setsockoptInt(fd, Sockets.C.IPPROTO_IPV6(), Sockets.C.IPV6_V6ONLY(), 0);
            }
            long s = Sockets.scratch();
            int len = SockAddr.encode(address, s);
            LibCNet.bind(fd, s, len);
            LibCNet.listen(fd, BACKLOG);
        } catch (NativeException e) {
            Sockets.closeQuietly(fd);
            throw NetException.of("listen", where, e.errno());
        }
        InetSocketAddress bound = Sockets.localAddress(fd);
        PollDesc pd;
        try {
            pd = NetPoller.current().register(fd, "tcp " + Sockets.format(bound));
        } catch (RuntimeException e) {
            Sockets.closeQuietly(fd);
            throw e;
        }
        return new Listener(pd, bound);
    }

    /**
     * Waits for and returns the next connection. Throws {@link ClosedException} once the listener
     * is closed (also to a caller parked here when close runs), {@link TooManyOpenFilesException}
     * when the process is out of descriptors (the pending connection stays queued; retry later).
     */
    public Conn accept() {
        pd.incref("accept");
        try {
            pd.checkErr(PollDesc.READ, "accept");
            for (;;) {
                long s = Sockets.scratch();
                int fd;
                if (LibCNet.hasAccept4()) {
                    fd = LibCNet.accept4(pd.fd, s, Sockets.primedLen(s), Sockets.C.SOCK_NONBLOCK() | Sockets.C.SOCK_CLOEXEC());
                } else {
                    fd = LibCNet.accept(pd.fd, s, Sockets.primedLen(s));
                    if (fd >= 0) {
                        LibCNet.setNonBlocking(fd);
                        LibCNet.fcntl(fd, Sockets.C.F_SETFD(), Sockets.C.FD_CLOEXEC());
                    }
                }
                if (fd >= 0) {
                    InetSocketAddress remote = SockAddr.decode(s);
                    return Conn.adopt(fd, address, remote);
                }
                int e = -fd;
                if (e == Sockets.EAGAIN) {
                    pd.await(PollDesc.READ, "accept");
                } else if (e != Sockets.EINTR && e != Sockets.ECONNABORTED) {
                    throw NetException.of("accept", pd.name, e);
                }
            }
        } finally {
            pd.decref();
        }
    }

    /** The bound address (with the kernel-chosen port when listening on port 0). */
    public InetSocketAddress address() {
        return address;
    }

    public int port() {
        return address.getPort();
    }

    /** Sets the deadline for accept (null clears it). */
    public void setDeadline(java.time.Instant deadline) {
        Conn.applyDeadline(pd, PollDesc.READ, deadline);
    }

    /** Stops listening; a goroutine parked in accept gets ClosedException. Idempotent. */
    @Override
    public void close() {
        pd.close();
    }

    public boolean isClosed() {
        return pd.isClosing();
    }

    @Override
    public String toString() {
        return "Listener(" + pd.name + ")";
    }
}
