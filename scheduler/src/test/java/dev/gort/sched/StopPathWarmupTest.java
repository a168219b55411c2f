package dev.gort.sched;

import dev.gort.testing.CompiledCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stop path's warm-up ({@link StopPathWarmup}): real stops that leave the world running,
 * that give up on a goroutine slow to stop, and after which the stop path's methods are compiled
 * (checked in a child JVM, where nothing else has run them).
 *
 * <p>On a loaded machine a pair takes milliseconds to tens of milliseconds (each needs the
 * stopper and both Ms on a CPU in turn) and most stops may be given up (2 ms), so no wait here
 * is a bound on wall time: each counts pairs and fails only when none completes for
 * {@link #HANG_GUARD_NANOS} (at load 30-60 the old 8 s and 10 s bounds fit 14-146 pairs).
 */
@Timeout(120)
class StopPathWarmupTest {
    /** A wait for something that must happen (a pair, a goroutine's progress) fails only after this long without it. */
    static final long HANG_GUARD_NANOS = TimeUnit.SECONDS.toNanos(60);
    @Test
    void roundsPropertyAcceptsWholeCountsAndNamesWhatIsAcceptedOtherwise() {
        assertEquals(StopPathWarmup.DEFAULT_ROUNDS, StopPathWarmup.parseRounds(null));
        assertEquals(0, StopPathWarmup.parseRounds("0"));
        assertEquals(1000, StopPathWarmup.parseRounds(" 1000 "));
        for (String bad : new String[] {"-1", "many", "100001", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StopPathWarmup.parseRounds(bad));
            assertTrue(e.getMessage().contains("-Dgort.sched.stopwarmup=" + bad) && e.getMessage().contains("0..100000"), e.getMessage());
            assertEquals(StopPathWarmup.DEFAULT_ROUNDS, StopPathWarmup.rounds(bad), "a refused value falls back to the default");
        }
    }

    @Test
    void warmUpStopsAndRestartsTheWorldEachRoundWhileGoroutinesRun() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong polls = new AtomicLong();
        CountDownLatch running = new CountDownLatch(2);
        SchedTesting.Background runner = startPollers(s, done, polls, running, new AtomicLong());
        try {
            assertTrue(running.await(60, TimeUnit.SECONDS));
            assertThrows(IllegalArgumentException.class, () -> StopPathWarmup.run(s, -1, () -> true));
            // A call ends after a few stops that waited over 2 ms (a goroutine waiting for a CPU on
            // a loaded machine) or after its budget: call again until 50 pairs were made.
            int rounds = warmUp(s, 50);
            assertEquals(50, rounds, "no stop of goroutines that poll all the time completed for 60 s after " + rounds + " of 50");
            long p0 = polls.get();
            long deadline = System.nanoTime() + HANG_GUARD_NANOS;
            while (polls.get() < p0 + 1000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(polls.get() >= p0 + 1000, "the goroutines did not run again after the warm-up");
            assertEquals(0, StopPathWarmup.run(s, 50, () -> false), "keepGoing false: no round");
            done.set(true);
            runner.assertEnded();
        } finally {
            done.set(true);
            runner.join();
        }
    }

    @Test
    void aGoroutineSlowToStopEndsTheWarmUpWithTheWorldRunning() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong polls = new AtomicLong();
        AtomicLong spinUntil = new AtomicLong();
        CountDownLatch running = new CountDownLatch(2);
        SchedTesting.Background runner = startPollers(s, done, polls, running, spinUntil);
        AtomicLong spinning = SPINNING;
        spinning.set(0);
        try {
            assertTrue(running.await(60, TimeUnit.SECONDS));
            // No safepoint until released below (the bound is only a hang guard): the warm-up
            // must give up on it, not wait it out, however slowly this machine runs the stops.
            spinUntil.set(System.nanoTime() + HANG_GUARD_NANOS);
            // Wait until the spinner is inside its spin (not a fixed sleep: on a loaded machine it
            // may not have reached the loop 20 ms later, and a stop would then complete).
            long spinDeadline = System.nanoTime() + HANG_GUARD_NANOS;
            while (spinning.get() == 0 && System.nanoTime() < spinDeadline) {
                Thread.sleep(1);
            }
            assertTrue(spinning.get() != 0, "the spinner did not start its spin within 60 s");
            long t0 = System.nanoTime();
            int rounds = StopPathWarmup.run(s, 1000, () -> true);
            long took = System.nanoTime() - t0;
            // Still spinning when the warm-up returned: it gave up on the goroutine (a warm-up that
            // waited for it would never return before the release, and the class timeout ends it).
            boolean stillSpinning = spinning.get() != 0;
            spinUntil.set(0);
            assertEquals(0, rounds, "a stop was completed while a goroutine ran without a safepoint");
            assertTrue(stillSpinning, "the warm-up returned after " + took / 1_000_000 + " ms, only once the spinner had stopped spinning");
            long p0 = polls.get();
            long deadline = System.nanoTime() + HANG_GUARD_NANOS;
            while (polls.get() < p0 + 1000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(polls.get() >= p0 + 1000, "the world stayed stopped after a given-up warm-up");
            done.set(true);
            runner.assertEnded();
        } finally {
            spinUntil.set(0);
            done.set(true);
            runner.join();
        }
    }

    @Test
    void warmUpFromAGoroutineOfTheSameSchedulerIsRefused() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        String[] msg = new String[1];
        Thread t = new Thread(() -> s.run(() -> {
            try {
                StopPathWarmup.run(s, 1, () -> true);
            } catch (IllegalStateException e) {
                msg[0] = e.getMessage();
            }
        }));
        t.start();
        t.join(TimeUnit.NANOSECONDS.toMillis(HANG_GUARD_NANOS));
        assertTrue(msg[0] != null && msg[0].contains("from another thread"), String.valueOf(msg[0]));
    }

    /**
     * Runs warm-up calls on {@code s} until {@code pairs} pairs were made, or until none was made for
     * {@link #HANG_GUARD_NANOS}; returns the pairs made. A call ends early after a few given-up
     * stops or its budget, which a loaded machine reaches in a few pairs.
     */
    static int warmUp(Scheduler s, int pairs) {
        int made = 0;
        long lastPair = System.nanoTime();
        while (made < pairs && System.nanoTime() - lastPair < HANG_GUARD_NANOS) {
            int n = StopPathWarmup.run(s, pairs - made, () -> true);
            if (n > 0) {
                made += n;
                lastPair = System.nanoTime();
            }
        }
        return made;
    }

    /** 1 while the spinning poller is inside its spin without a safepoint. */
    private static final AtomicLong SPINNING = new AtomicLong();

    /** Two goroutines that poll in a loop (one spins without a safepoint while spinUntil is in the future). */
    private static SchedTesting.Background startPollers(Scheduler s, AtomicBoolean done, AtomicLong polls, CountDownLatch running,
            AtomicLong spinUntil) {
        Runnable[] pollers = new Runnable[2];
        for (int i = 0; i < 2; i++) {
            final boolean spinner = i == 0;
            pollers[i] = () -> {
                running.countDown();
                while (!done.get()) {
                    if (spinner) {
                        while (System.nanoTime() - spinUntil.get() < 0 && !done.get()) {
                            SPINNING.lazySet(1);
                            Thread.onSpinWait();
                        }
                        SPINNING.lazySet(0);
                    }
                    Go.poll();
                    polls.incrementAndGet();
                }
            };
        }
        return SchedTesting.Background.start(s, pollers);
    }

    /**
     * Stop-path methods that run only inside a stop in the child's program (no goroutine parks or
     * idles), each too big for C1 to inline into its caller (35 bytes): a small one such as
     * releasep is compiled inside gcstopm and need not get code of its own.
     */
    static final List<String> WARMED = List.of(
            "dev.gort.sched.WorldStop.stopHeld(Ljava/lang/String;Ljava/util/function/BooleanSupplier;Ljava/lang/Runnable;)V",
            "dev.gort.sched.WorldStop.startHeld()V",
            "dev.gort.sched.WorldStop.gcstopm(Ldev/gort/sched/M;)V",
            "dev.gort.sched.MPool.stopm(Ldev/gort/sched/M;)V");

    /**
     * The warm-up's default pairs get the WARMED methods compiled in a child JVM whose goroutines
     * only poll, so that nothing else runs them: none is compiled before the warm-up, and each is
     * compiled after at most {@link StopPathWarmup#DEFAULT_ROUNDS} pairs (the child ends the warm-up
     * early once all are). Pairs, not wall time: on a loaded machine the warm-up's own budget ends a
     * call after a few pairs and the child calls again (at load 30-60 the old 10 s window fitted
     * 14-146 pairs, and the test failed); 110-290 pairs compiled all four in children at load 8-17.
     */
    @Test
    @Timeout(600)       // an outer bound only: the child's waits and the read of its output are progress-based
    void afterTheWarmUpTheStopPathIsCompiled() throws Exception {
        String warm = child(StopPathWarmup.DEFAULT_ROUNDS);
        // What a next failure, or a slow run, needs: the pairs made and when each method was seen compiled.
        String[] lines = warm.split("\n");
        String lastPairs = "";
        for (String line : lines) {
            if (line.startsWith("pairs ")) {
                lastPairs = line;
            } else {
                System.out.println("StopPathWarmupTest child: " + line);
            }
        }
        System.out.println("StopPathWarmupTest child: " + lastPairs + " (the last count it printed)");
        assertTrue(warm.contains("\npairs ") || warm.startsWith("pairs "), "the child made no pair; it said:\n" + warm);
        for (String m : WARMED) {
            assertTrue(!warm.contains("compiled before the warm-up " + m), m + " was compiled before the warm-up ran; child said:\n" + warm);
            assertTrue(warm.contains("compiled " + m) && !warm.contains("not compiled " + m),
                    m + " was not compiled after the warm-up; child said:\n" + warm);
        }
    }

    /**
     * Runs {@link Child} and returns what it printed. Progress-based: fails if the child prints
     * nothing for twice {@link #HANG_GUARD_NANOS} (it prints every 50 pairs, and its own waits end
     * after one such period without progress).
     */
    private static String child(int rounds) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx64m", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Child.class.getName(),
                Integer.toString(rounds)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return dev.gort.testing.ChildJvm.outputWhileProgressing(p, 2 * HANG_GUARD_NANOS);
    }

    /**
     * Two polling goroutines at GOMAXPROCS=2, then the warm-up, called again while calls end early
     * (given-up stops, the budget), until args[0] pairs are made or every WARMED method is compiled,
     * and then the JIT's verdict on the rest: compiled, or neither queued nor being compiled (too
     * few calls). Prints "pairs N" at each look at the list (every 50 pairs); each wait ends after
     * {@link #HANG_GUARD_NANOS} without progress. With args[0] 0 it shows the methods stay
     * uncompiled without the warm-up (session 15, branch gp99: "not compiled" for all four).
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            int rounds = Integer.parseInt(args[0]);
            Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
            AtomicBoolean done = new AtomicBoolean();
            CountDownLatch running = new CountDownLatch(2);
            SchedTesting.Background runner = startPollers(s, done, new AtomicLong(), running, new AtomicLong());
            running.await();
            List<String> missing = new ArrayList<>(WARMED);
            String before = CompiledCode.codeList();       // also loads the list's machinery before the warm-up
            for (String m : WARMED) {
                if (CompiledCode.level(before, m) > 0) {
                    System.out.println("compiled before the warm-up " + m);
                }
            }
            int total = 0;
            int checked = 0;
            long lastPair = System.nanoTime();
            while (total < rounds && !missing.isEmpty()) {
                int n = StopPathWarmup.run(s, Math.min(50, rounds - total), () -> true);
                if (n > 0) {
                    total += n;
                    lastPair = System.nanoTime();
                    // The list every 50 pairs, not after every call: a loaded machine ends calls
                    // after a few pairs, and each look reads and splits the whole code list.
                    if (total - checked >= 50 || total >= rounds) {
                        checked = total;
                        System.out.println("pairs " + total);
                        dropCompiled(missing, total);
                    }
                } else if (System.nanoTime() - lastPair > HANG_GUARD_NANOS) {
                    System.out.println("no pair completed for 60 s after " + total + " pairs");
                    break;
                }
            }
            // The JIT compiles in the background: a method still missing is waited for while it is
            // queued or being compiled. The pairs have ended, so one in neither never will be.
            long deadline = System.nanoTime() + HANG_GUARD_NANOS;
            List<String> inQueue = new ArrayList<>(missing);
            while (!inQueue.isEmpty() && System.nanoTime() < deadline) {
                String queue = CompiledCode.compileQueue();         // before the list: a method compiled in between is seen in the list
                dropCompiled(missing, total);
                inQueue.clear();
                missing.stream().filter(m -> CompiledCode.queued(queue, m)).forEach(inQueue::add);
                Thread.sleep(50);
            }
            for (String m : missing) {
                System.out.println("not compiled " + m + (inQueue.contains(m) ? " (still queued for the JIT after 60 s)" : " (not queued for the JIT)"));
            }
            done.set(true);
            runner.assertEnded();
        }

        /** Prints and removes the methods of {@code missing} that have compiled code now. */
        private static void dropCompiled(List<String> missing, int pairs) throws Exception {
            String list = CompiledCode.codeList();
            missing.removeIf(m -> {
                if (CompiledCode.level(list, m) > 0) {
                    System.out.println("compiled " + m + " (seen after " + pairs + " pairs)");
                    return true;
                }
                return false;
            });
        }
    }
}
