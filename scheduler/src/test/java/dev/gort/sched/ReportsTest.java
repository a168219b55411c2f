package dev.gort.sched;

import dev.gort.testing.ChildJvm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** F17/F18/F19 reports (in-process and in child JVMs with exit code 2) and Go's schedtrace format. */
// A hang guard above ChildJvm's own 300 s, which names what hung with the child's stderr: a child
// JVM at load 60 took the old 120 s (session 28).
@Timeout(600)
class ReportsTest {

    @Test
    void deadlockInChildJvmExitsTwoWithGoText() throws Exception {
        ChildJvm.Result r = ChildJvm.run(FatalMains.Deadlock.class, Map.of("GOMAXPROCS", "2"));
        assertEquals(2, r.exitCode(), r.stderr());
        assertTrue(r.stderr().startsWith("fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n"),
                r.stderr());
        assertTrue(r.stderr().contains("\ngoroutine 2 [select]:\n"), r.stderr());
        assertFalse(r.stdout().contains("unreachable"));
    }

    @Test
    void panicInChildJvmExitsTwoWithGoText() throws Exception {
        ChildJvm.Result r = ChildJvm.run(FatalMains.Panic.class, Map.of("GOMAXPROCS", "1"));
        assertEquals(2, r.exitCode(), r.stderr());
        assertTrue(Pattern.compile("^panic: java\\.lang\\.IllegalStateException: boom\n\ngoroutine 2 \\[running\\]:\n"
                + "dev\\.gort\\.sched\\.FatalMains\\$Panic\\.lambda\\$main\\$\\d+\\(\\.\\.\\.\\)\n\tFatalMains\\.java:\\d+\n")
                .matcher(r.stderr()).find(), r.stderr());
    }

    @Test
    void closeOfClosedChannelInChildJvm() throws Exception {
        ChildJvm.Result r = ChildJvm.run(FatalMains.CloseClosed.class, Map.of());
        assertEquals(2, r.exitCode(), r.stderr());
        assertTrue(r.stderr().startsWith("panic: close of closed channel\n\ngoroutine 1 [running]:\n"), r.stderr());
    }

    @Test
    void sleepingAndSyscallGoroutinesAreNotDeadlocked() throws Exception {
        ChildJvm.Result r = ChildJvm.run(FatalMains.NotDeadlocked.class, Map.of("GOMAXPROCS", "1"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("ok\n", r.stdout());
    }

    @Test
    void schedtraceLinesInGoFormat() throws Exception {
        ChildJvm.Result r = ChildJvm.run(FatalMains.Trace.class, Map.of("GOMAXPROCS", "2", "GORT_DEBUG", "schedtrace=50"));
        assertEquals(0, r.exitCode(), r.stderr());
        Pattern line = Pattern.compile("SCHED \\d+ms: gomaxprocs=2 idleprocs=[0-2] threads=\\d+ spinningthreads=\\d+ "
                + "needspinning=[01] idlethreads=\\d+ runqueue=\\d+ \\[\\d+ \\d+\\]");
        long n = r.stderr().lines().filter(l -> line.matcher(l).matches()).count();
        assertTrue(n >= 2, "expected SCHED lines every 50 ms, got:\n" + r.stderr());
    }

    @Test
    void scheddetailLinesInGoFormat() {
        AtomicReference<String> trace = new AtomicReference<>();
        SchedTesting.run(1, () -> {
            Chan<Integer> c = new Chan<>();
            Go.go(() -> c.recv());
            Go.gosched();
            trace.set(Go.scheduler().schedtrace(true));
            c.send(1);
        });
        String[] lines = trace.get().split("\n");
        assertTrue(lines[0].matches("SCHED \\d+ms: gomaxprocs=1 idleprocs=\\d threads=\\d+ spinningthreads=\\d+ needspinning=[01] "
                + "idlethreads=\\d+ runqueue=\\d+ gcwaiting=false nmidlelocked=\\d+ stopwait=\\d+ sysmonwait=false"), lines[0]);
        assertTrue(lines[1].matches("  P0: status=\\d schedtick=\\d+ syscalltick=\\d+ m=(\\d+|nil) runqsize=\\d+ gfreecnt=\\d+ timerslen=\\d+"),
                lines[1]);
        assertTrue(trace.get().contains("  M0: p=0 curg=1 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false "
                + "blocked=false lockedg=nil\n"), trace.get());
        assertTrue(trace.get().contains("  G1: status=2() m=0 lockedm=nil\n"), trace.get());
        assertTrue(trace.get().contains("  G2: status=4(chan receive) m=nil lockedm=nil\n"), trace.get());
    }

    /** A system goroutine (a GC worker) is not counted, does not hide a deadlock and is left out of its report. */
    @Test
    void systemGoroutinesAreNotCountedNorReported() {
        java.util.concurrent.atomic.AtomicLong counted = new java.util.concurrent.atomic.AtomicLong(-1);
        FatalError e = assertThrows(FatalError.class, () -> SchedTesting.run(2, () -> {
            Chan<Integer> forever = new Chan<>();
            Go.goSystem(() -> forever.recv());           // parks for good, like an idle GC worker
            Chan<Integer> started = new Chan<>(1);
            Go.go(() -> started.send(1));
            started.recv();
            while (Go.scheduler().goroutines() > 1) {    // the user goroutine above has ended
                Go.gosched();
            }
            counted.set(Go.scheduler().goroutines());
            new Chan<Integer>().recv();                  // main blocks: only the system goroutine is left
        }));
        assertEquals(1, counted.get(), "main only: the system goroutine is not counted");
        assertEquals("fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n",
                e.report().substring(0, e.report().indexOf(":\n", e.report().indexOf("goroutine 1")) + 2), e.report());
        assertEquals(1, e.report().split("\ngoroutine ", -1).length - 1, "one goroutine in the report: " + e.report());
    }

    @Test
    void inProcessDeadlockAndPanicReportsAndRecovery() {
        FatalError e = assertThrows(FatalError.class, () -> SchedTesting.run(1, () -> new Chan<Integer>().recv()));
        assertTrue(e.report().startsWith("fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n"),
                e.report());

        FatalError p = assertThrows(FatalError.class, () -> SchedTesting.run(1, () -> {
            Go.go(() -> {
                throw new ArithmeticException("divide by zero");
            });
            new Chan<Integer>().recv();
        }));
        assertTrue(p.report().startsWith("panic: java.lang.ArithmeticException: divide by zero\n\ngoroutine 2 [running]:\n"),
                p.report());
        assertTrue(p.getCause() instanceof ArithmeticException);

        AtomicReference<Throwable> recovered = new AtomicReference<>();
        SchedTesting.run(SchedConfig.defaults().gomaxprocs(1).panicHandler((g, t) -> {
            recovered.set(t);
            return true;
        }), () -> {
            Go.go(() -> {
                throw new IllegalStateException("recover me");
            });
            Go.gosched(); // the panicking goroutine runs (runnext) before main is back from the global queue
        });
        assertEquals("recover me", recovered.get().getMessage());
    }

    /** Go's rule: main's Goexit lets the others finish, then "no goroutines" is a deadlock. */
    @Test
    void mainGoexitWaitsForTheOthersThenDeadlocks() {
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        FatalError e = assertThrows(FatalError.class, () -> SchedTesting.run(2, () -> {
            for (int i = 0; i < 3; i++) {
                Go.go(() -> {
                    Time.sleep(java.time.Duration.ofMillis(30));
                    finished.incrementAndGet();
                });
            }
            Go.goexit();
        }));
        assertEquals(3, finished.get(), "the other goroutines ran to the end");
        assertEquals("fatal error: no goroutines (main called runtime.Goexit) - deadlock!\n", e.report());
    }

    /** F15: more blocked Ms than the thread cap is Go's "thread exhaustion", not a hang. */
    @Test
    void threadExhaustionIsFatal() {
        FatalError e = assertThrows(FatalError.class, () -> SchedTesting.run(
                SchedConfig.defaults().gomaxprocs(1).maxThreads(3).syscallRetake(100_000), () -> {
                    Chan<Boolean> done = new Chan<>();
                    for (int i = 0; i < 5; i++) {
                        Go.go(() -> {
                            Go.syscall(() -> {
                                try {
                                    Thread.sleep(300);
                                } catch (InterruptedException ie) {
                                    Thread.currentThread().interrupt();
                                }
                            });
                            done.send(true);
                        });
                    }
                    for (int i = 0; i < 5; i++) {
                        done.recv();
                    }
                }));
        assertTrue(e.report().startsWith("runtime: program exceeds 3-thread limit\nfatal error: thread exhaustion\n"), e.report());
    }

    @Test
    void configRejectsBadValuesWithTheAcceptedForms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchedConfig.from(Map.of("GOMAXPROCS", "zero"), new Properties()));
        assertTrue(e.getMessage().contains("GOMAXPROCS=zero") && e.getMessage().contains("positive integer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SchedConfig.from(Map.of("GORT_DEBUG", "schedtrace=soon"), new Properties()));
        assertTrue(e.getMessage().contains("schedtrace=soon"), e.getMessage());
        for (String bad : new String[] {"sprad", "list:", "list:a", "list:-1", "list:0,,1", "spread,none"}) {
            e = assertThrows(IllegalArgumentException.class, () -> Affinity.parse(bad), bad);
            assertTrue(e.getMessage().contains("GORT_AFFINITY=" + bad) && e.getMessage().contains("accepted: none | spread | list:"),
                    e.getMessage());
        }
        assertEquals(Affinity.NONE, Affinity.parse("none"));
        assertEquals(Affinity.SPREAD, Affinity.parse("spread"));
        assertEquals("list:0,2", Affinity.parse("list:0,2").toString());
        SchedConfig c = SchedConfig.from(Map.of("GOMAXPROCS", "3", "GORT_AFFINITY", "spread",
                "GORT_DEBUG", "gctrace=1,schedtrace=1000,scheddetail=1"), new Properties());
        assertEquals(3, c.gomaxprocs());
        assertEquals(Affinity.SPREAD, c.affinity());
        assertEquals(1000, c.schedtraceMillis);
        assertTrue(c.scheddetail);
    }
}
