package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S2: Go's TestPingPongHog at GOMAXPROCS=1. Two pairs of goroutines hand a token back and forth
 * through unbuffered channels; a hog does 1,000,000 units of work per turn, a light one 1,000. A
 * pair that hands off through runnext inherits its time slice (schedtick does not move), so
 * without preemption the pair that got the P first would keep it forever. sysmon's rule (preempt
 * the G of a P whose schedtick has not moved for 10 ms) must give both pairs the P, so their work
 * counts are within a factor of 20 (Go's factor; the gap without fairness is ~1000x or total).
 *
 * <p>The scheduler module has no sysmon, so the test runs sysmon's retake rule itself on a plain
 * thread through the public surface sysmon uses ({@code P.schedtick}, {@code Scheduler.preempt}).
 * Work is counted with atomic increments, which C2 cannot fold, so a unit costs the same for
 * both pairs and the counts compare CPU time. Go preempts a hog inside its loop (asynchronous
 * preemption); gort's preemption is cooperative, so both loops poll every 1,000 units. Without
 * the sysmon rule ({@code -Dgort.test.noSysmon=true}) the test fails (measured: 18,000,000 / 1,000).
 */
@Timeout(120)
class FairnessTest {
    private static final long FORCE_PREEMPT_NS = 10_000_000L;

    @Test
    void pingPongHogBothPairsGetTheProcessor() throws Exception {
        AtomicLong hogCount = new AtomicLong();
        AtomicLong lightCount = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<Throwable> died = new AtomicReference<>();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        Thread sysmon = new Thread(() -> retakeLikeSysmon(s, running), "test-sysmon");
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>();
                    Chan<Boolean> hogChan = new Chan<>();
                    Chan<Boolean> lightChan = new Chan<>();
                    for (int i = 0; i < 2; i++) {
                        Go.go(() -> pingPong(1_000_000, hogCount, hogChan, done));
                    }
                    for (int i = 0; i < 2; i++) {
                        Go.go(() -> pingPong(1_000, lightCount, lightChan, done));
                    }
                    hogChan.send(true);
                    lightChan.send(true);
                    Time.sleep(Duration.ofMillis(300));
                    done.close();
                    hogChan.recv();
                    lightChan.recv();
                });
            } catch (Throwable t) {
                died.set(t);
            }
        }, "test-runner");
        sysmon.start();
        runner.start();
        runner.join(60_000);
        running.set(false);
        sysmon.join();
        assertNull(died.get());
        long hog = hogCount.get();
        long light = lightCount.get();
        System.out.println("PingPongHog: hogCount " + hog + ", lightCount " + light);
        int factor = 20;
        assertTrue(hog > 0 && light > 0 && hog / factor <= light && light / factor <= hog,
                "want hogCount/lightCount in [1/" + factor + ", " + factor + "]; got " + hog + "/" + light + " = "
                        + (light == 0 ? "inf" : String.format("%.3g", (double) hog / light)));
    }

    /** Go's run(): wait for the token (or done), work, pass the token on. */
    private static void pingPong(int limit, AtomicLong counter, Chan<Boolean> wake, Chan<Boolean> done) {
        Select sel = new Select().recv(done).recv(wake);
        for (;;) {
            if (sel.select() == 0) {
                return;
            }
            for (int i = 0; i < limit; i++) {
                counter.incrementAndGet();
                if (i % 1000 == 999) {
                    Go.poll(); // Go preempts the hog's loop asynchronously; gort's preemption is cooperative
                }
            }
            wake.send(true);
        }
    }

    /**
     * sysmon's retake for running Ps, as in Go: a P whose schedtick has not moved for 10 ms since
     * it was first seen gets its goroutine preempted.
     */
    private static void retakeLikeSysmon(Scheduler s, AtomicBoolean running) {
        long seenTick = -1;
        long seenWhen = 0;
        while (running.get()) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            long now = System.nanoTime();
            P p = s.p(0);
            long tick = p.schedtick();
            if (tick != seenTick) {
                seenTick = tick;
                seenWhen = now;
            } else if (now - seenWhen >= FORCE_PREEMPT_NS) {
                if (!Boolean.getBoolean("gort.test.noSysmon")) {
                    s.preempt(0);
                }
                seenWhen = now;
            }
        }
    }
}
