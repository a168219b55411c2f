package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * stopTheWorld from scheduler code on an M that holds a P without a goroutine (a runtime timer's
 * function) is refused by name, as GOMAXPROCS refuses it: had the world lock been held by another
 * stop, that M would have waited inside the lock with its P running, which the other stop waits
 * for, forever (a goroutine waits in a syscall instead, its P taken). Before session 36's lockfix36
 * the stop was let through (and succeeded when the lock happened to be free), so this test failed
 * on "not refused". The runtime runs on after the refusal.
 */
class SchedulerCodeStopRefusedTest {
    @Test
    void aTimerFunctionsStopIsRefusedByNameAndTheRuntimeRunsOn() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong spins = new AtomicLong();
        AtomicReference<String> firedOn = new AtomicReference<>();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        TimerFunc stopFromTimer = (arg, now) -> {
            Thread t = Scheduler.carrier();
            firedOn.set(t instanceof M mp ? "M" + mp.mid + " curg " + (mp.curg == null ? "none" : "set") + " p "
                    + (mp.p == null ? "none" : "held") : t.getName());
            try {
                s.stopTheWorld("from a timer function");
                s.startTheWorld();          // lead36: let through; the world must run again either way
                outcome.set(new AssertionError("not refused"));
            } catch (Throwable e) {
                outcome.set(e);
            }
            fired.countDown();
        };
        Runnable armer = () -> {
            Time.runtimeTimer(Duration.ofMillis(1), stopFromTimer, null);
            while (!done.get()) {
                spins.incrementAndGet();
                Go.gosched();       // through schedule, where an M runs its P's due timers
            }
        };
        Runnable spinner = () -> {
            while (!done.get()) {
                spins.incrementAndGet();
                Go.gosched();       // through schedule, where an M runs its P's due timers
            }
        };
        SchedTesting.Background bg = SchedTesting.Background.start(s, armer, spinner);
        try {
            assertTrue(fired.await(60, TimeUnit.SECONDS), "the timer fired (hang guard)");
            assertEquals("curg none p held", firedOn.get().replaceFirst("^M\\d+ ", ""),
                    () -> "the timer function ran on an M holding a P without a goroutine: " + firedOn.get());
            Throwable e = outcome.get();
            assertNotNull(e);
            assertTrue(e instanceof IllegalStateException, () -> "refused with an IllegalStateException: " + e);
            String msg = e.getMessage();
            assertTrue(msg.contains("stopTheWorld(\"from a timer function\")") && msg.contains("scheduler code on M")
                    && msg.contains("a timer function or hook") && msg.contains("accepted: a goroutine or a thread outside"),
                    msg);
            assertFalse(s.worldStopping(), "the world was not stopped by the refused call");
            SchedTesting.assertProgress(spins::get, 1_000, "the goroutines run after the refusal");
            SchedTesting.assertNextStopTakesEveryP(s, "a stop after the refusal");
            SchedTesting.assertProgress(spins::get, 1_000, "the goroutines run after the next stop");
        } finally {
            done.set(true);
            bg.join();
        }
        bg.assertEnded();
    }
}
