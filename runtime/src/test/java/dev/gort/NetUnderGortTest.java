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
}
