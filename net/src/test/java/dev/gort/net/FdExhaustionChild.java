package dev.gort.net;

import dev.gort.sched.FatalHandler;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sched.Time;
import dev.gort.sys.Errno;
import dev.gort.sys.LibCNet;
import dev.gort.sys.NetConstants;
import java.io.File;
import java.time.Duration;

/**
 * Child process of {@link FdExhaustionTest}: an echo server that lowers its own RLIMIT_NOFILE to a
 * few descriptors above what it has open, prints {@code PORT <port>}, then serves. When accept
 * fails with EMFILE it prints {@code EMFILE <message>}, waits 10 ms and tries again (as Go's
 * http.Server does), serving the connections it already has meanwhile.
 */
public final class FdExhaustionChild {
    static final int HEADROOM = 8;

    public static void main(String[] args) {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.EXIT));
        s.run(() -> {
            Listener ln = Listener.listen("127.0.0.1", 0);
            // Warm up every path the exhausted server will take, so no class needs loading (which
            // needs a descriptor) once the limit is reached.
            Go.go(() -> EchoTest.echo(ln.accept()));
            try (Conn c = Conn.dial(ln.address())) {
                c.write(new byte[] {1});
                c.read(new byte[1]);
            }
            System.out.println("warm " + NetException.of("accept", "warm-up", Errno.value("EMFILE")).getClass().getSimpleName());
            Time.sleep(Duration.ofMillis(1));
            int maxFd = 0;
            for (String name : new File("/proc/self/fd").list()) {
                maxFd = Math.max(maxFd, Integer.parseInt(name));
            }
            long limit = maxFd + 1 + HEADROOM;
            LibCNet.setrlimitCur(NetConstants.current().RLIMIT_NOFILE(), limit);
            System.out.println("PORT " + ln.port() + " LIMIT " + limit);
            System.out.flush();
            int emfile = 0;
            for (;;) {
                try {
                    Conn c = ln.accept();
                    Go.go(() -> EchoTest.echo(c));
                } catch (TooManyOpenFilesException e) {
                    if (emfile++ % 50 == 0) {
                        System.out.println("EMFILE " + e.getMessage());
                        System.out.flush();
                    }
                    Time.sleep(Duration.ofMillis(10));
                }
            }
        });
    }
}
