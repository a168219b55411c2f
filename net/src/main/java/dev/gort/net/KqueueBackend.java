package dev.gort.net;

import dev.gort.sys.KEvent;
import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.NetConstants;
import dev.gort.sys.Timespec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * macOS: one kqueue, each fd registered once with two filters, {@code EVFILT_READ} and
 * {@code EVFILT_WRITE}, both {@code EV_ADD|EV_CLEAR} (edge-triggered: reported once per new
 * readiness, like EPOLLET) with the token in {@code udata}. An {@code EVFILT_USER} event (token
 * {@link #WAKE_TOKEN}) cuts a blocking kevent short: {@link #wakeup} enables and triggers it
 * ({@code EV_ENABLE} + {@code NOTE_TRIGGER}); it stays triggered (no EV_CLEAR: level, like the
 * eventfd under epoll) so that a non-blocking poll that sees it does not steal it from the
 * blocked poller; the blocking poll that sees it disables it ({@code EV_DISABLE},
 * {@link #drainWakeup}). Go's Darwin netpoller uses an EVFILT_USER wake-up the same way.
 * The timeout is a timespec (nanoseconds), capped at 10^6 s because Darwin refuses longer ones
 * with EINVAL. Registrations are not deleted: close(2) removes every kevent of the fd, so
 * {@link #deregister} does nothing (stale events in flight are dropped by NetPoller's token check).
 *
 * <p><b>This backend has NEVER RUN</b>: the project's machines are Linux. What is tested on Linux
 * is the encoding: the change lists and the decoding of returned events, in native memory, against
 * the macOS header's layout (KqueueEncodingTest), and the selection of the backend by OS. The
 * shared contract test ({@code PollerBackendContract}) runs for kqueue only on macOS.
 */
final class KqueueBackend implements PollerBackend {
    static final NetConstants C = NetConstants.MACOS;
    static final KEvent K = KEvent.MACOS;
    /** ident of the EVFILT_USER wake-up event (any value: user events are per kqueue). */
    static final long WAKE_IDENT = 0x676f7274L; // "gort"
    /** Darwin's kevent returns EINVAL for a timeout above 10^8 s; Go caps at 10^6 s, and so does gort. */
    static final long MAX_TIMEOUT_SECONDS = 1_000_000L;

    private final int kq;
    /** [0,32) the wake-up registration, [32,64) the trigger (wakeup's, one caller at a time), [64,96) the disable (drainWakeup's). */
    private final long scratch;
    private final MemorySegment wakeCap = LibCNet.newCapture();

    private KqueueBackend(int kq, long scratch) {
        this.kq = kq;
        this.scratch = scratch;
    }

    static KqueueBackend open() {
        int kq = LibCNet.kqueue(); // UnsupportedOperationException naming kqueue on Linux
        LibCNet.fcntl(kq, C.F_SETFD(), C.FD_CLOEXEC());
        long scratch = Arena.global().allocate(3L * K.size(), 8).address();
        encodeWakeRegistration(scratch);
        int r = LibCNet.kevent(kq, scratch, 1, 0, 0, 0);
        if (r < 0) {
            LibCNet.close(kq);
            throw new NetException("netpollinit: kevent(EVFILT_USER, EV_ADD) failed: " + dev.gort.sys.Errno.name(-r), -r, null);
        }
        return new KqueueBackend(kq, scratch);
    }

    // ---------------------------------------------------------------- encoding (tested on Linux)

    /** The change list of a registration: two kevents at {@code at} (64 bytes). */
    static void encodeRegistration(long at, int fd, long token) {
        K.set(K.at(at, 0), fd, C.EVFILT_READ(), C.EV_ADD() | C.EV_CLEAR(), 0, 0, token);
        K.set(K.at(at, 1), fd, C.EVFILT_WRITE(), C.EV_ADD() | C.EV_CLEAR(), 0, 0, token);
    }

    /** The wake-up event's registration: EVFILT_USER, EV_ADD, not triggered yet. */
    static void encodeWakeRegistration(long at) {
        K.set(at, WAKE_IDENT, C.EVFILT_USER(), C.EV_ADD(), 0, 0, WAKE_TOKEN);
    }

    /** wakeup's change: enable and trigger the user event. */
    static void encodeTrigger(long at) {
        K.set(at, WAKE_IDENT, C.EVFILT_USER(), C.EV_ENABLE(), C.NOTE_TRIGGER(), 0, WAKE_TOKEN);
    }

    /** drainWakeup's change: disable the (still triggered) user event until the next wakeup. */
    static void encodeDisable(long at) {
        K.set(at, WAKE_IDENT, C.EVFILT_USER(), C.EV_DISABLE(), 0, 0, WAKE_TOKEN);
    }

    /**
     * Writes the timespec for {@code timeoutNanos} at {@code ts} and returns the pointer to pass
     * to kevent: 0 (NULL, wait forever) for a negative timeout, else {@code ts}.
     */
    static long encodeTimeout(long ts, long timeoutNanos) {
        if (timeoutNanos < 0) {
            return 0;
        }
        long sec = Math.min(timeoutNanos / 1_000_000_000L, MAX_TIMEOUT_SECONDS);
        long nsec = sec == MAX_TIMEOUT_SECONDS ? 0 : timeoutNanos % 1_000_000_000L;
        NativeMemory.putLong(ts + Timespec.TV_SEC, sec);
        NativeMemory.putLong(ts + Timespec.TV_NSEC, nsec);
        return ts;
    }

    /**
     * READ/WRITE of a returned kevent: EVFILT_READ is READ, and also WRITE when EV_EOF is set (a
     * closed peer may report only on the read filter; the writer retries and meets EPIPE);
     * EVFILT_WRITE is WRITE; EV_ERROR wakes both.
     */
    static int decodeReadiness(long ev) {
        int filter = K.filter(ev);
        int flags = K.flags(ev);
        int r = 0;
        if (filter == C.EVFILT_READ()) {
            r = READ | ((flags & C.EV_EOF()) != 0 ? WRITE : 0);
        } else if (filter == C.EVFILT_WRITE()) {
            r = WRITE;
        }
        if ((flags & C.EV_ERROR()) != 0) {
            r = READ | WRITE;
        }
        return r;
    }

    // ---------------------------------------------------------------- PollerBackend

    @Override
    public String name() {
        return "kqueue";
    }

    @Override
    public long bufferBytes(int maxEvents) {
        return (long) K.size() * maxEvents + 16; // the events, then this thread's timespec
    }

    @Override
    public int register(int fd, long token, DescNatives n) {
        encodeRegistration(n.event, fd, token);
        return LibCNet.kevent(n.setupCap, kq, n.event, 2, 0, 0, 0);
    }

    @Override
    public void deregister(int fd, DescNatives n) {
        // close(2) removes the fd's kevents (Go's netpollclose on BSD does nothing either).
    }

    @Override
    public int await(long buf, int maxEvents, long timeoutNanos) {
        long ts = encodeTimeout(buf + (long) K.size() * maxEvents, timeoutNanos);
        return LibCNet.kevent(kq, 0, 0, buf, maxEvents, ts);
    }

    @Override
    public long token(long buf, int i) {
        return K.udata(K.at(buf, i));
    }

    @Override
    public int readiness(long buf, int i) {
        return decodeReadiness(K.at(buf, i));
    }

    @Override
    public int wakeup() {
        long t = scratch + K.size();
        encodeTrigger(t);
        return Math.min(0, LibCNet.kevent(wakeCap, kq, t, 1, 0, 0, 0));
    }

    @Override
    public int drainWakeup() {
        long d = scratch + 2L * K.size();
        encodeDisable(d); // concurrent drains write the same bytes
        return Math.min(0, LibCNet.kevent(kq, d, 1, 0, 0, 0));
    }

    @Override
    public void close() {
        LibCNet.close(kq);
    }

    @Override
    public String toString() {
        return "kqueue(kq=" + kq + ")";
    }
}
