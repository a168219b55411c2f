package dev.gort.net;

import dev.gort.sched.Go;
import dev.gort.sched.Scheduler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.File;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A scheduler's poller ends with its scheduler: the kernel queue is closed at shutdown (no cleaner
 * thread, no descriptor leak), and a Conn closed afterwards does not touch the closed queue.
 * Deadlines fire as runtime timers, without a goroutine per firing.
 */
class NetPollerLifecycleTest {
    static int openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    @Test
    void pollerClosedAtSchedulerShutdownAndConnsClosedLaterAreSafe() {
        AtomicReference<NetPoller> poller = new AtomicReference<>();
        AtomicReference<Scheduler> sched = new AtomicReference<>();
        AtomicReference<Conn> leftOpen = new AtomicReference<>();
        AtomicReference<Listener> listener = new AtomicReference<>();
        NetTesting.run(1, () -> {
            Listener ln = Listener.listen("127.0.0.1", 0);
            listener.set(ln);
            dev.gort.sched.Chan<Conn> accepted = new dev.gort.sched.Chan<>(1);
            Go.go(() -> accepted.send(ln.accept()));
            leftOpen.set(Conn.dial(ln.address()));
            accepted.recv(); // left open too; no goroutine stays parked on the network
            poller.set(NetPoller.current());
            sched.set(Go.scheduler());
            assertEquals(PollerBackend.kindFor(dev.gort.sys.Platform.current().os()), poller.get().backendName());
        });
        NetPoller p = poller.get();
        assertTrue(p.isClosed(), "the scheduler's shutdown closed its poller");
        assertNull(NetPoller.installed(sched.get()), "and forgot it");
        assertTrue(leftOpen.get().isClosed(), "closed by the shutdown (NetAfterRunTest)");
        leftOpen.get().close();          // after shutdown: does nothing (closed with the run)
        listener.get().close();
        assertTrue(leftOpen.get().isClosed());
        ClosedException e = assertThrows(ClosedException.class, () -> p.register(0, "test", new DescNatives()));
        assertTrue(e.getMessage().contains("network poller is closed"), e.getMessage());
        p.wakeup();                      // does nothing once closed
        assertEquals(0, p.poll(0, null));
        p.close();                       // idempotent
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("gort-net-cleaner")),
                "no cleaner thread lingers");
    }

    /** 20 schedulers that each touched the network leave no epoll/eventfd descriptors behind. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void noDescriptorLeakAcrossSchedulers() {
        Runnable once = () -> NetTesting.run(1, () -> {
            try (Listener ln = Listener.listen("127.0.0.1", 0)) {
                Go.go(() -> {
                    try (Conn c = ln.accept()) {
                        c.write(new byte[] {42});
                    }
                });
                try (Conn c = Conn.dial(ln.address())) {
                    assertEquals(1, c.read(new byte[4]));
                }
            }
        });
        once.run(); // warm-up: the JVM's own lazily opened files
        int before = openFds();
        for (int i = 0; i < 20; i++) {
            once.run();
        }
        int after = openFds();
        assertTrue(after - before < 10, "open descriptors grew from " + before + " to " + after + " over 20 schedulers");
    }

    /** Go's netpoll deadlines are runtime timers: firing one starts no goroutine. */
    @Test
    void deadlineFiresWithoutStartingAGoroutine() {
        NetTesting.run(1, () -> {
            try (Listener ln = Listener.listen("127.0.0.1", 0)) {
                dev.gort.sched.Chan<Conn> accepted = new dev.gort.sched.Chan<>(1);
                Go.go(() -> accepted.send(ln.accept()));
                try (Conn c = Conn.dial(ln.address()); Conn s = accepted.recv()) {
                    long started = Go.scheduler().goroutinesStarted();
                    for (int i = 0; i < 5; i++) {
                        c.setReadTimeout(Duration.ofMillis(10));
                        assertThrows(DeadlineExceededException.class, () -> c.read(new byte[4]));
                    }
                    assertEquals(started, Go.scheduler().goroutinesStarted(), "deadline firings started goroutines");
                }
            }
        });
    }

    /**
     * main returns while goroutines are parked in accept, in read and queued on the read lock;
     * closing those descriptors afterwards (an embedder's finally) must not ready goroutines of
     * the ended scheduler (their memory is freed): close succeeds and nothing is touched.
     */
    @Test
    void closingDescriptorsWithGoroutinesParkedAfterShutdownIsSafe() {
        AtomicReference<Listener> listener = new AtomicReference<>();
        AtomicReference<Conn> conn = new AtomicReference<>();
        NetTesting.run(2, () -> {
            Listener ln = Listener.listen("127.0.0.1", 0);
            listener.set(ln);
            dev.gort.sched.Chan<Conn> accepted = new dev.gort.sched.Chan<>(1);
            Go.go(() -> accepted.send(ln.accept()));
            Conn c = Conn.dial(ln.address());
            accepted.recv();
            conn.set(c);
            Go.go(() -> ln.accept());            // parked in accept
            for (int i = 0; i < 2; i++) {
                Go.go(() -> c.read(new byte[4])); // one parked in read, one queued on the read lock
            }
            dev.gort.sched.Time.sleep(Duration.ofMillis(50));
            assertEquals(1, c.pdForTest().readLock.waiting());
        });
        conn.get().close();
        listener.get().close();
        assertTrue(conn.get().isClosed());
        assertTrue(listener.get().isClosed());
    }

    /** Platform threads' deadlines run on a shared timer thread that ends once no deadline is pending. */
    @Test
    void platformThreadDeadlineThreadEndsWhenIdle() throws Exception {
        try (Listener ln = Listener.listen("127.0.0.1", 0)) {
            Thread acceptor = Thread.ofPlatform().start(() -> {
                try (Conn c = ln.accept()) {
                    c.read(new byte[1]); // until the client closes
                }
            });
            try (Conn c = Conn.dial(ln.address())) {
                c.setReadTimeout(Duration.ofMillis(20));
                assertThrows(DeadlineExceededException.class, () -> c.read(new byte[4]));
                assertTrue(deadlineThreadAlive(), "the deadline ran on the shared timer thread");
            }
            acceptor.join(60_000);
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (deadlineThreadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(deadlineThreadAlive(), "gort-net-deadlines still alive 10 s after the last deadline");
    }

    static boolean deadlineThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals("gort-net-deadlines"));
    }
}
