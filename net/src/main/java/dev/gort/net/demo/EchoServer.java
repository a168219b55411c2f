package dev.gort.net.demo;

import dev.gort.net.Conn;
import dev.gort.net.Listener;
import dev.gort.net.NetException;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;

/** {@code ./gort echo-server --port N}: a goroutine-per-connection TCP echo server. */
public final class EchoServer {
    private EchoServer() {
    }

    public static void main(String[] args) {
        ServerArgs a = ServerArgs.parse("echo-server", args);
        SchedConfig cfg = SchedConfig.fromEnvironment();
        try (Scheduler s = Scheduler.create(cfg)) {
            s.run(() -> {
                Listener ln = ServerArgs.listenOrExit("echo-server", a);
                System.out.println("gort echo-server listening on " + ln.address().getAddress().getHostAddress() + ":" + ln.port()
                        + " (GOMAXPROCS=" + s.gomaxprocs() + ")");
                System.out.flush();
                AcceptLoop.serve(ln, EchoServer::echo);
            });
        }
    }

    /** Echoes until the peer closes; errors end only this connection. */
    static void echo(Conn c) {
        byte[] buf = new byte[16 * 1024];
        try (c) {
            for (;;) {
                int n = c.read(buf);
                if (n < 0) {
                    return;
                }
                c.write(buf, 0, n);
            }
        } catch (NetException e) {
            // reset, closed: this connection is over; the server goes on
        }
        Go.gosched();
    }
}
