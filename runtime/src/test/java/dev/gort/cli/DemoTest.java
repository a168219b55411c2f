package dev.gort.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** The demo at a small size: every check it makes holds, and it reports each part. */
class DemoTest {
    @Test
    void demoRunsAndChecks() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = Demo.run(10, 64L << 20, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("stretch tree of depth 11\t check: 4095"), out);
        assertTrue(out.contains("long lived tree of depth 10\t check: 2047"), out);
        assertTrue(out.contains("pipeline: 200,000 messages"), out);
        assertTrue(out.contains("burst: 64 MiB allocated and touched"), out);
        assertTrue(out.contains("RSS: "), out);
        assertTrue(out.contains("GC: 400,000 objects"), out);
        assertFalse(out.contains("CHECK FAILED"), out);
        System.out.println(out);
    }
}
