package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A forEachP round (the collector's coordinator's call) takes a P that sits in a syscall, runs the
 * function for it and hands it off (IdlePs.handoffp). That hand-off's startm fails (injected once
 * through {@code MPool.faultForTest}): the P goes back idle, its goroutine to the global queue,
 * and the wake-up is owed to sysmon and the retaker. The scheduler runs alone (no sysmon,
 * {@code syscallRetake(0)}) and GOMAXPROCS=1: on lead34 nothing ran the goroutine while the
 * syscall lasted (here: its whole 60 s guard). Now the round's caller, which holds nothing of the
 * scheduler, retries the wake-up while every P is idle. Session 34.
 */
@Timeout(180)
class ForEachPHandOffFailureTest {

    private static final String CALLER = "foreachp-caller";

    @Test
    void aRoundsFailedHandOffOfASyscallPDoesNotStrandItsGoroutine() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        AtomicInteger ranFor = new AtomicInteger();
        AtomicReference<Throwable> fromRound = new AtomicReference<>();
        AtomicReference<String> state = new AtomicReference<>("");
        boolean[] complete = new boolean[1];
        boolean[] ran = new boolean[1];
        long[] failures = new long[1];
        try {
            s.run(() -> {
                CountDownLatch goroutineRan = new CountDownLatch(1);
                Go.go(goroutineRan::countDown);         // main's runnext; main does not yield
                Go.syscall(() -> {
                    state.set("P0 " + (s.p(0).status() == PStatus.SYSCALL ? "syscall" : "status " + s.p(0).status()) + ", idle Ps " + s.idleProcs());
                    s.mpool.faultForTest = where -> {
                        if (Thread.currentThread().getName().equals(CALLER) && armed.getAndSet(false)) {
                            faults.incrementAndGet();
                            throw new StopFaultTest.InjectedFault(where);
                        }
                    };
                    Thread caller = new Thread(() -> {
                        try {
                            complete[0] = s.forEachP(p -> ranFor.incrementAndGet(), null);
                        } catch (Throwable t) {
                            fromRound.set(t);
                        }
                    }, CALLER);
                    caller.start();
                    try {
                        ran[0] = goroutineRan.await(60, TimeUnit.SECONDS);     // main stays in its syscall meanwhile
                        caller.join(60_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    s.mpool.faultForTest = null;
                    failures[0] = s.startmFailures();
                });
            });
            assertEquals("P0 syscall, idle Ps 0", state.get());
            assertNull(fromRound.get(), "the round threw its hand-off's failed startm");
            assertTrue(complete[0], "the round completed");
            assertEquals(1, ranFor.get(), "the round ran its function for the P it took from the syscall");
            assertEquals(1, faults.get(), "the round's hand-off called startm, which failed");
            assertTrue(ran[0], "the goroutine queued in the P the round took from a syscall ran while the syscall lasted,"
                    + " though the hand-off's wake-up failed (startm failures " + failures[0] + ")");
            assertEquals(1, failures[0], "the failed hand-off is counted (startmFailures)");
        } finally {
            s.mpool.faultForTest = null;
            s.close();
        }
    }
}
