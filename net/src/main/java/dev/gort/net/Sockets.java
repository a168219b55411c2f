package dev.gort.net;

import dev.gort.sys.Errno;
import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeException;
import dev.gort.sys.NetConstants;
import dev.gort.sys.SockAddr;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Socket set-up shared by Listener and Conn: creation, addresses, errno names. */
final class Sockets {
    private Sockets() {
    }

    static final NetConstants C = NetConstants.current();
    static final int EAGAIN = Errno.value("EAGAIN");
    static final int EINTR = Errno.value("EINTR");
    static final int EINPROGRESS = Errno.value("EINPROGRESS");
    static final int ECONNABORTED = Errno.value("ECONNABORTED");
    static final int EALREADY = Errno.value("EALREADY");

    /** A non-blocking, close-on-exec TCP socket of {@code address}'s family. */
    static int tcpSocket(InetSocketAddress address, String op, DescNatives n) {
        int family = address.getAddress() instanceof Inet6Address ? C.AF_INET6() : C.AF_INET();
        try {
            if (LibCNet.hasAccept4()) {
                return LibCNet.socket(n.setupCap, family, C.SOCK_STREAM() | C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC(), 0);
            }
            int fd = LibCNet.socket(n.setupCap, family, C.SOCK_STREAM(), 0);
            LibCNet.setNonBlocking(n.setupCap, fd);
            LibCNet.fcntl(n.setupCap, fd, C.F_SETFD(), C.FD_CLOEXEC());
            return fd;
        } catch (NativeException e) {
            throw NetException.of(op, "tcp " + format(address), e.errno());
        }
    }

    static InetSocketAddress localAddress(int fd, DescNatives n) {
        LibCNet.getsockname(n.setupCap, fd, n.setupAddr, DescNatives.primedLen(n.setupAddr));
        return SockAddr.decode(n.setupAddr);
    }

    static InetSocketAddress resolve(String host, int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port " + port + " out of range; accepted: 0..65535");
        }
        try {
            InetAddress ip = host == null || host.isEmpty() ? InetAddress.getByName("0.0.0.0") : InetAddress.getByName(host);
            return new InetSocketAddress(ip, port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host '" + host + "': " + e.getMessage(), e);
        }
    }

    /** Go's address format: 127.0.0.1:80, [::1]:80. */
    static String format(InetSocketAddress a) {
        if (a == null) {
            return "?";
        }
        InetAddress ip = a.getAddress();
        String host = ip == null ? a.getHostString() : ip.getHostAddress();
        int pct = host.indexOf('%');
        if (pct >= 0 && ip instanceof Inet6Address v6 && v6.getScopeId() == 0) {
            host = host.substring(0, pct);
        }
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    static void closeQuietly(int fd, DescNatives n) {
        try {
            LibCNet.close(n.setupCap, fd);
        } catch (RuntimeException ignored) {
            // the original failure is what the caller reports
        }
    }
}
