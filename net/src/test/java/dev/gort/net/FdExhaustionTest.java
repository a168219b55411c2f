package dev.gort.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Running out of file descriptors: a child JVM ({@link FdExhaustionChild}) serves echo with
 * RLIMIT_NOFILE lowered to a few descriptors above its start-up needs. This test connects more
 * clients than it can hold (plain JDK sockets: the kernel queues them in the backlog), checks the
 * server reports EMFILE yet serves the connections it has, and that every client is served once
 * earlier ones hang up.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FdExhaustionTest {
    static final int CLIENTS = 30;

    @Test
    void serverGetsEmfileAndKeepsServing() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xss1m", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(dev.gort.sys.ForcedGcModes.get().childJvmFlags());     // ./gort test --gc-mode reaches the child
        cmd.addAll(List.of("-cp", cp, FdExhaustionChild.class.getName()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null;) {
                    lines.add(l);
                }
            } catch (Exception ignored) {
                // child gone
            }
        });
        List<Socket> open = new ArrayList<>();
        try {
            int port = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (port < 0 && System.nanoTime() < deadline && child.isAlive()) {
                for (String l : lines) {
                    if (l.startsWith("PORT ")) {
                        port = Integer.parseInt(l.split(" ")[1]);
                    }
                }
                Thread.sleep(20);
            }
            assertTrue(port > 0, "child did not start; output: " + lines);

            Socket[] clients = new Socket[CLIENTS];
            for (int i = 0; i < CLIENTS; i++) {
                clients[i] = new Socket("127.0.0.1", port);
                open.add(clients[i]);
                clients[i].getOutputStream().write(("ping " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
            boolean[] served = new boolean[CLIENTS];
            int firstRound = 0;
            for (int i = 0; i < CLIENTS; i++) {
                // The first connection is accepted before the limit bites: up to 30 s for its echo (a
                // loaded machine's child JVM), then 200 ms each, as the others may wait for a descriptor.
                if (tryEcho(clients[i], i, i == 0 ? 30_000 : 200)) {
                    served[i] = true;
                    firstRound++;
                }
            }
            assertTrue(firstRound >= 1, "the server served nobody; output: " + lines);
            assertTrue(firstRound < CLIENTS, "all " + CLIENTS + " served at once: the descriptor limit did not bite; output: " + lines);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lines.stream().noneMatch(l -> l.startsWith("EMFILE")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            String emfile = lines.stream().filter(l -> l.startsWith("EMFILE")).findFirst().orElse(null);
            assertTrue(emfile != null, "server never reported EMFILE; output: " + lines);
            assertTrue(emfile.contains("too many open files") && emfile.contains("EMFILE"), emfile);

            // Hang up the served clients; the server's freed descriptors let it accept the rest.
            int total = firstRound;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (total < CLIENTS && System.nanoTime() < deadline) {
                for (int i = 0; i < CLIENTS; i++) {
                    if (served[i] && !clients[i].isClosed()) {
                        clients[i].close();
                    }
                }
                for (int i = 0; i < CLIENTS; i++) {
                    if (!served[i] && tryEcho(clients[i], i, 100)) {
                        served[i] = true;
                        total++;
                    }
                }
            }
            assertEquals(CLIENTS, total, "clients served in the end; output: " + lines);
            assertTrue(child.isAlive(), "the server died; output: " + lines);
        } finally {
            for (Socket s : open) {
                s.close();
            }
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            reader.join(2000);
        }
    }

    private static boolean tryEcho(Socket s, int i, int timeoutMs) throws Exception {
        byte[] want = ("ping " + i + "\n").getBytes(StandardCharsets.UTF_8);
        s.setSoTimeout(timeoutMs);
        byte[] got = new byte[want.length];
        int off = 0;
        try {
            while (off < want.length) {
                int n = s.getInputStream().read(got, off, want.length - off);
                if (n < 0) {
                    throw new AssertionError("client " + i + ": server closed the connection");
                }
                off += n;
            }
        } catch (SocketTimeoutException e) {
            if (off != 0) {
                throw new AssertionError("client " + i + ": partial echo", e);
            }
            return false;
        }
        assertEquals(new String(want, StandardCharsets.UTF_8), new String(got, StandardCharsets.UTF_8));
        return true;
    }
}
