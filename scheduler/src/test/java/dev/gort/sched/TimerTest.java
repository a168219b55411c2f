package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class TimerTest {

    @Test
    void hundredThousandTimersFireInOrderAndNeverEarly() {
        int n = Integer.getInteger("gort.stress.timers", 100_000);
        long[] when = new long[n];
        long[] firedAt = new long[n];
        int[] order = new int[n];
        AtomicInteger fired = new AtomicInteger();
        SchedTesting.run(1, () -> {
            Chan<Boolean> done = new Chan<>(1);
            TimerFunc f = (arg, now) -> {
                int i = (Integer) arg;
                firedAt[i] = System.nanoTime();
                int k = fired.getAndIncrement();
                order[k] = i;
                if (k == n - 1) {
                    done.offer(true);
                }
            };
            SplittableRandom r = new SplittableRandom(42);
            for (int i = 0; i < n; i++) {
                long delay = r.nextLong(200_000_000L);
                Timer t = Time.startTimer(f, i, delay, 0);
                when[i] = t.when;
            }
            Go.scheduler().p(0).timers.verify();
            done.recv();
        });
        assertEquals(n, fired.get());
        for (int k = 0; k < n; k++) {
            int i = order[k];
            assertTrue(firedAt[i] >= when[i], "timer " + i + " fired " + (when[i] - firedAt[i]) + " ns early");
            if (k > 0) {
                assertTrue(when[order[k - 1]] <= when[i], "timer order broken at " + k);
            }
        }
    }

    @Test
    void sleepIsNeverShortAndAccuracyIsReported() {
        int rounds = 20;
        long want = 10_000_000L;
        long[] over = new long[rounds];
        SchedTesting.run(2, () -> {
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                Time.sleep(Duration.ofNanos(want));
                over[i] = System.nanoTime() - t0 - want;
            }
        });
        long sum = 0;
        long max = 0;
        for (long o : over) {
            assertTrue(o >= 0, "slept " + (-o) + " ns too short");
            sum += o;
            max = Math.max(max, o);
        }
        System.out.printf("sleep(10ms) accuracy: mean overshoot %.1f us, max %.1f us over %d sleeps%n",
                sum / 1e3 / rounds, max / 1e3, rounds);
    }

    @Test
    void afterTickerStopAndAfterFunc() {
        SchedTesting.run(2, () -> {
            long t0 = System.nanoTime();
            long firedAt = Time.after(Duration.ofMillis(30)).recv();
            assertTrue(firedAt - t0 >= 30_000_000L);
            assertTrue(System.nanoTime() - t0 >= 30_000_000L);

            Time.GoTimer ticker = Time.newTicker(Duration.ofMillis(5));
            long prev = 0;
            for (int i = 0; i < 5; i++) {
                long t = ticker.c().recv();
                assertTrue(t > prev);
                prev = t;
            }
            assertTrue(ticker.stop());

            Time.GoTimer stopped = Time.newTimer(Duration.ofMillis(40));
            assertTrue(stopped.stop(), "stop of an active timer reports true");
            assertFalse(stopped.stop());
            Select s = new Select().recv(stopped.c()).recv(Time.after(Duration.ofMillis(80)));
            assertEquals(1, s.select(), "a stopped timer never fires");

            Chan<Long> ran = new Chan<>(1);
            Time.afterFunc(Duration.ofMillis(10), () -> ran.send(Go.current().goid()));
            assertTrue(ran.recv() > 1, "afterFunc runs in its own goroutine");
        });
    }

    @Test
    void sleepingGoroutinesAreNotADeadlock() {
        AtomicInteger woke = new AtomicInteger();
        SchedTesting.run(2, () -> {
            Chan<Boolean> done = new Chan<>();
            for (int i = 0; i < 3; i++) {
                int ms = 20 * (i + 1);
                Go.go(() -> {
                    Time.sleep(Duration.ofMillis(ms));
                    woke.incrementAndGet();
                    done.send(true);
                });
            }
            for (int i = 0; i < 3; i++) {
                done.recv();
            }
        });
        assertEquals(3, woke.get());
    }
}
