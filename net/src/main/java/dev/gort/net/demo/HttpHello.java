package dev.gort.net.demo;

import dev.gort.net.Conn;
import dev.gort.net.Listener;
import dev.gort.net.NetException;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import java.nio.charset.StandardCharsets;

/**
 * {@code ./gort http-hello --port N}: a minimal HTTP/1.1 server, one goroutine per connection,
 * answering every request with {@code 200 hello}. Keep-alive by default (HTTP/1.1), closes after
 * {@code Connection: close} or an HTTP/1.0 request without keep-alive; pipelined requests are
 * answered in order with one write per batch. Request bodies announced by Content-Length are
 * skipped; a request head over 8 KiB gets 431, a malformed one 400, and the connection closes.
 */
public final class HttpHello {
    private HttpHello() {
    }

    static final byte[] HELLO = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
            .getBytes(StandardCharsets.US_ASCII);
    static final byte[] HELLO_CLOSE = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            .getBytes(StandardCharsets.US_ASCII);
    static final byte[] TOO_LARGE = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    static final byte[] BAD = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    static final int MAX_HEAD = 8 * 1024;

    public static void main(String[] args) {
        ServerArgs a = ServerArgs.parse("http-hello", args);
        try (Scheduler s = Scheduler.create(SchedConfig.fromEnvironment())) {
            s.run(() -> {
                Listener ln = ServerArgs.listenOrExit("http-hello", a);
                System.out.println("gort http-hello listening on http://" + ln.address().getHostString() + ":" + ln.port()
                        + "/ (GOMAXPROCS=" + s.gomaxprocs() + ")");
                System.out.flush();
                AcceptLoop.serve(ln, HttpHello::serve);
            });
        }
    }

    /** Serves one connection until the client closes, asks to close, or sends garbage. */
    public static void serve(Conn c) {
        byte[] in = new byte[MAX_HEAD * 2];
        byte[] out = new byte[HELLO_CLOSE.length * 32];
        int have = 0;
        long skip = 0; // body bytes still to discard
        try (c) {
            for (;;) {
                int n = c.read(in, have, in.length - have);
                if (n < 0) {
                    return;
                }
                have += n;
                int pos = 0;
                int outLen = 0;
                boolean close = false;
                for (;;) {
                    if (skip > 0) {
                        int s = (int) Math.min(skip, have - pos);
                        pos += s;
                        skip -= s;
                        if (skip > 0) {
                            break;
                        }
                    }
                    int end = headEnd(in, pos, have);
                    if (end < 0) {
                        if (have - pos > MAX_HEAD) {
                            c.write(TOO_LARGE);
                            closeWriteAndDrain(c);
                            return;
                        }
                        break;
                    }
                    Request r = Request.parse(in, pos, end);
                    if (r == null) {
                        flush(c, out, outLen);
                        c.write(BAD);
                        closeWriteAndDrain(c);
                        return;
                    }
                    pos = end;
                    skip = r.contentLength();
                    close = !r.keepAlive();
                    byte[] resp = close ? HELLO_CLOSE : HELLO;
                    if (outLen + resp.length > out.length) {
                        flush(c, out, outLen);
                        outLen = 0;
                    }
                    System.arraycopy(resp, 0, out, outLen, resp.length);
                    outLen += resp.length;
                    if (close) {
                        break;
                    }
                }
                flush(c, out, outLen);
                if (close) {
                    return;
                }
                // keep the unparsed tail at the front
                System.arraycopy(in, pos, in, 0, have - pos);
                have -= pos;
            }
        } catch (NetException e) {
            // client went away: this connection is over
        }
    }

    /**
     * Closing a socket with unread input makes the kernel send RST, which can destroy the error
     * response before the client reads it; so half-close, then discard input for up to 500 ms
     * (Go's closeWriteAndWait).
     */
    private static void closeWriteAndDrain(Conn c) {
        c.closeWrite();
        c.setReadTimeout(java.time.Duration.ofMillis(500));
        byte[] sink = new byte[4096];
        try {
            while (c.read(sink) >= 0) {
                // discard
            }
        } catch (NetException e) {
            // deadline or reset: done either way
        }
    }

    private static void flush(Conn c, byte[] out, int len) {
        if (len > 0) {
            c.write(out, 0, len);
        }
    }

    /** Index just past the first CRLFCRLF in {@code b[from, to)}, or -1. */
    static int headEnd(byte[] b, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    /** What the server needs from a request head. */
    record Request(boolean keepAlive, long contentLength) {
        /** Parses {@code b[from, end)}; null when malformed (no "METHOD SP target SP HTTP/1.x" line). */
        static Request parse(byte[] b, int from, int end) {
            int lineEnd = indexOfCrlf(b, from, end);
            String line = new String(b, from, lineEnd - from, StandardCharsets.US_ASCII);
            String[] parts = line.split(" ");
            if (parts.length != 3 || parts[0].isEmpty() || !parts[2].startsWith("HTTP/1.")) {
                return null;
            }
            boolean http10 = parts[2].equals("HTTP/1.0");
            boolean keepAlive = !http10;
            long contentLength = 0;
            int p = lineEnd + 2;
            while (p < end - 2) {
                int e = indexOfCrlf(b, p, end);
                int colon = -1;
                for (int i = p; i < e; i++) {
                    if (b[i] == ':') {
                        colon = i;
                        break;
                    }
                }
                if (colon > p) {
                    String name = new String(b, p, colon - p, StandardCharsets.US_ASCII).trim();
                    String value = new String(b, colon + 1, e - colon - 1, StandardCharsets.US_ASCII).trim();
                    if (name.equalsIgnoreCase("connection")) {
                        if (value.equalsIgnoreCase("close")) {
                            keepAlive = false;
                        } else if (value.equalsIgnoreCase("keep-alive")) {
                            keepAlive = true;
                        }
                    } else if (name.equalsIgnoreCase("content-length")) {
                        try {
                            contentLength = Long.parseLong(value);
                        } catch (NumberFormatException ex) {
                            return null;
                        }
                        if (contentLength < 0) {
                            return null;
                        }
                    }
                }
                p = e + 2;
            }
            return new Request(keepAlive, contentLength);
        }

        private static int indexOfCrlf(byte[] b, int from, int end) {
            for (int i = from; i + 1 < end; i++) {
                if (b[i] == '\r' && b[i + 1] == '\n') {
                    return i;
                }
            }
            return end;
        }
    }
}
