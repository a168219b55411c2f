package dev.gort.bench.gc;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The harness's reading of a child JVM's {@code -Xlog:safepoint} lines. */
class SafepointStatsTest {

    @Test
    void countsEverySafepointAndKeepsTheLongest() {
        SafepointStats s = new SafepointStats();
        assertEquals("no JVM safepoint logged", s.note());
        assertFalse(s.accept("stretch tree of depth 22\t check: 8388607"));
        assertFalse(s.accept("RESULT mode=gort depth=21 wall_ms=1"));
        assertTrue(s.accept("Safepoint \"GenCollectForAllocation\", Time since last: 148791304 ns, Reaching safepoint: 3805 ns,"
                + " At safepoint: 2344963 ns, Leaving safepoint: 1803 ns, Total: 2350571 ns, Threads: 0 runnable, 10 total"));
        assertTrue(s.accept("Safepoint \"Cleanup\", Time since last: 1000 ns, Reaching safepoint: 3000 ns, At safepoint: 1000 ns,"
                + " Leaving safepoint: 500 ns, Total: 4500 ns, Threads: 0 runnable, 10 total"));
        assertTrue(s.accept("Safepoint \"odd shape\""), "a safepoint line is never echoed, whatever its shape");
        assertEquals(2, s.count());
        assertEquals(1, s.overOneMs());
        assertEquals(2350, s.maxMicros());
        assertTrue(s.note().contains("2, 1 over 1 ms, the longest 2350 us (\"GenCollectForAllocation\")"), s.note());
    }

    /** This JDK's own line matches: a child JVM with the harness's flag that collects on purpose. */
    @Test
    void readsARealChildJvmsLines() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = Files.createTempFile("safepoints", ".txt");
        try {
            Process p = new ProcessBuilder(List.of(java, SafepointStats.LOG_FLAG, "-XX:+UseSerialGC", "-Xmx32m",
                    "-cp", System.getProperty("java.class.path"), Collect.class.getName()))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {        // a hang guard: the child takes well under a second
                p.destroyForcibly();
                fail("the child JVM did not end in 300 s");
            }
            assertEquals(0, p.exitValue(), () -> "child output: " + readQuietly(out));
            SafepointStats s = new SafepointStats();
            for (String line : Files.readAllLines(out)) {
                s.accept(line);
            }
            assertTrue(s.count() >= 3, "three System.gc() calls are three safepoints at least: " + s.note());
            assertTrue(s.maxMicros() > 0, s.note());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String readQuietly(Path f) {
        try {
            return Files.readString(f);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** The child: three full collections. */
    static final class Collect {
        public static void main(String[] args) {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
        }
    }
}
