package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stop asked while an M is on g0 between its look at the stop flag and the goroutine it then
 * runs: the stop's preemptall finds no goroutine on that P, so unless execute flags the goroutine
 * it runs, that goroutine runs past every safepoint until the stopper's next timed pass (0.1 ms
 * and more). GOMAXPROCS=1; the GC hook, which schedule() asks after its look at the flag, is where
 * the test asks for the stop and waits until it is pending. The goroutine counts its safepoints;
 * flagged at its start it stops at its first one.
 */
@Timeout(180)
class StopDuringScheduleTest {
    @Test
    void aGoroutineStartedAfterTheStopRequestYieldsAtItsFirstSafepoint() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean();
        CountDownLatch stopWanted = new CountDownLatch(1);
        s.setGcHook(new GcHook() {
            @Override
            public G findRunnableGCWorker(P p, long nowNanos) {
                if (armed.getAndSet(false)) {
                    stopWanted.countDown();               // on g0, past the stop flag's check
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!s.worldStopping() && System.nanoTime() - deadline < 0) {
                        Thread.onSpinWait();
                    }
                }
                return null;
            }

            @Override
            public G findIdleGCWorker(P p, long nowNanos) {
                return null;
            }
        });
        AtomicBoolean stopped = new AtomicBoolean();
        AtomicLong pollsBeforeStop = new AtomicLong(-1);
        AtomicBoolean done = new AtomicBoolean();
        Thread runner = new Thread(() -> s.run(() -> {
            Chan<Boolean> fin = new Chan<>(1);
            armed.set(true);
            Go.go(() -> {                                 // runs once main parks: after the hook
                long n = 0;
                while (!done.get()) {
                    n++;
                    Go.poll();
                    if (stopped.get() && pollsBeforeStop.get() < 0) {
                        pollsBeforeStop.set(n);           // the first poll seen after the world stopped
                    }
                }
                fin.send(true);
            });
            fin.recv();                                   // main parks: g0 asks the hook, then runs the goroutine
        }), "stop-during-schedule");
        runner.start();
        assertTrue(stopWanted.await(60, TimeUnit.SECONDS), "the hook was not asked");
        s.stopTheWorld("stop during schedule");
        stopped.set(true);
        long passes = s.world.stopRepreempts;
        s.startTheWorld();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (pollsBeforeStop.get() < 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        done.set(true);
        runner.join(60_000);
        // Flagged at its start: it yields at its first poll and counts it again after the restart
        // (2). Unflagged: it polls until the stopper's first timed pass, 0.1 ms later at best
        // (thousands of polls).
        assertTrue(pollsBeforeStop.get() > 0 && pollsBeforeStop.get() <= 2,
                "the goroutine started after the stop request polled " + pollsBeforeStop.get()
                        + " times before it stopped (re-preempt passes " + passes + ")");
    }
}
