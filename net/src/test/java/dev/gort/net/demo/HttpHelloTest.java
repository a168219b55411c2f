package dev.gort.net.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.net.ClosedException;
import dev.gort.net.Conn;
import dev.gort.net.Listener;
import dev.gort.sched.FatalHandler;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The http-hello server's protocol handling over real loopback connections. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HttpHelloTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

    private static void withServer(Consumer<Listener> body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW))) {
            s.run(() -> {
                Listener ln = Listener.listen("127.0.0.1", 0);
                Go.go(() -> AcceptLoop.serve(ln, HttpHello::serve));
                try {
                    body.accept(ln);
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    ln.close();
                }
            });
        }
        if (failure.get() instanceof Error e) {
            throw e;
        }
        if (failure.get() instanceof RuntimeException e) {
            throw e;
        }
    }

    /** Reads until end of stream. */
    private static String readAll(Conn c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        for (int n; (n = c.read(b)) > 0;) {
            out.write(b, 0, n);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    private static String readN(Conn c, int bytes) {
        byte[] b = new byte[bytes];
        int off = 0;
        while (off < bytes) {
            int n = c.read(b, off, bytes - off);
            assertTrue(n > 0, "end of stream after " + off + " bytes");
            off += n;
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() {
        withServer(ln -> {
            try (Conn c = Conn.dial(ln.address())) {
                for (int i = 0; i < 100; i++) {
                    c.write(("GET /" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    assertEquals(OK, readN(c, OK.length()));
                }
            }
        });
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderAndCloseIsHonoured() {
        withServer(ln -> {
            try (Conn c = Conn.dial(ln.address())) {
                String reqs = "GET / HTTP/1.1\r\n\r\n".repeat(50)
                        + "POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"
                        + "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n";
                c.write(reqs.getBytes(StandardCharsets.US_ASCII));
                String all = readAll(c); // the server closes after the last
                String closing = OK.replace("Content-Length: 5\r\n", "Content-Length: 5\r\nConnection: close\r\n");
                assertEquals(OK.repeat(51) + closing, all);
            }
        });
    }

    @Test
    void http10ClosesAndGarbageGets400() {
        withServer(ln -> {
            try (Conn c = Conn.dial(ln.address())) {
                c.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(readAll(c).endsWith("hello"));
            }
            try (Conn c = Conn.dial(ln.address())) {
                c.write("NONSENSE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(readAll(c).startsWith("HTTP/1.1 400 Bad Request"));
            }
            try (Conn c = Conn.dial(ln.address())) {
                c.write(("GET / HTTP/1.1\r\nX: " + "a".repeat(20_000)).getBytes(StandardCharsets.US_ASCII));
                assertTrue(readAll(c).startsWith("HTTP/1.1 431"));
            } catch (ClosedException e) {
                throw new AssertionError(e);
            }
        });
    }
}
