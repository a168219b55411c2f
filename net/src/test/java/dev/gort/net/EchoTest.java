package dev.gort.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sched.Chan;
import dev.gort.sched.Go;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Echo correctness: goroutine-per-connection server and clients as goroutines on loopback, every
 * byte checked in order. Counts: {@code -Dgort.net.echo.conns} (default 1000) x
 * {@code -Dgort.net.echo.msgs} (default 20). The thousand connections at once are the point (a
 * goroutine and a poller registration each); the messages per connection were 100 until session
 * 13, when 100,000 round trips (5 s quiet) ran past the 150 s timeout at load ~60.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoTest {
    static final int CONNS = Integer.getInteger("gort.net.echo.conns", 1000);
    static final int MSGS = Integer.getInteger("gort.net.echo.msgs", 20);

    /** Serves one connection: echoes until end of stream. */
    static void echo(Conn c) {
        byte[] buf = new byte[4096];
        try (c) {
            for (;;) {
                int n = c.read(buf);
                if (n < 0) {
                    return;
                }
                c.write(buf, 0, n);
            }
        } catch (ClosedException | ConnectionResetException e) {
            // peer went away: fine for an echo server
        }
    }

    /** Message {@code m} of client {@code id}: a size that varies (1..1500 bytes) and content tied to both. */
    static byte[] message(int id, int m) {
        int size = 1 + (id * 31 + m * 17) % 1500;
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (id * 7 + m * 13 + i);
        }
        return b;
    }

    static void readFully(Conn c, byte[] into) {
        int off = 0;
        while (off < into.length) {
            int n = c.read(into, off, into.length - off);
            if (n < 0) {
                throw new AssertionError("early end of stream after " + off + " of " + into.length + " bytes on " + c);
            }
            off += n;
        }
    }

    private static void runEcho(String host, int conns, int msgs) {
        AtomicLong bytes = new AtomicLong();
        NetTesting.run(2, () -> {
            Listener ln = Listener.listen(host, 0);
            Go.go(() -> {
                try {
                    for (;;) {
                        Conn c = ln.accept();
                        Go.go(() -> echo(c));
                    }
                } catch (ClosedException e) {
                    // test over
                }
            });
            Chan<String> done = new Chan<>(conns);
            for (int id = 0; id < conns; id++) {
                int cid = id;
                Go.go(() -> {
                    String result = "ok";
                    try (Conn c = Conn.dial(ln.address())) {
                        for (int m = 0; m < msgs; m++) {
                            byte[] out = message(cid, m);
                            c.write(out);
                            byte[] in = new byte[out.length];
                            readFully(c, in);
                            assertArrayEquals(out, in, "client " + cid + " message " + m);
                            bytes.addAndGet(out.length);
                        }
                    } catch (Throwable t) {
                        result = "client " + cid + ": " + t;
                    }
                    done.send(result);
                });
            }
            int ok = 0;
            StringBuilder failures = new StringBuilder();
            for (int i = 0; i < conns; i++) {
                String r = done.recv();
                if (r.equals("ok")) {
                    ok++;
                } else if (failures.length() < 2000) {
                    failures.append(r).append('\n');
                }
            }
            ln.close();
            assertEquals(conns, ok, "clients that finished cleanly; failures:\n" + failures);
        });
        long expected = 0;
        for (int id = 0; id < conns; id++) {
            for (int m = 0; m < msgs; m++) {
                expected += message(id, m).length;
            }
        }
        assertEquals(expected, bytes.get(), "bytes echoed");
        assertTrue(expected > 0);
    }

    @Test
    void aThousandConnectionsAtOnceIPv4() {
        runEcho("127.0.0.1", CONNS, MSGS);
    }

    @Test
    void ipv6Loopback() {
        runEcho("::1", 20, 20);
    }
}
