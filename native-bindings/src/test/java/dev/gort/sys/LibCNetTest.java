package dev.gort.sys;

import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The socket and epoll bindings on real loopback sockets (Linux). */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LibCNetTest {
    private static final NetConstants C = NetConstants.current();

    private static int listenOn(InetSocketAddress where, long addr) {
        int family = where.getAddress() instanceof java.net.Inet6Address ? C.AF_INET6() : C.AF_INET();
        int fd = LibCNet.socket(family, C.SOCK_STREAM() | C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC(), 0);
        LibCNet.setsockoptInt(fd, C.SOL_SOCKET(), C.SO_REUSEADDR(), 1);
        int len = SockAddr.encode(where, addr);
        LibCNet.bind(fd, addr, len);
        LibCNet.listen(fd, 16);
        return fd;
    }

    private static InetSocketAddress boundAddress(int fd, long addr) {
        NativeMemory.putInt(addr + SockAddr.STORAGE_BYTES, SockAddr.STORAGE_BYTES);
        LibCNet.getsockname(fd, addr, addr + SockAddr.STORAGE_BYTES);
        return SockAddr.decode(addr);
    }

    private void roundTrip(InetAddress loopback) {
        assumeTrue(Platform.current().isLinux(), "epoll is Linux-only");
        try (Arena arena = Arena.ofConfined()) {
            long addr = arena.allocate(SockAddr.STORAGE_BYTES + 8, 8).address();
            long events = arena.allocate(EpollEvent.SIZE * 8L, 8).address();
            long buf = arena.allocate(64, 8).address();
            int lfd = listenOn(new InetSocketAddress(loopback, 0), addr);
            InetSocketAddress bound = boundAddress(lfd, addr);
            assertEquals(loopback, bound.getAddress());
            assertTrue(bound.getPort() > 0, "kernel chose a port");

            int ep = LibCNet.epoll_create1(C.EPOLL_CLOEXEC());
            int efd = LibCNet.eventfd(0, C.EFD_CLOEXEC() | C.EFD_NONBLOCK());
            int client = LibCNet.socket(C.AF_INET6() == SockAddr.family(addr) ? C.AF_INET6() : C.AF_INET(),
                    C.SOCK_STREAM() | C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC(), 0);
            assertTrue((LibCNet.fcntl(client, C.F_GETFL(), 0) & C.O_NONBLOCK()) != 0, "SOCK_NONBLOCK took effect");
            int len = SockAddr.encode(bound, addr);
            int r = LibCNet.connect(client, addr, len);
            assertTrue(r == 0 || r == -Errno.value("EINPROGRESS"), "connect: " + r);
            // edge-triggered registration with the fd as data; writable once connected
            EpollEvent.set(events, C.EPOLLIN() | C.EPOLLOUT() | C.EPOLLRDHUP() | (int) C.EPOLLET(), 0xABCD_0000_0000L | client);
            assertEquals(0, LibCNet.epoll_ctl(ep, C.EPOLL_CTL_ADD(), client, events));
            EpollEvent.set(events, C.EPOLLIN() | (int) C.EPOLLET(), 0x7777L);
            assertEquals(0, LibCNet.epoll_ctl(ep, C.EPOLL_CTL_ADD(), efd, events));
            int n = LibCNet.epoll_wait(ep, events, 8, 5_000);
            assertEquals(1, n);
            assertEquals(0xABCD_0000_0000L | client, EpollEvent.data(events), "data word survives the (packed) layout");
            assertTrue((EpollEvent.events(events) & C.EPOLLOUT()) != 0);
            assertEquals(0, LibCNet.getsockoptInt(client, C.SOL_SOCKET(), C.SO_ERROR()), "connect succeeded");

            NativeMemory.putInt(addr + SockAddr.STORAGE_BYTES, SockAddr.STORAGE_BYTES);
            int server = LibCNet.accept4(lfd, addr, addr + SockAddr.STORAGE_BYTES, C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC());
            assertTrue(server >= 0, "accept4: " + server);
            assertEquals(loopback, SockAddr.decode(addr).getAddress());
            assertEquals(-Errno.value("EAGAIN"), LibCNet.accept4(lfd, 0, 0, C.SOCK_NONBLOCK()), "nothing more pending");

            byte[] msg = "hello, epoll".getBytes();
            assertEquals(msg.length, LibCNet.writeHeap(server, msg, 0, msg.length));
            n = LibCNet.epoll_wait(ep, events, 8, 5_000);
            assertEquals(1, n);
            assertTrue((EpollEvent.events(events) & C.EPOLLIN()) != 0);
            assertEquals(msg.length, LibCNet.read(client, buf, 64));
            for (int i = 0; i < msg.length; i++) {
                assertEquals(msg[i], NativeMemory.getByte(buf + i));
            }
            assertEquals(-Errno.value("EAGAIN"), LibCNet.read(client, buf, 64), "drained");

            // the eventfd wakes a blocked epoll_wait
            NativeMemory.putLong(buf, 1);
            assertEquals(8, LibCNet.write(efd, buf, 8));
            n = LibCNet.epoll_wait(ep, events, 8, 5_000);
            assertEquals(1, n);
            assertEquals(0x7777L, EpollEvent.data(events));

            // peer close: read sees end of stream
            LibCNet.close(server);
            byte[] in = new byte[8];
            assertEquals(0, LibCNet.readHeap(client, in, 0, 8));
            for (int fd : new int[] {client, efd, ep, lfd}) {
                LibCNet.close(fd);
            }
        }
    }

    @Test
    void ipv4LoopbackRoundTrip() throws Exception {
        roundTrip(InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void ipv6LoopbackRoundTrip() throws Exception {
        int probe;
        try {
            probe = LibCNet.socket(C.AF_INET6(), C.SOCK_STREAM(), 0);
        } catch (NativeException e) {
            Assumptions.abort("no IPv6 on this machine: " + e.getMessage());
            return;
        }
        LibCNet.close(probe);
        roundTrip(InetAddress.getByName("::1"));
    }

    @Test
    void addressInUseIsAClearError() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            long addr = arena.allocate(SockAddr.STORAGE_BYTES + 8, 8).address();
            int a = listenOn(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), addr);
            InetSocketAddress bound = boundAddress(a, addr);
            int b = LibCNet.socket(C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0);
            int len = SockAddr.encode(bound, addr);
            NativeException e = assertThrows(NativeException.class, () -> LibCNet.bind(b, addr, len));
            assertEquals("EADDRINUSE", e.errnoName());
            assertTrue(e.getMessage().contains("bind(fd=" + b) && e.getMessage().contains(String.valueOf(bound.getPort())), e.getMessage());
            LibCNet.close(a);
            LibCNet.close(b);
        }
    }

    @Test
    void closedDescriptorIsEbadf() {
        int fd = LibCNet.socket(C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0);
        LibCNet.close(fd);
        NativeException e = assertThrows(NativeException.class, () -> LibCNet.close(fd));
        assertEquals("EBADF", e.errnoName());
        assertEquals(-Errno.value("EBADF"), LibCNet.read(fd, 0, 0));
    }

    @Test
    void rlimitNofileReadsBack() {
        long cur = LibCNet.getrlimitCur(C.RLIMIT_NOFILE());
        assertTrue(cur > 16, "RLIMIT_NOFILE soft limit " + cur);
        LibCNet.setrlimitCur(C.RLIMIT_NOFILE(), cur);
        assertEquals(cur, LibCNet.getrlimitCur(C.RLIMIT_NOFILE()));
    }

    @Test
    void encodeRejectsBadPortsAndUnresolvedHosts() {
        try (Arena arena = Arena.ofConfined()) {
            long addr = arena.allocate(SockAddr.STORAGE_BYTES, 8).address();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SockAddr.encode(InetSocketAddress.createUnresolved("example.invalid", 80), addr));
            assertTrue(e.getMessage().contains("unresolved"), e.getMessage());
        }
    }

    /** A function this platform lacks is refused naming it and the platform, by LibCNet and LibC alike (one rule). */
    @Test
    void aFunctionThisPlatformLacksIsRefusedNamingItAndThePlatform() {
        assumeTrue(Platform.current().isLinux(), "kqueue and pthread_threadid_np are macOS-only");
        UnsupportedOperationException net = assertThrows(UnsupportedOperationException.class, LibCNet::kqueue);
        assertEquals("kqueue is not available on " + Platform.current(), net.getMessage());
        UnsupportedOperationException kevent = assertThrows(UnsupportedOperationException.class,
                () -> LibCNet.kevent(-1, 0, 0, 0, 0, 0));
        assertEquals("kevent is not available on " + Platform.current(), kevent.getMessage());
        UnsupportedOperationException libc = assertThrows(UnsupportedOperationException.class, LibC::pthread_threadid_np);
        assertEquals("pthread_threadid_np is not available on " + Platform.current(), libc.getMessage());
    }
}
