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
        DescNatives n = new DescNatives();
        int fd = Sockets.tcpSocket(address, "listen", n);
        InetSocketAddress bound;
        try {
            LibCNet.setsockoptInt(n.setupCap, n.opt, fd, Sockets.C.SOL_SOCKET(), Sockets.C.SO_REUSEADDR(), 1);
            if (address.getAddress() instanceof Inet6Address && address.getAddress().isAnyLocalAddress()) {
                LibCNet.setsockoptInt(n.setupCap, n.opt, fd, Sockets.C.IPPROTO_IPV6(), Sockets.C.IPV6_V6ONLY(), 0);
            }
            int len = SockAddr.encode(address, n.setupAddr);
            LibCNet.bind(n.setupCap, fd, n.setupAddr, len);
            LibCNet.listen(n.setupCap, fd, BACKLOG);
            bound = Sockets.localAddress(fd, n);
        } catch (NativeException e) {
            Sockets.closeQuietly(fd, n);
            throw NetException.of("listen", where, e.errno());
        }
        PollDesc pd;
        try {
            pd = NetPoller.current().register(fd, "tcp " + Sockets.format(bound), n);
        } catch (RuntimeException e) {
            Sockets.closeQuietly(fd, n);
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
        pd.lockAndIncref(PollDesc.READ, "accept");
        try {
            pd.checkErr(PollDesc.READ, "accept");
            for (;;) {
                DescNatives n = pd.natives;
                long s = n.readAddr;
                int fd;
                if (LibCNet.hasAccept4()) {
                    fd = LibCNet.accept4(n.readCap, pd.fd, s, DescNatives.primedLen(s), Sockets.C.SOCK_NONBLOCK() | Sockets.C.SOCK_CLOEXEC());
                } else {
                    fd = LibCNet.accept(n.readCap, pd.fd, s, DescNatives.primedLen(s));
                    if (fd >= 0) {
                        LibCNet.setNonBlocking(n.readCap, fd);
                        LibCNet.fcntl(n.readCap, fd, Sockets.C.F_SETFD(), Sockets.C.FD_CLOEXEC());
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
            pd.unlockAndDecref(PollDesc.READ);
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
