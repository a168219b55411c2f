package dev.gort.cli;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

    static Result run(Map<String, String> env, String mainClass) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-Xmx128m"));
        cmd.addAll(dev.gort.sys.ForcedGcModes.get().childJvmFlags());     // ./gort test --gc-mode reaches the child
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RunMain.class.getName(), mainClass));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        for (String k : List.of("GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GORT_DEBUG", "GORT_AFFINITY", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
            pb.environment().remove(k);
        }
        pb.environment().putAll(env);
        File out = File.createTempFile("gort-run", ".out");
        File err = File.createTempFile("gort-run", ".err");
        try {
            Process p = pb.redirectOutput(out).redirectError(err).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
            return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
        } finally {
            out.delete();
            err.delete();
        }
    }

    @Test
    void malformedSettingsStopStartUpWithExit2() throws Exception {
        Result gogc = run(Map.of("GOGC", "abc"), Hello.class.getName());
        assertEquals(2, gogc.code(), gogc.toString());
        assertEquals("gort: malformed GOGC: \"abc\" (environment variable GOGC); accepted: \"off\" or a non-negative integer percent, e.g. GOGC=100",
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
