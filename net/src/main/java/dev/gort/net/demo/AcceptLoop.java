package dev.gort.net.demo;

import dev.gort.net.ClosedException;
import dev.gort.net.Conn;
import dev.gort.net.Listener;
import dev.gort.net.TooManyOpenFilesException;
import dev.gort.sched.Go;
import dev.gort.sched.Time;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Goroutine per connection, as Go's http.Server: accept, start {@code handler} on the new
 * connection, repeat. Out of descriptors, it waits 5 ms, doubling up to 1 s, and tries again
 * (Go's tempDelay), serving the connections it has meanwhile.
 */
final class AcceptLoop {
    private AcceptLoop() {
    }

    static void serve(Listener ln, Consumer<Conn> handler) {
        long delayMs = 0;
        for (;;) {
            Conn c;
            try {
                c = ln.accept();
            } catch (TooManyOpenFilesException e) {
                delayMs = delayMs == 0 ? 5 : Math.min(1000, delayMs * 2);
                System.err.println("gort: accept error: " + e.getMessage() + "; retrying in " + delayMs + " ms");
                Time.sleep(Duration.ofMillis(delayMs));
                continue;
            } catch (ClosedException e) {
                return;
            }
            delayMs = 0;
            Go.go(() -> handler.accept(c));
        }
    }
}
