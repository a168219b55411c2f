package dev.gort.bench.net;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Peer for {@code ./gort http-hello}: the same fixed "hello" response from the JDK's
 * com.sun.net.httpserver with a virtual-thread-per-task executor (HTTP/1.1 keep-alive).
 * {@code java ... dev.gort.bench.net.VirtualThreadHttpHello --port N}
 */
public final class VirtualThreadHttpHello {
    private VirtualThreadHttpHello() {
    }

    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws IOException {
        int port = PeerArgs.port(args);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 4096);
        server.createContext("/", VirtualThreadHttpHello::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        System.out.println("virtual-thread http-hello listening on http://127.0.0.1:" + server.getAddress().getPort() + "/");
        System.out.flush();
    }

    private static void handle(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        ex.sendResponseHeaders(200, HELLO.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(HELLO);
        }
    }
}
