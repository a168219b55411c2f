package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Scheduler#forEachP}: every P in use runs the function exactly once per round, whatever it
 * does meanwhile (idle, in a syscall, running a loop whose only safepoint is the preempt check,
 * parking and waking, GOMAXPROCS changing). Each round counts the runs per P id; the caller's
 * hang guard is a give-up after 60 s that fails the test (a P missed keeps a round waiting).
 */
@Timeout(180)
class ForEachPTest {
    private static final long HANG_GUARD_NANOS = 60_000_000_000L;

    /** Runs per P id of one round. */
    private static final class Counts {
        final AtomicIntegerArray perP = new AtomicIntegerArray(SchedConfig.MAX_PROCS);
        final java.util.function.Consumer<P> fn = p -> perP.incrementAndGet(p.id());

        void reset() {
            for (int i = 0; i < perP.length(); i++) {
                perP.set(i, 0);
            }
        }
    }

    private static BooleanSupplier hangGuard() {
        long until = System.nanoTime() + HANG_GUARD_NANOS;
        return () -> System.nanoTime() - until > 0;
    }

    /** One round from this (non-scheduler) thread: it completes and every P in use ran fn exactly once. */
    private static void roundRunsEachPOnce(Scheduler s, Counts c, String when) {
        c.reset();
        int procs = s.gomaxprocs();
        assertTrue(s.forEachP(c.fn, hangGuard()), "the round completed (" + when + ")");
        for (int i = 0; i < SchedConfig.MAX_PROCS; i++) {
            assertEquals(i < procs ? 1 : 0, c.perP.get(i), "runs of P" + i + " at GOMAXPROCS=" + procs + " (" + when + ")");
        }
        for (int i = 0; i < procs; i++) {
            assertFalse(s.p(i).safePointFnPending(), "P" + i + " owes nothing after the round");
        }
    }

    private static Scheduler newScheduler(int procs) {
        return Scheduler.create(SchedConfig.defaults().gomaxprocs(procs).fatalHandler(FatalHandler.THROW));
    }

    /** Waits up to 60 s for {@code cond}. */
    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
        while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(cond.getAsBoolean(), what);
    }

    /**
     * {@code rounds} rounds while {@code b}'s goroutines run (each round every P once), which
     * progress by {@code by} before and after; then they are stopped and must end cleanly.
     */
    private static void roundsWhileTheyRun(Scheduler s, SchedTesting.Background b, AtomicBoolean stop, LongSupplier progress,
                                           long by, int rounds, String what) throws InterruptedException {
        try {
            SchedTesting.assertProgress(progress, by, "the goroutines run");
            Counts c = new Counts();
            for (int r = 0; r < rounds; r++) {
                roundRunsEachPOnce(s, c, "round " + r + " of " + rounds + " " + what);
            }
            SchedTesting.assertProgress(progress, by, "the goroutines run after the rounds");
        } finally {
            stop.set(true);
            b.join();
        }
        b.assertEnded();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void idlePsRunItOnTheCaller(int procs) throws Exception {
        Scheduler s = newScheduler(procs);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ticks = new AtomicLong();
        // One goroutine that sleeps 1 ms at a time: the Ps are idle most of the time.
        SchedTesting.Background b = SchedTesting.Background.start(s, () -> {
            while (!stop.get()) {
                Time.sleep(java.time.Duration.ofMillis(1));
                ticks.incrementAndGet();
            }
        });
        long byCaller0 = s.forEachPStats()[1];
        roundsWhileTheyRun(s, b, stop, ticks::get, 5, 50, "with idle Ps");
        assertTrue(s.forEachPStats()[1] > byCaller0, "the caller ran it for idle Ps");
    }

    /** {@code procs} goroutines counting {@code spins} until {@code stop}, whose only safepoint is the preempt check. */
    private static SchedTesting.Background startPreemptCheckLoops(Scheduler s, int procs, AtomicBoolean stop, AtomicLong spins) {
        Runnable loop = () -> {
            while (!stop.get()) {
                spins.incrementAndGet();     // no allocation, no park: only the preempt check below
                Go.poll();
            }
        };
        Runnable[] loops = new Runnable[procs];
        java.util.Arrays.fill(loops, loop);
        return SchedTesting.Background.start(s, loops);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void runningLoopsAnswerAtTheirPreemptCheck(int procs) throws Exception {
        Scheduler s = newScheduler(procs);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong spins = new AtomicLong();
        SchedTesting.Background b = startPreemptCheckLoops(s, procs, stop, spins);
        roundsWhileTheyRun(s, b, stop, spins::get, 1000, 50, "with running loops");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void psInASyscallAreTakenByTheCaller(int procs) throws Exception {
        // No built-in retaker: only the round takes a P from a syscall.
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(procs).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean release = new AtomicBoolean();
        AtomicLong inCall = new AtomicLong();
        AtomicLong after = new AtomicLong();
        Runnable blocked = () -> {
            Go.syscall(() -> {
                inCall.incrementAndGet();
                while (!release.get()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            });
            after.incrementAndGet();        // the goroutine goes on with a P after its P was taken
        };
        Runnable[] gs = new Runnable[procs];
        java.util.Arrays.fill(gs, blocked);
        SchedTesting.Background b = SchedTesting.Background.start(s, gs);
        try {
            await(() -> inCall.get() == procs, "every goroutine is in its syscall");
            await(() -> {
                for (int i = 0; i < procs; i++) {
                    if (s.p(i).status() == PStatus.RUNNING) {
                        return false;
                    }
                }
                return true;
            }, "no P runs (each is in a syscall or idle)");
            long takes0 = s.forEachPStats()[2];
            Counts c = new Counts();
            roundRunsEachPOnce(s, c, "Ps in syscalls");
            assertTrue(s.forEachPStats()[2] > takes0, "the caller took a P from a syscall");
            for (int r = 0; r < 20; r++) {
                roundRunsEachPOnce(s, c, "round " + r + " after the take");
            }
        } finally {
            release.set(true);
            b.join();
        }
        b.assertEnded();
        assertEquals(procs, after.get(), "every goroutine returned from its syscall and went on");
    }

    /**
     * Ps changing state during rounds: goroutines ping-pong on channels (park, ready, idle and
     * wake), enter and leave syscalls and spin on the preempt check, while 300 rounds run.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void psParkingWakingAndInSyscallsDuringRounds(int procs) throws Exception {
        Scheduler s = newScheduler(procs);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong work = new AtomicLong();
        Chan<Integer> ping = new Chan<>(0);
        Chan<Integer> pong = new Chan<>(0);
        SchedTesting.Background b = SchedTesting.Background.start(s,
                () -> {
                    while (!stop.get()) {
                        ping.send(1);
                        pong.recv();
                        work.incrementAndGet();
                    }
                    ping.send(0);
                },
                () -> {
                    while (ping.recv() != 0) {
                        pong.send(1);
                    }
                },
                () -> {
                    while (!stop.get()) {
                        Go.syscall(() -> java.util.concurrent.locks.LockSupport.parkNanos(50_000));
                        work.incrementAndGet();
                    }
                },
                () -> {
                    while (!stop.get()) {
                        Time.sleep(java.time.Duration.ofNanos(200_000));
                        for (int i = 0; i < 1000; i++) {
                            Go.poll();
                        }
                        work.incrementAndGet();
                    }
                });
        roundsWhileTheyRun(s, b, stop, work::get, 100, 300, "while Ps park, wake and enter syscalls");
    }

    /**
     * GOMAXPROCS toggles between 1 and 2 (a goroutine's setGomaxprocs, stopping the world) while
     * goroutines enter and leave syscalls and rounds run: no P runs the function twice in a round,
     * P 0 (never destroyed) runs it every round, and a round without a resize runs it on every P.
     */
    @Test
    void roundsRaceWithProcresizeAndSyscalls() throws Exception {
        Scheduler s = newScheduler(2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong resizes = new AtomicLong();
        AtomicLong calls = new AtomicLong();
        // gosched, not poll, after each syscall: this scheduler runs without sysmon, so nothing
        // preempts a goroutine that only makes short syscalls, and at GOMAXPROCS=1 two of them kept
        // the one P from schedule() (where timers run) for as long as they looped: the resizer's
        // 300 us sleep never ended (seen: 3 resizes in 10 s, CI's stw2 run; the same on main 05e9187
        // in a probe). With the runtime, sysmon's 10 ms preemption bounds that.
        Runnable syscaller = () -> {
            while (!stop.get()) {
                Go.syscall(() -> java.util.concurrent.locks.LockSupport.parkNanos(20_000));
                Go.gosched();
                calls.incrementAndGet();
            }
        };
        SchedTesting.Background b = SchedTesting.Background.start(s,
                () -> {
                    int n = 1;
                    while (!stop.get()) {
                        Go.scheduler().setGomaxprocs(n);
                        n = 3 - n;
                        resizes.incrementAndGet();
                        Time.sleep(java.time.Duration.ofNanos(300_000));
                    }
                },
                syscaller, syscaller);
        try {
            SchedTesting.assertProgress(resizes::get, 5, "GOMAXPROCS changes");
            Counts c = new Counts();
            int clean = 0;
            for (int r = 0; r < 300; r++) {
                c.reset();
                long gen0 = s.procresizeGeneration();
                int procs0 = s.gomaxprocs();
                assertTrue(s.forEachP(c.fn, hangGuard()), "round " + r + " completed");
                boolean resized = s.procresizeGeneration() != gen0;
                for (int i = 0; i < SchedConfig.MAX_PROCS; i++) {
                    assertTrue(c.perP.get(i) <= 1, "P" + i + " ran it " + c.perP.get(i) + " times in round " + r);
                }
                assertEquals(1, c.perP.get(0), "P0 ran it in round " + r);
                if (!resized) {
                    clean++;
                    for (int i = 0; i < procs0; i++) {
                        assertEquals(1, c.perP.get(i), "P" + i + " ran it in round " + r + " (no resize, GOMAXPROCS=" + procs0 + ")");
                    }
                }
            }
            assertTrue(clean > 0, "some rounds ran without a resize");
            SchedTesting.assertProgress(calls::get, 10, "the syscall goroutines run after the rounds");
        } finally {
            stop.set(true);
            b.join();
        }
        b.assertEnded();
    }

    /**
     * A goroutine that never reaches a safepoint holds a round up (as it holds up a stop); the
     * caller's give-up ends the round with its P let off, and the next round, once the goroutine
     * reaches its preempt check, runs on every P once.
     */
    @Test
    void aGivenUpRoundLetsItsPsOffAndTheNextOneCompletes() throws Exception {
        Scheduler s = newScheduler(2);
        AtomicBoolean spin = new AtomicBoolean(true);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean spinning = new AtomicBoolean();
        SchedTesting.Background b = SchedTesting.Background.start(s, () -> {
            spinning.set(true);
            while (spin.get()) {
                Thread.onSpinWait();          // no safepoint at all
            }
            while (!stop.get()) {
                Go.poll();
            }
        });
        try {
            await(spinning::get, "the spinner runs");
            Counts c = new Counts();
            long t0 = System.nanoTime();
            assertFalse(s.forEachP(c.fn, () -> System.nanoTime() - t0 > 50_000_000L), "the round was given up");
            int ranOn = 0;
            for (int i = 0; i < 2; i++) {
                assertTrue(c.perP.get(i) <= 1, "P" + i + " ran it at most once");
                ranOn += c.perP.get(i);
                assertFalse(s.p(i).safePointFnPending(), "P" + i + " was let off");
            }
            assertEquals(1, ranOn, "the idle P ran it, the spinner's did not");
            spin.set(false);
            roundRunsEachPOnce(s, c, "after the spinner reached its preempt checks");
        } finally {
            spin.set(false);
            stop.set(true);
            b.join();
        }
        b.assertEnded();
    }

    @Test
    void badCallsAreRefusedNamingWhatIsAccepted() {
        AtomicReference<Throwable> fromGoroutine = new AtomicReference<>();
        Scheduler s = SchedTesting.run(1, () -> fromGoroutine.set(
                assertThrows(IllegalStateException.class, () -> Go.scheduler().forEachP(p -> { }, null))));
        assertTrue(fromGoroutine.get().getMessage().contains("accepted: a thread outside it"), fromGoroutine.get().getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.forEachP(null, null));
        assertTrue(e.getMessage().contains("accepted: a Consumer<P>"), e.getMessage());
        assertFalse(s.forEachP(p -> { }, null), "a round after the scheduler stopped does not run");
    }

    /**
     * A function that throws: caught on the thread that ran it (for a running P its M's scheduling
     * loop, which the throw escaped into before), the round goes on, and the caller gets the
     * first throw naming the P; later rounds and the goroutines run as before.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aThrowingFunctionIsRethrownToTheCallerAndTheSchedulerRunsOn(int procs) throws Exception {
        Scheduler s = newScheduler(procs);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong spins = new AtomicLong();
        SchedTesting.Background b = startPreemptCheckLoops(s, procs, stop, spins);
        try {
            SchedTesting.assertProgress(spins::get, 1000, "the loops run");
            Counts c = new Counts();
            RuntimeException boom = new RuntimeException("boom");
            for (int r = 0; r < 20; r++) {
                c.reset();
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.forEachP(p -> {
                    c.fn.accept(p);
                    throw boom;
                }, hangGuard()), "round " + r);
                assertTrue(e.getCause() == boom && e.getMessage().startsWith("forEachP: the function threw on P")
                        && e.getMessage().contains("accepted: a function that returns normally"), e.getMessage());
                for (int i = 0; i < procs; i++) {
                    assertEquals(1, c.perP.get(i), "P" + i + " ran it once in round " + r);
                    assertFalse(s.p(i).safePointFnPending(), "P" + i + " owes nothing after round " + r);
                }
            }
            roundRunsEachPOnce(s, c, "after the throwing rounds");
            SchedTesting.assertProgress(spins::get, 1000, "the loops run after the throwing rounds");
        } finally {
            stop.set(true);
            b.join();
        }
        b.assertEnded();
    }

    /**
     * A round that starts while a GOMAXPROCS change destroys a P, after destroyP looked at the P's
     * word and before the new allp is published (here: from a ProcResizeHook's destroyP, which runs
     * in that window), counts the dying P: the resize runs it when it publishes the new allp. Before,
     * nobody ran it (the P is in no later allp) and the round waited until its give-up.
     */
    @Test
    void aRoundStartedWhileAResizeDestroysAPCompletes() throws Exception {
        Scheduler s = newScheduler(2);
        Counts c = new Counts();
        AtomicReference<Boolean> completed = new AtomicReference<>();
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicBoolean once = new AtomicBoolean();
        AtomicBoolean sawPending = new AtomicBoolean();
        s.addProcResizeHook(new ProcResizeHook() {
            @Override
            public void destroyP(P dying, P heir) {
                if (!once.compareAndSet(false, true)) {
                    return;
                }
                long until = System.nanoTime() + 120_000_000_000L;
                Thread t = new Thread(() -> completed.set(s.forEachP(c.fn, () -> System.nanoTime() - until > 0)), "forEachP-caller");
                caller.set(t);
                t.start();
                long deadline = System.nanoTime() + SchedTesting.PROGRESS_WAIT_NANOS;
                while (!dying.safePointFnPending() && System.nanoTime() < deadline) {
                    Thread.yield();
                }
                sawPending.set(dying.safePointFnPending());
            }
        });
        SchedTesting.Background b = SchedTesting.Background.start(s, () -> {
            Go.scheduler().setGomaxprocs(1);
            while (caller.get() == null || caller.get().isAlive()) {
                Time.sleep(java.time.Duration.ofMillis(1));      // safepoints for P0's turn
            }
        });
        b.join();
        b.assertEnded();
        assertTrue(sawPending.get(), "the round started inside the resize and counted the dying P1");
        caller.get().join();
        assertEquals(Boolean.TRUE, completed.get(), "the round completed (not given up)");
        assertEquals(1, c.perP.get(0), "P0 ran it once");
        assertEquals(1, c.perP.get(1), "the dying P1 ran it once");
        assertFalse(s.p(0).safePointFnPending(), "P0 owes nothing");
    }
}
