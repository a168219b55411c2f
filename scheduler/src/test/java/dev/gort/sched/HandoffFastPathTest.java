package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The g0 short cut that runs the next G of the P's own queue right after a park or an exit
 * (Scheduler.runqgetFast) must choose what findRunnable would: it steps aside for a pending timer,
 * a non-empty global queue, a stop-the-world and exit. Channel ping-pong pairs (the hand-off
 * through runnext) run against each of those, with exact counts.
 */
class HandoffFastPathTest {
    private static final int ROUNDS = Integer.getInteger("gort.stress.handoff", 20_000);

    /** Pairs at GOMAXPROCS=1 and 2 (runnext stolen by the other P at 2): every value once, sums exact. */
    @Test
    void pingPongPairsCountExactly() {
        for (int procs = 1; procs <= 2; procs++) {
            AtomicLong sum = new AtomicLong();
            SchedTesting.run(procs, () -> {
                int pairs = 4;
                Chan<Boolean> done = new Chan<>(pairs);
                for (int p = 0; p < pairs; p++) {
                    Go.go(() -> pair(ROUNDS, sum, done));
                }
                for (int p = 0; p < pairs; p++) {
                    done.recv();
                }
            });
            long perPair = (long) ROUNDS * (ROUNDS - 1) / 2;
            assertEquals(4 * perPair, sum.get(), "GOMAXPROCS=" + procs);
        }
    }

    /** A pair hands off runnext-to-runnext; a sleeper's timer must still fire (the fast path defers to timers). */
    @Test
    void aTimerFiresWhileAPairHandsOffAtOneP() {
        AtomicLong sleptNanos = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong trips = new AtomicLong();
        SchedTesting.run(1, () -> {
            Chan<Boolean> pairDone = new Chan<>(1);
            Go.go(() -> {
                Chan<Integer> a = new Chan<>();
                Chan<Integer> b = new Chan<>();
                Go.go(() -> {
                    for (;;) {
                        Integer v = a.recv();
                        if (v < 0) {
                            return;
                        }
                        b.send(v);
                    }
                });
                while (!stop.get()) {
                    a.send(1);
                    b.recv();
                    trips.incrementAndGet();
                }
                a.send(-1);
                pairDone.send(true);
            });
            long t0 = System.nanoTime();
            Time.sleep(Duration.ofMillis(20));
            sleptNanos.set(System.nanoTime() - t0);
            stop.set(true);
            pairDone.recv();
        });
        assertTrue(trips.get() > 0, "the pair ran");
        // Never early; late by at most a generous margin on a loaded 2-core machine (without the
        // timer check the sleeper would wait until the pair stopped: forever).
        assertTrue(sleptNanos.get() >= 20_000_000L, "slept " + sleptNanos.get() + " ns");
        assertTrue(sleptNanos.get() < 60_000_000_000L, "slept " + sleptNanos.get() + " ns");
    }

    /**
     * Goroutines that gosched (global queue) and pairs that hand off (runnext) at GOMAXPROCS=1:
     * every gosched-ing goroutine finishes, every value arrives once.
     */
    @Test
    void globalQueueWorkIsNotLostBesideHandOffs() {
        AtomicLong sum = new AtomicLong();
        AtomicLong yields = new AtomicLong();
        SchedTesting.run(1, () -> {
            Chan<Boolean> done = new Chan<>(8);
            for (int p = 0; p < 2; p++) {
                Go.go(() -> pair(ROUNDS / 4, sum, done));
            }
            for (int y = 0; y < 3; y++) {
                Go.go(() -> {
                    for (int i = 0; i < 1000; i++) {
                        Go.gosched();
                        yields.incrementAndGet();
                    }
                    done.send(true);
                });
            }
            for (int i = 0; i < 5; i++) {
                done.recv();
            }
        });
        long perPair = (long) (ROUNDS / 4) * (ROUNDS / 4 - 1) / 2;
        assertEquals(2 * perPair, sum.get());
        assertEquals(3000, yields.get());
    }

    /**
     * Stop-the-world from a non-M thread while pairs hand off at GOMAXPROCS=2: each stop completes
     * (no M keeps running goroutines past gcwaiting through the short cut), no goroutine runs while
     * stopped, and the pairs finish with exact counts.
     */
    @Test
    void stopTheWorldStopsHandOffs() throws Exception {
        AtomicLong sum = new AtomicLong();
        AtomicLong trips = new AtomicLong();
        AtomicReference<Scheduler> sched = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean pairsDone = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong stops = new AtomicLong();
        Thread stopper = Thread.ofPlatform().unstarted(() -> {
            try {
                if (!started.await(60, TimeUnit.SECONDS)) {
                    failure.set("pairs did not start");
                    return;
                }
                Scheduler s = sched.get();
                for (int i = 0; i < 50 && !pairsDone.get(); i++) {
                    s.stopTheWorld("test");
                    long before = trips.get();
                    Thread.sleep(1);
                    for (int g = 0; g < s.gtable.count(); g++) {
                        G gp = s.gtable.at(g);
                        if (gp.status() == GStatus.RUNNING) {
                            failure.compareAndSet(null, "goroutine " + gp.goid() + " RUNNING while stopped");
                        }
                    }
                    if (trips.get() != before) {
                        failure.compareAndSet(null, "round trips completed while the world was stopped");
                    }
                    s.startTheWorld();
                    stops.incrementAndGet();
                    Thread.sleep(1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopper.start();
        SchedTesting.run(2, () -> {
            sched.set(Go.scheduler());
            int pairs = 3;
            Chan<Boolean> done = new Chan<>(pairs);
            for (int p = 0; p < pairs; p++) {
                Go.go(() -> pair(ROUNDS * 5, sum, trips, done));
            }
            started.countDown();
            for (int p = 0; p < pairs; p++) {
                done.recv();
            }
            pairsDone.set(true);
            // The stopper reads G descriptors: keep the scheduler alive until it is done.
            Go.syscall(() -> {
                try {
                    stopper.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        });
        assertEquals(null, failure.get());
        assertTrue(stops.get() > 0, "the world was stopped at least once while the pairs ran");
        long n = ROUNDS * 5L;
        assertEquals(3 * (n * (n - 1) / 2), sum.get());
        assertEquals(3 * n, trips.get());
    }

    private static void pair(int rounds, AtomicLong sum, Chan<Boolean> done) {
        pair(rounds, sum, new AtomicLong(), done);
    }

    /** One ping-pong pair: values 0..rounds-1 go there and back; their sum is added once each. */
    private static void pair(int rounds, AtomicLong sum, AtomicLong trips, Chan<Boolean> done) {
        Chan<Integer> ping = new Chan<>();
        Chan<Integer> pong = new Chan<>();
        Go.go(() -> {
            for (int i = 0; i < rounds; i++) {
                pong.send(ping.recv());
            }
        });
        long local = 0;
        for (int i = 0; i < rounds; i++) {
            ping.send(i);
            int back = pong.recv();
            if (back != i) {
                throw new AssertionError("sent " + i + ", got back " + back);
            }
            local += back;
            trips.incrementAndGet();
        }
        sum.addAndGet(local);
        done.send(true);
    }
}
