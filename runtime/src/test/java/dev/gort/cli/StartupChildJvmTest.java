package dev.gort.cli;

import dev.gort.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Start-up in a fresh JVM through the `run` entry point (TESTING.md X1, F21-F24): malformed
 * settings stop it with exit 2 and the message; GOMAXPROCS=1024 starts with a warning; a panic
 * exits 2 with Go's report.
 */
class StartupChildJvmTest {
    record Result(int code, String out, String err) {
    }

    /** The child's program. */
    public static final class Hello {
        public static void main(String[] args) {
            System.out.println("hello from goroutine, GOMAXPROCS=" + dev.gort.Gort.gomaxprocs());
        }
    }

    /** {@code mainClass} as goroutine 1 through {@link RunMain} in a fresh JVM ({@link ChildJvm}). */
    static Result run(Map<String, String> env, String mainClass) throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.GORT_FLAGS, env, RunMain.class.getName(), mainClass);
        return new Result(r.exitCode(), r.stdout(), r.stderr());
    }

    @Test
    void malformedSettingsStopStartUpWithExit2() throws Exception {
        Result gogc = run(Map.of("GOGC", "abc"), Hello.class.getName());
        assertEquals(2, gogc.code(), gogc.toString());
        assertEquals("gort: malformed GOGC: \"abc\" (environment variable GOGC); accepted: \"off\" or an integer percent (any negative one is off, as in Go), e.g. GOGC=100",
                gogc.err().strip());
        assertEquals("", gogc.out());
        Result limit = run(Map.of("GOMEMLIMIT", "1G"), Hello.class.getName());
        assertEquals(2, limit.code());
        assertTrue(limit.err().startsWith("gort: malformed GOMEMLIMIT: \"1G\" (environment variable GOMEMLIMIT); accepted: "), limit.err());
        Result debug = run(Map.of("GORT_DEBUG", "gctrace=x"), Hello.class.getName());
        assertEquals(2, debug.code());
        assertTrue(debug.err().startsWith("gort: malformed GORT_DEBUG: \"gctrace=x\""), debug.err());
        Result procs = run(Map.of("GOMAXPROCS", "-3"), Hello.class.getName());
        assertEquals(2, procs.code());
        assertTrue(procs.err().startsWith("gort: malformed GOMAXPROCS: \"-3\""), procs.err());
    }

    @Test
    void gomaxprocs1024StartsWithAWarning() throws Exception {
        Result r = run(Map.of("GOMAXPROCS", "1024", "GORT_DEBUG", "gctrace=1,nosuch=1"), Hello.class.getName());
        assertEquals(0, r.code(), r.toString());
        int cap = dev.gort.Config.procsCap(Runtime.getRuntime().availableProcessors());
        assertEquals("hello from goroutine, GOMAXPROCS=" + cap, r.out().strip());
        assertTrue(r.err().contains("gort: warning: GOMAXPROCS=1024 (environment variable GOMAXPROCS) capped to " + cap), r.err());
        assertTrue(r.err().contains("gort: warning: unknown GORT_DEBUG key nosuch"), r.err());
    }

    @Test
    void panicExits2WithTheReport() throws Exception {
        Result r = run(Map.of(), RunMainTest.Panics.class.getName());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("panic: java.lang.IllegalArgumentException: bad input from user code\n\ngoroutine 1 [running]:"), r.err());
    }
}
