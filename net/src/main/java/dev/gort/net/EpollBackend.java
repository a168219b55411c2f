package dev.gort.net;

import dev.gort.sys.EpollEvent;
import dev.gort.sys.Errno;
import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeException;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.NetConstants;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Linux: one epoll instance, fds registered once edge-triggered for both directions
 * ({@code EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET}, the data word is the token), and an eventfd
 * registered level-triggered with {@link #WAKE_TOKEN} to cut a blocking epoll_wait short (Go's
 * netpoll_epoll.go).
 * epoll_wait's timeout is in milliseconds: positive timeouts are rounded up.
 */
final class EpollBackend implements PollerBackend {
    private static final NetConstants C = NetConstants.current();
    private static final int EAGAIN = Errno.value("EAGAIN");
    private static final int READ_EVENTS = C.EPOLLIN() | C.EPOLLRDHUP() | C.EPOLLHUP() | C.EPOLLERR();
    private static final int WRITE_EVENTS = C.EPOLLOUT() | C.EPOLLHUP() | C.EPOLLERR();

    private final int epfd;
    private final int eventfd;
    /** [0,16) the eventfd's epoll_event, [16,24) eventfd read buffer, [24,32) eventfd write buffer. */
    private final long scratch;
    /** errno capture for wakeup(), which may run on a goroutine (one caller at a time). */
    private final MemorySegment wakeCap = LibCNet.newCapture();

    private EpollBackend(int epfd, int eventfd, long scratch) {
        this.epfd = epfd;
        this.eventfd = eventfd;
        this.scratch = scratch;
    }

    static EpollBackend open() {
        int ep = LibCNet.epoll_create1(C.EPOLL_CLOEXEC());
        int ev;
        try {
            ev = LibCNet.eventfd(0, C.EFD_CLOEXEC() | C.EFD_NONBLOCK());
        } catch (NativeException e) {
            LibCNet.close(ep);
            throw new NetException("netpollinit: eventfd failed: " + e.getMessage(), e.errno(), e);
        }
        long scratch = Arena.global().allocate(32, 8).address();
        // Level-triggered (as Go's): a non-blocking poll that sees the wake-up does not consume it,
        // so the blocked poller it was meant for still returns; the blocking poll drains it.
        EpollEvent.set(scratch, C.EPOLLIN(), WAKE_TOKEN);
        int r = LibCNet.epoll_ctl(ep, C.EPOLL_CTL_ADD(), ev, scratch);
        if (r < 0) {
            LibCNet.close(ev);
            LibCNet.close(ep);
            throw new NetException("netpollinit: epoll_ctl(ADD eventfd) failed: " + Errno.name(-r), -r, null);
        }
        return new EpollBackend(ep, ev, scratch);
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public long bufferBytes(int maxEvents) {
        return (long) EpollEvent.SIZE * maxEvents;
    }

    @Override
    public int register(int fd, long token, DescNatives n) {
        EpollEvent.set(n.event, C.EPOLLIN() | C.EPOLLOUT() | C.EPOLLRDHUP() | (int) C.EPOLLET(), token);
        return LibCNet.epoll_ctl(n.setupCap, epfd, C.EPOLL_CTL_ADD(), fd, n.event);
    }

    @Override
    public void deregister(int fd, DescNatives n) {
        LibCNet.epoll_ctl(n.setupCap, epfd, C.EPOLL_CTL_DEL(), fd, 0); // ENOENT/EBADF are harmless here
    }

    @Override
    public int await(long buf, int maxEvents, long timeoutNanos) {
        int timeoutMs;
        if (timeoutNanos == 0) {
            timeoutMs = 0;
        } else if (timeoutNanos < 0) {
            timeoutMs = -1;
        } else if (timeoutNanos < 1_000_000L) {
            timeoutMs = 1;
        } else {
            timeoutMs = (int) Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999L) / 1_000_000L);
        }
        return LibCNet.epoll_wait(epfd, buf, maxEvents, timeoutMs);
    }

    @Override
    public long token(long buf, int i) {
        return EpollEvent.data(EpollEvent.at(buf, i));
    }

    @Override
    public int readiness(long buf, int i) {
        int events = EpollEvent.events(EpollEvent.at(buf, i));
        return ((events & READ_EVENTS) != 0 ? READ : 0) | ((events & WRITE_EVENTS) != 0 ? WRITE : 0);
    }

    @Override
    public int wakeup() {
        long b = scratch + 24;
        NativeMemory.putLong(b, 1L);
        long r = LibCNet.write(wakeCap, eventfd, b, 8);
        return r < 0 && -r != EAGAIN ? (int) r : 0; // EAGAIN: the counter is saturated, a wake-up is pending anyway
    }

    @Override
    public int drainWakeup() {
        long r = LibCNet.read(eventfd, scratch + 16, 8);
        return r < 0 && -r != EAGAIN ? (int) r : 0;
    }

    @Override
    public void close() {
        LibCNet.close(eventfd);
        LibCNet.close(epfd);
    }

    @Override
    public String toString() {
        return "epoll(epfd=" + epfd + ", eventfd=" + eventfd + ")";
    }
}
