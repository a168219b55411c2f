package dev.gort.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** release-check on this machine, on the real heap and kernel, with both advices at 256 MiB. */
class ReleaseCheckRunTest {
    private static String run(int expectedExit, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ReleaseCheck.main(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), ArenaReleaseSubject::new);
        String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, code, text);
        return text;
    }

    @Test
    void dontneedReleasesOnThisMachine() {
        String table = run(0, "--size", "256MiB", "--advice", "dontneed");
        assertTrue(table.contains("PASS  RSS dropped"), table);
        assertTrue(table.contains("PASS  arena pages left memory (mincore)"), table);
        System.out.println(table);
    }

    @Test
    void freeReleasesOnThisMachine() {
        String json = run(0, "--size", "256MiB", "--advice", "free", "--json");
        assertTrue(json.startsWith("{\"size\":268435456,\"advice\":\"free\""), json);
        assertTrue(json.contains("\"pass\":true}"), json);
        System.out.println(json);
    }

    @Test
    void badArgumentsExit2() {
        String text = run(2, "--size", "lots");
        assertTrue(text.startsWith("release-check: --size lots is not a byte count"), text);
    }
}
