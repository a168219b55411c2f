package dev.gort.sched;

import dev.gort.testing.CompiledCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
 */
@Timeout(120)
class StopPathWarmupTest {
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
            assertTrue(running.await(10, TimeUnit.SECONDS));
            assertThrows(IllegalArgumentException.class, () -> StopPathWarmup.run(s, -1, () -> true));
            int rounds = 0;
            // A call ends after a few stops that waited over 2 ms (a goroutine waiting for a CPU on
            // a loaded machine): call again until 50 pairs were made.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            while (rounds < 50 && System.nanoTime() < until) {
                rounds += StopPathWarmup.run(s, 50 - rounds, () -> true);
            }
            assertEquals(50, rounds, "50 stops of goroutines that poll all the time were not made within 8 s");
            long p0 = polls.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
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
            assertTrue(running.await(10, TimeUnit.SECONDS));
            spinUntil.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));   // no safepoint for 5 s
            // Wait until the spinner is inside its spin (not a fixed sleep: on a loaded machine it
            // may not have reached the loop 20 ms later, and a stop would then complete).
            long spinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (spinning.get() == 0 && System.nanoTime() < spinDeadline) {
                Thread.sleep(1);
            }
            assertTrue(spinning.get() != 0, "the spinner did not start its spin within 3 s");
            long t0 = System.nanoTime();
            int rounds = StopPathWarmup.run(s, 1000, () -> true);
            long took = System.nanoTime() - t0;
            assertEquals(0, rounds, "a stop was completed while a goroutine ran without a safepoint");
            assertTrue(took < TimeUnit.SECONDS.toNanos(4), "the warm-up waited " + took / 1_000_000 + " ms for a goroutine that does not stop");
            spinUntil.set(0);
            long p0 = polls.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
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
        t.join(10_000);
        assertTrue(msg[0] != null && msg[0].contains("from another thread"), String.valueOf(msg[0]));
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
     * Without the warm-up none of the WARMED methods is compiled in the child (its goroutines only
     * poll, so these methods run in no other path): checked by hand with {@code Child 0}, which
     * printed "not compiled" for all four (session 15, branch gp99); not run here, since a second
     * child JVM doubles the test's time on the loaded 2-core machine.
     */
    @Test
    void afterTheWarmUpTheStopPathIsCompiled() throws Exception {
        String warm = child(StopPathWarmup.DEFAULT_ROUNDS);
        for (String m : WARMED) {
            assertTrue(warm.contains("compiled " + m) && !warm.contains("not compiled " + m),
                    m + " was not compiled after the warm-up; child said:\n" + warm);
        }
    }

    private static String child(int rounds) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx64m", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Child.class.getName(),
                Integer.toString(rounds)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
        return out;
    }

    /**
     * Two polling goroutines at GOMAXPROCS=2, the warm-up (args[0] pairs, called again while a call
     * ends early on slow stops, for up to 10 s), then the WARMED methods' compiled state: waits up
     * to 10 s for them when warmed (the JIT compiles in the background), 2 s when not.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            int rounds = Integer.parseInt(args[0]);
            Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
            AtomicBoolean done = new AtomicBoolean();
            CountDownLatch running = new CountDownLatch(2);
            SchedTesting.Background runner = startPollers(s, done, new AtomicLong(), running, new AtomicLong());
            running.await();
            int total = 0;
            long until = System.nanoTime() + 10_000_000_000L;      // calls end early on slow stops (load): call again
            while (total < rounds && System.nanoTime() < until) {
                total += StopPathWarmup.run(s, rounds - total, () -> true);
            }
            System.out.println("rounds " + total);
            List<String> missing = new ArrayList<>(WARMED);
            long deadline = System.nanoTime() + (rounds > 0 ? 10_000_000_000L : 2_000_000_000L);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                String list = CompiledCode.codeList();
                missing.removeIf(m -> {
                    if (CompiledCode.level(list, m) > 0) {
                        System.out.println("compiled " + m);
                        return true;
                    }
                    return false;
                });
                Thread.sleep(50);
            }
            missing.forEach(m -> System.out.println("not compiled " + m));
            done.set(true);
            runner.assertEnded();
        }
    }
}
