package dev.gort;

import dev.gort.net.Conn;
import dev.gort.net.Listener;
import dev.gort.gc.PtrChan;
import dev.gort.sched.Chan;
import dev.gort.sched.Select;
import dev.gort.sync.Mutex;
import dev.gort.sync.WaitGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Code inside {@code Gort.syscall} runs on an M that holds no P. Waiting there through
 * dev.gort.sync or a net connection blocks the thread (as the blocking call it is in does) and
 * works; a scheduler operation that needs a P (channel, select, sleep, gosched, a nested syscall)
 * is refused with an IllegalStateException naming the call, before anything changed. Before,
 * either one parked a goroutine without a P: the scheduler died ("fatal error: scheduler failure
 * on M1: stopm holding P1", exit 2).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BlockingInsideSyscallTest {
    private static int run(GoMain main, ByteArrayOutputStream err) {
        return Gort.run(new String[0], main, new Gort.Options()
                .settings(Map.of("GOMAXPROCS", "2"), Map.of())
                .stderr(new PrintStream(err, true, StandardCharsets.UTF_8)));
    }

    @Test
    void syncTypesAndConnectionsWaitAsThreadsInsideASyscall() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicInteger steps = new AtomicInteger();
        int code = run(args -> {
            Mutex m = new Mutex();
            m.lock();
            WaitGroup inner = new WaitGroup();
            inner.add(1);
            WaitGroup done = new WaitGroup();
            done.add(1);
            Gort.go(() -> {
                Gort.syscall(() -> {
                    m.lock();          // held by main: waits (the thread parks) until main unlocks
                    steps.incrementAndGet();
                    m.unlock();
                    inner.await();     // counter 1 until main's done() below
                    steps.incrementAndGet();
                });
                done.done();
            });
            Gort.sleep(Duration.ofMillis(30)); // the other goroutine waits for m inside its syscall
            m.unlock();
            Gort.sleep(Duration.ofMillis(10));
            inner.done();
            done.await();
            assertEquals(2, steps.get());

            try (Listener ln = Listener.listen("127.0.0.1", 0)) {
                Chan<Conn> accepted = new Chan<>(1);
                Gort.go(() -> accepted.send(ln.accept()));
                try (Conn client = Conn.dial("127.0.0.1", ln.port()); Conn server = accepted.recv()) {
                    Gort.go(() -> {
                        Gort.sleep(Duration.ofMillis(20));
                        client.write("ping".getBytes(StandardCharsets.UTF_8));
                    });
                    byte[] buf = new byte[16];
                    int n = Gort.syscall(() -> server.read(buf)); // no data yet: waits as a thread
                    assertEquals("ping", new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            }
        }, err);
        assertEquals(0, code, "stderr: " + err);
    }

    @Test
    void schedulerOperationsInsideASyscallAreRefusedAndTheRuntimeStaysUsable() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = run(args -> {
            Chan<Integer> c = new Chan<>(1);
            Chan<Integer> unbuffered = new Chan<>();
            refused("sleep", () -> Gort.syscall(() -> Gort.sleep(Duration.ofMillis(1))));
            refused("recv", () -> Gort.syscall(() -> {
                c.recv();
            }));
            refused("send", () -> Gort.syscall(() -> unbuffered.send(1)));
            refused("select", () -> Gort.syscall(() -> {
                new Select().recv(c).recv(unbuffered).select();
            }));
            refused("gosched", () -> Gort.syscall(() -> Gort.gosched()));
            refused("nested syscall", () -> Gort.syscall(() -> Gort.syscall(() -> { })));
            PtrChan pointers = PtrChan.create(Gort.collector(), 1);
            refused("pointer channel recv", () -> Gort.syscall(() -> {
                pointers.recv();
            }));
            refused("pointer channel send", () -> Gort.syscall(() -> pointers.send(0)));
            // Nothing changed: the channels and the scheduler work as before.
            Gort.go(() -> unbuffered.send(7));
            assertEquals(7, unbuffered.recv());
            c.send(1);
            assertEquals(1, c.recv());
            Gort.sleep(Duration.ofMillis(1));
            Gort.gosched();
            assertEquals(42, (int) Gort.syscall(() -> 42));
            pointers.send(0);
            assertEquals(0, pointers.recv());
            pointers.close();
            pointers.free();
        }, err);
        assertEquals(0, code, "stderr: " + err);
        // The next run boots and ends as usual.
        assertEquals(0, run(args -> Gort.sleep(Duration.ofMillis(1)), err), "stderr: " + err);
    }

    private static void refused(String what, Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, what + " inside Gort.syscall");
        assertTrue(e.getMessage().contains("inside Gort.syscall") && e.getMessage().contains("accepted there"),
                what + ": " + e.getMessage());
    }
}
