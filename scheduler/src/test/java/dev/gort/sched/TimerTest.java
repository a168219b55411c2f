package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class TimerTest {
    /** Timer.pp read as the stopper's code reads it, but volatile: each look in the loop is a real read. */
    private static final java.lang.invoke.VarHandle TIMER_PP;

    static {
        try {
            TIMER_PP = java.lang.invoke.MethodHandles.privateLookupIn(Timer.class, java.lang.invoke.MethodHandles.lookup())
                    .findVarHandle(Timer.class, "pp", P.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }


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

    /**
     * Go's "forever" durations: a when past the clock's range saturates (Go's when(): a negative
     * sum becomes maxWhen), so such a timer never fires; a Duration beyond what nanoseconds hold
     * means the same, not an ArithmeticException.
     */
    @Test
    void aNullDurationIsRefusedNamingWhatIsAccepted() {
        SchedTesting.run(1, () -> {
            for (Runnable call : List.<Runnable>of(() -> Time.sleep(null), () -> Time.newTimer(null),
                    () -> Time.newTicker(null), () -> Time.afterFunc(null, () -> { }))) {
                NullPointerException e = org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class, call::run);
                assertTrue(e.getMessage() != null && e.getMessage().contains("accepted: any Duration"), String.valueOf(e.getMessage()));
            }
            Time.sleep(Duration.ofMillis(1));      // the goroutine and its timers still work
        });
    }

    @Test
    void timersForTheLongestDurationsNeverFireAndDoNotThrow() {
        AtomicBoolean funcRan = new AtomicBoolean();
        AtomicBoolean sleeperWoke = new AtomicBoolean();
        SchedTesting.run(1, () -> {
            Duration maxNanos = Duration.ofNanos(Long.MAX_VALUE);
            Duration beyondNanos = Duration.ofSeconds(Long.MAX_VALUE);
            List<Time.GoTimer> channelTimers = List.of(Time.newTimer(maxNanos), Time.newTimer(beyondNanos),
                    Time.newTicker(maxNanos), Time.newTicker(beyondNanos));
            Time.GoTimer func = Time.afterFunc(maxNanos, () -> funcRan.set(true));
            Time.GoTimer reset = Time.newTimer(Duration.ofMillis(1));
            reset.reset(beyondNanos);
            Go.go(() -> {
                Time.sleep(beyondNanos);
                sleeperWoke.set(true);
            });
            Time.sleep(Duration.ofMillis(50));
            for (Time.GoTimer t : channelTimers) {
                assertEquals(0, t.c().len(), "a timer set for the longest duration fired");
                assertTrue(t.stop(), "a timer set for the longest duration is still pending");
            }
            assertEquals(0, reset.c().len(), "a timer reset to the longest duration fired");
            assertTrue(reset.stop());
            assertTrue(func.stop(), "afterFunc for the longest duration is still pending");
        });
        assertFalse(funcRan.get(), "afterFunc for the longest duration ran");
        assertFalse(sleeperWoke.get(), "a sleep for a Duration beyond nanoseconds' range returned");
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

    /**
     * Two Ms run one P's due timers at once (its own M, a stealing one): the first takes a ticker's
     * firing (now 100) and is held before it runs it; meanwhile the ticker is due again for the
     * second (now 200). The second firing must not run before the first (a ticker's channel would
     * receive 200 and then 100: TimerTest's tick order failed so at load 40-50): it runs after it,
     * or is dropped if it ran first. Fails without the timer's fire lock: [200, 100].
     */
    @Test
    void aTickersFiringsRunInOrderWhenTwoMsRunItsHeap() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        TimerHeap heap = s.p(0).timers;
        List<Long> sent = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean firstFiring = new AtomicBoolean(true);
        AtomicReference<Thread> second = new AtomicReference<>();
        AtomicReference<String> err = new AtomicReference<>();
        Timer t = new Timer((arg, now) -> {
            if (firstFiring.compareAndSet(true, false)) {
                Thread m2 = new Thread(() -> heap.runDue(200), "second-m");
                second.set(m2);
                m2.start();
                long giveUp = System.nanoTime() + 60_000_000_000L;
                while (heap.nextWhen() <= 200) {     // the second M has not yet taken its firing
                    if (System.nanoTime() - giveUp > 0) {
                        err.set("the second M did not take the ticker's next firing in 60 s");
                        break;
                    }
                    Thread.yield();
                }
                // Unordered, the second firing runs now, on the other thread: give it the time.
                long until = System.nanoTime() + 300_000_000L;
                while (sent.isEmpty() && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
            }
            sent.add(now);
        }, null);
        t.when = 100;
        t.period = 10;
        heap.add(t);
        assertEquals(1, heap.runDue(100));
        second.get().join(60_000);
        assertEquals(null, err.get());
        assertFalse(second.get().isAlive());
        assertEquals(List.of(100L, 200L), sent, "the ticker's firings, in the order they ran");
        assertTrue(heap.remove(t), "a ticker stays in its heap");
        s.close();
    }

    /**
     * While a ticker fires, over and over, another thread reading its heap (as stopTimer does,
     * without the heap's lock) always finds it in one: a periodic timer is rescheduled in place.
     * When it was taken out and pushed back, a stop in between saw it in no heap, reported it
     * stopped (false) and left it firing.
     */
    @Test
    void aFiringTickerIsAlwaysInItsHeap() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        TimerHeap heap = s.p(0).timers;
        Timer t = new Timer((arg, now) -> { }, null);
        t.when = 1;
        t.period = 1;
        heap.add(t);
        AtomicBoolean running = new AtomicBoolean(true);
        Thread firing = new Thread(() -> {
            for (long now = 1; running.get(); now++) {
                heap.runDue(now);
            }
        }, "firing");
        firing.start();
        long seen = 0;
        long missing = 0;
        long end = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() - end < 0) {
            if (TIMER_PP.getVolatile(t) == null) {     // a plain read could be hoisted out of the loop
                missing++;
            }
            seen++;
        }
        running.set(false);
        firing.join();
        assertEquals(0, missing, "looks that found the ticker in no heap, of " + seen);
        assertTrue(heap.remove(t));
        s.close();
    }
}
