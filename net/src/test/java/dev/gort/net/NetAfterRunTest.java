package dev.gort.net;

import dev.gort.sched.Chan;
import dev.gort.sched.Go;
import dev.gort.sched.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The network at a run's edges: connections and listeners the program left open are closed when
 * the run ends (Go's process exit closes every descriptor; before, they stayed open in an embedder's
 * JVM: 3 sockets a run in session 25's probe); a wait inside Go.syscall is served by the
 * scheduler's own pollers, without a helper thread that blocked in the same kernel wait as the
 * idle M for the rest of the run.
 */
class NetAfterRunTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void connectionsAndListenersLeftOpenAreClosedWhenTheRunEnds() {
        int before = NetPollerLifecycleTest.openFds();
        AtomicReference<Listener> listener = new AtomicReference<>();
        AtomicReference<Conn> client = new AtomicReference<>();
        AtomicReference<Conn> server = new AtomicReference<>();
        AtomicReference<Throwable> parkedReader = new AtomicReference<>();
        AtomicReference<NetPoller> poller = new AtomicReference<>();
        for (int run = 0; run < 5; run++) {
            NetTesting.run(2, () -> {
                Listener ln = Listener.listen("127.0.0.1", 0);
                listener.set(ln);
                Chan<Conn> accepted = new Chan<>(1);
                Go.go(() -> accepted.send(ln.accept()));
                Conn c = Conn.dial(ln.address());
                client.set(c);
                Conn sv = accepted.recv();
                server.set(sv);
                Go.go(() -> {
                    try {
                        sv.read(new byte[8]);       // parked on I/O when main returns: abandoned
                    } catch (Throwable t) {
                        parkedReader.set(t);
                    }
                });
                Go.go(() -> {
                    try {
                        ln.accept();                // a listener with a goroutine parked on it
                    } catch (Throwable t) {
                        parkedReader.set(t);
                    }
                });
                for (int i = 0; i < 20; i++) {
                    Go.gosched();
                }
                poller.set(NetPoller.current());
                assertEquals(3, poller.get().registered(), "listener, client and server side registered");
            });
            assertTrue(client.get().isClosed(), "a connection the program left open was closed at the end of run " + run);
            assertTrue(server.get().isClosed(), "and its peer (a goroutine parked on it)");
            assertTrue(listener.get().isClosed(), "and the listener");
            assertEquals(0, poller.get().registered());
            ClosedException e = assertThrows(ClosedException.class, () -> client.get().write(new byte[1]));
            assertTrue(e.getMessage().contains("use of closed network connection"), e.getMessage());
            client.get().close();                   // closing again after the run does nothing
        }
        assertNull(parkedReader.get(), "the abandoned goroutines never ran again");
        int after = NetPollerLifecycleTest.openFds();
        assertTrue(after - before < 5, "descriptors open before 5 runs that each left 3 sockets open: " + before + ", after: " + after);
    }

    /**
     * A goroutine reading inside Go.syscall waits as a thread: the scheduler's Ms poll for it (the
     * wait counts in hasWaiters), no helper thread is started for the scheduler's poller (before:
     * one was, and it blocked in the kernel wait beside the idle M for the rest of the run, where
     * it could drain a wake-up meant for the M), and a timer reset from another thread while the
     * idle M waits on the network still fires on time.
     */
    @Test
    void aWaitInsideSyscallIsPolledByTheSchedulerAndLeavesNoHelperCompetingWithTheIdleM() throws Exception {
        AtomicReference<NetPoller> poller = new AtomicReference<>();
        AtomicLong lateNanos = new AtomicLong(-1);
        byte[] got = new byte[4];
        NetTesting.run(1, () -> {
            try (Listener ln = Listener.listen("127.0.0.1", 0)) {
                Chan<Conn> accepted = new Chan<>(2);
                Go.go(() -> accepted.send(ln.accept()));
                Go.go(() -> accepted.send(ln.accept()));
                Conn a = Conn.dial(ln.address());
                Conn b = accepted.recv();
                Conn c = Conn.dial(ln.address());
                Conn d = accepted.recv();
                poller.set(NetPoller.current());
                Go.go(() -> {
                    Time.sleep(Duration.ofMillis(50));
                    b.write(new byte[] {1, 2, 3, 4});
                });
                int n;
                try {
                    n = Go.syscall(() -> a.read(got));      // waits as a thread: its M holds no P
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                assertEquals(4, n);
                assertNull(poller.get().helperThread(), "no helper thread for the scheduler's poller");
                assertEquals(0, poller.get().threadWaiters());
                // The idle M now blocks in the kernel wait (a goroutine parked on d) until a far timer;
                // another thread resets that timer to 50 ms: the M must wake for it.
                Go.go(() -> {
                    try {
                        d.read(new byte[1]);
                    } catch (ClosedException e) {
                        // closed at the end of the run
                    }
                });
                Chan<Long> fired = new Chan<>(1);
                Time.GoTimer timer = Time.afterFunc(Duration.ofSeconds(20), () -> fired.offer(System.nanoTime()));
                long[] resetAt = new long[1];
                Thread resetter = new Thread(() -> {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return;
                    }
                    resetAt[0] = System.nanoTime();
                    timer.reset(Duration.ofMillis(50));
                }, "timer-resetter");
                resetter.start();
                long firedAt = fired.recv();
                try {
                    resetter.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                lateNanos.set(firedAt - resetAt[0] - 50_000_000L);
                c.close();
            }
        });
        assertArrayEquals(new byte[] {1, 2, 3, 4}, got);
        assertTrue(lateNanos.get() < 5_000_000_000L, "the reset timer fired " + lateNanos.get() / 1_000_000
                + " ms late (its old deadline was 20 s)");
    }
}
