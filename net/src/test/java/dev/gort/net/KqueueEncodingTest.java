package dev.gort.net;

import dev.gort.sys.KEvent;
import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.NetConstants;
import dev.gort.sys.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kqueue backend's change lists and event decoding, in native memory against the macOS
 * layout, and the backend selection by OS. Runs on Linux; the kqueue backend itself has never run
 * (see KqueueBackend).
 */
class KqueueEncodingTest {
    static final NetConstants M = NetConstants.MACOS;
    static final KEvent K = KEvent.MACOS;

    @Test
    void registrationIsReadAndWriteFiltersEdgeTriggeredWithTheToken() {
        try (Arena a = Arena.ofConfined()) {
            long at = a.allocate(64, 8).address();
            long token = 0x1234_5678L << 32 | 99;
            KqueueBackend.encodeRegistration(at, 99, token);
            long r = K.at(at, 0);
            long w = K.at(at, 1);
            assertEquals(99, K.ident(r));
            assertEquals(M.EVFILT_READ(), K.filter(r));
            assertEquals(M.EV_ADD() | M.EV_CLEAR(), K.flags(r));
            assertEquals(0, K.fflags(r));
            assertEquals(token, K.udata(r));
            assertEquals(99, K.ident(w));
            assertEquals(M.EVFILT_WRITE(), K.filter(w));
            assertEquals(M.EV_ADD() | M.EV_CLEAR(), K.flags(w));
            assertEquals(token, K.udata(w));
            assertTrue(64 >= 2 * K.size(), "DescNatives' event slot holds the two kevents");
        }
    }

    @Test
    void wakeupIsAUserEventEnabledTriggeredAndDisabledLevelStyle() {
        try (Arena a = Arena.ofConfined()) {
            long at = a.allocate(32, 8).address();
            KqueueBackend.encodeWakeRegistration(at);
            assertEquals(M.EVFILT_USER(), K.filter(at));
            assertEquals(M.EV_ADD(), K.flags(at), "no EV_CLEAR: a non-blocking poll must not consume the wake-up");
            assertEquals(PollerBackend.WAKE_TOKEN, K.udata(at));
            long ident = K.ident(at);
            KqueueBackend.encodeTrigger(at);
            assertEquals(ident, K.ident(at));
            assertEquals(M.EVFILT_USER(), K.filter(at));
            assertEquals(M.EV_ENABLE(), K.flags(at));
            assertEquals(M.NOTE_TRIGGER(), K.fflags(at));
            KqueueBackend.encodeDisable(at);
            assertEquals(ident, K.ident(at));
            assertEquals(M.EV_DISABLE(), K.flags(at));
            assertEquals(0, K.fflags(at));
        }
    }

    @Test
    void returnedEventsDecodeToReadinessAndToken() {
        try (Arena a = Arena.ofConfined()) {
            long buf = a.allocate(6L * K.size(), 8).address();
            K.set(K.at(buf, 0), 5, M.EVFILT_READ(), M.EV_ADD() | M.EV_CLEAR(), 0, 10, 77);
            K.set(K.at(buf, 1), 5, M.EVFILT_WRITE(), M.EV_ADD() | M.EV_CLEAR(), 0, 4096, 77);
            K.set(K.at(buf, 2), 6, M.EVFILT_READ(), M.EV_ADD() | M.EV_CLEAR() | M.EV_EOF(), 0, 0, 78);
            K.set(K.at(buf, 3), 7, M.EVFILT_WRITE(), M.EV_ADD() | M.EV_ERROR(), 0, 32, 79);
            K.set(K.at(buf, 4), KqueueBackend.WAKE_IDENT, M.EVFILT_USER(), M.EV_ADD(), 0, 0, PollerBackend.WAKE_TOKEN);
            K.set(K.at(buf, 5), 8, M.EVFILT_WRITE(), M.EV_ADD() | M.EV_CLEAR() | M.EV_EOF(), 0, 0, 80);
            assertEquals(PollerBackend.READ, KqueueBackend.decodeReadiness(K.at(buf, 0)));
            assertEquals(PollerBackend.WRITE, KqueueBackend.decodeReadiness(K.at(buf, 1)));
            assertEquals(PollerBackend.READ | PollerBackend.WRITE, KqueueBackend.decodeReadiness(K.at(buf, 2)),
                    "EOF on the read filter also wakes a writer");
            assertEquals(PollerBackend.READ | PollerBackend.WRITE, KqueueBackend.decodeReadiness(K.at(buf, 3)), "EV_ERROR wakes both");
            assertEquals(0, KqueueBackend.decodeReadiness(K.at(buf, 4)), "the user event is no fd readiness");
            assertEquals(PollerBackend.WRITE, KqueueBackend.decodeReadiness(K.at(buf, 5)));
            assertEquals(PollerBackend.WAKE_TOKEN, K.udata(K.at(buf, 4)));
            assertEquals(78, K.udata(K.at(buf, 2)));
        }
    }

    @Test
    void timeoutTimespec() {
        try (Arena a = Arena.ofConfined()) {
            long ts = a.allocate(16, 8).address();
            assertEquals(0, KqueueBackend.encodeTimeout(ts, -1), "negative: NULL, wait forever");
            assertEquals(ts, KqueueBackend.encodeTimeout(ts, 0));
            assertEquals(0, NativeMemory.getLong(ts));
            assertEquals(0, NativeMemory.getLong(ts + 8));
            KqueueBackend.encodeTimeout(ts, 2_500_000_123L);
            assertEquals(2, NativeMemory.getLong(ts), "tv_sec");
            assertEquals(500_000_123L, NativeMemory.getLong(ts + 8), "tv_nsec: kqueue keeps nanoseconds (epoll rounds to ms)");
            KqueueBackend.encodeTimeout(ts, Long.MAX_VALUE);
            assertEquals(KqueueBackend.MAX_TIMEOUT_SECONDS, NativeMemory.getLong(ts), "capped: Darwin refuses longer timeouts");
            assertEquals(0, NativeMemory.getLong(ts + 8));
        }
    }

    @Test
    void backendChosenByOs() {
        assertEquals("epoll", PollerBackend.kindFor(Platform.Os.LINUX));
        assertEquals("kqueue", PollerBackend.kindFor(Platform.Os.MACOS));
        assertThrows(IllegalArgumentException.class, () -> PollerBackend.open("select"));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void linuxRunsEpollAndCannotOpenKqueue() {
        PollerBackend b = PollerBackend.open();
        try {
            assertEquals("epoll", b.name());
        } finally {
            b.close();
        }
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> PollerBackend.open("kqueue"));
        assertTrue(e.getMessage().contains("kqueue"), e.getMessage());
        assertFalse(LibCNet.hasEpoll() && Platform.current().isMacOS());
    }
}
