package dev.gort.net;

import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.NetConstants;
import dev.gort.sys.SockAddr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The poller backend's contract (see {@link PollerBackend}), written once and run against every
 * backend this machine can run: epoll on Linux ({@code EpollBackendTest}), kqueue on macOS
 * ({@code KqueueBackendTest}, skipped elsewhere). Real sockets over loopback, real kernel queues.
 */
abstract class PollerBackendContract {
    static final NetConstants C = NetConstants.current();
    static final int MAX = 16;

    abstract PollerBackend open();

    PollerBackend backend;
    Arena arena;
    long buf;
    final List<Integer> fds = new ArrayList<>();

    record Event(long token, int readiness) {
    }

    @BeforeEach
    void setUp() {
        backend = open();
        arena = Arena.ofShared();
        buf = arena.allocate(backend.bufferBytes(MAX), 8).address();
    }

    @AfterEach
    void tearDown() {
        for (int fd : fds) {
            try {
                LibCNet.close(fd);
            } catch (RuntimeException ignored) {
                // closed by the test already
            }
        }
        backend.close();
        arena.close();
    }

    /** A connected, non-blocking TCP pair over 127.0.0.1: {client, server side}. */
    int[] tcpPair() {
        long addr = arena.allocate(SockAddr.STORAGE_BYTES + 8L, 8).address();
        int listener = LibCNet.socket(C.AF_INET(), C.SOCK_STREAM(), 0);
        fds.add(listener);
        int len = SockAddr.encode(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), addr);
        LibCNet.bind(listener, addr, len);
        LibCNet.listen(listener, 4);
        NativeMemory.putInt(addr + SockAddr.STORAGE_BYTES, SockAddr.STORAGE_BYTES);
        LibCNet.getsockname(listener, addr, addr + SockAddr.STORAGE_BYTES);
        InetSocketAddress bound = SockAddr.decode(addr);
        int client = LibCNet.socket(C.AF_INET(), C.SOCK_STREAM(), 0);
        fds.add(client);
        len = SockAddr.encode(bound, addr);
        LibCNet.connect(client, addr, len);
        NativeMemory.putInt(addr + SockAddr.STORAGE_BYTES, SockAddr.STORAGE_BYTES);
        int server = LibCNet.accept(listener, addr, addr + SockAddr.STORAGE_BYTES);
        fds.add(server);
        LibCNet.setNonBlocking(client);
        LibCNet.setNonBlocking(server);
        return new int[] {client, server};
    }

    List<Event> poll(long timeoutNanos) {
        int n = backend.await(buf, MAX, timeoutNanos);
        assertTrue(n >= 0, backend.name() + " await failed: errno " + -n);
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Event(backend.token(buf, i), backend.readiness(buf, i)));
        }
        return out;
    }

    int readinessOf(List<Event> evs, long token) {
        int r = 0;
        for (Event e : evs) {
            if (e.token() == token) {
                r |= e.readiness();
            }
        }
        return r;
    }

    void register(int fd, long token) {
        assertEquals(0, backend.register(fd, token, new DescNatives()), "register fd " + fd);
    }

    void send(int fd, String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(b.length, LibCNet.writeHeap(fd, b, 0, b.length));
    }

    /** A connected socket is writable at once: reported once at registration, not again without a new edge. */
    @Test
    void registrationReportsWritabilityOnceEdgeTriggered() {
        int[] p = tcpPair();
        long token = 7L << 32 | p[0];
        register(p[0], token);
        assertEquals(PollerBackend.WRITE, readinessOf(poll(0), token) & PollerBackend.WRITE, "writable at registration");
        assertEquals(0, readinessOf(poll(0), token), "edge-triggered: no second report without a new edge");
    }

    /** Data arriving is a read edge, once per arrival; the 64-bit token comes back unchanged. */
    @Test
    void readReadinessPerArrivalWithTheToken() {
        int[] p = tcpPair();
        long token = 0x7fff_fffeL << 32 | p[1];
        register(p[1], token);
        poll(0); // the initial writability
        send(p[0], "ping");
        assertEquals(PollerBackend.READ, readinessOf(poll(2_000_000_000L), token) & PollerBackend.READ);
        assertEquals(0, readinessOf(poll(0), token) & PollerBackend.READ, "the same data is not reported twice");
        send(p[0], "more");
        assertEquals(PollerBackend.READ, readinessOf(poll(2_000_000_000L), token) & PollerBackend.READ, "new data, new edge");
    }

    /** The peer's close reads as readiness (read returns 0 then). */
    @Test
    void peerCloseIsReadable() {
        int[] p = tcpPair();
        long token = 3L << 32 | p[1];
        register(p[1], token);
        poll(0);
        LibCNet.close(p[0]);
        fds.remove((Integer) p[0]);
        assertEquals(PollerBackend.READ, readinessOf(poll(2_000_000_000L), token) & PollerBackend.READ);
    }

    /** A positive timeout bounds the wait; nothing registered means nothing returned. */
    @Test
    void timeoutBoundsTheWait() {
        long t0 = System.nanoTime();
        assertEquals(List.of(), poll(100_000_000L));
        long took = System.nanoTime() - t0;
        assertTrue(took >= 90_000_000L, "returned after " + took / 1_000_000 + " ms, before the 100 ms timeout");
        assertTrue(took < 60_000_000_000L, "took " + took / 1_000_000 + " ms");      // a hang guard: it returned at all
        assertEquals(List.of(), poll(0));
    }

    /** wakeup() makes a wait blocked without a timeout return with the wake-up event. */
    @Test
    void wakeupCutsABlockingWaitShort() throws Exception {
        AtomicInteger woken = new AtomicInteger(-1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            List<Event> evs = poll(-1);
            woken.set((int) evs.stream().filter(e -> e.token() == PollerBackend.WAKE_TOKEN).count());
            assertEquals(0, backend.drainWakeup());
        });
        Thread.sleep(50);
        assertEquals(0, backend.wakeup());
        waiter.join(60_000);
        assertFalse(waiter.isAlive(), "the blocked wait did not return within 60 s of wakeup()");
        assertEquals(1, woken.get());
        assertEquals(List.of(), poll(0), "drained: no wake-up left");
    }

    /**
     * A wake-up seen by a non-blocking poll is not consumed by it: the next blocking poll still
     * returns at once (a non-blocking poller, sysmon's, must not steal the blocked poller's wake-up).
     */
    @Test
    void nonBlockingPollDoesNotConsumeTheWakeup() {
        assertEquals(0, backend.wakeup());
        assertEquals(1, poll(0).stream().filter(e -> e.token() == PollerBackend.WAKE_TOKEN).count());
        long t0 = System.nanoTime();
        // Returned with the wake-up, not empty after its timeout (a lost wake-up): a state, not a
        // bound on wall time a starved JVM can exceed; the 60 s timeout only ends a lost one.
        List<Event> evs = poll(60_000_000_000L);
        assertEquals(1, evs.stream().filter(e -> e.token() == PollerBackend.WAKE_TOKEN).count(),
                "the blocking poll returned after " + (System.nanoTime() - t0) / 1_000_000 + " ms without the wake-up: it was lost");
        assertEquals(0, backend.drainWakeup());
        assertEquals(List.of(), poll(0));
        assertEquals(0, backend.wakeup(), "wakeup works again after a drain");
        assertEquals(1, poll(0).stream().filter(e -> e.token() == PollerBackend.WAKE_TOKEN).count());
    }

    /** After deregister and close, no event carries the old token, while other registrations still report. */
    @Test
    void noEventsAfterDeregisterAndClose() {
        int[] a = tcpPair();
        int[] b = tcpPair();
        long ta = 1L << 32 | a[1];
        long tb = 2L << 32 | b[1];
        DescNatives na = new DescNatives();
        assertEquals(0, backend.register(a[1], ta, na));
        register(b[1], tb);
        poll(0);
        backend.deregister(a[1], na);
        LibCNet.close(a[1]);
        fds.remove((Integer) a[1]);
        send(b[0], "x");
        List<Event> evs = poll(2_000_000_000L);
        assertEquals(PollerBackend.READ, readinessOf(evs, tb) & PollerBackend.READ);
        assertEquals(0, readinessOf(evs, ta));
        assertEquals(0, readinessOf(poll(50_000_000L), ta));
    }

    /** register on a closed descriptor is a negated errno (EBADF), not an exception. */
    @Test
    void registerOnABadFdIsAnErrno() {
        int r = backend.register(1_000_000, 5, new DescNatives());
        assertEquals(-dev.gort.sys.Errno.value("EBADF"), r);
    }
}
