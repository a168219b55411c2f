package dev.gort;

import dev.gort.sched.Chan;
import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.WaitReason;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run-next chain must not starve the global queue (Go: runnext inherits the time slice, so the
 * pair looks like one long runner to sysmon, which preempts it after forcePreemptNS = 10 ms; the
 * preempted G goes to the global queue, behind the waiting one). At GOMAXPROCS=1 two goroutines
 * ping-pong through an unbuffered channel while a plain thread readies a parked goroutine (it goes
 * to the global queue: the thread has no P); it must run within 200 ms (20x Go's slice) in most
 * of 8 rounds (at most 3 over), and within 5 s in every round.
 *
 * <p>Session 13: "all but one" failed at autogroup nice 19, load ~40 (2 rounds over: 205 and 383
 * ms, the rest 0-122 ms); sysmon itself waits for a CPU there. Starvation, what the test is for,
 * is over 20 s without sysmon: every round would fail both bounds. The probe below shows the 200
 * ms bound never told the re-ask fix apart anyway (max 142 ms before it at load 7).
 *
 * <p>gort's execute does not count an inherited slice in schedtick, so sysmon sees the pair as one
 * long runner and preempts it, as Go's does. But a preempt request that found the P's M between
 * goroutines (curg null: often, in a hand-off chain) flagged nothing, and sysmon waited a whole
 * new slice before asking again: one run of this test saw 774 ms. sysmon now asks again at its
 * next round (Go's retake does too). Probe, 400 rounds each at load 7: before mean 17.4 ms, 2 over
 * 100 ms, max 142 ms; after mean 14.8 ms, none over 100 ms, max 100 ms. A Scheduler without
 * sysmon starves such a G (over 20 s in a probe), as Go would without sysmon.
 */
class RunnextStarvationTest {
    static final long BOUND_NANOS = 200_000_000L;
    /** Starvation is unbounded (over 20 s without sysmon); a shared 2-core machine at load 7 delays a thread ~100 ms at times, at load 40 ~400 ms. */
    static final long HARD_BOUND_NANOS = 5_000_000_000L;
    /** Rounds that may exceed {@link #BOUND_NANOS}: fewer than half, so the median round is within it. */
    static final int SLOW_ROUNDS_ALLOWED = 3;
    static final int ROUNDS = 8;

    @Test
    void aGoroutineReadiedFromAPlainThreadRunsWhileAPairPingPongs() {
        long[] worst = new long[1];
        long[] exchanges = new long[1];
        long[] preempts = new long[1];
        int code = Gort.run(new String[0], args -> {
            long preempts0 = Gort.sysmonStats().preemptRequests();
            AtomicBoolean stop = new AtomicBoolean();
            Chan<Integer> ping = new Chan<>(0);
            Chan<Integer> pong = new Chan<>(0);
            AtomicLong n = new AtomicLong();
            Gort.go(() -> {
                while (!stop.get()) {
                    ping.send(1);
                    pong.recv();
                    n.incrementAndGet();
                }
                ping.close();
            });
            Gort.go(() -> {
                for (Integer v; (v = ping.recv()) != null; ) {
                    pong.send(v);
                }
            });
            int over = 0;
            StringBuilder latencies = new StringBuilder();
            for (int round = 0; round < ROUNDS; round++) {
                AtomicReference<G> parked = new AtomicReference<>();
                AtomicLong readiedAt = new AtomicLong();
                AtomicLong ranAt = new AtomicLong();
                Chan<Integer> done = new Chan<>(1);
                Gort.go(() -> {
                    parked.set(Go.current());
                    Go.park(null, null, WaitReason.SLEEP);
                    ranAt.set(System.nanoTime());
                    done.send(1);
                });
                Thread readier = Thread.ofPlatform().start(() -> {
                    while (parked.get() == null || parked.get().status() != dev.gort.sched.GStatus.WAITING) {
                        Thread.onSpinWait();
                    }
                    try {
                        Thread.sleep(20);      // the pair has the P to itself by now
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    readiedAt.set(System.nanoTime());
                    Go.ready(parked.get());     // no P on this thread: the global queue
                });
                long before = n.get();
                done.recv();                    // main parks: the pair and the readied G share the P
                Gort.syscall(() -> {
                    try {
                        readier.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                long latency = ranAt.get() - readiedAt.get();
                worst[0] = Math.max(worst[0], latency);
                assertTrue(n.get() > before, "the pair was running meanwhile");
                latencies.append(' ').append(latency / 1_000_000).append(" ms");
                assertTrue(latency < HARD_BOUND_NANOS, "round " + round + ": the goroutine readied onto the global queue ran "
                        + latency / 1_000_000 + " ms later while the pair ping-ponged: starved");
                if (latency >= BOUND_NANOS) {
                    over++;
                }
            }
            // Go's habit for timing on a shared machine: count the slow rounds, allow a few.
            assertTrue(over <= SLOW_ROUNDS_ALLOWED, over + " of " + ROUNDS + " rounds over " + BOUND_NANOS / 1_000_000
                    + " ms: the readied goroutine waited behind the ping-pong pair;" + latencies);
            exchanges[0] = n.get();
            preempts[0] = Gort.sysmonStats().preemptRequests() - preempts0;
            stop.set(true);
        }, new Gort.Options().settings(Map.of("GOMAXPROCS", "1"), Map.of()));
        assertEquals(0, code);
        System.out.println("RunnextStarvationTest: worst latency " + worst[0] / 1000 + " us, " + exchanges[0] + " exchanges, "
                + preempts[0] + " sysmon preemption requests");
        // What breaks the chain: sysmon sees one long runner (the inherited slice keeps schedtick) and preempts it.
        assertTrue(preempts[0] > 0, "sysmon preempted the ping-pong pair");
    }
}
