package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Gort;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * review32's finding with the whole runtime (its sysmon, no retaker thread): a timer set from a
 * plain thread while every P is idle, whose wake-up's startm fails every time that thread calls it
 * (injected through {@code MPool.faultForTest}, a test seam of the scheduler's package, hence this
 * test's package). Only sysmon can start the M: on lead33 its rounds looked at the global run queue
 * only (empty here) and it slept deeply, so the timer waited its 60 s guard. Now the failure owes
 * a wake-up that sysmon's next round pays.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SysmonOwedWakeUpTest {

    private static final String OUTSIDE = "outside-timer-reset";

    @Test
    void sysmonFiresATimerSetFromAPlainThreadWhoseWakeUpKeepsFailingThere() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<Throwable> fromReset = new AtomicReference<>();
        AtomicReference<String> state = new AtomicReference<>("");
        CountDownLatch fired = new CountDownLatch(1);
        boolean[] ran = new boolean[1];
        int code = Gort.run(new String[0], args -> {
            Scheduler s = Go.scheduler();
            Time.GoTimer t = Time.afterFunc(Duration.ofHours(1), fired::countDown);
            t.stop();
            Go.syscall(() -> {
                s.retake(0, true);      // main's P handed off now (sysmon would, later): every P idle
                long deadline = System.nanoTime() + 60_000_000_000L;
                while ((s.idleProcs() != s.gomaxprocs() || s.spinningThreads() != 0 || s.polling.get())
                        && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                state.set("idle Ps " + s.idleProcs() + " of " + s.gomaxprocs());
                s.mpool.faultForTest = where -> {
                    if (Thread.currentThread().getName().equals(OUTSIDE)) {
                        faults.incrementAndGet();
                        throw new IllegalStateException("injected fault at " + where);
                    }
                };
                Thread outside = new Thread(() -> {
                    try {
                        t.reset(Duration.ofMillis(1));      // its wake-up (and every retry it makes) fails
                    } catch (Throwable e) {
                        fromReset.set(e);
                    }
                }, OUTSIDE);
                outside.setDaemon(true);
                outside.start();
                try {
                    ran[0] = fired.await(60, TimeUnit.SECONDS);
                    outside.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.mpool.faultForTest = null;
            });
        }, new Gort.Options()
                .settings(Map.of("GOMAXPROCS", "1"), Map.of())
                .stderr(new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals("idle Ps 1 of 1", state.get());
        assertTrue(ran[0], "sysmon started an M for the timer whose wake-up failed on the plain thread that set it"
                + " (faults " + faults.get() + ")");
        assertTrue(faults.get() >= 1, "the plain thread's wake-up called startm, which failed");
        assertNull(fromReset.get(), "the reset threw its timer's failed wake-up");
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    }
}
