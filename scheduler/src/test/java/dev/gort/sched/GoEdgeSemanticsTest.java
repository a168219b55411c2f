package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Session 31's audit of channels, select and timers at the edges of Go's specification (the Go
 * spec's "Close", "Send statements", "Receive operator", "Select statements"; src/runtime/chan.go,
 * select.go; src/time/sleep.go, tick.go). Cases that ChanTest, ChanRaceTest and TimerTest already
 * pin down are not repeated here. No assertion depends on how long something took: waits are for
 * a state that must come, with a 60 s guard.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GoEdgeSemanticsTest {
    private static final Duration GUARD = Duration.ofSeconds(60);

    /** Receives from {@code c}, or fails naming {@code what} if nothing came within the guard. */
    private static <T> T recvOrFail(Chan<T> c, String what) {
        Select s = new Select().recv(c).recv(Time.after(GUARD));
        if (s.select() != 0) {
            throw new AssertionError(what + " did not come within " + GUARD.toSeconds() + " s");
        }
        @SuppressWarnings("unchecked")
        T v = (T) s.value();
        return v;
    }

    /**
     * Go's Ticker.Reset(d) "stops a ticker and resets its period to the specified duration": after
     * a reset from one hour to 2 ms, ticks come every 2 ms. Before session 31 gort kept the old period,
     * so the tick after the first came an hour later.
     */
    @Test
    void tickerResetChangesThePeriod() {
        SchedTesting.run(2, () -> {
            Time.GoTimer ticker = Time.newTicker(Duration.ofHours(1));
            ticker.reset(Duration.ofMillis(2));
            for (int i = 0; i < 3; i++) {
                recvOrFail(ticker.c(), "tick " + (i + 1) + " after reset(2 ms) of a 1 h ticker");
            }
            ticker.stop();
        });
    }

    /**
     * Go's Ticker.Reset panics "non-positive interval for Ticker.Reset" for d <= 0, as NewTicker
     * does for its interval; gort refuses such a reset with an IllegalArgumentException naming what
     * is accepted, and the ticker keeps its old period. Before, a reset to zero made a ticker fire at
     * once and then at the old period.
     */
    @Test
    void tickerResetToANonPositiveIntervalIsRefusedAndTheTickerKeepsRunning() {
        SchedTesting.run(2, () -> {
            Time.GoTimer ticker = Time.newTicker(Duration.ofMillis(2));
            for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofMillis(-5)}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ticker.reset(bad));
                assertTrue(e.getMessage().contains("non-positive interval for Ticker.Reset")
                        && e.getMessage().contains("accepted: a positive Duration"), e.getMessage());
            }
            for (int i = 0; i < 3; i++) {
                recvOrFail(ticker.c(), "tick " + (i + 1) + " after a refused reset");
            }
            ticker.stop();
        });
    }

    /**
     * Time.afterFunc(d, null): Go fails when the timer fires ("go of nil func value", fatal, far from
     * the call). gort refuses it at the call, naming the argument; the runtime stays usable. Before,
     * the call returned and the firing threw from the M that ran the timer heap.
     */
    @Test
    void aNullTimerFunctionIsRefusedAtTheCall() {
        SchedTesting.run(2, () -> {
            NullPointerException e = assertThrows(NullPointerException.class,
                    () -> Time.afterFunc(Duration.ofMillis(1), null));
            assertTrue(e.getMessage() != null && e.getMessage().contains("afterFunc")
                    && e.getMessage().contains("accepted"), String.valueOf(e.getMessage()));
            NullPointerException r = assertThrows(NullPointerException.class,
                    () -> Time.runtimeTimer(Duration.ofMillis(1), null, "arg"));
            assertTrue(r.getMessage() != null && r.getMessage().contains("runtimeTimer"), String.valueOf(r.getMessage()));
            Time.sleep(Duration.ofMillis(5));           // past both deadlines: nothing was left to fire
            Chan<Boolean> ran = new Chan<>(1);
            Time.afterFunc(Duration.ofMillis(1), () -> ran.send(true));
            assertTrue(recvOrFail(ran, "an afterFunc after the refused ones"));
        });
    }

    /**
     * Stop and Reset return values as Go before 1.23 (and Go 1.23+ under GODEBUG asynctimerchan=1),
     * which gort implements: the timer channel has capacity 1, a firing nobody received stays in it,
     * and Stop after such a firing returns false. Go 1.23's synchronous timer channels (Stop drains,
     * cap 0) are not implemented; README says so.
     */
    @Test
    void stopAndResetReturnValuesAreGoPre123() {
        SchedTesting.run(2, () -> {
            Time.GoTimer t = Time.newTimer(Duration.ofHours(1));
            assertTrue(t.stop(), "stop of a pending timer");
            assertFalse(t.stop(), "stop of a stopped timer");
            assertFalse(t.reset(Duration.ofMillis(1)), "reset of a stopped timer");
            recvOrFail(t.c(), "the firing after reset");
            assertFalse(t.stop(), "stop after the firing was received");
            assertFalse(t.reset(Duration.ofHours(1)), "reset of a fired timer");
            assertTrue(t.reset(Duration.ofMillis(1)), "reset of a pending timer");
            while (t.c().len() == 0) {                  // fired, not received
                Time.sleep(Duration.ofMillis(1));
            }
            assertFalse(t.stop(), "stop after an unreceived firing (Go < 1.23)");
            assertEquals(1, t.c().len(), "the unreceived value stays in the channel (Go < 1.23)");
            assertEquals(1, t.c().cap());
        });
    }

    /** Zero and negative durations fire at once (Go's when(): d <= 0 means now); a ticker refuses them. */
    @Test
    void zeroAndNegativeDurations() {
        SchedTesting.run(2, () -> {
            Time.sleep(Duration.ZERO);
            Time.sleep(Duration.ofSeconds(-1));
            recvOrFail(Time.after(Duration.ZERO), "time.After(0)");
            recvOrFail(Time.newTimer(Duration.ofMillis(-3)).c(), "NewTimer(-3 ms)");
            Chan<Boolean> ran = new Chan<>(1);
            Time.afterFunc(Duration.ofNanos(-1), () -> ran.send(true));
            assertTrue(recvOrFail(ran, "AfterFunc(-1 ns)"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Time.newTicker(Duration.ZERO));
            assertTrue(e.getMessage().contains("non-positive interval for newTicker"), e.getMessage());
        });
    }

    /**
     * Many timers with one deadline all fire, in the order they were set (the heap breaks ties by
     * insertion), while the goroutine that waits for them is parked.
     */
    @Test
    void timersWithTheSameDeadlineAllFireInInsertionOrder() {
        int n = 2_000;
        int[] order = new int[n];
        AtomicInteger fired = new AtomicInteger();
        SchedTesting.run(1, () -> {
            Chan<Boolean> done = new Chan<>(1);
            TimerFunc f = (arg, now) -> {
                int k = fired.getAndIncrement();
                order[k] = (Integer) arg;
                if (k == n - 1) {
                    done.offer(true);
                }
            };
            M mp = Scheduler.currentM();
            long when = System.nanoTime() + 5_000_000L;
            for (int i = 0; i < n; i++) {
                mp.sched.addTimer(new Timer(f, i), when, 0);
            }
            assertTrue(recvOrFail(done, "the last of " + n + " timers with one deadline"));
        });
        assertEquals(n, fired.get());
        for (int k = 0; k < n; k++) {
            assertEquals(k, order[k], "firing " + k);
        }
    }

    /**
     * A select whose only cases are nil channels, with no default, blocks forever (Go spec: "a nil
     * channel is never ready"); with nothing else able to wake it, that is the runtime's deadlock.
     */
    @Test
    void aSelectOfOnlyNilChannelsBlocksForeverAndIsADeadlock() {
        FatalError e = assertThrows(FatalError.class, () -> SchedTesting.run(2, () -> {
            new Select().recv(null).send(null, 1).select();
            throw new AssertionError("a select of nil channels returned");
        }));
        assertTrue(e.getMessage().contains("all goroutines are asleep - deadlock!"), e.getMessage());
    }

    /**
     * Select's choice is uniform among ready cases (Go's random poll order): three ready cases,
     * one of them a closed channel, and a nil case that must never be taken; 30,000 selects with
     * each count within 10 % of a third (the expected deviation is about 0.5 %).
     */
    @Test
    void selectChoosesUniformlyAmongThreeReadyCases() {
        int rounds = 30_000;
        int[] counts = new int[4];
        SchedTesting.run(1, () -> {
            Chan<Integer> a = new Chan<>(1);
            Chan<Integer> b = new Chan<>(1);
            Chan<Integer> closed = new Chan<>();
            closed.close();
            for (int r = 0; r < rounds; r++) {
                a.trySend(1);
                b.trySend(2);
                Select s = new Select().recv(a).recv(null).recv(closed).recv(b);
                counts[s.select()]++;
            }
        });
        assertEquals(0, counts[1], "the nil case was taken");
        for (int i : new int[] {0, 2, 3}) {
            assertTrue(Math.abs(counts[i] - rounds / 3.0) < rounds * 0.1, "case " + i + " taken " + counts[i] + " of " + rounds);
        }
    }

    /**
     * Unbuffered hand-off: each of 50 parked receivers gets exactly the value a sender gave it
     * (sum and set exact); a close then wakes every parked receiver with (zero, !ok) and panics
     * every parked sender.
     */
    @Test
    void handOffIsExactAndCloseWakesEveryWaiter() {
        SchedTesting.run(2, () -> {
            int n = 50;
            Chan<Integer> c = new Chan<>();
            Chan<Integer> got = new Chan<>(n);
            for (int i = 0; i < n; i++) {
                Go.go(() -> got.send(c.recv()));
            }
            boolean[] seen = new boolean[n];
            for (int i = 0; i < n; i++) {
                c.send(i);
            }
            for (int i = 0; i < n; i++) {
                int v = got.recv();
                assertFalse(seen[v], "value " + v + " received twice");
                seen[v] = true;
            }

            // Receivers park on d, senders on e (nobody receives from e), then both are closed.
            Chan<Integer> d = new Chan<>();
            Chan<Integer> e = new Chan<>();
            Chan<String> outcome = new Chan<>(2 * n);
            AtomicInteger started = new AtomicInteger();
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    started.incrementAndGet();
                    Chan.Received<Integer> r = d.recv2();
                    outcome.send(r.value() == null && !r.ok() ? "recv zero !ok" : "recv " + r);
                });
                int v = i;
                Go.go(() -> {
                    started.incrementAndGet();
                    try {
                        e.send(v);
                        outcome.send("sent " + v);
                    } catch (GoPanic p) {
                        outcome.send(p.getMessage());
                    }
                });
            }
            // Every goroutine started and some parked on each channel (a late one that finds the
            // channel closed has the same outcome, so the counts below are exact either way).
            while (started.get() < 2 * n || !hasWaiters(d) || !hasWaiters(e)) {
                Go.gosched();
            }
            d.close();
            e.close();
            int zeros = 0;
            int panics = 0;
            for (int i = 0; i < 2 * n; i++) {
                String o = outcome.recv();
                switch (o) {
                    case "recv zero !ok" -> zeros++;
                    case "send on closed channel" -> panics++;
                    default -> throw new AssertionError("unexpected outcome: " + o);
                }
            }
            assertEquals(n, zeros, "every parked receiver woke with (zero, !ok)");
            assertEquals(n, panics, "every parked sender panicked");
        });
    }

    private static boolean hasWaiters(Chan<?> c) {
        c.lock.lock();
        boolean any = !c.recvq.isEmpty() || !c.sendq.isEmpty();
        c.lock.unlock();
        return any;
    }

    /** Values buffered before a close come out first, then (zero, !ok) for ever; len counts down. */
    @Test
    void aClosedBufferedChannelDrainsThenReportsClosed() {
        SchedTesting.run(1, () -> {
            Chan<String> c = new Chan<>(3);
            c.send("a");
            c.send("b");
            c.close();
            assertEquals(2, c.len());
            assertEquals(new Chan.Received<>("a", true), c.recv2());
            assertEquals(new Chan.Received<>("b", true), c.recv2());
            for (int i = 0; i < 3; i++) {
                assertEquals(new Chan.Received<String>(null, false), c.recv2());
            }
            assertEquals(0, c.len());
            assertFalse(c.offer("c"), "offer on a closed channel");
            Select s = new Select().recv(c);
            assertEquals(0, s.selectOrDefault(), "a closed channel is always ready in select");
            assertNull(s.value());
            assertFalse(s.ok());
        });
    }

    /**
     * Blocking operations from a thread that is not a goroutine fail with a message naming the
     * thread and what to do; non-blocking ones (close, offer, len) work from any thread.
     */
    @Test
    void blockingOperationsOffAGoroutineFailClearly() throws Exception {
        Chan<Integer> c = new Chan<>(1);
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                for (Runnable call : new Runnable[] {() -> c.send(1), c::recv, () -> new Select().recv(c).select(),
                        () -> Time.sleep(Duration.ofMillis(1)), () -> Time.newTimer(Duration.ofMillis(1))}) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, call::run);
                    assertTrue(e.getMessage().contains("not running on a gort goroutine"), e.getMessage());
                }
                assertTrue(c.offer(7));
                assertEquals(1, c.len());
                c.close();
            } catch (Throwable x) {
                err.set(x);
            }
        }, "plain-thread");
        t.start();
        t.join(GUARD.toMillis());
        assertFalse(t.isAlive());
        if (err.get() != null) {
            throw new AssertionError(err.get());
        }
        assertTrue(c.isClosed());
        SchedTesting.run(1, () -> {
            assertEquals(new Chan.Received<>(7, true), c.recv2());
            assertEquals(new Chan.Received<Integer>(null, false), c.recv2());
        });
    }

    /** Bad arguments: a negative capacity and a null goroutine function, each named; the runtime stays usable. */
    @Test
    void badArgumentsAreNamedAndTheRuntimeStaysUsable() {
        SchedTesting.run(2, () -> {
            for (int bad : new int[] {-1, Integer.MIN_VALUE}) {
                assertEquals("makechan: size out of range", assertThrows(GoPanic.class, () -> new Chan<Integer>(bad)).getMessage());
            }
            NullPointerException e = assertThrows(NullPointerException.class, () -> Go.go(null));
            assertTrue(e.getMessage().contains("go: function is null"), e.getMessage());
            Chan<Integer> c = new Chan<>();
            Go.go(() -> c.send(5));
            assertEquals(5, c.recv());
        });
    }
}
