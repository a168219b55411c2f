package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * review34b's finding 1 (wakefix34): a forEachP round whose hand-off of a syscall P failed retries
 * the wake-up after the round while every P is idle (session 34, ForEachPHandOffFailureTest). That
 * retry must end when the round's {@code giveUp} says so: the collector's coordinator passes its
 * closed check, and Collector.close waits for the coordinator (CLOSE_WAIT, then "threads still
 * run"). GOMAXPROCS=1, no sysmon, {@code syscallRetake(0)}; main in a syscall with a goroutine in
 * its P's runnext; a plain thread's forEachP with giveUp true throughout; every startm called from
 * that thread fails, so the retry can never succeed. On lead34 the caller stayed in the retry for
 * as long as startm failed (here: its 60 s guard). Built from review34b's repro.
 */
@Timeout(180)
class ForEachPGiveUpRetryTest {

    private static final String CALLER = "foreachp-giveup-caller";

    @Test
    void aGivenUpRoundsCallerDoesNotStayInTheWakeRetry() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean failStartm = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<Throwable> fromRound = new AtomicReference<>();
        AtomicReference<String> state = new AtomicReference<>("");
        boolean[] complete = new boolean[1];
        boolean[] returnedWhileFailing = new boolean[1];
        boolean[] ran = new boolean[1];
        try {
            s.run(() -> {
                CountDownLatch goroutineRan = new CountDownLatch(1);
                Go.go(goroutineRan::countDown);         // main's runnext; main does not yield
                Go.syscall(() -> {
                    state.set("P0 " + (s.p(0).status() == PStatus.SYSCALL ? "syscall" : "status " + s.p(0).status()));
                    s.mpool.faultForTest = where -> {
                        if (failStartm.get() && Thread.currentThread().getName().equals(CALLER)) {
                            faults.incrementAndGet();
                            throw new StopFaultTest.InjectedFault(where);
                        }
                    };
                    Thread caller = new Thread(() -> {
                        try {
                            complete[0] = s.forEachP(p -> { }, () -> true);    // a closed collector's check
                        } catch (Throwable t) {
                            fromRound.set(t);
                        }
                    }, CALLER);
                    caller.start();
                    try {
                        caller.join(60_000);                 // a hang guard: the caller must return
                        returnedWhileFailing[0] = !caller.isAlive();
                        failStartm.set(false);               // lets a caller still retrying (lead34) succeed
                        caller.join(60_000);
                        s.mpool.faultForTest = null;
                        // Nothing pays the owed wake-up here (no sysmon, no retaker): the goroutine
                        // runs on main's P once main's syscall returns and main yields.
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                // main holds the only P now: it yields (a blocking wait here would hold the P) until
                // the goroutine, queued globally by the failed hand-off, ran; 60 s guard.
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (goroutineRan.getCount() != 0 && System.nanoTime() - deadline < 0) {
                    Go.gosched();
                }
                ran[0] = goroutineRan.getCount() == 0;
            });
            assertEquals("P0 syscall", state.get());
            assertNull(fromRound.get(), "the round threw");
            assertTrue(faults.get() >= 1, "the round's hand-off of the syscall P called startm, which failed");
            assertTrue(returnedWhileFailing[0], "forEachP's caller returned while startm kept failing, its giveUp being true"
                    + " (startm failures " + s.startmFailures() + ")");
            assertTrue(complete[0], "the round completed (it ran the function for the P it took from the syscall)");
            assertTrue(ran[0], "the goroutine ran once main's syscall returned");
        } finally {
            s.mpool.faultForTest = null;
            s.close();
        }
    }
}
