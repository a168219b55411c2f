package dev.gort.net;

import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeException;
import dev.gort.sys.SockAddr;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;

/**
 * A TCP connection (Go's net.TCPConn) on a non-blocking socket registered with the netpoller.
 * {@link #read} and {@link #write} park only the calling goroutine (or platform thread) while the
 * socket is not ready; its M runs other goroutines meanwhile.
 *
 * <p>Errors: {@link ClosedException} after {@link #close()} (a goroutine parked in read or write
 * when close runs gets it too), {@link DeadlineExceededException} after a deadline passed,
 * {@link ConnectionResetException}, {@link ConnectionRefusedException} (dial), or a
 * {@link NetException} naming the errno. None of them disturbs other connections or the runtime.
 *
 * <p>Any number of goroutines (and threads) may use a Conn at once: reading and writing are
 * independent, and concurrent readers (or writers) are serialised in arrival order, each call
 * whole (Go's fdMutex): a {@code write} of many bytes is never interleaved with another write's,
 * and a waiting caller parks only its goroutine. Close wakes the waiters with ClosedException.
 */
public final class Conn implements AutoCloseable {
    private final PollDesc pd;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;

    private Conn(PollDesc pd, InetSocketAddress local, InetSocketAddress remote) {
        this.pd = pd;
        this.local = local;
        this.remote = remote;
    }

    /** Wraps an accepted, already non-blocking fd. */
    static Conn adopt(int fd, InetSocketAddress local, InetSocketAddress remote) {
        DescNatives n = new DescNatives();
        try {
            LibCNet.setsockoptInt(n.setupCap, n.opt, fd, Sockets.C.IPPROTO_TCP(), Sockets.C.TCP_NODELAY(), 1); // Go's default
            PollDesc pd = NetPoller.current().register(fd, "tcp " + Sockets.format(local) + "->" + Sockets.format(remote), n);
            return new Conn(pd, local, remote);
        } catch (RuntimeException e) {
            Sockets.closeQuietly(fd, n);
            throw e;
        }
    }

    /** Connects to {@code host:port} (Go's net.Dial("tcp", ...)); parks while the handshake runs. */
    public static Conn dial(String host, int port) {
        return dial(Sockets.resolve(host, port), null);
    }

    public static Conn dial(InetSocketAddress address) {
        return dial(address, null);
    }

    /** Connects, failing with DeadlineExceededException after {@code timeout} (null: no limit). */
    public static Conn dial(InetSocketAddress address, Duration timeout) {
        String where = "tcp " + Sockets.format(address);
        DescNatives n = new DescNatives();
        int fd = Sockets.tcpSocket(address, "dial", n);
        PollDesc pd;
        try {
            pd = NetPoller.current().register(fd, where, n);
        } catch (RuntimeException e) {
            Sockets.closeQuietly(fd, n);
            throw e;
        }
        boolean ok = false;
        try {
            if (timeout != null) {
                pd.setDeadline(PollDesc.WRITE, true, deadlineAfter(timeout));
            }
            connect(pd, address);
            if (timeout != null) {
                pd.setDeadline(PollDesc.WRITE, false, 0);
            }
            LibCNet.setsockoptInt(n.setupCap, n.opt, fd, Sockets.C.IPPROTO_TCP(), Sockets.C.TCP_NODELAY(), 1);
            InetSocketAddress local = Sockets.localAddress(fd, n);
            pd.name = "tcp " + Sockets.format(local) + "->" + Sockets.format(address);
            ok = true;
            return new Conn(pd, local, address);
        } finally {
            if (!ok) {
                pd.close();
            }
        }
    }

    private static void connect(PollDesc pd, InetSocketAddress address) {
        pd.lockAndIncref(PollDesc.WRITE, "dial");
        try {
            DescNatives n = pd.natives;
            int len = SockAddr.encode(address, n.setupAddr);
            int r = LibCNet.connect(n.writeCap, pd.fd, n.setupAddr, len);
            if (r == 0) {
                return;
            }
            int e = -r;
            if (e != Sockets.EINPROGRESS && e != Sockets.EINTR && e != Sockets.EALREADY) {
                throw NetException.of("dial", pd.name, e);
            }
            for (;;) {
                pd.await(PollDesc.WRITE, "dial");
                int soErr;
                try {
                    soErr = LibCNet.getsockoptInt(n.writeCap, n.opt, pd.fd, Sockets.C.SOL_SOCKET(), Sockets.C.SO_ERROR());
                } catch (NativeException ex) {
                    throw NetException.of("dial", pd.name, ex.errno());
                }
                if (soErr == 0) {
                    return;
                }
                if (soErr != Sockets.EINPROGRESS && soErr != Sockets.EINTR && soErr != Sockets.EALREADY) {
                    throw NetException.of("dial", pd.name, soErr);
                }
            }
        } finally {
            pd.unlockAndDecref(PollDesc.WRITE);
        }
    }

    /**
     * Reads up to {@code len} bytes into {@code b[off..]}: the count (at least 1), or -1 at end of
     * stream. Parks while no data is available.
     */
    public int read(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        pd.lockAndIncref(PollDesc.READ, "read");
        try {
            pd.checkErr(PollDesc.READ, "read");
            if (len == 0) {
                return 0;
            }
            for (;;) {
                long n = LibCNet.readHeap(pd.natives.readCap, pd.fd, b, off, len);
                if (n > 0) {
                    return (int) n;
                }
                if (n == 0) {
                    return -1;
                }
                int e = (int) -n;
                if (e == Sockets.EAGAIN) {
                    pd.await(PollDesc.READ, "read");
                } else if (e != Sockets.EINTR) {
                    throw NetException.of("read", pd.name, e);
                }
            }
        } finally {
            pd.unlockAndDecref(PollDesc.READ);
        }
    }

    public int read(byte[] b) {
        return read(b, 0, b.length);
    }

    /** Writes all of {@code b[off, off+len)}, parking while the socket buffer is full. */
    public void write(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        pd.lockAndIncref(PollDesc.WRITE, "write");
        try {
            pd.checkErr(PollDesc.WRITE, "write");
            int done = 0;
            while (done < len) {
                long n = LibCNet.writeHeap(pd.natives.writeCap, pd.fd, b, off + done, len - done);
                if (n >= 0) {
                    done += (int) n;
                    continue;
                }
                int e = (int) -n;
                if (e == Sockets.EAGAIN) {
                    pd.await(PollDesc.WRITE, "write");
                } else if (e != Sockets.EINTR) {
                    throw NetException.of("write", pd.name, e);
                }
            }
        } finally {
            pd.unlockAndDecref(PollDesc.WRITE);
        }
    }

    public void write(byte[] b) {
        write(b, 0, b.length);
    }

    /** Shuts down the sending side (the peer reads end of stream); reading still works. */
    public void closeWrite() {
        pd.incref("close write");
        try {
            int r = LibCNet.shutdown(pd.natives.writeCap, pd.fd, Sockets.C.SHUT_WR());
            if (r < 0) {
                throw NetException.of("close write", pd.name, -r);
            }
        } finally {
            pd.decref();
        }
    }

    /** The descriptor (tests in this package). */
    PollDesc pdForTest() {
        return pd;
    }

    /** Closes the connection; goroutines parked in read/write wake with ClosedException. Idempotent. */
    @Override
    public void close() {
        pd.close();
    }

    public boolean isClosed() {
        return pd.isClosing();
    }

    /** Sets the read deadline (null clears it); a past deadline fails reads at once. */
    public void setReadDeadline(Instant deadline) {
        applyDeadline(pd, PollDesc.READ, deadline);
    }

    public void setWriteDeadline(Instant deadline) {
        applyDeadline(pd, PollDesc.WRITE, deadline);
    }

    public void setDeadline(Instant deadline) {
        setReadDeadline(deadline);
        setWriteDeadline(deadline);
    }

    /** Read deadline {@code timeout} from now (null clears). */
    public void setReadTimeout(Duration timeout) {
        pd.setDeadline(PollDesc.READ, timeout != null, timeout == null ? 0 : deadlineAfter(timeout));
    }

    public void setWriteTimeout(Duration timeout) {
        pd.setDeadline(PollDesc.WRITE, timeout != null, timeout == null ? 0 : deadlineAfter(timeout));
    }

    static void applyDeadline(PollDesc pd, int mode, Instant deadline) {
        if (deadline == null) {
            pd.setDeadline(mode, false, 0);
            return;
        }
        pd.setDeadline(mode, true, deadlineAfter(Duration.between(Instant.now(), deadline)));
    }

    /** The farthest deadline from now (about 73 years): nanoTime plus it cannot overflow. */
    private static final long FARTHEST_NANOS = Long.MAX_VALUE / 4;

    /**
     * The nanoTime deadline {@code timeout} from now. A timeout beyond {@link #FARTHEST_NANOS}
     * (up to a Duration past a long's nanoseconds) is that far: no deadline in practice, instead
     * of Duration.toNanos's ArithmeticException or a sum wrapping into the past.
     */
    static long deadlineAfter(Duration timeout) {
        long fromNow;
        try {
            fromNow = Math.min(timeout.toNanos(), FARTHEST_NANOS);
        } catch (ArithmeticException beyondNanos) {
            fromNow = timeout.isNegative() ? -1 : FARTHEST_NANOS;
        }
        return System.nanoTime() + fromNow;
    }

    public void setNoDelay(boolean on) {
        pd.incref("set no delay");
        try {
            LibCNet.setsockoptInt(pd.natives.setupCap, pd.natives.opt, pd.fd, Sockets.C.IPPROTO_TCP(), Sockets.C.TCP_NODELAY(), on ? 1 : 0);
        } finally {
            pd.decref();
        }
    }

    public InetSocketAddress localAddress() {
        return local;
    }

    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String toString() {
        return "Conn(" + pd.name + ")";
    }
}
