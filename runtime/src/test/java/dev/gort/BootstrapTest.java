package dev.gort;

import dev.gort.sys.MemoryMaps;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** Gort.run: Go's start-up order, exit codes, and a clean shutdown (TESTING.md X1 in part). */
class BootstrapTest {
    static Gort.Options opts(Map<String, String> env) {
        return new Gort.Options().settings(env, Map.of());
    }

    @Test
    void bootOrderSeenByInitHooksAndMain() {
        List<String> log = new CopyOnWriteArrayList<>();
        Gort.Options o = opts(Map.of("GOMAXPROCS", "2"))
                .init(() -> log.add("init1 " + Gort.bootPhases()))
                .init(() -> log.add("init2 on goroutine " + dev.gort.sched.Go.onGoroutine()));
        int code = Gort.run(new String[]{"a", "b"}, args -> log.add("main " + String.join(",", args) + " " + Gort.bootPhases()), o);
        assertEquals(0, code);
        assertEquals(3, log.size(), log.toString());
        assertEquals("init1 [args, osinit, mallocinit, goargs, procresize, gcinit, runtime.main, sysmon, runtime.init, gcenable]", log.get(0));
        assertEquals("init2 on goroutine true", log.get(1));
        assertEquals("main a,b [args, osinit, mallocinit, goargs, procresize, gcinit, runtime.main, sysmon, runtime.init, gcenable, main.init, main.main]",
                log.get(2));
    }

    @Test
    void cleanShutdownLeavesNoThreadsAndNoMappings() {
        AtomicLong arenaBase = new AtomicLong();
        int code = Gort.run(new String[0], args -> {
            GortRuntime rt = Gort.currentRuntime();
            arenaBase.set(rt.heap.arenaBase());
            assertTrue(MemoryMaps.find(rt.heap.arenaBase()).isPresent(), "the arena is mapped while running");
            for (int i = 0; i < 100; i++) {
                Gort.go(() -> Gort.sleep(java.time.Duration.ofMillis(1)));
            }
            Gort.sleep(java.time.Duration.ofMillis(20));
        }, opts(Map.of("GOMAXPROCS", "2")));
        assertEquals(0, code);
        List<String> left = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("gort-")) {
                left.add(t.getName());
            }
        }
        assertEquals(List.of(), left, "gort threads after shutdown");
        assertTrue(MemoryMaps.find(arenaBase.get()).isEmpty(), "arena still mapped after shutdown");
        assertNull(Gort.currentRuntime());
        assertThrows(IllegalStateException.class, Gort::numGoroutine);
    }

    @Test
    void exitCodes() {
        assertEquals(0, Gort.run(new String[0], args -> { }, opts(Map.of())));
        assertEquals(3, Gort.run(new String[0], args -> {
            Gort.exit(3);
            fail("exit returned");
        }, opts(Map.of())));
        assertEquals(7, Gort.run(new String[0], args -> {
            Gort.go(() -> Gort.exit(7));
            Gort.sleep(java.time.Duration.ofSeconds(30));
        }, opts(Map.of())), "exit from another goroutine ends the program");
    }

    @Test
    void panicInAGoroutineExits2WithGosReport() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Gort.run(new String[0], args -> {
            Gort.go(() -> {
                throw new IllegalStateException("boom");
            });
            Gort.sleep(java.time.Duration.ofSeconds(30));
        }, opts(Map.of()).stderr(new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals(2, code);
        String report = err.toString(StandardCharsets.UTF_8);
        assertTrue(report.startsWith("panic: java.lang.IllegalStateException: boom"), report);
        assertTrue(report.contains("goroutine "), report);
    }

    @Test
    void mainThrowingACheckedExceptionPanics() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Gort.run(new String[0], args -> {
            throw new java.io.IOException("disk gone");
        }, opts(Map.of()).stderr(new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("java.io.IOException: disk gone"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void malformedSettingStopsStartUpBeforeAnythingRuns() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Gort.run(new String[0], args -> fail("main ran"), opts(Map.of("GOGC", "lots"))));
        assertEquals(ConfigKey.GOGC, e.key());
        assertNull(Gort.currentRuntime());
        assertEquals(0, Gort.run(new String[0], args -> { }, opts(Map.of())), "usable after the refusal");
    }

    /** A null argument is refused before anything starts (a null main used to boot and panic on goroutine 1: exit 2). */
    @Test
    void nullArgumentsAreRefusedBeforeAnythingRuns() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Gort.Options quiet = opts(Map.of()).stderr(new PrintStream(err, true, StandardCharsets.UTF_8));
        NullPointerException main = assertThrows(NullPointerException.class, () -> Gort.run(new String[0], null, quiet));
        assertEquals("Gort.run: main is null; accepted: the program's main, a GoMain", main.getMessage());
        NullPointerException args = assertThrows(NullPointerException.class, () -> Gort.run(null, a -> fail("main ran"), quiet));
        assertTrue(args.getMessage().startsWith("Gort.run: args is null; accepted:"), args.getMessage());
        NullPointerException options = assertThrows(NullPointerException.class,
                () -> Gort.run(new String[0], a -> fail("main ran"), null));
        assertTrue(options.getMessage().startsWith("Gort.run: options is null; accepted:"), options.getMessage());
        assertEquals("", err.toString(StandardCharsets.UTF_8), "nothing booted, nothing reported");
        assertNull(Gort.currentRuntime());
        assertEquals(0, Gort.run(new String[0], a -> { }, opts(Map.of())), "usable after the refusals");
    }

    @Test
    void warningsArePrintedAtStartUp() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Gort.run(new String[0], args -> assertEquals(256, Gort.gomaxprocs()),
                opts(Map.of("GOMAXPROCS", "1024", "GORT_DEBUG", "nosuchkey=1")).ncpu(2)
                        .stderr(new PrintStream(err, true, StandardCharsets.UTF_8)));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        assertTrue(text.contains("gort: warning: GOMAXPROCS=1024 (environment variable GOMAXPROCS) capped to 256"), text);
        assertTrue(text.contains("gort: warning: unknown GORT_DEBUG key nosuchkey"), text);
    }

    @Test
    void oneRuntimeAtATime() {
        int code = Gort.run(new String[0], args -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Gort.run(new String[0], a -> { }));
            assertEquals("a gort runtime is already running in this JVM; one at a time", e.getMessage());
        }, opts(Map.of()));
        assertEquals(0, code);
    }

    @Test
    void publicApiDelegates() {
        int code = Gort.run(new String[0], args -> {
            assertEquals(2, Gort.gomaxprocs());
            dev.gort.sync.WaitGroup wg = new dev.gort.sync.WaitGroup();
            wg.add(10);
            for (int i = 0; i < 10; i++) {
                Gort.go(() -> {
                    Gort.gosched();
                    Gort.poll();
                    Gort.sleep(java.time.Duration.ofMillis(5));
                    wg.done();
                });
            }
            assertTrue(Gort.numGoroutine() >= 1);
            wg.await();
            String r = Gort.syscall(() -> "blocking call result");
            assertEquals("blocking call result", r);
            Gort.lockOSThread();
            Gort.unlockOSThread();
            assertTrue(Gort.readMemStats().heapSys() >= 0);
            assertEquals(Config.NO_MEMORY_LIMIT, Gort.setMemoryLimit(512L << 20));
            assertEquals(512L << 20, Gort.setMemoryLimit(-1));
            assertTrue(Gort.freeOSMemory() >= 0);
            assertTrue(Gort.sysmonStats().rounds() >= 0);
        }, opts(Map.of("GOMAXPROCS", "2")));
        assertEquals(0, code);
    }
}
