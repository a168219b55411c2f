package dev.gort.bench.gc;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.List;

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
        Process p = new ProcessBuilder(List.of(java, SafepointStats.LOG_FLAG, "-XX:+UseSerialGC", "-Xmx32m",
                "-cp", System.getProperty("java.class.path"), Collect.class.getName())).redirectErrorStream(true).start();
        SafepointStats s = new SafepointStats();
        try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = br.readLine()) != null) {
                s.accept(line);
            }
        }
        assertEquals(0, p.waitFor());
        assertTrue(s.count() >= 3, "three System.gc() calls are three safepoints at least: " + s.note());
        assertTrue(s.maxMicros() > 0, s.note());
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
