package dev.gort;

import dev.gort.net.Conn;
import dev.gort.net.Listener;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The netpoller under Gort.run with sysmon's netpoll duty wired: a parked reader is woken by data, at GOMAXPROCS=1. */
class NetUnderGortTest {
    @Test
    void echoOverLoopback() {
        assertEquals(0, Gort.run(new String[0], args -> {
            try (Listener ln = Listener.listen("127.0.0.1", 0)) {
                Gort.go(() -> {
                    try (Conn c = ln.accept()) {
                        byte[] buf = new byte[64];
                        int n = c.read(buf); // parks this goroutine until the client writes
                        c.write(buf, 0, n);
                    }
                });
                try (Conn c = Conn.dial("127.0.0.1", ln.port())) {
                    Gort.sleep(java.time.Duration.ofMillis(30)); // the server is parked in read meanwhile
                    c.write("ping".getBytes(StandardCharsets.UTF_8));
                    byte[] buf = new byte[64];
                    int n = c.read(buf);
                    assertEquals("ping", new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            }
            assertTrue(Gort.sysmonStats().rounds() > 0);
        }, new Gort.Options().settings(Map.of("GOMAXPROCS", "1"), Map.of())));
    }

    /**
     * Go's sysmon netpoll: main hogs the only P (a poll() loop never reaches findrunnable's network
     * poll: it is always runnable itself), so the reader parked on data is readied only by sysmon,
     * which polls once nobody did for 10 ms (the poller's lastPollNanos) and injects it.
     */
    @Test
    void sysmonInjectsNetpollWhileTheOnlyPIsBusy() throws Exception {
        assertEquals(0, Gort.run(new String[0], args -> {
            try (Listener ln = Listener.listen("127.0.0.1", 0);
                 java.net.Socket client = new java.net.Socket("127.0.0.1", ln.port())) {
                Conn server = ln.accept();
                java.util.concurrent.atomic.AtomicBoolean got = new java.util.concurrent.atomic.AtomicBoolean();
                Gort.go(() -> {
                    byte[] buf = new byte[16];
                    int n = server.read(buf); // parks: no data yet
                    got.set(n == 4);
                });
                Gort.sleep(java.time.Duration.ofMillis(20)); // the reader parks in read
                long injectedBefore = Gort.sysmonStats().netpollInjected();
                try {
                    client.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                long t0 = System.nanoTime();
                while (!got.get() && System.nanoTime() - t0 < 60_000_000_000L) {
                    Gort.poll();
                }
                assertTrue(got.get(), "the reader was never readied while main held the only P");
                assertTrue(Gort.sysmonStats().netpollInjected() > injectedBefore, Gort.sysmonStats().toString());
                server.close();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, new Gort.Options().settings(Map.of("GOMAXPROCS", "1", "GOGC", "off"), Map.of())));
    }
}
