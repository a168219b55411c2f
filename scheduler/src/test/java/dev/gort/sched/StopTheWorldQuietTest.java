package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the stopper and the scheduler's own threads cost while a stop-the-world waits for a
 * goroutine that is slow to reach a safepoint (on a loaded 2-core machine: off-CPU). The stopper
 * re-preempts with a backoff (100 us doubling to 1.6 ms) instead of every 100 us, and the syscall
 * retaker sleeps while the world is stopped instead of ticking every 500 us; both wake-ups took
 * CPU slices the stopping goroutine was waiting for. The stop must still complete, the world must
 * restart, and the retaker must work again afterwards.
 */
@Timeout(180)
class StopTheWorldQuietTest {
    /** How long the goroutine keeps off safepoints once the stop was requested. */
    static final long LATE_NANOS = 40_000_000;

    @Test
    void slowStopBacksOffAndRetakerSleeps() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicLong stopAskedAt = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean stopped = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(2);
        AtomicLong syscallsAfter = new AtomicLong();
        AtomicLong lateEntered = new AtomicLong();    // the stopAskedAt the late goroutine last began to hold off for
        Thread runner = new Thread(() -> s.run(() -> {
            Chan<Boolean> fin = new Chan<>(2);
            Go.go(() -> {                       // the late one: no safepoint until LATE_NANOS after the request
                running.countDown();
                long handled = 0;
                while (!done.get()) {
                    long asked = stopAskedAt.get();
                    if (asked != handled) {
                        handled = asked;
                        lateEntered.set(asked);
                        while (System.nanoTime() - asked < LATE_NANOS) {
                            Thread.onSpinWait();
                        }
                    }
                    Go.poll();
                }
                fin.send(true);
            });
            Go.go(() -> {                       // in a syscall throughout: the retaker has something to watch
                running.countDown();
                while (!done.get()) {
                    // A call in flight when a stop comes lasts until the restart, so an M stays in a
                    // syscall (nsyscall > 0) for the whole stop: with none, the retaker sleeps on its
                    // note whether or not it looks at the stop, and the test could not tell (a 5 ms
                    // call ended in the stop's first 5 ms, before the 10 ms looked at below).
                    Go.syscall(() -> {
                        sleepMillis(5);
                        while (s.gcwaiting && !done.get()) {
                            sleepMillis(1);
                        }
                    });
                    syscallsAfter.incrementAndGet();
                }
                fin.send(true);
            });
            fin.recv();
            fin.recv();
        }), "quiet-runner");
        runner.start();
        // The goroutines' start, awaited as an event (the class's 60 s is the hang guard): 10 s
        // was not enough for a loaded suite's runner thread and Ms to get a CPU (session 14).
        assertTrue(running.await(60, TimeUnit.SECONDS), "the two goroutines started");
        sleepMillis(20);
        // The late goroutine may be in a run queue when the stop is asked (the scheduler time-slices
        // it): then the stop completes at once and says nothing. So the stop is asked only once the
        // goroutine has begun to hold off (it is then running, with no safepoint until t0 +
        // LATE_NANOS), and tried again only if that began too late to leave it holding off at the
        // request (this thread or the goroutine off its CPU meanwhile), until a stop waited for it;
        // the bound is time (120 s, a hang guard), not a count of spoiled tries (20 before session 28).
        long retakeLoops0 = 0, retakeLoops1 = 0, retakeRounds1 = 0, reps = 0, stopNanos = 0, stopperQueued = 0;
        ownRunDelayNanos();                     // its first call (class loading, interpreted) before any timed try
        int attempts = 0;
        boolean heldStop = false;
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120); System.nanoTime() - until < 0; ) {
            attempts++;
            long t0 = System.nanoTime();
            stopAskedAt.set(t0);
            long enteredBy = t0 + TimeUnit.SECONDS.toNanos(60);
            while (lateEntered.get() != t0) {
                assertTrue(System.nanoTime() - enteredBy < 0, "the late goroutine did not see the stop's ask within 60 s");
                Thread.yield();                 // 2 CPUs: leave one to the goroutine's M
            }
            if (System.nanoTime() - t0 > LATE_NANOS / 2) {
                sleepMillis(LATE_NANOS / 1_000_000 + 5);     // it may have held off already: no stop this time
                continue;
            }
            // Counted from the request: the retaker ticks while the world runs, as through the wait
            // above and the schedstat read (a file read; its first call, cold, took tens of ms at
            // load ~50, and a retaker count taken before it saw 52 ticks "during a 40 ms stop").
            long queued0 = ownRunDelayNanos();
            long rep0 = s.world.stopRepreempts;
            retakeLoops0 = s.retaker.loops();
            s.stopTheWorld("quiet test");
            stopNanos = System.nanoTime() - t0;
            stopperQueued = queued0 < 0 ? -1 : ownRunDelayNanos() - queued0;
            retakeLoops1 = s.retaker.loops();
            retakeRounds1 = s.retaker.tickRounds();
            reps = s.world.stopRepreempts - rep0;
            if (stopNanos >= LATE_NANOS) {
                heldStop = true;
                break;
            }
            s.startTheWorld();
            sleepMillis(LATE_NANOS / 1_000_000 + 5);
        }
        if (!heldStop) {
            done.set(true);
            runner.join(60_000);
            fail("in " + attempts + " tries over 120 s no stop waited for the late goroutine (the last returned after "
                    + stopNanos / 1_000_000 + " ms, before its safepoint at " + LATE_NANOS / 1_000_000 + " ms)");
        }
        stopped.set(true);
        sleepMillis(10);                        // stopped: the retaker must stay asleep
        long retakeLoops2 = s.retaker.loops();
        long retakeRounds2 = s.retaker.tickRounds();
        s.startTheWorld();
        long n0 = syscallsAfter.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (syscallsAfter.get() < n0 + 3 && System.nanoTime() < deadline) {
            sleepMillis(1);
        }
        done.set(true);
        runner.join(60_000);
        assertTrue(syscallsAfter.get() >= n0 + 3, "the world did not run again after the restart");
        // 100 us polls would be ~400 re-preempts in 40 ms; with the backoff ~28 (+ descheduling slack).
        // At least one pass, unless the stopper itself got no CPU until the late goroutine had
        // stopped on its own: a stop over twice LATE_NANOS with no pass (seen at load 15: 0 passes in
        // an 85 ms stop) is the machine, not a missing re-preempt.
        // The bound scales with the stop's length (passes back off to a steady interval): 60 per
        // LATE_NANOS is still ~7x below 100 us polling (a 132 ms stop at load 19 took 72 passes).
        long maxReps = Math.max(60, 60 * stopNanos / LATE_NANOS);
        assertTrue(reps <= maxReps, "re-preempt passes during a " + stopNanos / 1_000_000 + " ms stop: " + reps
                + " (at most " + maxReps + ")");
        // Also when the stopper's own run-queue wait (schedstat) during the stop was half of it or
        // more: its first 100 us sleep then ended only after the late goroutine's wake-up (seen at
        // load 10: 0 passes in a 68 ms stop).
        assertTrue(reps >= 1 || stopNanos > 2 * LATE_NANOS || stopperQueued >= LATE_NANOS / 2,
                "no re-preempt pass during a " + stopNanos / 1_000_000 + " ms stop (the late goroutine polls after "
                        + LATE_NANOS / 1_000_000 + " ms; the stopper waited " + stopperQueued / 1_000
                        + " us for a CPU meanwhile)");
        // The retaker's ticking rounds, not its loop's passes: ticking, it runs a round every 500 us
        // (~20 in the 10 ms stopped); asleep on its note, none. After the stop completed it runs at
        // most one, a tick already under way (that pass looked at gcwaiting before the request); its
        // next pass sees the stop and sleeps until the restart. That holds however late the machine
        // runs the thread, so the bound is exact and counted from a moment after the request
        // (counted from before it, a stopper switched out before its request lets a ticking retaker
        // run rounds rightly). Until session 29 the test bounded the passes (at most 3 in the 10 ms,
        // 20 over the stop): a pass also counts each wake-up of the note, which other threads
        // deliver (entersyscall on any M), and "the retaker woke 4 times in 10 ms with the world
        // stopped" failed once at load 67 (session 28, flake28); which wake-ups those were was not traced.
        assertTrue(retakeRounds2 - retakeRounds1 <= 1,
                "the retaker ran " + (retakeRounds2 - retakeRounds1) + " rounds in the 10 ms after a " + stopNanos / 1_000_000
                        + " ms stop completed (loop passes: " + (retakeLoops1 - retakeLoops0) + " from before the request to the stop's end, "
                        + (retakeLoops2 - retakeLoops1) + " in the 10 ms)");
        assertEquals(false, runner.isAlive());
    }

    /** Nanoseconds the calling thread has waited on a run queue (Linux schedstat's second field), -1 if unknown. */
    static long ownRunDelayNanos() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).trim().split(" ")[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
