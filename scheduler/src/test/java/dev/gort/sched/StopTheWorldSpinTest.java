package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * S2: stop-the-world while GOMAXPROCS goroutines spin in {@code Go.poll()} loops, so every P is
 * busy and the only way to stop them is the preempt flag at a safepoint (Go's preemption during
 * GC with spinners). Alternately from a thread that is not an M and from a goroutine of its own,
 * which then competes with the spinners for a P. Each stop must complete, no spinner may move
 * while the world is stopped, and every spinner moves again after the start.
 * Rounds: {@code -Dgort.stress.stwSpin=<rounds>}.
 */
@Timeout(180)
class StopTheWorldSpinTest {

    /**
     * With the stopper's own spin off (the default), short and longer than any stop here (the
     * stopper then never sleeps): a spin that ended early would let a spinner move while stopped.
     */
    @ParameterizedTest(name = "stopper spin {0} ns")
    @ValueSource(longs = {0, 100_000, 20_000_000})
    void spinnersStopAtPollAndResume(long stopperSpinNanos) throws Exception {
        int rounds = Integer.getInteger("gort.stress.stwSpin", 100);
        int procs = 2;
        AtomicLongArray spins = new AtomicLongArray(procs);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean goroutinePhase = new AtomicBoolean();
        AtomicInteger goroutineRounds = new AtomicInteger();
        AtomicReference<String> err = new AtomicReference<>();
        AtomicReference<Throwable> died = new AtomicReference<>();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(procs).fatalHandler(FatalHandler.THROW));
        s.world.stopSpinNanos = stopperSpinNanos;
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>(procs);
                    for (int i = 0; i < procs; i++) {
                        int me = i;
                        Go.go(() -> {
                            long n = 0;
                            while (!stop.get()) {
                                long k = spins.incrementAndGet(me);
                                Go.poll();
                                // Without sysmon nothing preempts a goroutine that never yields, and
                                // a spinner queued behind the other on the same P (both were in the
                                // global queue at a restart and one M took both) would wait forever,
                                // as in Go without sysmon's 10 ms preemption: yield now and then.
                                if ((k & 0xFFFF) == 0) {
                                    Go.gosched();
                                }
                                // Phase 2: spinner 0 stops the world itself every 4096 spins; its
                                // own P counts as stopped, the other spinner must stop at poll().
                                if (me == 0 && (++n & 4095) == 0 && goroutinePhase.get()
                                        && goroutineRounds.get() < rounds / 2 && err.get() == null) {
                                    stopAndCheck(s, spins, me, err, "goroutine round " + goroutineRounds.get());
                                    goroutineRounds.incrementAndGet();
                                }
                            }
                            done.send(true);
                        });
                    }
                    for (int i = 0; i < procs; i++) {
                        done.recv();
                    }
                });
            } catch (Throwable t) {
                died.set(t);
            }
        }, "test-runner");
        runner.start();
        waitAllMove(spins, err, "start");
        // Phase 1: from a thread that is not an M.
        int threadRounds = 0;
        for (int r = 0; r < rounds - rounds / 2 && err.get() == null && died.get() == null; r++) {
            stopAndCheck(s, spins, -1, err, "thread round " + r);
            waitAllMove(spins, err, "after thread round " + r);
            threadRounds++;
        }
        goroutinePhase.set(true);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (goroutineRounds.get() < rounds / 2 && err.get() == null && died.get() == null
                && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        waitAllMove(spins, err, "after the goroutine rounds");
        stop.set(true);
        runner.join(60_000);
        assertNull(died.get());
        assertNull(err.get());
        assertEquals(rounds - rounds / 2, threadRounds);
        assertEquals(rounds / 2, goroutineRounds.get(), "stop-the-world rounds made by a goroutine");
    }

    /** Stops the world, checks that no spinner but {@code self} moves for 2 ms, starts it again. */
    private static void stopAndCheck(Scheduler s, AtomicLongArray spins, int self, AtomicReference<String> err, String what) {
        s.stopTheWorld("test " + what);
        long[] before = new long[spins.length()];
        for (int i = 0; i < before.length; i++) {
            before[i] = spins.get(i);
        }
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 2_000_000) {
            Thread.onSpinWait();
        }
        for (int i = 0; i < before.length; i++) {
            if (i != self && spins.get(i) != before[i]) {
                err.compareAndSet(null, what + ": spinner " + i + " moved while the world was stopped ("
                        + before[i] + " -> " + spins.get(i) + ")");
            }
        }
        s.startTheWorld();
    }

    /** Every spinner moves within 60 s (they all get a P again). */
    private static void waitAllMove(AtomicLongArray spins, AtomicReference<String> err, String what) {
        long[] before = new long[spins.length()];
        for (int i = 0; i < before.length; i++) {
            before[i] = spins.get(i);
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int i = 0; i < before.length; i++) {
            while (spins.get(i) == before[i]) {
                if (System.nanoTime() > deadline) {
                    err.compareAndSet(null, what + ": spinner " + i + " did not run again within 60 s");
                    return;
                }
                Thread.onSpinWait();
            }
        }
    }
}
